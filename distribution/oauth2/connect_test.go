package oauth2_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

type memTokens struct {
	mu   sync.Mutex
	toks []*oauth2.Token
}

func (m *memTokens) SaveToken(_ context.Context, t *oauth2.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.toks = append(m.toks, t)
	return nil
}

// connectRound runs Start and the user's consent, and returns the callback
// request path and the session cookie Start set.
func connectRound(t *testing.T, e *fakeEnv, c *oauth2.Connect) (string, *http.Cookie) {
	t.Helper()
	rec := httptest.NewRecorder()
	c.Start().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil))
	if rec.Code != http.StatusFound {
		t.Fatalf("Start: %d %s", rec.Code, rec.Body)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("Start cookies = %v: want one HttpOnly SameSite=Lax cookie", cookies)
	}
	loc, err := e.fake.Consent(t.Context(), rec.Header().Get("Location"), custEmail, custPass, "allow")
	if err != nil {
		t.Fatal(err)
	}
	return loc.String(), cookies[0]
}

func callback(c *oauth2.Connect, target string, ck *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if ck != nil {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.Callback().ServeHTTP(rec, req)
	return rec
}

func TestConnectBindsTheBrowser(t *testing.T) {
	t.Parallel()
	for _, require := range []bool{false, true} {
		e := newFakeEnv(t, envOpts{public: true, requireApproval: require})
		store := &memTokens{}
		c := &oauth2.Connect{Client: e.client, Store: store}

		// the callback reaches a browser that did not start the flow: with
		// another value in the flow's cookie, or without the cookie
		target, ck := connectRound(t, e, c)
		for _, other := range []*http.Cookie{{Name: ck.Name, Value: "someone-else"}, nil} {
			if rec := callback(c, target, other); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "browser") {
				t.Errorf("foreign browser: %d %s", rec.Code, rec.Body)
			}
		}
		if len(store.toks) != 0 {
			t.Fatal("a token was stored from a refused callback")
		}
		// ... which took nothing: the browser that started it still finishes
		if rec := callback(c, target, ck); rec.Code != http.StatusOK {
			t.Errorf("the right browser after a wrong one: %d %s", rec.Code, rec.Body)
		}
		store.toks = nil

		target, ck = connectRound(t, e, c)
		rec := callback(c, target, ck)
		want := "Connected: Enabled"
		if require {
			want = "Connected: waiting for approval"
		}
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("require=%v: page %s, want %q", require, rec.Body, want)
		}
		if require && !strings.Contains(rec.Body.String(), "Manage Integrations") {
			t.Errorf("waiting page without the administrator's step: %s", rec.Body)
		}
		if len(store.toks) != 1 || store.toks[0].Account != "123456_SB1" {
			t.Errorf("stored %v", store.toks)
		}
		if rec := callback(c, target, ck); rec.Code != http.StatusBadRequest {
			t.Errorf("second use of a callback: %d", rec.Code)
		}
		for _, tok := range store.toks {
			if strings.Contains(rec.Body.String(), tok.AccessToken) {
				t.Error("the page shows the access token")
			}
		}
	}
}

// Two tabs (or a double click) in one browser: both flows finish.
func TestConnectTwoTabsOneBrowser(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{public: true})
	c := &oauth2.Connect{Client: e.client}
	start := func(ck *http.Cookie) (string, *http.Cookie) {
		req := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
		if ck != nil {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		c.Start().ServeHTTP(rec, req)
		loc, err := e.fake.Consent(t.Context(), rec.Header().Get("Location"), custEmail, custPass, "allow")
		if err != nil {
			t.Fatal(err)
		}
		cks := rec.Result().Cookies()
		return loc.String(), cks[0]
	}
	// the browser already holds a cookie of the right shape, planted by
	// someone else: it is never adopted
	planted := &http.Cookie{Name: "nsdist_oauth2_000000000000", Value: strings.Repeat("a", 64)}
	first, ck := start(planted)
	second, ck2 := start(ck)
	if ck2.Name == ck.Name || ck2.Value == ck.Value || ck.Value == planted.Value {
		t.Fatal("a Start reused a cookie the browser sent")
	}
	for _, f := range []struct {
		target string
		ck     *http.Cookie
	}{{first, ck}, {second, ck2}} {
		if rec := callback(c, f.target, f.ck); !strings.Contains(rec.Body.String(), "Connected: Enabled") {
			t.Errorf("callback: %d %s", rec.Code, rec.Body)
		}
	}
}

// A flood of anonymous starts from one source is refused once the source
// has 20 flows in progress, and from many sources once the store is full:
// the flows real users started are never pushed out.
func TestConnectStartFlood(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{public: true})
	pend := &distribution.MemoryPending[*oauth2.Authorization]{Max: 100}
	c := &oauth2.Connect{Client: e.client, Pending: pend}
	target, ck := connectRound(t, e, c) // a real user, from 192.0.2.1
	codes := map[int]int{}
	for i := range 1000 {
		req := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
		req.RemoteAddr = "198.51.100.7:" + strconv.Itoa(1024+i)
		rec := httptest.NewRecorder()
		c.Start().ServeHTTP(rec, req)
		codes[rec.Code]++
		if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if codes[http.StatusFound] != 20 || codes[http.StatusTooManyRequests] != 980 {
		t.Errorf("one source, 1000 starts: %v, want 20 started and 980 refused", codes)
	}
	for i := range 200 { // many sources fill the store
		req := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
		req.RemoteAddr = "203.0.113." + strconv.Itoa(i%250) + ":1"
		c.Start().ServeHTTP(httptest.NewRecorder(), req)
	}
	if n := pend.Len(); n != 100 {
		t.Errorf("the store holds %d flows, want its Max 100", n)
	}
	if rec := callback(c, target, ck); !strings.Contains(rec.Body.String(), "Connected: Enabled") {
		t.Errorf("the real user's flow after the flood: %d %s", rec.Code, rec.Body)
	}
}

// A browser with five flows in progress must finish one first.
func TestConnectPerBrowser(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{public: true})
	c := &oauth2.Connect{Client: e.client}
	var jar []*http.Cookie
	for i := range 6 {
		req := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
		for _, ck := range jar {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		c.Start().ServeHTTP(rec, req)
		want := http.StatusFound
		if i == 5 {
			want = http.StatusTooManyRequests
		}
		if rec.Code != want {
			t.Fatalf("start %d: %d, want %d", i+1, rec.Code, want)
		}
		jar = append(jar, rec.Result().Cookies()...)
	}
}

func TestConnectStartRefusesCrossSite(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{public: true})
	c := &oauth2.Connect{Client: e.client}
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"}} {
		req := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		c.Start().ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
			t.Errorf("%v: %d, cookies %v", h, rec.Code, rec.Result().Cookies())
		}
	}
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {"Origin": "https://app.acme.example"}, {}} {
		req := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		c.Start().ServeHTTP(rec, req)
		if rec.Code != http.StatusFound {
			t.Errorf("%v: %d", h, rec.Code)
		}
	}
}

// Two of the vendor's tenants connect the same NetSuite account: each
// token goes to its own tenant's store.
func TestConnectTenants(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{public: true})
	stores := map[string]*memTokens{"acme-eu": {}, "acme-us": {}}
	c := &oauth2.Connect{Client: e.client,
		Tenant: func(r *http.Request) (string, error) {
			if t := r.Header.Get("X-Tenant"); t != "" {
				return t, nil
			}
			return "", errors.New("no tenant")
		},
		StoreFor: func(t string) oauth2.TokenStore { return stores[t] }}
	rec := httptest.NewRecorder()
	c.Start().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("Start without a tenant: %d", rec.Code)
	}
	for _, tenant := range []string{"acme-eu", "acme-us"} {
		req := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
		req.Header.Set("X-Tenant", tenant)
		rec := httptest.NewRecorder()
		c.Start().ServeHTTP(rec, req)
		loc, err := e.fake.Consent(t.Context(), rec.Header().Get("Location"), custEmail, custPass, "allow")
		if err != nil {
			t.Fatal(err)
		}
		if r := callback(c, loc.String(), rec.Result().Cookies()[0]); r.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", tenant, r.Code, r.Body)
		}
	}
	for name, s := range stores {
		if len(s.toks) != 1 || s.toks[0].Account != "123456_SB1" {
			t.Errorf("tenant %s stored %v", name, s.toks)
		}
	}
}

// HandOffKey: an Enabled grant is handed off to M2M, and OnHandOff gets
// the certificate for the tenant; the page says so.
func TestConnectHandOff(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{m2m: true})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var got *oauth2.HandOff
	c := &oauth2.Connect{Client: e.client, HandOffKey: key, OnHandOff: func(_ context.Context, tenant string, _ *oauth2.Token, h *oauth2.HandOff) error {
		got = h
		return nil
	}}
	target, ck := connectRound(t, e, c)
	rec := callback(c, target, ck)
	if got == nil || got.CertificateID == "" || !strings.Contains(rec.Body.String(), "handed off to M2M: certificate "+got.CertificateID) {
		t.Fatalf("hand-off %+v, page %s", got, rec.Body)
	}
}

// Invite: a redeemed invitation starts the code grant for its tenant and
// account, whose token lands in that tenant's store; a bad one is 400.
func TestConnectInvite(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{public: true})
	stores := map[string]*memTokens{"cust007": {}}
	c := &oauth2.Connect{Client: e.client, StoreFor: func(t string) oauth2.TokenStore { return stores[t] }}
	redeem := func(_ context.Context, token string) (string, nsdist.AccountID, error) {
		if token != "good-token" {
			return "", "", errors.New("this invitation is unknown, expired or used already")
		}
		return "cust007", "123456_SB1", nil
	}
	rec := httptest.NewRecorder()
	c.Invite(redeem).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://app.acme.example/invite/bad-token", nil))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "used already") {
		t.Errorf("a bad invitation: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	c.Invite(redeem).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://app.acme.example/invite/good-token", nil))
	if rec.Code != http.StatusFound || !strings.Contains(rec.Header().Get("Location"), "123456-sb1.app.netsuite.com") {
		t.Fatalf("a good invitation: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	loc, err := e.fake.Consent(t.Context(), rec.Header().Get("Location"), custEmail, custPass, "allow")
	if err != nil {
		t.Fatal(err)
	}
	if r := callback(c, loc.String(), rec.Result().Cookies()[0]); r.Code != http.StatusOK || len(stores["cust007"].toks) != 1 {
		t.Errorf("callback: %d %s; stored %d", r.Code, r.Body, len(stores["cust007"].toks))
	}
}
