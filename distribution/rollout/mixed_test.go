package rollout_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap/soaptest"
)

type mixedSim struct {
	sim
	channel   map[nsdist.AccountID]string // tba, oauth2, oauth2-public
	expired   int                         // OAuth 2.0 targets whose access token expired: one refresh each
	confident *oauth2.Client
}

// simulateMixed: n accounts, half TBA and half OAuth 2.0 (of those, half
// public clients, the rest confidential), exactly round(n×share) requiring
// approval, spread over the channels.
func simulateMixed(t testing.TB, n int, share float64, faults soaptest.Faults) *mixedSim {
	t.Helper()
	fake := soaptest.NewServer(soaptest.WithSeed(5))
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", soaptest.AccountConfig{})
	redirect := []string{"https://app.acme.example/netsuite/callback"}
	rec, err := fake.CreateIntegration(vendor.ID(), soaptest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true,
		OAuth2CodeGrant: true, RedirectURIs: redirect, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := fake.CreateIntegration(vendor.ID(), soaptest.IntegrationSpec{Name: "Acme Sync Mobile", OAuth2CodeGrant: true, PublicClient: true,
		RedirectURIs: redirect, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	clientFor := func(in *soaptest.Integration) *oauth2.Client {
		c, err := oauth2.NewClient(oauth2.Config{ClientID: in.ClientID, ClientSecret: in.ClientSecret}, oauth2.WithTransport(fake.Transport()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	confidential, public := clientFor(rec), clientFor(pub)
	s := &mixedSim{sim: sim{fake: fake, requires: map[nsdist.AccountID]bool{}, nonces: &nonceLog{seen: map[string]int{}},
		record: approval.Record{Name: rec.Name, Owner: vendor.ID(), TBA: true, TBAAuthFlow: true, OAuth2CodeGrant: true}},
		channel: map[nsdist.AccountID]string{}, confident: confidential}
	need := int(float64(n)*share + 0.5)
	for i := range n {
		id := nsdist.AccountID(fmt.Sprintf("%d", 4000000+i))
		// every channel gets its share of approval-gated accounts: gate by position in a stride
		req := i*need/n != (i+1)*need/n
		a := fake.MustAddAccount(string(id), soaptest.AccountConfig{RequireApproval: req})
		a.SetFaults(faults)
		s.requires[id] = req
		now := time.Now()
		switch i % 4 {
		case 0, 2:
			auth, err := fake.Connect(a.ID(), rec)
			if err != nil {
				t.Fatal(err)
			}
			s.channel[id] = "tba"
			s.targets = append(s.targets, distribution.Target{Account: id, TokenIssuedAt: now,
				Credential: tba.Credential{Consumer: tba.Consumer{Key: auth.ConsumerKey, Secret: auth.ConsumerSecret}, Token: tba.Token{ID: auth.TokenID, Secret: auth.TokenSecret}}})
		default:
			in, client, kind := rec, confidential, "oauth2"
			if i%4 == 3 {
				in, client, kind = pub, public, "oauth2-public"
			}
			g, err := fake.ConnectOAuth2(a.ID(), in)
			if err != nil {
				t.Fatal(err)
			}
			tok := &oauth2.Token{Account: id, ClientID: in.ClientID, AccessToken: g.AccessToken, RefreshToken: g.RefreshToken, TokenType: "bearer",
				Expiry: now.Add(g.ExpiresIn), Scopes: []oauth2.Scope{oauth2.ScopeRESTWebServices}, Role: g.Role, Entity: g.Entity, Public: in.PublicClient, IssuedAt: now}
			if !req && i%8 < 4 { // an access token that expired: the prober refreshes it once
				tok.Expiry = now.Add(-time.Minute)
				s.expired++
			}
			s.channel[id] = kind
			s.targets = append(s.targets, distribution.Target{Account: id, TokenIssuedAt: now, Credential: oauth2.Grant{Token: tok, Client: client}})
		}
	}
	return s
}

func TestRolloutMixedChannels(t *testing.T) {
	t.Parallel()
	const n = 1000
	s := simulateMixed(t, n, 0.3, soaptest.Faults{ConcurrencyFaultRate: 0.3})
	ai := s.installer(t, distribution.WithProber(oauth2.NewProber(s.confident)))
	var mu sync.Mutex
	seen := map[nsdist.AccountID]int{}
	rep, err := fastRollout(t, ai, rollout.WithConcurrency(64), rollout.WithMaxAttempts(15), rollout.WithRetryBudget(5*n),
		rollout.WithResults(func(r distribution.Result) { mu.Lock(); seen[r.Account]++; mu.Unlock() })).Run(t.Context(), s.targets)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[distribution.Outcome]int{}
	got := map[string]map[distribution.Outcome]int{}
	for _, tg := range s.targets {
		ch := s.channel[tg.Account]
		if want[ch] == nil {
			want[ch], got[ch] = map[distribution.Outcome]int{}, map[distribution.Outcome]int{}
		}
		o := distribution.OutcomeEnabled
		if s.requires[tg.Account] {
			o = distribution.OutcomeAwaitingApproval
		}
		want[ch][o]++
	}
	for _, r := range rep.Results {
		got[s.channel[r.Account]][r.Outcome]++
		wantCh := approval.ChannelTBA
		if s.channel[r.Account] != "tba" {
			wantCh = approval.ChannelOAuth2
		}
		if r.Channel != wantCh {
			t.Errorf("%s: channel %s, want %s", r.Account, r.Channel, wantCh)
		}
	}
	for ch := range want {
		if fmt.Sprint(want[ch]) != fmt.Sprint(got[ch]) {
			t.Errorf("%s: outcomes %v, want %v", ch, got[ch], want[ch])
		}
	}
	t.Logf("per channel: %v; requests %d", got, s.fake.Requests())
	if len(seen) != n {
		t.Errorf("the results callback saw %d targets, want %d", len(seen), n)
	}
	for a, k := range seen {
		if k != 1 {
			t.Errorf("%s delivered %d times", a, k)
		}
	}
	if r := s.fake.TokenRequests("refresh_token"); r != s.expired {
		t.Errorf("%d refresh requests for %d expired tokens: want exactly one each", r, s.expired)
	}
	for nonce, k := range s.nonces.seen {
		if k > 1 {
			t.Errorf("nonce %s used %d times", nonce, k)
		}
	}
	if c := rep.CountsByChannel(); c[approval.ChannelOAuth2][distribution.OutcomeEnabled]+c[approval.ChannelTBA][distribution.OutcomeEnabled] != rep.Counts()[distribution.OutcomeEnabled] {
		t.Errorf("CountsByChannel %v disagrees with Counts %v", c, rep.Counts())
	}
}

// vendorDistributor is a Distributor from outside the package: an
// Attempter whose targets each need two retries.
type contextT = context.Context

type vendorDistributor struct {
	mu    sync.Mutex
	tries map[nsdist.AccountID]int
	order []nsdist.AccountID
	full  int // Distribute calls: must stay 0
}

type vendorAttempter struct{ v *vendorDistributor }

func (a vendorAttempter) Distribute(_ contextT, t distribution.Target) distribution.Result {
	a.v.mu.Lock()
	a.v.full++
	a.v.mu.Unlock()
	return distribution.Result{Account: t.Account, Outcome: distribution.OutcomeFailed}
}

func (a vendorAttempter) Attempt(_ contextT, t distribution.Target) distribution.Result {
	a.v.mu.Lock()
	defer a.v.mu.Unlock()
	a.v.tries[t.Account]++
	a.v.order = append(a.v.order, t.Account)
	if a.v.tries[t.Account] < 3 {
		return distribution.Result{Account: t.Account, Attempts: 1, Explanation: approval.Explanation{Kind: approval.Retryable}}
	}
	return distribution.Result{Account: t.Account, Attempts: 1, Outcome: distribution.OutcomeEnabled}
}

func TestForeignAttempterRetriesOffTheWorkers(t *testing.T) {
	t.Parallel()
	v := &vendorDistributor{tries: map[nsdist.AccountID]int{}}
	r, err := rollout.New(vendorAttempter{v}, rollout.WithConcurrency(1), rollout.WithBackoff(30*time.Millisecond, 30*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	targets := []distribution.Target{{Account: "1"}, {Account: "2"}, {Account: "3"}}
	rep, err := r.Run(t.Context(), targets)
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Counts(); c[distribution.OutcomeEnabled] != 3 || v.full != 0 {
		t.Fatalf("counts %v, %d Distribute calls (want 3 enabled, 0 calls)", c, v.full)
	}
	// with one worker, a target waiting to retry must not hold it: the
	// other targets' first attempts come before its second
	if fmt.Sprint(v.order[:3]) != "[1 2 3]" {
		t.Errorf("attempt order %v: a retry held the only worker", v.order)
	}
	for _, res := range rep.Results {
		if res.Attempts != 3 {
			t.Errorf("%s: %d attempts, want 3", res.Account, res.Attempts)
		}
	}
}
