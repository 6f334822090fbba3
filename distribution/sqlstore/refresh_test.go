package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"sync"
	"syscall"
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

// refresherFor stores tok in a fresh SQLite store and returns a Refresher
// of it through c, the store, and the database.
func refresherFor(t *testing.T, clk *clock, c *oauth2.Client, tok *oauth2.Token) (*sqlstore.Refresher, *sqlstore.OAuth2Tokens, *sql.DB) {
	t.Helper()
	ctx := t.Context()
	db := newBackend(t, "sqlite").open(t)
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
	r, err := sqlstore.NewRefresher(c, st.OAuth2("acme"), leases, sqlstore.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	return r, st.OAuth2("acme"), db
}

// A refreshed public token whose save failed is kept and saved on the
// next call: its refresh token, the only one that still works, is never
// lost, and no second refresh is sent.
func TestRefresherKeepsUnsavedToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk, fake, _, c, tok := publicGrant(t)
	r, store, db := refresherFor(t, clk, c, tok)
	if _, err := db.ExecContext(ctx, `CREATE TRIGGER no_save BEFORE UPDATE ON nsdist_tokens BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	clk.Add(59 * time.Minute)
	nt, err := r.Token(ctx, sqlstore.KeyOf(tok))
	var se *oauth2.SaveError
	if !errors.As(err, &se) || nt == nil || nt.AccessToken == tok.AccessToken {
		t.Fatalf("Token with the store failing = %v, %v; want the new token and a SaveError", nt, err)
	}
	if _, err := db.ExecContext(ctx, `DROP TRIGGER no_save`); err != nil {
		t.Fatal(err)
	}
	again, err := r.Token(ctx, sqlstore.KeyOf(tok))
	if err != nil || again.RefreshToken != nt.RefreshToken {
		t.Fatalf("the next call = %v, %v; want the unsaved token", again, err)
	}
	if n := fake.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("%d refresh requests, want 1", n)
	}
	if stored, err := store.Load(ctx, sqlstore.KeyOf(tok)); err != nil || stored.RefreshToken != nt.RefreshToken {
		t.Errorf("the store holds %v (%v), want the refreshed token", stored, err)
	}
}

// failToken fails every token request with err, and passes the rest.
type failToken struct {
	next http.RoundTripper
	err  error
	hook func()
}

func (f failToken) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/token") {
		if f.hook != nil {
			f.hook()
		}
		if f.err != nil {
			return nil, f.err
		}
	}
	return f.next.RoundTrip(r)
}

// A refresh ahead of expiry that fails for a passing cause (no answer)
// gives the caller the old token, still valid; once it has expired, the
// error.
func TestRefresherTemporaryFailure(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk, fake, _, _, tok := publicGrant(t)
	c, err := oauth2.NewClient(oauth2.Config{ClientID: tok.ClientID, RedirectURL: appRedir}, oauth2.WithClock(clk.Now),
		oauth2.WithTransport(failToken{next: fake.Transport(), err: syscall.ECONNRESET}))
	if err != nil {
		t.Fatal(err)
	}
	r, _, _ := refresherFor(t, clk, c, tok)
	clk.Add(59 * time.Minute)
	got, err := r.Token(ctx, sqlstore.KeyOf(tok))
	if err != nil || got.AccessToken != tok.AccessToken {
		t.Errorf("inside the refresh-ahead window, no answer: %v, %v; want the old token", got, err)
	}
	clk.Add(2 * time.Minute)
	if got, err := r.Token(ctx, sqlstore.KeyOf(tok)); err == nil {
		t.Errorf("expired, no answer: %v, want an error", got)
	}
}

// Another replica refreshed the token after this one's lease expired:
// this one's refresh of the spent token is refused, and the caller gets
// the newer token from the store, not ErrReauthorize.
func TestRefresherOutlivedLease(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk, fake, _, c0, tok := publicGrant(t)
	var store *sqlstore.OAuth2Tokens
	var newer *oauth2.Token
	hook := func() { // the other replica, between this one's Load and its request
		if newer != nil {
			return
		}
		nt, err := c0.Refresh(context.WithoutCancel(ctx), tok)
		if err != nil {
			t.Error(err)
			return
		}
		newer = nt
		if err := store.SaveToken(context.WithoutCancel(ctx), nt); err != nil {
			t.Error(err)
		}
	}
	c, err := oauth2.NewClient(oauth2.Config{ClientID: tok.ClientID, RedirectURL: appRedir}, oauth2.WithClock(clk.Now),
		oauth2.WithTransport(failToken{next: fake.Transport(), hook: hook}))
	if err != nil {
		t.Fatal(err)
	}
	var r *sqlstore.Refresher
	r, store, _ = refresherFor(t, clk, c, tok)
	clk.Add(59 * time.Minute)
	got, err := r.Token(ctx, sqlstore.KeyOf(tok))
	if err != nil || newer == nil || got.RefreshToken != newer.RefreshToken {
		t.Errorf("Token = %v, %v; want the other replica's token %v", got, err, newer)
	}
}

// hang never answers a token request; it gives up when the request's
// context ends.
type hang struct{ next http.RoundTripper }

func (h hang) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/token") {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return h.next.RoundTrip(r)
}

// A refresh that gets no answer ends within half the lease, even for a
// caller without a deadline: the lease is never outlived by this replica.
func TestRefresherTimeout(t *testing.T) {
	t.Parallel()
	clk, fake, _, _, tok := publicGrant(t)
	c, err := oauth2.NewClient(oauth2.Config{ClientID: tok.ClientID, RedirectURL: appRedir}, oauth2.WithClock(clk.Now),
		oauth2.WithTransport(hang{fake.Transport()}))
	if err != nil {
		t.Fatal(err)
	}
	db := newBackend(t, "sqlite").open(t)
	st, _ := sqlstore.NewTokenStore(t.Context(), db, mustKeyring(t, mustKey(t)))
	leases, _ := sqlstore.NewLeases(t.Context(), db)
	if err := st.OAuth2("acme").SaveToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	r, err := sqlstore.NewRefresher(c, st.OAuth2("acme"), leases, sqlstore.WithClock(clk.Now), sqlstore.WithLeaseTTL(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(61 * time.Minute) // expired: the old token cannot stand in
	done := make(chan error, 1)
	go func() { _, err := r.Token(context.Background(), sqlstore.KeyOf(tok)); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a refresh with no answer succeeded")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Token still waits for a refresh that never answers")
	}
}

// NewRefresher wants a client, the tokens and the leases, and no nil
// Option; WithRefreshAhead takes 0 up to, not including, the access
// token's hour, and WithReplica a name.
func TestNewRefresherArguments(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, _, _, c, _ := publicGrant(t)
	db := newBackend(t, "sqlite").open(t)
	st, err := sqlstore.NewTokenStore(ctx, db, mustKeyring(t, mustKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	leases, err := sqlstore.NewLeases(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	tokens := st.OAuth2("acme")
	if _, err := sqlstore.NewRefresher(nil, tokens, leases); err == nil {
		t.Error("NewRefresher without a client succeeded")
	}
	if _, err := sqlstore.NewRefresher(c, nil, leases); err == nil {
		t.Error("NewRefresher without the tokens succeeded")
	}
	if _, err := sqlstore.NewRefresher(c, tokens, nil); err == nil {
		t.Error("NewRefresher without the leases succeeded")
	}
	if _, err := sqlstore.NewRefresher(c, tokens, leases, nil); err == nil {
		t.Error("NewRefresher with a nil Option succeeded")
	}
	for _, tt := range []struct {
		opt sqlstore.Option
		ok  bool
	}{
		{sqlstore.WithRefreshAhead(0), true},
		{sqlstore.WithRefreshAhead(oauth2.AccessTokenLifetime - time.Second), true},
		{sqlstore.WithRefreshAhead(oauth2.AccessTokenLifetime), false},
		{sqlstore.WithLeaseTTL(time.Nanosecond), true},
		{sqlstore.WithReplica("r1"), true},
		{sqlstore.WithReplica(""), false},
	} {
		if _, err := sqlstore.NewRefresher(c, tokens, leases, tt.opt); (err == nil) != tt.ok {
			t.Errorf("NewRefresher with an option = %v, want ok %v", err, tt.ok)
		}
	}
}

// While a refresh is in flight, its lease is held by this replica under
// its name (so that a stuck lease says who holds it) and the request's
// deadline is at most half the lease TTL away, whoever the caller; the
// lease is released afterwards.
func TestRefresherLeaseOwnerAndDeadline(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk, fake, _, _, tok := publicGrant(t)
	var leases *sqlstore.Leases
	var holder string
	var left time.Duration
	var hasDeadline bool
	name := sqlstore.LeaseName("acme", sqlstore.KeyOf(tok))
	hook := func() {
		holder, _, _ = leases.Holder(context.Background(), name)
	}
	c, err := oauth2.NewClient(oauth2.Config{ClientID: tok.ClientID, RedirectURL: appRedir}, oauth2.WithClock(clk.Now),
		oauth2.WithTransport(deadlineOf{failToken{next: fake.Transport(), hook: hook}, &left, &hasDeadline}))
	if err != nil {
		t.Fatal(err)
	}
	db := newBackend(t, "sqlite").open(t)
	st, err := sqlstore.NewTokenStore(ctx, db, mustKeyring(t, mustKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	if leases, err = sqlstore.NewLeases(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := st.OAuth2("acme").SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	r, err := sqlstore.NewRefresher(c, st.OAuth2("acme"), leases, sqlstore.WithClock(clk.Now), sqlstore.WithReplica("replica-a"),
		sqlstore.WithLeaseTTL(time.Minute)) // half of it is under the HTTP client's own 60 s
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(59 * time.Minute)
	nt, err := r.Token(ctx, sqlstore.KeyOf(tok))
	if err != nil || nt.AccessToken == tok.AccessToken {
		t.Fatalf("Token = %v, %v; want a refreshed token", nt, err)
	}
	if !strings.HasPrefix(holder, "replica-a/") {
		t.Errorf("during the refresh the lease was held by %q, want replica-a/…", holder)
	}
	if !hasDeadline || left > 30*time.Second {
		t.Errorf("the refresh request had %v left (deadline %v), want at most half the 1-minute lease", left, hasDeadline)
	}
	if owner, _, err := leases.Holder(ctx, name); owner != "" || err != nil {
		t.Errorf("after the refresh the lease is held by %q (%v), want released", owner, err)
	}
}

// deadlineOf records how long a token request's context had left.
type deadlineOf struct {
	next http.RoundTripper
	left *time.Duration
	has  *bool
}

func (d deadlineOf) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/token") {
		dl, ok := r.Context().Deadline()
		*d.has, *d.left = ok, time.Until(dl)
	}
	return d.next.RoundTrip(r)
}

// A refresh the server refuses (the authorization was revoked) while the
// store holds no newer token is ErrReauthorize, not the old token.
func TestRefresherRevoked(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk, fake, _, c, tok := publicGrant(t)
	r, _, _ := refresherFor(t, clk, c, tok)
	fake.RevokeOAuth2(tok.Account, tok.ClientID)
	clk.Add(59 * time.Minute) // due, still valid
	if got, err := r.Token(ctx, sqlstore.KeyOf(tok)); !errors.Is(err, oauth2.ErrReauthorize) {
		t.Errorf("Token after a revocation = %v, %v; want ErrReauthorize", got, err)
	}
}

// A client-credentials token (no refresh token) is handed out while it is
// valid, even inside the refresh-ahead window, and is an error once it has
// expired; no refresh is sent for it.
func TestRefresherNoRefreshToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk, fake, _, c, tok := publicGrant(t)
	m2m := *tok
	m2m.RefreshToken, m2m.M2M, m2m.Public, m2m.RotationDeadline = "", true, false, time.Time{}
	r, _, _ := refresherFor(t, clk, c, &m2m)
	clk.Add(59 * time.Minute)
	if got, err := r.Token(ctx, sqlstore.KeyOf(&m2m)); err != nil || got.AccessToken != m2m.AccessToken {
		t.Errorf("inside the refresh-ahead window: %v, %v; want the stored token", got, err)
	}
	clk.Add(2 * time.Minute)
	if got, err := r.Token(ctx, sqlstore.KeyOf(&m2m)); err == nil || !strings.Contains(err.Error(), "no refresh token") {
		t.Errorf("expired: %v, %v; want the no-refresh-token error", got, err)
	}
	if n := fake.TokenRequests("refresh_token"); n != 0 {
		t.Errorf("%d refresh requests, want none", n)
	}
}
