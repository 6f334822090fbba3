package distribution

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/soap"
)

// Distributor puts one integration record into target accounts. Consumers
// fake it in their own tests; nsdist ships no mocks.
type Distributor interface {
	// Distribute brings the record to one target and says what happened.
	// Every failure is in the Result; it never panics on bad input.
	Distribute(ctx context.Context, t Target) Result
}

// Attempter is implemented by a Distributor that can make exactly one
// attempt at a target. A Rollout checks for it, as io.Copy checks for
// io.WriterTo: with it, the rollout schedules the retries itself, so that a
// target waiting to retry holds no worker. Attempt returns a Result whose
// Explanation.Kind is approval.Retryable when another attempt may succeed.
type Attempter interface {
	Attempt(ctx context.Context, t Target) Result
}

// Target is one account to distribute to, with what the vendor knows.
type Target struct {
	Account nsdist.AccountID
	// Label is the vendor's name for the customer, carried into reports.
	Label string
	// Credential is what the customer gave: a TBAToken, UserCredentials
	// (endpoints up to 2020_1), an OAuth2Token or an M2MKey.
	Credential Credential
	// Auth is the customer's SOAP credentials.
	//
	// Deprecated: use Credential (TBAToken or UserCredentials), which does
	// not name the account a second time. Auth still works when Credential
	// is nil.
	Auth soap.Auth
	// TokenIssuedAt is when the customer's authorization produced the token, if known.
	TokenIssuedAt time.Time
	// RequireApproval is the target's preference, if the vendor knows it.
	RequireApproval approval.Preference
	// Version overrides the distributor's SOAP endpoint version for this target.
	Version soap.Version
}

// Result is what happened in one target.
type Result struct {
	Account nsdist.AccountID
	Label   string // the target's Label
	Channel approval.Channel
	// Outcome is the verdict: enabled, awaiting_approval, rejected,
	// misconfigured, failed, or planned.
	Outcome Outcome
	// Explanation says why, in words: approval.Explain's sentence, the next
	// step for the customer's administrator or the vendor, and the less
	// likely causes.
	Explanation approval.Outcome
	// Decision is approval.Evaluate's prediction (Decision.InitialState).
	Decision approval.Decision
	Attempts int
	Duration time.Duration
	NSID     string // nsId of the last SOAP response, NetSuite's id for the request
	Err      error  // unwraps to *soap.Fault or *oauth2.Error when NetSuite refused
	// FromJournal marks a result taken from an earlier run's journal.
	FromJournal bool
	// Note says what nsdist could not do itself (e.g. SuiteBundler has no API).
	Note string
}

// NextStep is what to do about the target, or "".
func (r Result) NextStep() string { return r.Explanation.NextStep }

// Prober sends the request that confirms an install and reports what it
// saw, with its own retries. nsdist has two: SOAP getServerTime (or
// login/logout) for TBA and user credentials, and REST serverTime for
// OAuth 2.0. A prober that can also make exactly one attempt implements
// [SingleProber].
type Prober interface {
	Probe(ctx context.Context, t Target) Probe
}

// SingleProber is a Prober that can make exactly one attempt; the
// AutoInstaller's Attempt uses it, so that a Rollout schedules the retries.
type SingleProber interface {
	Prober
	ProbeOnce(ctx context.Context, t Target) Probe
}

// Probe is one prober call's observation.
type Probe struct {
	Err      error
	Attempts int
	NSID     string
	// Note is something the caller should know although the probe worked
	// (a refreshed token that could not be saved, for example).
	Note string
	// Observed is what the channel made of its answer; empty, it is read
	// from Err by the one classifier (nsdist.Classify) alone.
	Observed approval.Observed
}

// observed is the probe's observation, or the classifier's reading of its
// error when the prober gave none.
func (p Probe) observed() approval.Observed {
	if p.Observed != "" {
		return p.Observed
	}
	switch nsdist.Classify(p.Err) {
	case nsdist.ClassNone:
		return approval.ObservedSuccess
	case nsdist.ClassTemporary:
		return approval.ObservedUnavailable
	case nsdist.ClassConnection, nsdist.ClassTimeout:
		return approval.ObservedTransport
	}
	return approval.ObservedOther
}

// AutoInstaller distributes by auto-installation. On current endpoints the
// customer's authorization installed the record (issuing a TBA token, or
// completing an OAuth 2.0 code grant), and one request with that token tells
// Enabled from not yet enabled: SOAP getServerTime for TBA, REST serverTime
// for OAuth 2.0. On endpoints up to 2020_1 a login with user credentials
// and the application id installs it.
type AutoInstaller struct {
	record approval.Record
	cfg    config
}

var (
	_ Distributor = (*AutoInstaller)(nil)
	_ Attempter   = (*AutoInstaller)(nil)
)

type config struct {
	version   soap.Version
	soapOpts  []soap.Option
	retry     soap.RetryPolicy
	clock     func() time.Time
	logger    *slog.Logger
	prober    Prober // replaces both when set
	soap      Prober
	rest      Prober
	oauth     *oauth2.Client
	discovery *soap.DiscoveryCache
}

// Option configures an AutoInstaller.
type Option func(*config) error

// WithVersion sets the endpoint version (default 2025_2).
func WithVersion(v soap.Version) Option {
	return func(c *config) error {
		if v.IsZero() {
			return errors.New("distribution: zero endpoint version")
		}
		c.version = v
		return nil
	}
}

// WithSOAPOptions passes options to every soap.Client (transport, logger, ...).
func WithSOAPOptions(opts ...soap.Option) Option {
	return func(c *config) error { c.soapOpts = append(c.soapOpts, opts...); return nil }
}

// WithRetryPolicy sets the soap client's retries for Distribute (a Rollout
// schedules its own retries and makes one attempt per turn).
func WithRetryPolicy(p soap.RetryPolicy) Option {
	return func(c *config) error { c.retry = p; return nil }
}

// WithClock sets the clock used for dates and timing.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("distribution: nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithLogger logs at Debug; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("distribution: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithOAuth2Client is the record's OAuth 2.0 client, used for OAuth2Token
// and M2MKey targets that carry none.
func WithOAuth2Client(c *oauth2.Client) Option {
	return func(cfg *config) error {
		if c == nil {
			return errors.New("distribution: nil OAuth 2.0 client")
		}
		cfg.oauth = c
		return nil
	}
}

// WithProber replaces nsdist's probers (SOAP and REST) with p for every channel.
func WithProber(p Prober) Option {
	return func(c *config) error {
		if p == nil {
			return errors.New("distribution: nil prober")
		}
		c.prober = p
		return nil
	}
}

// NewAutoInstaller returns a distributor for record.
func NewAutoInstaller(record approval.Record, opts ...Option) (*AutoInstaller, error) {
	cfg := config{version: soap.DefaultVersion, retry: soap.DefaultRetryPolicy(), clock: time.Now,
		logger: slog.New(slog.DiscardHandler), discovery: soap.NewDiscoveryCache()}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	cfg.soap, cfg.rest = &soapProber{cfg: &cfg}, &restProber{cfg: &cfg}
	// validate the soap options once, so a bad one fails here, not per target
	if _, err := soap.NewClient("1", cfg.soapOpts...); err != nil {
		return nil, fmt.Errorf("distribution: %w", err)
	}
	a := &AutoInstaller{record: record, cfg: cfg}
	a.cfg.soap, a.cfg.rest = &soapProber{cfg: &a.cfg}, &restProber{cfg: &a.cfg}
	return a, nil
}

// Record returns the record the installer distributes.
func (a *AutoInstaller) Record() approval.Record { return a.record }

// Distribute checks the target with the prober's own retries.
func (a *AutoInstaller) Distribute(ctx context.Context, t Target) Result {
	return a.run(ctx, t, func(p Prober) Probe { return p.Probe(ctx, t) })
}

// Attempt makes a single attempt; a Rollout schedules the retries itself,
// so that a target in backoff holds no worker.
func (a *AutoInstaller) Attempt(ctx context.Context, t Target) Result {
	return a.run(ctx, t, func(p Prober) Probe {
		if sp, ok := p.(SingleProber); ok {
			return sp.ProbeOnce(ctx, t)
		}
		return p.Probe(ctx, t)
	})
}

func (a *AutoInstaller) prober(ch approval.Channel) Prober {
	switch {
	case a.cfg.prober != nil:
		return a.cfg.prober
	case ch == approval.ChannelOAuth2:
		return a.cfg.rest
	}
	return a.cfg.soap
}

func (a *AutoInstaller) evaluate(t Target, ch approval.Channel) approval.Decision {
	v := t.Version
	if v.IsZero() {
		v = a.cfg.version
	}
	return approval.Evaluate(approval.Input{
		Channel: ch, Record: a.record, Version: v.Release(), Date: a.cfg.clock(),
		Target: approval.Target{Account: t.Account, RequireApproval: t.RequireApproval},
	})
}

func (a *AutoInstaller) run(ctx context.Context, t Target, probe func(Prober) Probe) Result {
	start := a.cfg.clock()
	res := Result{Account: t.Account, Label: t.Label}
	if err := t.Account.Validate(); err != nil {
		return misconfigured(res, err, "fix the target's account id: the Account ID of Setup > Company > Company Information, e.g. 123456 or 123456_SB1")
	}
	cred, err := t.credential()
	if cred != nil {
		res.Channel = cred.Channel()
	}
	if err != nil {
		return misconfigured(res, err, "fix the target's credential: "+strings.TrimPrefix(err.Error(), ErrCredential.Error()+": "))
	}
	if _, isM2M := cred.(M2MKey); isM2M || res.Channel == approval.ChannelOAuth2 {
		if c := a.oauthClient(cred); c == nil {
			return misconfigured(res, fmt.Errorf("%w: no OAuth 2.0 client for %s", ErrCredential, t.Account), "give the AutoInstaller the record's client with WithOAuth2Client, or set the credential's Client")
		}
	}
	et := t
	if _, isM2M := cred.(M2MKey); isM2M {
		// client credentials install nothing: the record's State is whatever
		// it already is, not what the preference would give a new install
		et.RequireApproval = approval.PreferenceUnknown
	}
	d := a.evaluate(et, res.Channel)
	res.Decision = d
	if !d.Allowed { // preflight: send nothing that cannot work
		res.Explanation = approval.Outcome{Kind: approval.Misconfigured, Report: approval.Misconfigured.Report(), Observed: approval.ObservedOther,
			Sentence: "not sent: " + joinReasons(d.Blocking), NextStep: d.Blocking[0].Text, LessLikely: []string{}}
		res.Outcome = outcomeOf(res.Explanation.Kind)
		res.Err = &PreflightError{Account: t.Account, Reasons: d.Blocking}
		return res
	}
	p := probe(a.prober(res.Channel))
	res.Attempts, res.NSID, res.Err, res.Note = p.Attempts, p.NSID, p.Err, p.Note
	res.Explanation = approval.Explain(d, approval.Observation{Observed: p.observed(), TokenIssuedAt: t.TokenIssuedAt, At: a.cfg.clock()})
	if ctx.Err() != nil && p.Err != nil {
		res.Explanation = approval.Outcome{Kind: approval.UnknownOutcome, Report: "failed", Observed: approval.ObservedTransport,
			Sentence: "stopped before " + string(t.Account) + " answered", NextStep: "run again to check it", LessLikely: []string{}}
	}
	res.Outcome = outcomeOf(res.Explanation.Kind)
	res.Duration = a.cfg.clock().Sub(start)
	return res
}

func (a *AutoInstaller) oauthClient(c Credential) *oauth2.Client {
	switch c := c.(type) {
	case OAuth2Token:
		if c.Client != nil {
			return c.Client
		}
	case M2MKey:
		if c.Client != nil {
			return c.Client
		}
	}
	return a.cfg.oauth
}

// ErrPreflight is wrapped by the error of a target refused before anything was sent.
var ErrPreflight = errors.New("distribution: not sent: the channel cannot work")

// PreflightError says why a target was refused before anything was sent:
// approval.Evaluate's blocking reasons.
type PreflightError struct {
	Account nsdist.AccountID
	Reasons []approval.Reason
}

func (e *PreflightError) Error() string {
	return fmt.Sprintf("distribution: %s not sent: %s", e.Account, joinReasons(e.Reasons))
}

// Unwrap returns ErrPreflight.
func (e *PreflightError) Unwrap() error { return ErrPreflight }

func misconfigured(res Result, err error, next string) Result {
	res.Err = err
	res.Explanation = approval.Outcome{Kind: approval.Misconfigured, Report: approval.Misconfigured.Report(), Observed: approval.ObservedOther,
		Sentence: "not sent: " + err.Error(), NextStep: next, LessLikely: []string{}}
	res.Outcome = OutcomeMisconfigured
	return res
}

func joinReasons(rs []approval.Reason) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += "; "
		}
		s += r.Text
	}
	return s
}

// soapProber confirms an install with getServerTime (TBA) or login/logout (user credentials).
type soapProber struct{ cfg *config }

// Probe uses the soap client's retry policy.
func (p *soapProber) Probe(ctx context.Context, t Target) Probe { return p.probe(ctx, t, p.cfg.retry) }

// ProbeOnce makes one attempt.
func (p *soapProber) ProbeOnce(ctx context.Context, t Target) Probe {
	return p.probe(ctx, t, soap.NoRetry())
}

func (p *soapProber) probe(ctx context.Context, t Target, retry soap.RetryPolicy) Probe {
	cred, err := t.credential()
	if err != nil {
		return Probe{Err: err}
	}
	auth := soapAuth(cred, t.Account)
	if auth == nil {
		return Probe{Err: fmt.Errorf("%w: %s is no SOAP credential", ErrCredential, cred.Channel())}
	}
	v := t.Version
	if v.IsZero() {
		v = p.cfg.version
	}
	opts := append([]soap.Option{soap.WithVersion(v), soap.WithAuth(auth), soap.WithRetryPolicy(retry),
		soap.WithDiscoveryCache(p.cfg.discovery), soap.WithLogger(p.cfg.logger), soap.WithClock(p.cfg.clock)}, p.cfg.soapOpts...)
	c, err := soap.NewClient(string(t.Account), opts...)
	if err != nil {
		return Probe{Err: err}
	}
	if _, ok := auth.(*soap.Passport); ok {
		s, err := c.Login(ctx)
		if err != nil {
			return Probe{Err: err, Attempts: attempts(err), Observed: ObserveSOAP(err)}
		}
		lerr := s.Logout(ctx) // a failed logout does not undo the install
		if lerr != nil {
			p.cfg.logger.Debug("distribution: logout failed", "account", string(t.Account), "error", lerr)
		}
		return Probe{Attempts: 1, NSID: s.NSID}
	}
	resp, err := c.Do(ctx, soap.OpGetServerTime)
	if err != nil {
		return Probe{Err: err, Attempts: attempts(err), Observed: ObserveSOAP(err)}
	}
	return Probe{Attempts: resp.Attempts, NSID: resp.NSID}
}

func attempts(err error) int {
	var op *soap.OpError
	if errors.As(err, &op) {
		return op.Attempts
	}
	return 0
}
