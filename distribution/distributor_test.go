package distribution_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
)

// cred is a credential of any channel, for probers that need no wire.
type cred struct {
	ch  approval.Channel
	err error
}

func (c cred) Channel() approval.Channel                 { return c.ch }
func (c cred) Validate(nsdist.AccountID) error           { return c.err }
func (c cred) String() string                            { return "cred" }
func (c cred) withErr(err error) distribution.Credential { c.err = err; return c }

// prober answers with a fixed probe and counts its calls.
type prober struct {
	mu       sync.Mutex
	calls    int
	probe    distribution.Probe
	channels []approval.Channel
	release  nsdist.Release
}

func (p *prober) Probe(context.Context, distribution.Target) distribution.Probe {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	return p.probe
}

type channelProber struct{ *prober }

func (p channelProber) Channels() []approval.Channel { return p.channels }

type endpointProber struct{ *prober }

func (p endpointProber) Endpoint(distribution.Target) nsdist.Release { return p.release }

var record = approval.Record{Name: "Acme Sync", TBA: true, TBAAuthFlow: true, UserCredentials: true, OAuth2CodeGrant: true}

func TestNewAutoInstallerNeedsAProber(t *testing.T) {
	t.Parallel()
	if _, err := distribution.NewAutoInstaller(record); err == nil || !strings.Contains(err.Error(), "WithProber") {
		t.Errorf("NewAutoInstaller without a prober: %v, want an error naming WithProber", err)
	}
	if _, err := distribution.NewAutoInstaller(record, distribution.WithProber(nil)); err == nil {
		t.Error("WithProber(nil) accepted")
	}
	if _, err := distribution.NewAutoInstaller(record, distribution.WithProber((*prober)(nil))); err == nil {
		t.Error("WithProber with a typed nil accepted: Distribute would panic")
	}
	boom := errors.New("bad soap option")
	if _, err := distribution.NewAutoInstaller(record, distribution.WithProberFrom(nil, boom)); !errors.Is(err, boom) {
		t.Errorf("WithProberFrom(nil, err) = %v, want %v", err, boom)
	}
	if _, err := distribution.NewAutoInstaller(record, distribution.WithProber(&prober{}), distribution.WithClock(nil)); err == nil {
		t.Error("WithClock(nil) accepted")
	}
}

// A target goes to the prober of its credential's channel; a channel with
// no prober is a misconfigured result that says what to pass, and nothing
// is sent.
func TestProberPerChannel(t *testing.T) {
	t.Parallel()
	oauth := &prober{channels: []approval.Channel{approval.ChannelOAuth2}}
	ai, err := distribution.NewAutoInstaller(record, distribution.WithProber(channelProber{oauth}))
	if err != nil {
		t.Fatal(err)
	}
	res := ai.Distribute(t.Context(), distribution.Target{Account: "123456", Credential: cred{ch: approval.ChannelOAuth2}})
	if res.Outcome != distribution.OutcomeEnabled || oauth.calls != 1 {
		t.Errorf("oauth2 target: outcome %s, %d calls; want enabled, 1", res.Outcome, oauth.calls)
	}
	res = ai.Distribute(t.Context(), distribution.Target{Account: "123456", Credential: cred{ch: approval.ChannelTBA}})
	if res.Outcome != distribution.OutcomeMisconfigured || !errors.Is(res.Err, distribution.ErrCredential) ||
		!strings.Contains(res.NextStep(), "WithProber") || oauth.calls != 1 {
		t.Errorf("tba target without a tba prober: %s %v %q (%d calls)", res.Outcome, res.Err, res.NextStep(), oauth.calls)
	}
	// a prober given channels explicitly, and a catch-all for the rest
	rest := &prober{}
	ai, err = distribution.NewAutoInstaller(record, distribution.WithProber(channelProber{oauth}), distribution.WithProber(rest))
	if err != nil {
		t.Fatal(err)
	}
	ai.Distribute(t.Context(), distribution.Target{Account: "123456", Credential: cred{ch: approval.ChannelTBA}})
	if rest.calls != 1 || oauth.calls != 1 {
		t.Errorf("catch-all: %d calls, oauth2 prober %d; want 1, 1", rest.calls, oauth.calls)
	}
}

// The clock decides which of NetSuite's rules apply: the same TBA target
// is sent before 2028.2 and refused before sending from it on.
func TestWithClockDecidesTheRules(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		day  time.Time
		want distribution.Outcome
		sent int
	}{
		{time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), distribution.OutcomeEnabled, 1},
		{nsdist.SOAPRemoved.Start(), distribution.OutcomeMisconfigured, 0},
	} {
		p := &prober{}
		ai, err := distribution.NewAutoInstaller(record, distribution.WithProber(p), distribution.WithClock(func() time.Time { return tt.day }))
		if err != nil {
			t.Fatal(err)
		}
		res := ai.Distribute(t.Context(), distribution.Target{Account: "123456", Credential: cred{ch: approval.ChannelTBA}})
		if res.Outcome != tt.want || p.calls != tt.sent {
			t.Errorf("%s: %s with %d requests, want %s with %d", tt.day.Format(time.DateOnly), res.Outcome, p.calls, tt.want, tt.sent)
		}
		var pe *distribution.PreflightError
		if tt.sent == 0 && (!errors.As(res.Err, &pe) || pe.Reasons[0].Code != "soap_removed") {
			t.Errorf("%s: error %v, want a PreflightError soap_removed", tt.day.Format(time.DateOnly), res.Err)
		}
	}
}

// An EndpointProber's release is what approval checks the credential's
// auth mode against: user credentials pass on 2020.1 and are refused on
// 2025.2 before anything is sent.
func TestEndpointProber(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) // 2020.1's endpoint still answers
	for _, tt := range []struct {
		rel  nsdist.Release
		want distribution.Outcome
	}{
		{nsdist.LastPassportRelease, distribution.OutcomeEnabled},
		{nsdist.LastSOAPEndpoint, distribution.OutcomeMisconfigured},
	} {
		p := endpointProber{&prober{release: tt.rel}}
		ai, err := distribution.NewAutoInstaller(record, distribution.WithProber(p), distribution.WithClock(func() time.Time { return day }))
		if err != nil {
			t.Fatal(err)
		}
		res := ai.Distribute(t.Context(), distribution.Target{Account: "123456", Credential: cred{ch: approval.ChannelCredentials}})
		if res.Outcome != tt.want {
			t.Errorf("user credentials on %s: %s (%v), want %s", tt.rel, res.Outcome, res.Err, tt.want)
		}
	}
}

// A credential that does not validate is refused before anything is sent,
// and a prober's credential error is misconfigured too.
func TestCredentialErrors(t *testing.T) {
	t.Parallel()
	p := &prober{}
	ai, err := distribution.NewAutoInstaller(record, distribution.WithProber(p))
	if err != nil {
		t.Fatal(err)
	}
	bad := cred{ch: approval.ChannelTBA}.withErr(errors.New("distribution: unusable credential: the TBA token has no token secret"))
	for _, tg := range []distribution.Target{
		{Account: "123456"},
		{Account: "123456", Credential: bad},
		{Account: "not an id", Credential: cred{ch: approval.ChannelTBA}},
	} {
		if res := ai.Distribute(t.Context(), tg); res.Outcome != distribution.OutcomeMisconfigured || res.NextStep() == "" {
			t.Errorf("%v: %s %q, want misconfigured with a next step", tg.Credential, res.Outcome, res.NextStep())
		}
	}
	if p.calls != 0 {
		t.Errorf("%d requests sent for unusable targets", p.calls)
	}
	p.probe = distribution.Probe{Err: errors.Join(distribution.ErrCredential, errors.New("no OAuth 2.0 client"))}
	if res := ai.Distribute(t.Context(), distribution.Target{Account: "123456", Credential: cred{ch: approval.ChannelTBA}}); res.Outcome != distribution.OutcomeMisconfigured {
		t.Errorf("prober's credential error: %s, want misconfigured", res.Outcome)
	}
}

// Reports name a credential's way in: passport for user credentials, m2m
// for a credential that installs nothing.
func TestResultAuth(t *testing.T) {
	t.Parallel()
	ai, err := distribution.NewAutoInstaller(record, distribution.WithProber(&prober{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		cred distribution.Credential
		want string
	}{
		{cred{ch: approval.ChannelTBA}, "tba"},
		{cred{ch: approval.ChannelCredentials}, "passport"},
		{cred{ch: approval.ChannelOAuth2}, "oauth2"},
		{confirmer{cred{ch: approval.ChannelOAuth2}}, "m2m"},
	} {
		res := ai.Distribute(t.Context(), distribution.Target{Account: "123456", Credential: tt.cred})
		if res.Auth != tt.want || res.Row().Channel != tt.want {
			t.Errorf("%v: Auth %q, report channel %q; want %q", tt.cred.Channel(), res.Auth, res.Row().Channel, tt.want)
		}
	}
}

type confirmer struct{ cred }

func (confirmer) InstallsNothing() bool { return true }
