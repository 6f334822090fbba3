package distribution

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/soap"
)

// Distributor puts one integration record into target accounts. Consumers
// fake it in their own tests; nsdist ships no mocks.
type Distributor interface {
	// Distribute brings the record to one target and says what happened.
	// Every failure is in the Result; it never panics on bad input.
	Distribute(ctx context.Context, t Target) Result
}

// Target is one account to distribute to, with what the vendor knows.
type Target struct {
	Account soap.AccountID
	// Auth is the customer's token (or, on endpoints up to 2020_1, user
	// credentials with the record's application id).
	Auth soap.Auth
	// TokenIssuedAt is when the customer's authorization produced the token, if known.
	TokenIssuedAt time.Time
	// RequireApproval is the target's preference, if the vendor knows it.
	RequireApproval approval.Preference
	// Version overrides the distributor's endpoint version for this target.
	Version soap.Version
}

// Result is what happened in one target.
type Result struct {
	Account   soap.AccountID
	Channel   approval.Channel
	Predicted approval.State    // approval.Evaluate's prediction
	Decision  approval.Decision // the whole prediction
	Outcome   approval.Outcome  // approval.Explain's verdict
	NextSteps []string
	Attempts  int
	Duration  time.Duration
	NSID      string // nsId of the last response, NetSuite's id for the request
	Err       error  // unwraps to *soap.Fault when NetSuite answered with one
	// FromJournal marks a result taken from an earlier run's journal.
	FromJournal bool
	// Note says what nsdist could not do itself (e.g. SuiteBundler has no API).
	Note string
}

// Prober sends the request that confirms an install and reports what it
// saw. The SOAP prober is the default; the seam lets a REST/OAuth 2.0
// prober replace it without changing the Distributor API (SOAP ends in 2028.2).
type Prober interface {
	Probe(ctx context.Context, t Target, single bool) Probe
}

// Probe is one prober call's observation.
type Probe struct {
	Err      error
	Attempts int
	NSID     string
}

// AutoInstaller distributes by auto-installation: on current endpoints the
// customer's token issue installed the record and a getServerTime with that
// token tells Enabled from not yet enabled; on endpoints up to 2020_1 a
// login with user credentials and the application id installs it.
type AutoInstaller struct {
	record approval.Record
	cfg    config
}

var _ Distributor = (*AutoInstaller)(nil)

type config struct {
	version   soap.Version
	soapOpts  []soap.Option
	retry     soap.RetryPolicy
	clock     func() time.Time
	logger    *slog.Logger
	prober    Prober
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

// WithProber replaces the SOAP prober (the seam for REST/OAuth 2.0).
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
	if cfg.prober == nil {
		cfg.prober = &soapProber{cfg: &cfg}
	}
	// validate the soap options once, so a bad one fails here, not per target
	if _, err := soap.NewClient("1", cfg.soapOpts...); err != nil {
		return nil, fmt.Errorf("distribution: %w", err)
	}
	return &AutoInstaller{record: record, cfg: cfg}, nil
}

// Record returns the record the installer distributes.
func (a *AutoInstaller) Record() approval.Record { return a.record }

// Distribute checks the target with the soap client's own retries.
func (a *AutoInstaller) Distribute(ctx context.Context, t Target) Result { return a.run(ctx, t, false) }

// attempt makes a single attempt; a Rollout schedules the retries itself,
// so that a target in backoff holds no worker.
func (a *AutoInstaller) attempt(ctx context.Context, t Target) Result { return a.run(ctx, t, true) }

func (a *AutoInstaller) evaluate(t Target) (approval.Decision, approval.Channel, error) {
	ch := approval.ChannelTBA
	switch t.Auth.(type) {
	case *soap.TokenAuth:
	case *soap.Passport:
		ch = approval.ChannelCredentials
	case nil:
		return approval.Decision{}, ch, fmt.Errorf("%w: target %s has no credentials", soap.ErrCredentials, t.Account)
	}
	v := t.Version
	if v.IsZero() {
		v = a.cfg.version
	}
	d := approval.Evaluate(approval.Input{
		Channel: ch, Record: a.record, Version: v, Date: a.cfg.clock(),
		Target: approval.Target{Account: t.Account, RequireApproval: t.RequireApproval},
	})
	return d, ch, nil
}

func (a *AutoInstaller) run(ctx context.Context, t Target, single bool) Result {
	start := a.cfg.clock()
	res := Result{Account: t.Account}
	if err := t.Account.Validate(); err != nil {
		return misconfigured(res, err)
	}
	d, ch, err := a.evaluate(t)
	res.Channel = ch
	if err != nil {
		return misconfigured(res, err)
	}
	res.Decision, res.Predicted = d, d.InitialState
	if !d.Allowed { // preflight: send nothing that cannot work
		res.Outcome = approval.Outcome{Kind: approval.Misconfigured, Report: approval.Misconfigured.Report(), Observed: approval.ObservedOther,
			Sentence: "not sent: " + joinReasons(d.Blocking), NextStep: d.Blocking[0].Text, LessLikely: []string{}}
		res.NextSteps = []string{res.Outcome.NextStep}
		res.Err = fmt.Errorf("%w (%s)", ErrPreflight, t.Account)
		return res
	}
	p := a.cfg.prober.Probe(ctx, t, single)
	res.Attempts, res.NSID, res.Err = p.Attempts, p.NSID, p.Err
	res.Outcome = approval.Explain(d, approval.Observation{Observed: approval.Observe(p.Err), TokenIssuedAt: t.TokenIssuedAt, At: a.cfg.clock()})
	if ctx.Err() != nil && p.Err != nil {
		res.Outcome = approval.Outcome{Kind: approval.UnknownOutcome, Report: "failed", Observed: approval.ObservedTransport,
			Sentence: "stopped before " + string(t.Account) + " answered", NextStep: "run again to check it", LessLikely: []string{}}
	}
	if res.Outcome.NextStep != "" {
		res.NextSteps = []string{res.Outcome.NextStep}
	}
	res.Duration = a.cfg.clock().Sub(start)
	return res
}

// ErrPreflight is wrapped by the error of a target refused before anything was sent.
var ErrPreflight = errors.New("distribution: refused before sending: the channel cannot work")

func misconfigured(res Result, err error) Result {
	res.Err = err
	res.Predicted = approval.StateNone
	res.Outcome = approval.Outcome{Kind: approval.Misconfigured, Report: approval.Misconfigured.Report(), Observed: approval.ObservedOther,
		Sentence: err.Error(), NextStep: "fix the target's account id and credentials", LessLikely: []string{}}
	res.NextSteps = []string{res.Outcome.NextStep}
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

func (p *soapProber) Probe(ctx context.Context, t Target, single bool) Probe {
	v := t.Version
	if v.IsZero() {
		v = p.cfg.version
	}
	retry := p.cfg.retry
	if single {
		retry = soap.NoRetry()
	}
	opts := append([]soap.Option{soap.WithVersion(v), soap.WithAuth(t.Auth), soap.WithRetryPolicy(retry),
		soap.WithDiscoveryCache(p.cfg.discovery), soap.WithLogger(p.cfg.logger), soap.WithClock(p.cfg.clock)}, p.cfg.soapOpts...)
	c, err := soap.NewClient(string(t.Account), opts...)
	if err != nil {
		return Probe{Err: err}
	}
	if _, ok := t.Auth.(*soap.Passport); ok {
		s, err := c.Login(ctx)
		if err != nil {
			return Probe{Err: err, Attempts: attempts(err)}
		}
		lerr := s.Logout(ctx) // a failed logout does not undo the install
		if lerr != nil {
			p.cfg.logger.Debug("distribution: logout failed", "account", string(t.Account), "error", lerr)
		}
		return Probe{Attempts: 1, NSID: s.NSID}
	}
	resp, err := c.Do(ctx, soap.OpGetServerTime)
	if err != nil {
		return Probe{Err: err, Attempts: attempts(err)}
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
