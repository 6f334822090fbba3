package tba_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/tba"
)

// The Connect handlers end to end: a browser that follows redirects and
// submits the consent form lands on a page saying Enabled or waiting.
func TestConnectHandlers(t *testing.T) {
	t.Parallel()
	for _, approvalRequired := range []bool{false, true} {
		e := setup(t, approvalRequired, nstest.IntegrationSpec{})
		e.customer.SetConsentUser("admin@customer.example")
		ai, err := distribution.NewAutoInstaller(approval.Record{Name: "Acme Sync", TBA: true, TBAAuthFlow: true}, tba.WithProber(e.fake.ClientOptions()...))
		if err != nil {
			t.Fatal(err)
		}
		store := &tba.MemoryStore{}
		conn := &tba.Connect{Client: e.client, Consumer: e.consumer, Store: store, Installer: ai}
		mux := http.NewServeMux()
		mux.Handle("/connect", conn.Start())
		mux.Handle("/netsuite/callback", conn.Callback())
		app := httptest.NewServer(mux)
		t.Cleanup(app.Close)
		// the record's callback is the app's public URL; route it to the test server
		conn.CallbackURL = "https://app.acme.example/netsuite/callback"
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar, Transport: routeApp{app: app, fake: e.fake.Transport()}}
		resp, err := browser.Get("https://app.acme.example/connect")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		form := url.Values{"oauth_token": {between(string(page), `name="oauth_token" value="`, `"`)}, "state": {between(string(page), `name="state" value="`, `"`)},
			"company": {"123456_SB1"}, "email": {"admin@customer.example"}, "password": {"pw"}, "action": {"allow"}}
		resp, err = browser.PostForm("https://system.netsuite.com/app/login/secure/authorizetoken.nl", form)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "Connected: Enabled"
		if approvalRequired {
			want = "Connected: waiting for approval"
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("result page (approval %v):\n%s", approvalRequired, out)
		}
		if approvalRequired && !strings.Contains(string(out), "must open Setup &gt; Integration &gt; Manage Integrations") {
			t.Errorf("no administrator step:\n%s", out)
		}
		if _, ok := store.Get("123456_SB1"); !ok {
			t.Error("token not stored")
		}
		// the state is single use
		resp, err = browser.Get("https://app.acme.example/netsuite/callback?" + resp.Request.URL.RawQuery)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("replayed callback: status %d", resp.StatusCode)
		}
		resp.Body.Close()
	}
}

type routeApp struct {
	app  *httptest.Server
	fake http.RoundTripper
}

func (r routeApp) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Hostname() == "app.acme.example" {
		c := req.Clone(req.Context())
		c.URL.Scheme, c.URL.Host = "http", strings.TrimPrefix(r.app.URL, "http://")
		return http.DefaultTransport.RoundTrip(c)
	}
	return r.fake.RoundTrip(req)
}

// connectApp serves conn's handlers at the app's public URL.
func connectApp(t *testing.T, e *env, conn *tba.Connect) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/connect", conn.Start())
	mux.Handle("/netsuite/callback", conn.Callback())
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)
	conn.CallbackURL = "https://app.acme.example/netsuite/callback"
	return app
}

func newBrowser(app *httptest.Server, e *env) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: routeApp{app: app, fake: e.fake.Transport()}}
}

// Login CSRF: an attacker starts a flow, allows it with their own
// account, and opens the callback in a victim's browser. The victim's
// browser holds no cookie of that flow: nothing is stored, and the flow
// stays the attacker's.
func TestConnectLoginCSRF(t *testing.T) {
	t.Parallel()
	e := setup(t, false, nstest.IntegrationSpec{})
	store := &tba.MemoryStore{}
	conn := &tba.Connect{Client: e.client, Consumer: e.consumer, Store: store}
	app := connectApp(t, e, conn)
	attacker := newBrowser(app, e)
	attacker.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == "/netsuite/callback" {
			return http.ErrUseLastResponse // the attacker keeps the callback URL
		}
		return nil
	}
	resp, err := attacker.Get("https://app.acme.example/connect")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"oauth_token": {between(string(page), `name="oauth_token" value="`, `"`)}, "state": {between(string(page), `name="state" value="`, `"`)},
		"company": {"123456_SB1"}, "email": {"admin@customer.example"}, "password": {"pw"}, "action": {"allow"}}
	resp, err = attacker.PostForm("https://system.netsuite.com/app/login/secure/authorizetoken.nl", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb := resp.Header.Get("Location")
	if !strings.Contains(cb, "oauth_verifier=") {
		t.Fatalf("no callback URL: %d %q", resp.StatusCode, cb)
	}
	victim := newBrowser(app, e)
	resp, err = victim.Get(cb)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(out), "not started in this browser") {
		t.Errorf("the victim's browser: %d\n%s", resp.StatusCode, out)
	}
	if _, ok := store.Get("123456_SB1"); ok {
		t.Fatal("the attacker's token was stored from the victim's browser")
	}
}

// A flood of anonymous starts is refused after the source's 20 flows,
// before any request to NetSuite; the handler prints no secret.
func TestConnectStartFlood(t *testing.T) {
	t.Parallel()
	e := setup(t, false, nstest.IntegrationSpec{})
	pend := &distribution.MemoryPending[tba.Token]{}
	conn := &tba.Connect{Client: e.client, Consumer: e.consumer, Pending: pend, CallbackURL: "https://app.acme.example/netsuite/callback"}
	before := e.fake.Requests()
	codes := map[int]int{}
	for i := range 200 {
		req := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
		req.RemoteAddr = "198.51.100.7:" + strconv.Itoa(1024+i)
		rec := httptest.NewRecorder()
		conn.Start().ServeHTTP(rec, req)
		codes[rec.Code]++
	}
	if codes[http.StatusFound] != 20 || codes[http.StatusTooManyRequests] != 180 {
		t.Errorf("200 starts from one source: %v, want 20 started, 180 refused", codes)
	}
	if sent := e.fake.Requests() - before; sent != 20 {
		t.Errorf("%d requests to NetSuite for 20 flows", sent)
	}
	for _, out := range []string{fmt.Sprintf("%v", conn), fmt.Sprintf("%+v", conn), fmt.Sprintf("%#v", conn), fmt.Sprintf("%+v", pend)} {
		if strings.Contains(out, e.consumer.Secret) || pend.Len() == 0 {
			t.Errorf("printed: %s", out)
		}
	}
}

// A start another site made the browser send is refused, with no request
// to NetSuite and no cookie.
func TestConnectStartRefusesCrossSite(t *testing.T) {
	t.Parallel()
	e := setup(t, false, nstest.IntegrationSpec{})
	conn := &tba.Connect{Client: e.client, Consumer: e.consumer, CallbackURL: "https://app.acme.example/netsuite/callback"}
	before := e.fake.Requests()
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
		req := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		conn.Start().ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
			t.Errorf("%v: %d, cookies %v", h, rec.Code, rec.Result().Cookies())
		}
	}
	if sent := e.fake.Requests() - before; sent != 0 {
		t.Errorf("%d requests to NetSuite for refused starts", sent)
	}
}
