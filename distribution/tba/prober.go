package tba

import (
	"context"
	"errors"
	"fmt"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/soap"
)

// Prober confirms an install over SOAP: getServerTime with a fresh
// tokenPassport for a [Credential], login and logout for
// [UserCredentials]. It builds one soap.Client and clones it per target,
// so the HTTP client, discovery cache and logger are shared. Give it to
// an AutoInstaller with distribution.WithProber.
type Prober struct {
	base *soap.Client
}

var (
	_ distribution.SingleProber   = (*Prober)(nil)
	_ distribution.ChannelProber  = (*Prober)(nil)
	_ distribution.EndpointProber = (*Prober)(nil)
)

// NewProber returns a SOAP prober; opts configure its soap.Client
// (transport, version, retry policy, logger, ...) and are validated here.
func NewProber(opts ...soap.Option) (*Prober, error) {
	base, err := soap.NewClient("1", opts...) // a template: every target clones it with its own account
	if err != nil {
		return nil, fmt.Errorf("tba: %w", err)
	}
	return &Prober{base: base}, nil
}

// Channels returns TBA and user credentials.
func (p *Prober) Channels() []approval.Channel {
	return []approval.Channel{approval.ChannelTBA, approval.ChannelCredentials}
}

// Endpoint returns the release of the SOAP endpoint the target's
// credential asks for, or the prober's.
func (p *Prober) Endpoint(t distribution.Target) nsdist.Release { return p.version(t).Release() }

func (p *Prober) version(t distribution.Target) soap.Version {
	var v soap.Version
	switch c := t.Credential.(type) {
	case Credential:
		v = c.Version
	case UserCredentials:
		v = c.Version
	}
	if v.IsZero() {
		v = p.base.Version()
	}
	return v
}

// Probe uses the soap client's retry policy.
func (p *Prober) Probe(ctx context.Context, t distribution.Target) distribution.Probe {
	return p.probe(ctx, t)
}

// ProbeOnce makes one attempt.
func (p *Prober) ProbeOnce(ctx context.Context, t distribution.Target) distribution.Probe {
	return p.probe(ctx, t, soap.WithRetryPolicy(soap.NoRetry()))
}

func (p *Prober) probe(ctx context.Context, t distribution.Target, opts ...soap.Option) distribution.Probe {
	var auth soap.Auth
	switch c := t.Credential.(type) {
	case Credential:
		auth = c.TokenAuth(t.Account)
	case UserCredentials:
		auth = c.Passport(t.Account)
	default:
		return distribution.Probe{Err: fmt.Errorf("%w: %T is no SOAP credential", distribution.ErrCredential, t.Credential)}
	}
	c, err := p.base.CloneFor(t.Account, append(opts, soap.WithVersion(p.version(t)), soap.WithAuth(auth))...)
	if err != nil {
		return distribution.Probe{Err: fmt.Errorf("%w: %w", distribution.ErrCredential, err)}
	}
	if _, ok := auth.(*soap.Passport); ok {
		s, err := c.Login(ctx)
		if err != nil {
			return distribution.Probe{Err: err, Attempts: attempts(err), Observed: Observe(err)}
		}
		_ = s.Logout(ctx) // a failed logout does not undo the install; the soap client logs it at Debug
		return distribution.Probe{Attempts: 1, NSID: s.NSID, Observed: approval.ObservedSuccess}
	}
	resp, err := c.Do(ctx, soap.OpGetServerTime)
	if err != nil {
		return distribution.Probe{Err: err, Attempts: attempts(err), Observed: Observe(err)}
	}
	return distribution.Probe{Attempts: resp.Attempts, NSID: resp.NSID, Observed: approval.ObservedSuccess}
}

func attempts(err error) int {
	var op *soap.OpError
	if errors.As(err, &op) {
		return op.Attempts
	}
	return 0
}

// WithProber is distribution.WithProber(NewProber(opts...)): an
// AutoInstaller option that sends TBA and user-credentials targets to a
// SOAP prober, refusing bad soap options when the AutoInstaller is built.
func WithProber(opts ...soap.Option) distribution.Option {
	return distribution.WithProberFrom(NewProber(opts...))
}
