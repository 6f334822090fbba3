package distribution

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

// restProber confirms an OAuth 2.0 install with REST GET
// /services/rest/system/v1/serverTime and the Bearer token: it needs no
// permission (article_0528010158), and NetSuite refuses a token whose record
// is not Enabled with 401 invalid_token (subsect_158521885412). An expired
// access token is refreshed first, through the oauth2 client's
// single-flight Credential; an M2M key signs a new assertion.
type restProber struct{ cfg *config }

// maxRESTAttempts bounds Probe's own retries of 429s, 5xx and transport
// failures (the SOAP prober's default policy makes four attempts too).
const maxRESTAttempts = 4

// ProbeOnce makes one attempt.
func (p *restProber) ProbeOnce(ctx context.Context, t Target) Probe {
	cred, err := t.credential()
	if err != nil {
		return Probe{Err: err}
	}
	switch c := cred.(type) {
	case OAuth2Token:
		client := c.Client
		if client == nil {
			client = p.cfg.oauth
		}
		if client == nil {
			return Probe{Err: fmt.Errorf("%w: no OAuth 2.0 client", ErrCredential)}
		}
		given := c.Token
		if given.Account == "" { // the target names the account
			given = cloneWithAccount(given, t.Account)
		}
		tok, err := client.Refresher(given, c.Save).Token(ctx)
		note := ""
		var se *oauth2.SaveError
		if errors.As(err, &se) {
			note, tok, err = "the refreshed token could not be saved: "+se.Err.Error(), se.Token, nil
		}
		if err != nil {
			return Probe{Err: err, Attempts: 1, Observed: oauth2.Observe(err)}
		}
		_, err = client.ServerTime(ctx, tok)
		return Probe{Err: err, Attempts: 1, Note: note, Observed: oauth2.Observe(err)}
	case M2MKey:
		client := c.Client
		if client == nil {
			client = p.cfg.oauth
		}
		if client == nil {
			return Probe{Err: fmt.Errorf("%w: no OAuth 2.0 client", ErrCredential)}
		}
		m, err := client.ClientCredentials(oauth2.M2MConfig{Account: t.Account, CertificateID: c.CertificateID, Key: c.Key, Algorithm: c.Algorithm})
		if err != nil {
			return Probe{Err: fmt.Errorf("%w: %w", ErrCredential, err)}
		}
		tok, err := m.Token(ctx)
		if err != nil {
			return Probe{Err: err, Attempts: 1, Observed: oauth2.Observe(err)}
		}
		_, err = client.ServerTime(ctx, tok)
		return Probe{Err: err, Attempts: 1, Observed: oauth2.Observe(err)}
	}
	return Probe{Err: fmt.Errorf("%w: %s is no OAuth 2.0 credential", ErrCredential, cred.Channel())}
}

// Probe retries what may work later (429, 5xx, no answer) with jittered
// backoff, honouring Retry-After.
func (p *restProber) Probe(ctx context.Context, t Target) Probe {
	bo := backoff.WithContext(&backoff.ExponentialBackOff{InitialInterval: 200 * time.Millisecond, RandomizationFactor: 0.5, Multiplier: 2,
		MaxInterval: 2 * time.Second, MaxElapsedTime: 30 * time.Second, Stop: backoff.Stop, Clock: backoff.SystemClock}, ctx)
	bo.Reset()
	total := 0
	for {
		pr := p.ProbeOnce(ctx, t)
		total += pr.Attempts
		pr.Attempts = total
		if !nsdist.Retryable(pr.Err) {
			return pr
		}
		if total >= maxRESTAttempts || ctx.Err() != nil {
			return pr
		}
		wait := bo.NextBackOff()
		if ra := nsdist.RetryAfter(pr.Err, time.Now()); ra > wait {
			wait = ra
		}
		if wait == backoff.Stop {
			return pr
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

func cloneWithAccount(t *oauth2.Token, a nsdist.AccountID) *oauth2.Token {
	cp := *t
	cp.Scopes = append([]oauth2.Scope(nil), t.Scopes...)
	cp.Account = a
	return &cp
}
