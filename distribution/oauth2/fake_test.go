package oauth2_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

// These tests drive the fake NetSuite only through the public client API
// (and nstest's browser stand-in for the user's Allow or Deny).

const (
	custEmail = "admin@customer.example"
	custPass  = "pw"
	appRedir  = "https://app.acme.example/netsuite/callback"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fakeEnv struct {
	fake   *nstest.Server
	cust   *nstest.Account
	rec    *nstest.Integration
	client *oauth2.Client
	clock  *clock
}

type envOpts struct {
	public          bool
	requireApproval bool
	reading         nstest.CodeGrantApproval
	m2m             bool
	clientOpts      []oauth2.Option
}

func newFakeEnv(t *testing.T, o envOpts) *fakeEnv {
	t.Helper()
	clk := &clock{now: time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)}
	fake := nstest.NewServer(nstest.WithClock(clk.Now), nstest.WithCodeGrantApproval(o.reading))
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456_SB1", nstest.AccountConfig{RequireApproval: o.requireApproval})
	cust.AddUser(nstest.User{Email: custEmail, Password: custPass})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", OAuth2CodeGrant: true, OAuth2ClientCredentials: o.m2m,
		PublicClient: o.public, RedirectURIs: []string{appRedir}, Scopes: []string{"rest_webservices", "restlets"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := oauth2.NewClient(oauth2.Config{ClientID: rec.ClientID, ClientSecret: rec.ClientSecret, RedirectURL: appRedir,
		Scopes: []oauth2.Scope{oauth2.ScopeRESTWebServices, oauth2.ScopeRESTlets}},
		append([]oauth2.Option{oauth2.WithTransport(fake.Transport()), oauth2.WithClock(clk.Now)}, o.clientOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeEnv{fake: fake, cust: cust, rec: rec, client: c, clock: clk}
}

// grant runs the whole code grant with the user's action.
func (e *fakeEnv) grant(t *testing.T, account nsdist.AccountID, action string) (*oauth2.Token, error) {
	t.Helper()
	a, err := e.client.Authorize(oauth2.AuthorizeOptions{Account: account})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := e.fake.Consent(t.Context(), a.URL, custEmail, custPass, action)
	if err != nil {
		t.Fatalf("consent: %v", err)
	}
	return e.client.Complete(t.Context(), a, loc.String())
}

func (e *fakeEnv) state(t *testing.T) string {
	t.Helper()
	inst, ok := e.cust.Install(e.rec.ApplicationID)
	if !ok {
		return "not installed"
	}
	return string(inst.State)
}

func TestCodeGrantInstalls(t *testing.T) {
	t.Parallel()
	for _, public := range []bool{false, true} {
		for _, require := range []bool{false, true} {
			for _, reading := range []nstest.CodeGrantApproval{nstest.CodeGrantInstallsWaiting, nstest.CodeGrantNotInstalled} {
				if !require && reading == nstest.CodeGrantNotInstalled {
					continue
				}
				t.Run(fmt.Sprintf("public=%v require=%v %v", public, require, reading), func(t *testing.T) {
					t.Parallel()
					e := newFakeEnv(t, envOpts{public: public, requireApproval: require, reading: reading})
					tok, err := e.grant(t, "123456_SB1", "allow")
					if err != nil {
						t.Fatal(err)
					}
					if tok.Account != "123456_SB1" || tok.Public != public || tok.RefreshToken == "" || tok.Role != "3" || tok.Entity == "" {
						t.Errorf("token = %v", tok)
					}
					_, err = e.client.ServerTime(t.Context(), tok)
					want := map[bool]string{false: "Enabled", true: "Waiting for Approval"}[require]
					if reading == nstest.CodeGrantNotInstalled {
						want = "not installed"
					}
					if got := string(e.state(t)); got != want {
						t.Errorf("State after the grant = %q, want %q", got, want)
					}
					if !require {
						if err != nil {
							t.Fatalf("ServerTime on an Enabled record: %v", err)
						}
						return
					}
					var oe *oauth2.Error
					if !errors.As(err, &oe) || oe.Code != oauth2.CodeInvalidToken || oe.HTTPStatus != 401 || oe.Challenge.Realm() != "123456_SB1" {
						t.Fatalf("ServerTime while not Enabled = %v, want 401 invalid_token", err)
					}
					step := oe.NextStep
					for _, s := range []string{"Waiting for Approval", "Setup > Integration > Manage Integrations", "authorize again"} {
						if !strings.Contains(step, s) {
							t.Errorf("next step lacks %q: %s", s, step)
						}
					}
					// what the administrator does under each reading
					if reading == nstest.CodeGrantInstallsWaiting {
						if err := e.cust.Approve(e.rec.ApplicationID); err != nil {
							t.Fatal(err)
						}
					} else {
						e.cust.SetRequireApproval(false)
						if tok, err = e.grant(t, "123456_SB1", "allow"); err != nil {
							t.Fatal(err)
						}
					}
					if _, err := e.client.ServerTime(t.Context(), tok); err != nil {
						t.Errorf("ServerTime after the administrator's step: %v", err)
					}
				})
			}
		}
	}
}

func TestCodeGrantUnknownAccountAndDeny(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{public: true})
	tok, err := e.grant(t, "", "allow") // system.netsuite.com: the login picks the account
	if err != nil || tok.Account != "123456_SB1" {
		t.Fatalf("grant on system.netsuite.com = %v, %v", tok, err)
	}
	_, err = e.grant(t, "123456_SB1", "deny")
	var oe *oauth2.Error
	if !errors.As(err, &oe) || oe.Code != oauth2.CodeAccessDenied || oe.Company != "123456_SB1" || !errors.Is(err, oauth2.ErrReauthorize) {
		t.Fatalf("deny = %v", err)
	}
}

func TestTokenEndpointRules(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{})
	// a wrong secret: invalid_client with Basic realm
	bad, _ := oauth2.NewClient(oauth2.Config{ClientID: e.rec.ClientID, ClientSecret: strings.Repeat("0", 64), RedirectURL: appRedir},
		oauth2.WithTransport(e.fake.Transport()), oauth2.WithClock(e.clock.Now))
	a, _ := bad.Authorize(oauth2.AuthorizeOptions{Account: "123456_SB1"})
	loc, err := e.fake.Consent(t.Context(), a.URL, custEmail, custPass, "allow")
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Complete(t.Context(), a, loc.String())
	var oe *oauth2.Error
	if !errors.As(err, &oe) || oe.Code != oauth2.CodeInvalidClient || oe.HTTPStatus != 401 || oe.Challenge == nil || oe.Challenge.Scheme != "Basic" || oe.Challenge.Realm() != "123456_SB1" {
		t.Fatalf("wrong secret = %v", err)
	}
	// a code that waited too long
	a, _ = e.client.Authorize(oauth2.AuthorizeOptions{Account: "123456_SB1"})
	loc, _ = e.fake.Consent(t.Context(), a.URL, custEmail, custPass, "allow")
	e.clock.Add(11 * time.Minute)
	_, err = e.client.Complete(t.Context(), a, loc.String())
	if !errors.As(err, &oe) || oe.Code != oauth2.CodeInvalidGrant || !strings.Contains(oe.NextStep, "start the authorization again") {
		t.Fatalf("expired code = %v", err)
	}
}

func TestRefreshAgainstFake(t *testing.T) {
	t.Parallel()
	t.Run("public rotates and spends", func(t *testing.T) {
		t.Parallel()
		e := newFakeEnv(t, envOpts{public: true})
		tok, err := e.grant(t, "123456_SB1", "allow")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(61 * time.Minute)
		if _, err := e.client.ServerTime(t.Context(), tok); err == nil {
			t.Fatal("an expired access token was accepted")
		}
		nt, err := e.client.Refresh(t.Context(), tok)
		if err != nil || nt.RefreshToken == tok.RefreshToken {
			t.Fatalf("public Refresh = %v, %v: want a new refresh token", nt, err)
		}
		if _, err := e.client.ServerTime(t.Context(), nt); err != nil {
			t.Errorf("ServerTime with the refreshed token: %v", err)
		}
		_, err = e.client.Refresh(t.Context(), tok) // the spent one
		if !errors.Is(err, oauth2.ErrReauthorize) {
			t.Errorf("spending a one-time refresh token twice = %v, want ErrReauthorize", err)
		}
		// the chain ends 168 h after the grant, however often it is refreshed
		for i := 0; i < 3; i++ {
			e.clock.Add(47 * time.Hour)
			if nt, err = e.client.Refresh(t.Context(), nt); err != nil {
				t.Fatalf("refresh %d inside the rotation window: %v", i, err)
			}
		}
		e.clock.Add(30 * time.Hour) // 172 h after the grant, the last refresh token still valid
		_, err = e.client.Refresh(t.Context(), nt)
		var oe *oauth2.Error
		if !errors.Is(err, oauth2.ErrReauthorize) || !errors.As(err, &oe) || !strings.Contains(oe.NextStep, "168 h") {
			t.Errorf("refresh after 172 h = %v, want ErrReauthorize naming the 168 h window", err)
		}
	})
	t.Run("confidential keeps its refresh token 7 days", func(t *testing.T) {
		t.Parallel()
		e := newFakeEnv(t, envOpts{})
		tok, err := e.grant(t, "123456_SB1", "allow")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			e.clock.Add(2 * 24 * time.Hour)
			nt, err := e.client.Refresh(t.Context(), tok)
			if err != nil || nt.RefreshToken != tok.RefreshToken {
				t.Fatalf("confidential refresh %d = %v, %v: want the same refresh token", i, nt, err)
			}
		}
		e.clock.Add(25 * time.Hour) // 7 days and 1 hour after the grant
		_, err = e.client.Refresh(t.Context(), tok)
		var oe *oauth2.Error
		if !errors.Is(err, oauth2.ErrReauthorize) || !errors.As(err, &oe) || !strings.Contains(oe.NextStep, "7 days") {
			t.Errorf("refresh after 7 days = %v", err)
		}
	})
}

// WithRefreshAhead decides how long before expiry a Refresher refreshes:
// 55 minutes into an hour's token, the default 2 minutes keeps it, 10
// minutes ahead replaces it.
func TestRefreshAheadAgainstFake(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		opts    []oauth2.Option
		refresh bool
	}{
		{nil, false},
		{[]oauth2.Option{oauth2.WithRefreshAhead(10 * time.Minute)}, true},
	} {
		e := newFakeEnv(t, envOpts{clientOpts: tt.opts})
		tok, err := e.grant(t, "123456_SB1", "allow")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(55 * time.Minute)
		nt, err := e.client.Refresher(tok, nil).Token(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := nt.AccessToken != tok.AccessToken; got != tt.refresh || e.fake.TokenRequests("refresh_token") != map[bool]int{false: 0, true: 1}[tt.refresh] {
			t.Errorf("refreshed = %v (%d requests), want %v", got, e.fake.TokenRequests("refresh_token"), tt.refresh)
		}
	}
	if _, err := oauth2.NewClient(oauth2.Config{ClientID: "x"}, oauth2.WithRefreshAhead(2*time.Hour)); !errors.Is(err, oauth2.ErrConfig) {
		t.Errorf("WithRefreshAhead(2h) = %v, want ErrConfig", err)
	}
}

// TestSingleFlightAgainstFake: 50 goroutines share one public-client
// credential; the fake sees exactly one refresh request.
func TestSingleFlightAgainstFake(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{public: true})
	tok, err := e.grant(t, "123456_SB1", "allow")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(59 * time.Minute) // inside the refresh-ahead window
	var saves atomic.Int32
	var wg sync.WaitGroup
	var failed atomic.Int32
	var got atomic.Pointer[oauth2.Token]
	for range 50 {
		wg.Go(func() {
			cr := e.client.Refresher(tok, func(context.Context, *oauth2.Token) error { saves.Add(1); return nil })
			nt, err := cr.Token(t.Context())
			if err != nil || nt.AccessToken == tok.AccessToken {
				failed.Add(1)
				return
			}
			got.Store(nt)
		})
	}
	wg.Wait()
	// one call: 50 at once would meet the account's concurrency limit (429)
	if _, err := e.client.ServerTime(t.Context(), got.Load()); err != nil {
		t.Errorf("ServerTime with the refreshed token: %v", err)
	}
	if n := e.fake.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("the fake received %d refresh requests, want 1", n)
	}
	if failed.Load() != 0 || saves.Load() != 1 {
		t.Errorf("%d goroutines failed, %d saves (want 0 and 1)", failed.Load(), saves.Load())
	}
}

func TestRevokeAgainstFake(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{public: true})
	tok, err := e.grant(t, "123456_SB1", "allow")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.Revoke(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ServerTime(t.Context(), tok); err == nil {
		t.Error("a revoked token still works")
	}
	if _, err := e.client.Refresh(t.Context(), tok); !errors.Is(err, oauth2.ErrReauthorize) {
		t.Errorf("refresh after revoke = %v", err)
	}
}

func selfSigned(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "acme m2m"},
		NotBefore: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestM2MAgainstFake: the fake verifies assertions of every allowed alg with
// the mapped certificate's public key only.
func TestM2MAgainstFake(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{m2m: true})
	m0, _ := e.client.ClientCredentials(oauth2.M2MConfig{Account: "123456_SB1", CertificateID: "none", Key: genKeys(t)["ES256"]})
	if _, err := m0.Token(t.Context()); err == nil {
		t.Fatal("M2M worked before the record was installed: M2M must never install it")
	}
	if _, ok := e.cust.Install(e.rec.ApplicationID); ok {
		t.Fatal("M2M installed the record")
	}
	tok, err := e.grant(t, "123456_SB1", "allow") // the code grant installs it
	if err != nil {
		t.Fatal(err)
	}
	keys := genKeys(t)
	kids := map[string]string{}
	// one certificate per (record, role, entity): map RSA through the API,
	// the EC keys as an administrator would, each for another user
	for i, alg := range []string{"ES256", "ES384", "ES512"} {
		email := fmt.Sprintf("m2m%d@customer.example", i)
		e.cust.AddUser(nstest.User{Email: email, Password: "x"})
		id, err := e.cust.AddCertificate(e.rec.ClientID, email, "3", selfSigned(t, keys[alg]))
		if err != nil {
			t.Fatalf("%s certificate: %v", alg, err)
		}
		kids[alg] = id
	}
	rsaID, err := e.client.AddCertificate(t.Context(), tok, selfSigned(t, keys["PS256"]), tok.Role, tok.Entity)
	if err != nil {
		t.Fatalf("AddCertificate through the rotation endpoint: %v", err)
	}
	for _, alg := range []string{"PS256", "PS384", "PS512"} {
		kids[alg] = rsaID
	}
	for alg, kid := range kids {
		for _, array := range []bool{false, true} {
			m, err := e.client.ClientCredentials(oauth2.M2MConfig{Account: "123456_SB1", CertificateID: kid, Key: keys[alg], Algorithm: alg, ScopeArray: array})
			if err != nil {
				t.Fatal(err)
			}
			mt, err := m.Token(t.Context())
			if err != nil {
				t.Errorf("%s (scope array %v): %v", alg, array, err)
				continue
			}
			if mt.RefreshToken != "" || !mt.M2M {
				t.Errorf("%s: M2M token %v has a refresh token", alg, mt)
			}
			if _, err := e.client.ServerTime(t.Context(), mt); err != nil {
				t.Errorf("%s: ServerTime with the M2M token: %v", alg, err)
			}
		}
	}
	certs, err := e.client.Certificates(t.Context(), tok)
	if err != nil || !containsCert(certs, rsaID) {
		t.Fatalf("Certificates = %v, %v; want %s listed", certs, err, rsaID)
	}
	if err := e.client.RevokeCertificate(t.Context(), tok, rsaID); err != nil {
		t.Fatal(err)
	}
	m, _ := e.client.ClientCredentials(oauth2.M2MConfig{Account: "123456_SB1", CertificateID: rsaID, Key: keys["PS256"]})
	if _, err := m.Token(t.Context()); err == nil {
		t.Error("M2M with a revoked certificate worked")
	}
	audit := e.cust.LoginAudit()
	if last := audit[len(audit)-1]; last.Detail != "MissingKey" {
		t.Errorf("audit detail for a revoked kid = %q, want MissingKey", last.Detail)
	}
}

func containsCert(cs []oauth2.Certificate, id string) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}
