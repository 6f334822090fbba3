package oauth2

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
)

// Prober confirms an OAuth 2.0 install with REST GET
// /services/rest/system/v1/serverTime and the Bearer token: it needs no
// permission (article_0528010158), and NetSuite refuses a token whose record
// is not Enabled with 401 invalid_token (subsect_158521885412). An expired
// access token is refreshed first, through the client's single-flight
// [Refresher]; an [M2MKey] signs a new assertion. Give it to an
// AutoInstaller with distribution.WithProber.
type Prober struct {
	client *Client
	retry  probeRetry
}

type probeRetry struct {
	attempts         int
	initial, longest time.Duration
}

// defaultProbeRetry makes four attempts, as the SOAP prober's default
// policy makes four too.
var defaultProbeRetry = probeRetry{attempts: 4, initial: 200 * time.Millisecond, longest: 2 * time.Second}

var (
	_ distribution.SingleProber  = (*Prober)(nil)
	_ distribution.ChannelProber = (*Prober)(nil)
)

// NewProber returns a prober that uses client, the record's OAuth 2.0
// client, for targets whose credential carries none; client may be nil
// when every credential carries its own.
// Its retries are the client's (WithProbeRetry).
func NewProber(client *Client) *Prober {
	p := &Prober{client: client, retry: defaultProbeRetry}
	if client != nil {
		p.retry = client.probe
	}
	return p
}

// Channels returns OAuth 2.0.
func (p *Prober) Channels() []approval.Channel { return []approval.Channel{approval.ChannelOAuth2} }

// maxProbeRetryAfter is the longest Retry-After Probe waits for itself.
const maxProbeRetryAfter = 30 * time.Second

var errNoClient = fmt.Errorf("%w: no OAuth 2.0 client: give oauth2.NewProber the record's client, or set the credential's Client", distribution.ErrCredential)

// ProbeOnce makes one attempt.
func (p *Prober) ProbeOnce(ctx context.Context, t distribution.Target) distribution.Probe {
	switch c := t.Credential.(type) {
	case Grant:
		if err := c.Validate(t.Account); err != nil {
			return distribution.Probe{Err: err}
		}
		client := c.Client
		if client == nil {
			client = p.client
		}
		if client == nil {
			return distribution.Probe{Err: errNoClient}
		}
		given := c.Token
		if given.Account == "" { // the target names the account
			given = cloneWithAccount(given, t.Account)
		}
		src := c.Source
		if src == nil {
			cr := client.Refresher(given, c.Save)
			defer cr.release()
			src = cr
		}
		tok, err := src.Token(ctx)
		note := ""
		var se *SaveError
		if errors.As(err, &se) {
			note, tok, err = "the refreshed token could not be saved: "+se.Err.Error(), se.Token, nil
		}
		if err != nil {
			return distribution.Probe{Err: err, Attempts: 1, Observed: Observe(err)}
		}
		_, err = client.ServerTime(ctx, tok)
		return distribution.Probe{Err: err, Attempts: 1, Note: note, Observed: Observe(err), ReauthorizeBy: tok.ReauthorizeBy()}
	case M2MKey:
		client := c.Client
		if client == nil {
			client = p.client.withClientID(c.ClientID)
		}
		if client == nil {
			return distribution.Probe{Err: errNoClient}
		}
		m, err := client.ClientCredentials(M2MConfig{Account: t.Account, CertificateID: c.CertificateID, Key: c.Key, Algorithm: c.Algorithm})
		if err != nil {
			return distribution.Probe{Err: fmt.Errorf("%w: %w", distribution.ErrCredential, err)}
		}
		tok, err := m.Token(ctx)
		if err != nil {
			return distribution.Probe{Err: err, Attempts: 1, Observed: Observe(err)}
		}
		_, err = client.ServerTime(ctx, tok)
		return distribution.Probe{Err: err, Attempts: 1, Observed: Observe(err)}
	}
	return distribution.Probe{Err: fmt.Errorf("%w: %T is no OAuth 2.0 credential", distribution.ErrCredential, t.Credential)}
}

// Probe retries what may work later (429, 5xx, no answer) with jittered
// backoff, honouring Retry-After.
func (p *Prober) Probe(ctx context.Context, t distribution.Target) distribution.Probe {
	bo := backoff.WithContext(&backoff.ExponentialBackOff{InitialInterval: p.retry.initial, RandomizationFactor: 0.5, Multiplier: 2,
		MaxInterval: p.retry.longest, MaxElapsedTime: 30 * time.Second, Stop: backoff.Stop, Clock: backoff.SystemClock}, ctx)
	bo.Reset()
	total := 0
	for {
		pr := p.ProbeOnce(ctx, t)
		total += pr.Attempts
		pr.Attempts = total
		if !nsdist.Retryable(pr.Err) {
			return pr
		}
		if total >= p.retry.attempts || ctx.Err() != nil {
			return pr
		}
		wait := bo.NextBackOff()
		if wait == backoff.Stop {
			return pr
		}
		if ra := nsdist.RetryAfter(pr.Err, time.Now()); ra > wait {
			if ra > maxProbeRetryAfter { // a wait this long is the rollout's to schedule, not one call's
				return pr
			}
			wait = ra
		}
		tm := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			tm.Stop()
			return pr
		case <-tm.C:
		}
	}
}

func cloneWithAccount(t *Token, a nsdist.AccountID) *Token {
	cp := *t
	cp.Scopes = append([]Scope(nil), t.Scopes...)
	cp.Account = a
	return &cp
}
