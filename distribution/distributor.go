package distribution

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
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
	// Credential is what the customer gave, from a channel package:
	// tba.Credential, tba.UserCredentials (endpoints up to 2020.1),
	// oauth2.Grant or oauth2.M2MKey.
	Credential Credential
	// TokenIssuedAt is when the customer's authorization produced the token, if known.
	TokenIssuedAt time.Time
	// RequireApproval is the target's preference, if the vendor knows it.
	RequireApproval approval.Preference
}

// Result is what happened in one target.
type Result struct {
	Account nsdist.AccountID
	Label   string // the target's Label
	Channel approval.Channel
	// Auth names how the credential authenticated, as reports show it:
	// tba, passport (user credentials), oauth2 (a code-grant token), m2m
	// (client credentials), or the channel for bundles and SuiteApps.
	Auth string
	// Outcome is the verdict: enabled, awaiting_approval, rejected,
	// misconfigured, failed, or planned.
	Outcome Outcome
	// Explanation says why, in words: approval.Explain's sentence, the next
	// step for the customer's administrator or the vendor, and the less
	// likely causes.
	Explanation approval.Explanation
	// Decision is approval.Evaluate's prediction (Decision.InitialState).
	Decision approval.Decision
	Attempts int
	Duration time.Duration
	NSID     string // nsId of the last SOAP response, NetSuite's id for the request
	// Err unwraps to an nsdist.WireError (*soap.Fault, *oauth2.Error, ...)
	// when NetSuite refused, and to a *PreflightError when nothing was sent.
	Err error
	// FromJournal marks a result taken from an earlier run's journal.
	FromJournal bool
	// Note says what nsdist could not do itself (e.g. SuiteBundler has no API).
	Note string
	// ReauthorizeBy is when the customer must authorize again: set for a
	// result that rests on an OAuth 2.0 code-grant token, zero for M2M,
	// TBA and bundles.
	ReauthorizeBy time.Time
}

// NextStep is what to do about the target, or "".
func (r Result) NextStep() string { return r.Explanation.NextStep }

// Prober sends the request that confirms an install and reports what it
// saw, with its own retries. Each channel package provides one:
// distribution/tba's (SOAP getServerTime, or login/logout for user
// credentials) and distribution/oauth2's (REST serverTime). A prober that
// can also make exactly one attempt implements [SingleProber].
type Prober interface {
	Probe(ctx context.Context, t Target) Probe
}

// SingleProber is a Prober that can make exactly one attempt; the
// AutoInstaller's Attempt uses it, so that a Rollout schedules the retries.
type SingleProber interface {
	Prober
	ProbeOnce(ctx context.Context, t Target) Probe
}

// ChannelProber is a Prober that names the channels it serves; given to
// [WithProber] without channels, it is used for those.
type ChannelProber interface {
	Prober
	Channels() []approval.Channel
}

// EndpointProber is a Prober whose requests go to a versioned endpoint
// (SOAP): Endpoint says which release's endpoint a target gets, so that
// approval.Evaluate checks the credential's auth mode and the endpoint's
// lifecycle against it before anything is sent.
type EndpointProber interface {
	Prober
	Endpoint(t Target) nsdist.Release
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
	// ReauthorizeBy is when the customer must authorize again, for a
	// credential that ends (an OAuth 2.0 code grant); zero otherwise.
	ReauthorizeBy time.Time
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
	eval   approval.Evaluator // one evaluation per kind of target and day
}

var (
	_ Distributor = (*AutoInstaller)(nil)
	_ Attempter   = (*AutoInstaller)(nil)
)

type config struct {
	clock   func() time.Time
	probers map[approval.Channel]Prober
	all     Prober // for channels without a prober of their own
}

// Option configures an AutoInstaller.
type Option func(*config) error

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

// WithProber sends the targets of the given channels to p: for example
// tba.NewProber's for TBA and user credentials, oauth2.NewProber's for
// OAuth 2.0. Without channels, a [ChannelProber] serves the channels it
// names, and any other prober every channel that has none of its own.
func WithProber(p Prober, channels ...approval.Channel) Option {
	return func(c *config) error {
		if p == nil || isNilPointer(p) {
			return errors.New("distribution: nil prober")
		}
		if cp, ok := p.(ChannelProber); ok && len(channels) == 0 {
			channels = cp.Channels()
		}
		if len(channels) == 0 {
			c.all = p
			return nil
		}
		for _, ch := range channels {
			c.probers[ch] = p
		}
		return nil
	}
}

// isNilPointer reports a typed nil pointer inside an interface, such as a
// (*tba.Prober)(nil), which a nil check does not catch.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// WithProberFrom is WithProber for a constructor's results, as in
// WithProberFrom(tba.NewProber(opts...)): NewAutoInstaller returns err, if
// there is one.
func WithProberFrom(p Prober, err error) Option {
	if err != nil {
		return func(*config) error { return err }
	}
	return WithProber(p)
}

// NewAutoInstaller returns a distributor for record. It needs a prober for
// each channel its targets use (see [WithProber]).
func NewAutoInstaller(record approval.Record, opts ...Option) (*AutoInstaller, error) {
	cfg := config{clock: time.Now, probers: map[approval.Channel]Prober{}}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if len(cfg.probers) == 0 && cfg.all == nil {
		return nil, errors.New("distribution: no prober: pass WithProber(tba.NewProber(...)) for TBA targets, WithProber(oauth2.NewProber(client)) for OAuth 2.0 targets")
	}
	return &AutoInstaller{record: record, cfg: cfg}, nil
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

// authName is how reports name the credential's way in.
func authName(c Credential) string {
	switch {
	case installsNothing(c):
		return "m2m"
	case c.Channel() == approval.ChannelCredentials:
		return "passport"
	}
	return string(c.Channel())
}

func (a *AutoInstaller) prober(ch approval.Channel) Prober {
	if p, ok := a.cfg.probers[ch]; ok {
		return p
	}
	return a.cfg.all
}

func (a *AutoInstaller) evaluate(t Target, ch approval.Channel, p Prober) approval.Decision {
	var v nsdist.Release
	if ep, ok := p.(EndpointProber); ok {
		v = ep.Endpoint(t)
	}
	return a.eval.Evaluate(approval.Input{
		Channel: ch, Record: a.record, Version: v, Date: a.cfg.clock(),
		Target: approval.TargetAccount{Account: t.Account, RequireApproval: t.RequireApproval},
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
		res.Channel, res.Auth = cred.Channel(), authName(cred)
	}
	if err != nil {
		return misconfigured(res, err, "fix the target's credential: "+strings.TrimPrefix(err.Error(), ErrCredential.Error()+": "))
	}
	p := a.prober(res.Channel)
	if p == nil {
		err := fmt.Errorf("%w: no prober for channel %s", ErrCredential, res.Channel)
		return misconfigured(res, err, "give the AutoInstaller a prober for "+string(res.Channel)+" targets with WithProber (tba.NewProber, oauth2.NewProber)")
	}
	et := t
	if installsNothing(cred) {
		// client credentials install nothing: the record's State is whatever
		// it already is, not what the preference would give a new install
		et.RequireApproval = approval.PreferenceUnknown
	}
	d := a.evaluate(et, res.Channel, p)
	res.Decision = d
	if !d.Allowed { // preflight: send nothing that cannot work
		res.Explanation = approval.Explanation{Kind: approval.Misconfigured, Report: approval.Misconfigured.Report(), Observed: approval.ObservedOther,
			Sentence: "not sent: " + joinReasons(d.Blocking), NextStep: d.Blocking[0].Text, LessLikely: []string{}}
		res.Outcome = OutcomeOf(res.Explanation.Kind)
		res.Err = &PreflightError{Account: t.Account, Reasons: d.Blocking}
		return res
	}
	pr := probe(p)
	res.Attempts, res.NSID, res.Err, res.Note, res.ReauthorizeBy = pr.Attempts, pr.NSID, pr.Err, pr.Note, pr.ReauthorizeBy
	if errors.Is(pr.Err, ErrCredential) {
		return misconfigured(res, pr.Err, "fix the target's credential: "+strings.TrimPrefix(pr.Err.Error(), ErrCredential.Error()+": "))
	}
	issued := t.TokenIssuedAt
	if az, ok := cred.(Authorized); ok && issued.IsZero() {
		issued = az.AuthorizedAt()
	}
	res.Explanation = approval.Explain(d, approval.Observation{Observed: pr.observed(), TokenIssuedAt: issued, At: a.cfg.clock()})
	if ctx.Err() != nil && pr.Err != nil {
		res.Explanation = approval.Explanation{Kind: approval.UnknownOutcome, Report: "failed", Observed: approval.ObservedTransport,
			Sentence: "stopped before " + string(t.Account) + " answered", NextStep: "run again to check it", LessLikely: []string{}}
	}
	res.Outcome = OutcomeOf(res.Explanation.Kind)
	res.Duration = a.cfg.clock().Sub(start)
	return res
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
	res.Explanation = approval.Explanation{Kind: approval.Misconfigured, Report: approval.Misconfigured.Report(), Observed: approval.ObservedOther,
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
