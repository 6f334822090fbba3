package oauth2_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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

		// the callback reaches a browser that did not start the flow
		target, ck := connectRound(t, e, c)
		if rec := callback(c, target, &http.Cookie{Name: ck.Name, Value: "someone-else"}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "another browser") {
			t.Errorf("foreign browser: %d %s", rec.Code, rec.Body)
		}
		// the state was spent by that attempt: the right browser must start again
		if rec := callback(c, target, ck); rec.Code != http.StatusBadRequest {
			t.Errorf("replayed state: %d", rec.Code)
		}
		if len(store.toks) != 0 {
			t.Fatal("a token was stored from a refused callback")
		}

		target, ck = connectRound(t, e, c)
		rec := callback(c, target, ck)
		want := "Connected: Enabled"
		if require {
			want = "Connected: most likely waiting for approval"
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

func TestMemoryPendingZeroValue(t *testing.T) {
	t.Parallel()
	var m oauth2.MemoryPending
	m.Max = 3
	for _, s := range []string{"a", "b", "c", "d"} {
		if err := m.Put(t.Context(), s, oauth2.Pending{Created: timeNow()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Take(t.Context(), "a"); err == nil {
		t.Error("the oldest entry survived the cap")
	}
	if _, err := m.Take(t.Context(), "d"); err != nil {
		t.Errorf("Take(d): %v", err)
	}
	if _, err := m.Take(t.Context(), "d"); err == nil {
		t.Error("a state was taken twice")
	}
}

var timeNow = func() time.Time { return time.Now() }

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
	first, ck := start(nil)
	second, ck2 := start(ck)
	if ck2.Value != ck.Value {
		t.Fatal("a second Start in the same browser replaced its session")
	}
	for _, target := range []string{first, second} {
		if rec := callback(c, target, ck); !strings.Contains(rec.Body.String(), "Connected: Enabled") {
			t.Errorf("callback: %d %s", rec.Code, rec.Body)
		}
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
