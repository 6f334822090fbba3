package sqlstore_test

import (
	"sync"
	"testing"
	"time"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/sqlstore"
)

const (
	custEmail = "admin@customer.example"
	custPass  = "pw"
	appRedir  = "https://app.acme.example/netsuite/callback"
)

// TestRefresherTwoReplicas: two *sql.DB "replicas", each with its own
// oauth2.Client (as two processes would have), 10 goroutines each, ask for
// one public-client credential whose access token is due: exactly one
// refresh request reaches the fake NetSuite, and every caller gets the
// refreshed token, which works.
func TestRefresherTwoReplicas(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		clk, fake, newClient, c0, tok := publicGrant(t)
		kr := mustKeyring(t, mustKey(t))
		type replica struct {
			r      *sqlstore.Refresher
			client *oauth2.Client
		}
		var replicas []replica
		for i := range 2 {
			db := b.open(t)
			st, err := sqlstore.NewTokenStore(ctx, db, kr)
			if err != nil {
				t.Fatal(err)
			}
			leases, err := sqlstore.NewLeases(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if err := st.OAuth2("acme").SaveToken(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			c := c0
			if i > 0 {
				c = newClient()
			}
			r, err := sqlstore.NewRefresher(c, st.OAuth2("acme"), leases, sqlstore.WithClock(clk.Now), sqlstore.WithReplica(b.name+"-replica-"+string(rune('a'+i))))
			if err != nil {
				t.Fatal(err)
			}
			replicas = append(replicas, replica{r, c})
		}
		clk.Add(59 * time.Minute) // inside the 2-minute refresh-ahead window
		before := fake.TokenRequests("refresh_token")
		var mu sync.Mutex
		got := map[string]int{}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				nt, err := replicas[i%2].r.Token(ctx, sqlstore.KeyOf(tok))
				if err != nil {
					t.Errorf("replica %d: Token: %v", i%2, err)
					return
				}
				mu.Lock()
				got[nt.AccessToken]++
				mu.Unlock()
			})
		}
		wg.Wait()
		refreshes := fake.TokenRequests("refresh_token") - before
		t.Logf("%s: 2 replicas × 10 goroutines: %d refresh request(s) at the fake", b.name, refreshes)
		if refreshes != 1 {
			t.Errorf("the fake received %d refresh requests, want 1", refreshes)
		}
		if len(got) != 1 || got[tok.AccessToken] != 0 {
			t.Fatalf("callers got %d different access tokens (the old one %d times), want one new one", len(got), got[tok.AccessToken])
		}
		for access := range got {
			cur := *tok
			cur.AccessToken = access
			if _, err := replicas[1].client.ServerTime(ctx, &cur); err != nil {
				t.Errorf("ServerTime with the refreshed token: %v", err)
			}
		}
		// later, the stored (rotated) refresh token works once more
		clk.Add(time.Hour)
		if _, err := replicas[1].r.Token(ctx, sqlstore.KeyOf(tok)); err != nil {
			t.Errorf("the next refresh, on the other replica: %v", err)
		}
		if n := fake.TokenRequests("refresh_token") - before; n != 2 {
			t.Errorf("%d refresh requests after the second refresh, want 2", n)
		}
	})
}

// publicGrant runs a public client's code grant against a fake NetSuite:
// the clock, the fake, a maker of clients for the same record, the client
// that ran the grant, and its token.
func publicGrant(t *testing.T) (*clock, *nstest.Server, func() *oauth2.Client, *oauth2.Client, *oauth2.Token) {
	t.Helper()
	ctx := t.Context()
	clk := &clock{now: t0}
	fake := nstest.NewServer(nstest.WithClock(clk.Now))
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456_SB1", nstest.AccountConfig{})
	cust.AddUser(nstest.User{Email: custEmail, Password: custPass})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", OAuth2CodeGrant: true,
		PublicClient: true, RedirectURIs: []string{appRedir}, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	newClient := func() *oauth2.Client {
		c, err := oauth2.NewClient(oauth2.Config{ClientID: rec.ClientID, RedirectURL: appRedir},
			oauth2.WithTransport(fake.Transport()), oauth2.WithClock(clk.Now))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// the customer authorizes on replica 0
	c0 := newClient()
	a, err := c0.Authorize(oauth2.AuthorizeOptions{Account: "123456_SB1"})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := fake.Consent(ctx, a.URL, custEmail, custPass, "allow")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c0.Complete(ctx, a, loc.String())
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Public || tok.RefreshToken == "" {
		t.Fatalf("the fake gave %v, want a public client's token with a refresh token", tok)
	}
	return clk, fake, newClient, c0, tok
}

// WithRefreshAhead decides how long before expiry the Refresher
// refreshes: 55 minutes into an hour's token, the default 2 minutes keeps
// it and 10 minutes ahead replaces it. WithLeaseTTL and WithRefreshAhead
// refuse values that cannot work.
func TestRefresherRefreshAhead(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	for _, tt := range []struct {
		opts    []sqlstore.Option
		refresh bool
	}{
		{nil, false},
		{[]sqlstore.Option{sqlstore.WithRefreshAhead(10 * time.Minute), sqlstore.WithLeaseTTL(time.Minute)}, true},
	} {
		ctx := t.Context()
		clk, fake, _, c, tok := publicGrant(t)
		db := b.open(t)
		st, err := sqlstore.NewTokenStore(ctx, db, mustKeyring(t, mustKey(t)))
		if err != nil {
			t.Fatal(err)
		}
		leases, err := sqlstore.NewLeases(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.OAuth2("acme").SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		r, err := sqlstore.NewRefresher(c, st.OAuth2("acme"), leases, append([]sqlstore.Option{sqlstore.WithClock(clk.Now)}, tt.opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(55 * time.Minute)
		nt, err := r.Token(ctx, sqlstore.KeyOf(tok))
		if err != nil {
			t.Fatal(err)
		}
		if got := nt.AccessToken != tok.AccessToken; got != tt.refresh {
			t.Errorf("refreshed = %v (%d refresh requests), want %v", got, fake.TokenRequests("refresh_token"), tt.refresh)
		}
		for _, bad := range []sqlstore.Option{sqlstore.WithRefreshAhead(2 * time.Hour), sqlstore.WithRefreshAhead(-time.Second), sqlstore.WithLeaseTTL(0)} {
			if _, err := sqlstore.NewRefresher(c, st.OAuth2("acme"), leases, bad); err == nil {
				t.Error("a refresh-ahead or lease TTL that cannot work was accepted")
			}
		}
	}
}
