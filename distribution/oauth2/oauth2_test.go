package oauth2_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	xoauth2 "golang.org/x/oauth2"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

// Oracle's published samples (section_158081944642, section_158081952044).
const (
	sampleClientID     = "6794a3086e4f61a120350d01b8527aed3631472ef33412212495be65a8fc8d4c"
	sampleClientSecret = "cdc7ac22183ef5024e81b0fce8ef461c44d5896a1f1805d4b372ca61c4d326ae"
	sampleBasic        = "Basic Njc5NGEzMDg2ZTRmNjFhMTIwMzUwZDAxYjg1MjdhZWQzNjMxNDcyZWYzMzQxMjIxMjQ5NWJlNjVhOGZjOGQ0YzpjZGM3YWMyMjE4M2VmNTAyNGU4MWIwZmNlOGVmNDYxYzQ0ZDU4OTZhMWYxODA1ZDRiMzcyY2E2MWM0ZDMyNmFl"
	samplePublicBasic  = "Basic Njc5NGEzMDg2ZTRmNjFhMTIwMzUwZDAxYjg1MjdhZWQzNjMxNDcyZWYzMzQxMjIxMjQ5NWJlNjVhOGZjOGQ0Yzo="
	sampleVerifier     = "abFOm_isZAwm7PpI9BtJRMEuiMqhU6sUqZlVWSsAAf1QutgIOD~on78mu-JdpbKc_RA7IEcf2e~q0XrKlJ1tE.8Un64PXLKQG16G4lwW-a5de_0aeU2mHnyVPg.Or8cE"
	sampleChallenge    = "Who5QBshz2Mu1Mq6GuAknYA5TnjA-0z7VhAgLloec1s"
	sampleSuccess      = "https://myapplication.com/netsuite/oauth2callback?state=ykv2XLx1BpT5Q0F3MRPHb94j&role=1000&entity=12&company=1234567&code=70b827f926a512f098b1289f0991abe3c767947a43498c2e2f80ed5aef6a5c50"
	sampleDenied       = "https://myapplication.com/netsuite/oauth2callback?state=ykv2XLx1BpT5Q0F3MRPHb94j&role=1000&entity=12&company=1234567&error=access_denied"
	redirectURL        = "https://myapplication.com/netsuite/oauth2callback"
)

func TestPKCEOracleVector(t *testing.T) {
	t.Parallel()
	if got := xoauth2.S256ChallengeFromVerifier(sampleVerifier); got != sampleChallenge {
		t.Fatalf("S256(%q) = %q, want Oracle's %q", sampleVerifier, got, sampleChallenge)
	}
	c := newClient(t, oauth2.Config{ClientID: sampleClientID, RedirectURL: redirectURL})
	a, err := c.Authorize(oauth2.AuthorizeOptions{Account: "1234567"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(a.URL)
	q := u.Query()
	want := map[string]string{
		"response_type": "code", "client_id": sampleClientID, "redirect_uri": redirectURL, "scope": "rest_webservices",
		"state": a.State, "code_challenge": xoauth2.S256ChallengeFromVerifier(a.Verifier), "code_challenge_method": "S256",
	}
	got := map[string]string{}
	for k := range q {
		got[k] = q.Get(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Authorize() query mismatch (-want +got):\n%s", diff)
	}
	if u.Host != "1234567.app.netsuite.com" || u.Path != "/app/login/oauth2/authorize.nl" || u.Scheme != "https" {
		t.Errorf("Authorize() URL = %s", u.Redacted())
	}
	if n := len(a.Verifier); n < 43 || n > 128 {
		t.Errorf("verifier length %d, want 43..128", n)
	}
	if !oauth2.ValidState(a.State) {
		t.Errorf("state %q is not valid for NetSuite", a.State)
	}
	b, _ := c.Authorize(oauth2.AuthorizeOptions{Account: "1234567"})
	if b.State == a.State || b.Verifier == a.Verifier {
		t.Error("two authorizations share a state or verifier")
	}
}

func TestAuthorizeOptions(t *testing.T) {
	t.Parallel()
	c := newClient(t, oauth2.Config{ClientID: "cid", RedirectURL: redirectURL, Scopes: []oauth2.Scope{oauth2.ScopeRESTlets, oauth2.ScopeRESTWebServices}})
	tests := []struct {
		name      string
		opts      oauth2.AuthorizeOptions
		host      string
		scope     string
		prompt    string
		wantErrIs error
	}{
		{name: "unknown account", host: "system.netsuite.com", scope: "restlets rest_webservices"},
		{name: "sandbox", opts: oauth2.AuthorizeOptions{Account: "123456_SB1"}, host: "123456-sb1.app.netsuite.com", scope: "restlets rest_webservices"},
		{name: "test drive", opts: oauth2.AuthorizeOptions{Account: "TSTDRV1234567"}, host: "tstdrv1234567.app.netsuite.com", scope: "restlets rest_webservices"},
		{name: "consent login", opts: oauth2.AuthorizeOptions{Account: "123456", Prompt: "consent  login"}, host: "123456.app.netsuite.com", scope: "restlets rest_webservices", prompt: "login consent"},
		{name: "none", opts: oauth2.AuthorizeOptions{Prompt: oauth2.PromptNone}, host: "system.netsuite.com", scope: "restlets rest_webservices", prompt: "none"},
		{name: "mcp alone", opts: oauth2.AuthorizeOptions{Scopes: []oauth2.Scope{oauth2.ScopeMCP}}, host: "system.netsuite.com", scope: "mcp"},
		{name: "login needs account", opts: oauth2.AuthorizeOptions{Prompt: oauth2.PromptLogin}, wantErrIs: oauth2.ErrPrompt},
		{name: "unknown prompt", opts: oauth2.AuthorizeOptions{Account: "123456", Prompt: "select_account"}, wantErrIs: oauth2.ErrPrompt},
		{name: "none with mcp", opts: oauth2.AuthorizeOptions{Prompt: oauth2.PromptNone, Scopes: []oauth2.Scope{oauth2.ScopeMCP}}, wantErrIs: oauth2.ErrPrompt},
		{name: "mcp with others", opts: oauth2.AuthorizeOptions{Scopes: []oauth2.Scope{oauth2.ScopeMCP, oauth2.ScopeRESTlets}}, wantErrIs: oauth2.ErrScope},
		{name: "unknown scope", opts: oauth2.AuthorizeOptions{Scopes: []oauth2.Scope{"openid"}}, wantErrIs: oauth2.ErrScope},
		{name: "host injection", opts: oauth2.AuthorizeOptions{Account: "123456.evil.example#"}, wantErrIs: nsdist.ErrInvalidAccountID},
		{name: "not canonical", opts: oauth2.AuthorizeOptions{Account: "123456-sb1"}, wantErrIs: nsdist.ErrInvalidAccountID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := c.Authorize(tt.opts)
			if tt.wantErrIs != nil {
				if !errors.Is(err, tt.wantErrIs) {
					t.Fatalf("Authorize(%+v) error = %v, want %v", tt.opts, err, tt.wantErrIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(a.URL)
			got := []string{u.Host, u.Query().Get("scope"), u.Query().Get("prompt")}
			if diff := cmp.Diff([]string{tt.host, tt.scope, tt.prompt}, got); diff != "" {
				t.Errorf("Authorize(%+v) mismatch (-want +got):\n%s", tt.opts, diff)
			}
		})
	}
}

func TestConfigRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  oauth2.Config
	}{
		{"no client id", oauth2.Config{RedirectURL: redirectURL}},
		{"http redirect", oauth2.Config{ClientID: "c", RedirectURL: "http://app.example.com/cb"}},
		{"relative redirect", oauth2.Config{ClientID: "c", RedirectURL: "/cb"}},
		{"fragment", oauth2.Config{ClientID: "c", RedirectURL: "https://app.example.com/cb#x"}},
		{"colon in id", oauth2.Config{ClientID: "a:b"}},
		{"bad scope", oauth2.Config{ClientID: "c", Scopes: []oauth2.Scope{"email"}}},
		{"rotation too long", oauth2.Config{ClientID: "c", MaxTokenRotation: 721 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := oauth2.NewClient(tt.cfg); err == nil {
				t.Errorf("NewClient(%v) succeeded", tt.cfg)
			}
		})
	}
	for _, ok := range []string{"http://127.0.0.1:8080/cb", "http://localhost/cb", "http://[::1]:9/cb", "myapp://callback"} {
		if _, err := oauth2.NewClient(oauth2.Config{ClientID: "c", RedirectURL: ok}); err != nil {
			t.Errorf("NewClient(RedirectURL %q): %v", ok, err)
		}
	}
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	cb, err := oauth2.ParseCallback(sampleSuccess)
	if err != nil {
		t.Fatal(err)
	}
	want := oauth2.Callback{Code: "70b827f926a512f098b1289f0991abe3c767947a43498c2e2f80ed5aef6a5c50", State: "ykv2XLx1BpT5Q0F3MRPHb94j", Role: "1000", Entity: "12", Company: "1234567"}
	if diff := cmp.Diff(want, *cb); diff != "" {
		t.Errorf("ParseCallback(sample) mismatch (-want +got):\n%s", diff)
	}
	_, err = oauth2.ParseCallback(sampleDenied)
	var oe *oauth2.Error
	if !errors.As(err, &oe) || oe.Code != oauth2.CodeAccessDenied || oe.Company != "1234567" || oe.Role != "1000" || !errors.Is(err, oauth2.ErrReauthorize) {
		t.Fatalf("ParseCallback(denied) = %v", err)
	}
	if !strings.Contains(oe.NextStep, "Allow") {
		t.Errorf("denied next step %q does not tell the user to choose Allow", oe.NextStep)
	}
	// printed as a user would print it, the next step is its text, not a function's address
	if got := fmt.Sprintln(oe.NextStep); strings.HasPrefix(got, "0x") || !strings.Contains(got, "Allow") || !strings.Contains(oe.Error(), oe.NextStep) {
		t.Errorf("fmt.Sprintln(oe.NextStep) = %q", got)
	}
	for _, tc := range []struct{ q, company string }{{"company=123456_SB1", "123456_SB1"}, {"company=123456-sb2", "123456_SB2"}, {"company=TSTDRV1234567", "TSTDRV1234567"}} {
		cb, err := oauth2.ParseCallback("state=s&code=c&" + tc.q)
		if err != nil || string(cb.Company) != tc.company {
			t.Errorf("ParseCallback(%s) = %v, %v; want company %s", tc.q, cb, err, tc.company)
		}
	}
	for _, bad := range []string{
		"code=c&company=1", "state=s&company=1", "state=s&code=c&company=1.evil.example", "state=s&state=t&code=c",
		"state=s&code=c%00&company=1", "%zz", "state=s&code=" + strings.Repeat("a", 20000),
	} {
		if _, err := oauth2.ParseCallback(bad); !errors.Is(err, oauth2.ErrCallback) {
			t.Errorf("ParseCallback(%.40q) error = %v, want ErrCallback", bad, err)
		}
	}
	// every documented authorize error value has a specific next step
	for _, code := range []string{"invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type", "invalid_scope"} {
		_, err := oauth2.ParseCallback("state=s&company=123&error=" + code)
		if !errors.As(err, &oe) || string(oe.Code) != code || strings.Contains(oe.NextStep, "Login Audit Trail shows why (Setup") && code != "invalid_request" {
			t.Errorf("error=%s: %v", code, err)
		}
	}
}

func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{sampleSuccess, sampleDenied, "state=a&code=b&company=123_SB1", "?error=x", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cb, err := oauth2.ParseCallback(s)
		if (cb == nil) == (err == nil) {
			t.Fatalf("ParseCallback(%q) = %v, %v: want exactly one", s, cb, err)
		}
		if cb != nil && (cb.State == "" || cb.Code == "" || cb.Company.Validate() != nil && cb.Company != "") {
			t.Fatalf("ParseCallback(%q) accepted %+v", s, *cb)
		}
	})
}

// ns is a scripted NetSuite: one httptest server that records requests.
type ns struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recorded
	h    func(w http.ResponseWriter, r *http.Request, form url.Values)
}

type recorded struct {
	Host, Path, Auth string
	Form             url.Values
}

func newNS(t *testing.T, h func(w http.ResponseWriter, r *http.Request, form url.Values)) *ns {
	t.Helper()
	n := &ns{h: h}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		n.mu.Lock()
		n.reqs = append(n.reqs, recorded{Host: r.Host, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Form: form})
		n.mu.Unlock()
		n.h(w, r, form)
	}))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *ns) requests() []recorded {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]recorded(nil), n.reqs...)
}

func newClient(t *testing.T, cfg oauth2.Config, opts ...oauth2.Option) *oauth2.Client {
	t.Helper()
	c, err := oauth2.NewClient(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tokenJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body) //nolint:errcheck
}

// flow runs Authorize and Exchange against n with a code the test chose.
func flow(t *testing.T, c *oauth2.Client, account nsdist.AccountID) (*oauth2.Token, error) {
	t.Helper()
	a, err := c.Authorize(oauth2.AuthorizeOptions{Account: account})
	if err != nil {
		t.Fatal(err)
	}
	return c.Complete(t.Context(), a, fmt.Sprintf("%s?state=%s&code=the-code-1234&company=%s&role=3&entity=7", redirectURL, a.State, account))
}

func TestClientAuthentication(t *testing.T) {
	t.Parallel()
	n := newNS(t, func(w http.ResponseWriter, r *http.Request, form url.Values) {
		tokenJSON(w, `{"access_token":"at-1","refresh_token":"rt-1","expires_in":3600,"token_type":"bearer"}`)
	})
	tests := []struct {
		name       string
		secret     string
		wantAuth   string
		wantInBody bool
	}{
		{"confidential uses Oracle's Basic header", sampleClientSecret, sampleBasic, false},
		{"public sends client_id in the body only", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, oauth2.Config{ClientID: sampleClientID, ClientSecret: tt.secret, RedirectURL: redirectURL}, oauth2.WithBaseURL(n.srv.URL))
			tok, err := flow(t, c, "123456_SB1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Refresh(t.Context(), tok); err != nil {
				t.Fatal(err)
			}
			reqs := n.requests()
			for _, r := range reqs[len(reqs)-2:] {
				if r.Host != "123456-sb1.suitetalk.api.netsuite.com" || r.Path != "/services/rest/auth/oauth2/v1/token" {
					t.Errorf("token request to %s%s", r.Host, r.Path)
				}
				if r.Auth != tt.wantAuth {
					t.Errorf("Authorization = %q, want %q", r.Auth, tt.wantAuth)
				}
				if _, ok := r.Form["client_id"]; ok != tt.wantInBody {
					t.Errorf("client_id in body = %v, want %v", ok, tt.wantInBody)
				}
				if r.Form.Has("client_secret") {
					t.Error("client_secret sent in the body")
				}
			}
			ex := reqs[len(reqs)-2].Form
			if ex.Get("grant_type") != "authorization_code" || ex.Get("code") != "the-code-1234" || ex.Get("redirect_uri") != redirectURL || len(ex.Get("code_verifier")) < 43 {
				t.Errorf("exchange form = %v", ex)
			}
			if rf := reqs[len(reqs)-1].Form; rf.Get("grant_type") != "refresh_token" || rf.Get("refresh_token") != "rt-1" {
				t.Errorf("refresh form = %v", rf)
			}
		})
	}
	if samplePublicBasic == sampleBasic { // keeps the second sample in view: nsdist sends option 1, never a Basic header, for public clients
		t.Fatal("samples")
	}
}

func TestTokenResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		ctype      string
		header     map[string]string
		body       string
		wantLife   time.Duration
		wantCode   oauth2.ErrorCode
		wantErrIs  error
		wantRealm  string
		wantReauth bool
	}{
		{name: "number", status: 200, body: `{"access_token":"a","refresh_token":"r","expires_in":3600,"token_type":"bearer"}`, wantLife: time.Hour},
		{name: "string expires_in", status: 200, body: `{"access_token":"a","refresh_token":"r","expires_in":"3600","token_type":"Bearer"}`, wantLife: time.Hour},
		{name: "no expires_in", status: 200, body: `{"access_token":"a","token_type":"bearer"}`, wantLife: time.Hour},
		{name: "error on 200", status: 200, body: `{"error":"invalid_grant"}`, wantCode: oauth2.CodeInvalidGrant, wantReauth: true},
		{name: "invalid_client with challenge", status: 401, header: map[string]string{"WWW-Authenticate": `Basic realm="123456_SB1"`}, body: `{"error":"invalid_client"}`, wantCode: oauth2.CodeInvalidClient, wantRealm: "123456_SB1"},
		{name: "invalid_request", status: 400, body: `{"error":"invalid_request"}`, wantCode: oauth2.CodeInvalidRequest},
		{name: "unauthorized_client", status: 400, body: `{"error":"unauthorized_client"}`, wantCode: oauth2.CodeUnauthorizedClient},
		{name: "unsupported_grant_type", status: 400, body: `{"error":"unsupported_grant_type"}`, wantCode: oauth2.CodeUnsupportedGrantType},
		{name: "invalid_scope", status: 400, body: `{"error":"invalid_scope"}`, wantCode: oauth2.CodeInvalidScope},
		{name: "429", status: 429, ctype: "text/plain", header: map[string]string{"Retry-After": "3"}, body: "Too Many Requests", wantCode: oauth2.CodeTooManyRequests},
		{name: "html on 200", status: 200, ctype: "text/html", body: "<!DOCTYPE html><html><body>Maintenance</body></html>", wantErrIs: oauth2.ErrResponse},
		{name: "html on 503", status: 503, ctype: "text/html", body: "<html>down</html>", wantErrIs: oauth2.ErrResponse},
		{name: "truncated", status: 200, body: `{"access_token":"a","refresh_tok`, wantErrIs: oauth2.ErrResponse},
		{name: "no access token", status: 200, body: `{"token_type":"bearer"}`, wantErrIs: oauth2.ErrResponse},
		{name: "bad expires_in", status: 200, body: `{"access_token":"a","expires_in":"soon"}`, wantErrIs: oauth2.ErrResponse},
		{name: "NaN expires_in", status: 200, body: `{"access_token":"a","expires_in":"NaN"}`, wantErrIs: oauth2.ErrResponse},
		{name: "Inf expires_in", status: 200, body: `{"access_token":"a","expires_in":"+Inf"}`, wantErrIs: oauth2.ErrResponse},
		{name: "hex-float expires_in", status: 200, body: `{"access_token":"a","expires_in":"0x1p4"}`, wantErrIs: oauth2.ErrResponse},
		{name: "exponent expires_in", status: 200, body: `{"access_token":"a","expires_in":1e3}`, wantErrIs: oauth2.ErrResponse},
		{name: "tiny expires_in", status: 200, body: `{"access_token":"a","expires_in":"0.000001"}`, wantErrIs: oauth2.ErrResponse},
		{name: "absurd expires_in", status: 200, body: `{"access_token":"a","expires_in":99999999999}`, wantErrIs: oauth2.ErrResponse},
		{name: "expires_in under a minute", status: 200, body: `{"access_token":"a","expires_in":59}`, wantErrIs: oauth2.ErrResponse},
		{name: "expires_in a minute", status: 200, body: `{"access_token":"a","expires_in":60}`, wantLife: time.Minute},
		{name: "expires_in a day", status: 200, body: `{"access_token":"a","expires_in":"86400"}`, wantLife: 24 * time.Hour},
		{name: "expires_in over a day", status: 200, body: `{"access_token":"a","expires_in":86401}`, wantErrIs: oauth2.ErrResponse},
		{name: "huge access_token", status: 200, body: `{"access_token":"` + strings.Repeat("a", oauth2.MaxTokenBytes+1) + `","expires_in":3600}`, wantErrIs: oauth2.ErrResponse},
		{name: "huge refresh_token", status: 200, body: `{"access_token":"a","refresh_token":"` + strings.Repeat("r", oauth2.MaxTokenBytes+1) + `"}`, wantErrIs: oauth2.ErrResponse},
		{name: "mac token", status: 200, body: `{"access_token":"a","token_type":"mac"}`, wantErrIs: oauth2.ErrResponse},
		{name: "huge", status: 200, body: `{"access_token":"` + strings.Repeat("a", 2<<20) + `"}`, wantErrIs: oauth2.ErrResponse},
		{name: "empty", status: 200, body: ``, wantErrIs: oauth2.ErrResponse},
		{name: "redirect", status: 307, header: map[string]string{"Location": "https://evil.example/steal?x=1"}, wantErrIs: oauth2.ErrRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := newNS(t, func(w http.ResponseWriter, r *http.Request, _ url.Values) {
				ct := tt.ctype
				if ct == "" {
					ct = "application/json"
				}
				w.Header().Set("Content-Type", ct)
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body) //nolint:errcheck
			})
			now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
			c := newClient(t, oauth2.Config{ClientID: "cid", ClientSecret: "sec-ret-value", RedirectURL: redirectURL}, oauth2.WithBaseURL(n.srv.URL), oauth2.WithClock(func() time.Time { return now }))
			tok, err := flow(t, c, "123456_SB1")
			switch {
			case tt.wantCode != "":
				var oe *oauth2.Error
				if !errors.As(err, &oe) || oe.Code != tt.wantCode {
					t.Fatalf("error = %v, want code %s", err, tt.wantCode)
				}
				if oe.NextStep == "" || oe.HTTPStatus != tt.status {
					t.Errorf("error %+v: no next step or wrong status", oe)
				}
				if tt.wantRealm != "" && (oe.Challenge == nil || oe.Challenge.Realm() != tt.wantRealm || oe.Challenge.Scheme != "Basic") {
					t.Errorf("challenge = %+v, want Basic realm %s", oe.Challenge, tt.wantRealm)
				}
				if errors.Is(err, oauth2.ErrReauthorize) != tt.wantReauth {
					t.Errorf("errors.Is(ErrReauthorize) = %v", !tt.wantReauth)
				}
			case tt.wantErrIs != nil:
				if !errors.Is(err, tt.wantErrIs) {
					t.Fatalf("error = %v, want %v", err, tt.wantErrIs)
				}
				if len(err.Error()) > 600 {
					t.Errorf("error message is %d bytes long", len(err.Error()))
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if got := tok.Expiry.Sub(now); got != tt.wantLife {
					t.Errorf("expiry in %s, want %s", got, tt.wantLife)
				}
				if tok.RefreshToken != "" && tok.RefreshExpiry.Sub(now) != 7*24*time.Hour {
					t.Errorf("confidential refresh expiry in %s, want 7 days", tok.RefreshExpiry.Sub(now))
				}
			}
		})
	}
}

func TestExchangeChecks(t *testing.T) {
	t.Parallel()
	n := newNS(t, func(w http.ResponseWriter, r *http.Request, _ url.Values) {
		tokenJSON(w, `{"access_token":"a","refresh_token":"r","expires_in":3600,"token_type":"bearer"}`)
	})
	c := newClient(t, oauth2.Config{ClientID: "cid", RedirectURL: redirectURL}, oauth2.WithBaseURL(n.srv.URL))
	a, _ := c.Authorize(oauth2.AuthorizeOptions{Account: "123456"})
	for _, bad := range []string{
		"state=" + a.State + "x&code=c&company=123456", // wrong state
		"state=" + a.State + "&code=c&company=654321",  // another account
		"state=" + a.State + "&code=c",                 // no company
	} {
		if _, err := c.Complete(t.Context(), a, bad); !errors.Is(err, oauth2.ErrCallback) {
			t.Errorf("Complete(%q) error = %v, want ErrCallback", bad, err)
		}
	}
	good := "state=" + a.State + "&code=c&company=123456"
	if _, err := c.Complete(t.Context(), a, good); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Complete(t.Context(), a, good); !errors.Is(err, oauth2.ErrCallback) {
		t.Errorf("second Complete with one authorization: %v, want ErrCallback", err)
	}
	if got := len(n.requests()); got != 1 {
		t.Errorf("%d token requests, want 1 (the bad callbacks must send nothing)", got)
	}
	// unknown account: the redirect's company names it
	u, _ := c.Authorize(oauth2.AuthorizeOptions{})
	tok, err := c.Complete(t.Context(), u, "state="+u.State+"&code=c&company=TSTDRV99")
	if err != nil || tok.Account != "TSTDRV99" {
		t.Fatalf("Complete(system.netsuite.com flow) = %v, %v", tok, err)
	}
	if h := n.requests()[1].Host; h != "tstdrv99.suitetalk.api.netsuite.com" {
		t.Errorf("token request host %s, want the company's", h)
	}
}

// TestSecretsNeverShown uses servers that echo everything they received
// (headers and body) into every field of their answers: error,
// error_description, token_type, expires_in, WWW-Authenticate.
func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	echoes := map[string]func(w http.ResponseWriter, r *http.Request, form url.Values){
		"description": func(w http.ResponseWriter, r *http.Request, form url.Values) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("WWW-Authenticate", `Bearer realm="123456", error="invalid_token", error_description="got `+r.Header.Get("Authorization")+`"`)
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":"invalid_grant","error_description":%q,"echo":%q}`, r.Header.Get("Authorization")+" "+form.Encode(), r.Header.Get("Authorization")+" "+form.Encode())
		},
		"error value": func(w http.ResponseWriter, r *http.Request, form url.Values) {
			w.Header().Set("WWW-Authenticate", `Bearer error="`+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+`"`)
			w.WriteHeader(400)
			all := r.Header.Get("Authorization") + " " + form.Get("refresh_token") + form.Get("code") + form.Get("client_assertion")
			fmt.Fprintf(w, `{"error":%q}`, "invalid_grant "+all)
		},
		"token fields": func(w http.ResponseWriter, r *http.Request, form url.Values) {
			all := r.Header.Get("Authorization") + form.Get("refresh_token") + form.Get("code_verifier") + form.Get("client_assertion")
			fmt.Fprintf(w, `{"access_token":"x","token_type":%q,"expires_in":%q,"serverTime":%q}`, all, all, all)
		},
	}
	for name, echo := range echoes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			secretsNeverShown(t, echo)
		})
	}
}

func secretsNeverShown(t *testing.T, echo func(w http.ResponseWriter, r *http.Request, form url.Values)) {
	const secret = "s3cr3t-client-secret-value"
	n := newNS(t, echo)
	var logs bytes.Buffer
	c := newClient(t, oauth2.Config{ClientID: "cid", ClientSecret: secret, RedirectURL: redirectURL}, oauth2.WithBaseURL(n.srv.URL),
		oauth2.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	a, _ := c.Authorize(oauth2.AuthorizeOptions{Account: "123456"})
	const code = "c0de-c0de-c0de-c0de"
	tok := &oauth2.Token{Account: "123456", AccessToken: "acc3ss-t0ken-value", RefreshToken: "r3fresh-t0ken-value", Expiry: time.Now().Add(-time.Minute)}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	m, err := c.ClientCredentials(oauth2.M2MConfig{Account: "123456", CertificateID: "kid", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	_, err = c.Complete(t.Context(), a, "state="+a.State+"&code="+code+"&company=123456")
	errs = append(errs, err)
	_, err = c.Refresh(t.Context(), tok)
	errs = append(errs, err)
	errs = append(errs, c.Revoke(t.Context(), tok))
	_, err = c.ServerTime(t.Context(), tok)
	errs = append(errs, err)
	_, err = m.Token(t.Context())
	errs = append(errs, err)
	_, err = c.Refresher(tok, nil).Token(t.Context())
	errs = append(errs, err)
	secrets := []string{secret, code, a.Verifier, tok.AccessToken, tok.RefreshToken, "czNjcjN0"}
	var out strings.Builder
	for _, e := range errs {
		if e == nil {
			continue // the token-fields echo lets some calls through; what they print is checked below
		}
		fmt.Fprintf(&out, "%v\n%+v\n%#v\n%s\n%q\n", e, e, e, e, e)
		var oe *oauth2.Error
		if errors.As(e, &oe) {
			fmt.Fprintf(&out, "%+v %#v %s %v\n", *oe, *oe, oe.Body, oe.Challenge)
		}
	}
	fmt.Fprintf(&out, "%v %+v %#v %s\n", a, a, a, c)
	fmt.Fprintf(&out, "%v %+v %#v\n", tok, tok, tok)
	fmt.Fprintf(&out, "%v %+v %#v\n", c.Config(), c.Config(), c.Config())
	slog.New(slog.NewTextHandler(&out, nil)).Info("x", "tok", tok, "auth", a, "cfg", c.Config())
	out.WriteString(logs.String())
	for _, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Errorf("secret %q appears in output:\n%s", s, out.String())
		}
	}
	sig, _ := m.Assertion()
	if strings.Contains(out.String(), sig[strings.LastIndexByte(sig, '.')+1:]) {
		t.Error("an assertion signature appears in output")
	}
}

func TestRedirectNeverFollowed(t *testing.T) {
	t.Parallel()
	var stolen atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	t.Cleanup(evil.Close)
	for _, status := range []int{301, 302, 303, 307, 308} {
		n := newNS(t, func(w http.ResponseWriter, r *http.Request, _ url.Values) {
			http.Redirect(w, r, evil.URL+r.URL.Path, status)
		})
		c := newClient(t, oauth2.Config{ClientID: "cid", ClientSecret: "secret", RedirectURL: redirectURL}, oauth2.WithBaseURL(n.srv.URL))
		_, err := flow(t, c, "123456")
		if !errors.Is(err, oauth2.ErrRedirect) {
			t.Errorf("http %d: error = %v, want ErrRedirect", status, err)
		}
		tok := &oauth2.Token{Account: "123456", AccessToken: "at"}
		if _, err := c.ServerTime(t.Context(), tok); !errors.Is(err, oauth2.ErrRedirect) {
			t.Errorf("http %d serverTime: error = %v, want ErrRedirect", status, err)
		}
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
}

func TestServerTimeAndChallenge(t *testing.T) {
	t.Parallel()
	n := newNS(t, func(w http.ResponseWriter, r *http.Request, _ url.Values) {
		if r.Header.Get("Authorization") == "Bearer good" {
			tokenJSON(w, `{"serverTime":"2025-03-26T16:21:00.000Z"}`)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="123456", error="invalid_token", error_description="Invalid login attempt."`)
		w.WriteHeader(401)
	})
	c := newClient(t, oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(n.srv.URL))
	got, err := c.ServerTime(t.Context(), &oauth2.Token{Account: "123456", AccessToken: "good"})
	if err != nil || !got.Equal(time.Date(2025, 3, 26, 16, 21, 0, 0, time.UTC)) {
		t.Fatalf("ServerTime = %v, %v", got, err)
	}
	_, err = c.ServerTime(t.Context(), &oauth2.Token{Account: "123456", AccessToken: "bad"})
	var oe *oauth2.Error
	if !errors.As(err, &oe) || oe.Code != oauth2.CodeInvalidToken || oe.Description != "Invalid login attempt." || oe.Challenge.Realm() != "123456" {
		t.Fatalf("ServerTime(bad) = %v", err)
	}
	if !strings.Contains(oe.NextStep, "Waiting for Approval") || !strings.Contains(oe.NextStep, "Setup > Integration > Manage Integrations") {
		t.Errorf("next step %q does not name the approval", oe.NextStep)
	}
	r := n.requests()
	if r[0].Host != "123456.suitetalk.api.netsuite.com" || r[0].Path != "/services/rest/system/v1/serverTime" {
		t.Errorf("serverTime sent to %s%s", r[0].Host, r[0].Path)
	}
}

func TestParseChallenge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want oauth2.Challenge
	}{
		{`Basic realm="123456_SB1"`, oauth2.Challenge{Scheme: "Basic", Params: map[string]string{"realm": "123456_SB1"}}},
		{`Bearer realm="1", error="invalid_token", error_description="Invalid login attempt."`, oauth2.Challenge{Scheme: "Bearer", Params: map[string]string{"realm": "1", "error": "invalid_token", "error_description": "Invalid login attempt."}}},
		{`Bearer error=invalid_request,realm="a\"b"`, oauth2.Challenge{Scheme: "Bearer", Params: map[string]string{"realm": `a"b`, "error": "invalid_request"}}},
		{`Basic realm="a", Bearer realm="b"`, oauth2.Challenge{Scheme: "Basic", Params: map[string]string{"realm": "a"}}},
		{`Bearer`, oauth2.Challenge{Scheme: "Bearer", Params: map[string]string{}}},
		{`Bearer realm="unterminated`, oauth2.Challenge{Scheme: "Bearer", Params: map[string]string{"realm": "unterminated"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, *oauth2.ParseChallenge(tt.in)); diff != "" {
			t.Errorf("ParseChallenge(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestCredentialSingleFlight: 50 goroutines share one public-client
// credential whose access token expired; the server's refresh tokens work
// once. Exactly one refresh must be sent, and the new token saved before
// anyone gets it.
func TestCredentialSingleFlight(t *testing.T) {
	t.Parallel()
	var refreshes atomic.Int32
	var mu sync.Mutex
	valid := map[string]bool{"rt-0": true}
	n := newNS(t, func(w http.ResponseWriter, r *http.Request, form url.Values) {
		mu.Lock()
		defer mu.Unlock()
		rt := form.Get("refresh_token")
		if !valid[rt] {
			w.WriteHeader(400)
			tokenJSON(w, `{"error":"invalid_grant"}`)
			return
		}
		delete(valid, rt)
		next := fmt.Sprintf("rt-%d", refreshes.Add(1))
		valid[next] = true
		time.Sleep(20 * time.Millisecond) // widen the race window
		tokenJSON(w, `{"access_token":"at-`+next+`","refresh_token":"`+next+`","expires_in":3600,"token_type":"bearer"}`)
	})
	c := newClient(t, oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(n.srv.URL))
	var saved atomic.Pointer[oauth2.Token]
	save := func(_ context.Context, tok *oauth2.Token) error { saved.Store(tok); return nil }
	start := &oauth2.Token{Account: "123456", ClientID: "cid", AccessToken: "at-0", RefreshToken: "rt-0", Expiry: time.Now().Add(-time.Second), Public: true, Role: "3", Entity: "7"}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cr := c.Refresher(start, save) // each goroutine builds its own: the flight is per credential, not per value
			var tok *xoauth2.Token
			var err error
			if i%2 == 0 {
				tok, err = cr.TokenSource(t.Context()).Token()
			} else {
				var nt *oauth2.Token
				nt, err = cr.Token(t.Context())
				if nt != nil {
					tok = nt.OAuth2()
				}
			}
			if err == nil && tok.AccessToken != "at-rt-1" {
				err = fmt.Errorf("got access token %s", tok.AccessToken)
			}
			if err == nil && (saved.Load() == nil || saved.Load().RefreshToken != "rt-1") {
				err = errors.New("token handed out before it was saved")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := refreshes.Load(); got != 1 {
		t.Errorf("%d refresh requests, want 1", got)
	}
}

func TestCredentialSaveFailureKeepsToken(t *testing.T) {
	t.Parallel()
	var refreshes atomic.Int32
	n := newNS(t, func(w http.ResponseWriter, r *http.Request, form url.Values) {
		k := refreshes.Add(1)
		tokenJSON(w, fmt.Sprintf(`{"access_token":"at-%d","refresh_token":"rt-%d","expires_in":3600}`, k, k))
	})
	c := newClient(t, oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(n.srv.URL))
	fail := true
	var stored *oauth2.Token
	save := func(_ context.Context, tok *oauth2.Token) error {
		if fail {
			return errors.New("database is down")
		}
		stored = tok
		return nil
	}
	cr := c.Refresher(&oauth2.Token{Account: "123456", AccessToken: "old", RefreshToken: "rt-0", Public: true, Expiry: time.Now().Add(-time.Minute)}, save)
	tok, err := cr.Token(t.Context())
	var se *oauth2.SaveError
	if !errors.As(err, &se) || tok == nil || tok.RefreshToken != "rt-1" {
		t.Fatalf("Token() = %v, %v; want the new token and a *SaveError", tok, err)
	}
	fail = false
	tok, err = cr.Token(t.Context())
	if err != nil || tok.RefreshToken != "rt-1" || stored == nil || stored.RefreshToken != "rt-1" {
		t.Fatalf("after the store came back: %v, %v, stored %v", tok, err, stored)
	}
	if got := refreshes.Load(); got != 1 {
		t.Errorf("%d refreshes, want 1: the unsaved token must be kept, not refreshed again", got)
	}
}

func TestRefreshSemantics(t *testing.T) {
	t.Parallel()
	n := newNS(t, func(w http.ResponseWriter, r *http.Request, form url.Values) {
		if r.Header.Get("Authorization") != "" { // confidential: no new refresh token (section_158082518856)
			tokenJSON(w, `{"access_token":"at-2","expires_in":3600,"token_type":"bearer"}`)
			return
		}
		tokenJSON(w, `{"access_token":"at-2","refresh_token":"rt-2","expires_in":3600,"token_type":"bearer"}`)
	})
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	conf := newClient(t, oauth2.Config{ClientID: "cid", ClientSecret: "sec"}, oauth2.WithBaseURL(n.srv.URL), oauth2.WithClock(clock))
	orig := &oauth2.Token{Account: "123456", AccessToken: "at-1", RefreshToken: "rt-1", RefreshExpiry: now.Add(6 * 24 * time.Hour)}
	got, err := conf.Refresh(t.Context(), orig)
	if err != nil || got.RefreshToken != "rt-1" || !got.RefreshExpiry.Equal(orig.RefreshExpiry) || got.AccessToken != "at-2" {
		t.Fatalf("confidential Refresh = %v, %v: want the original refresh token and expiry kept", got, err)
	}
	pub := newClient(t, oauth2.Config{ClientID: "cid", RefreshTokenValidity: 24 * time.Hour}, oauth2.WithBaseURL(n.srv.URL), oauth2.WithClock(clock))
	porig := &oauth2.Token{Account: "123456", AccessToken: "at-1", RefreshToken: "rt-1", Public: true, RotationDeadline: now.Add(time.Hour)}
	got, err = pub.Refresh(t.Context(), porig)
	if err != nil || got.RefreshToken != "rt-2" || !got.RefreshExpiry.Equal(now.Add(24*time.Hour)) || !got.RotationDeadline.Equal(porig.RotationDeadline) {
		t.Fatalf("public Refresh = %+v, %v", got, err)
	}
	if porig.RefreshToken != "rt-1" {
		t.Error("Refresh changed its argument")
	}
	// after the rotation window nsdist does not even send the refresh
	before := len(n.requests())
	porig.RotationDeadline = now.Add(-time.Second)
	_, err = pub.Refresh(t.Context(), porig)
	var oe *oauth2.Error
	if !errors.Is(err, oauth2.ErrReauthorize) || !errors.As(err, &oe) || !strings.Contains(oe.NextStep, "168 h") {
		t.Errorf("Refresh after the rotation window = %v; want ErrReauthorize naming the window", err)
	}
	if len(n.requests()) != before {
		t.Error("a refresh was sent after the rotation window")
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	n := newNS(t, func(w http.ResponseWriter, r *http.Request, form url.Values) {})
	c := newClient(t, oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(n.srv.URL))
	if err := c.Revoke(t.Context(), &oauth2.Token{Account: "123456_SB1", AccessToken: "a", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	r := n.requests()[0]
	if r.Path != "/services/rest/auth/oauth2/v1/revoke" || r.Form.Get("token") != "r" || r.Form.Get("client_id") != "cid" || r.Auth != "" || r.Host != "123456-sb1.suitetalk.api.netsuite.com" {
		t.Errorf("revoke request = %+v", r)
	}
}

func genKeys(t *testing.T) map[string]crypto.Signer {
	t.Helper()
	r3072, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]crypto.Signer{"PS256": r3072, "PS384": r3072, "PS512": r3072}
	for alg, curve := range map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()} {
		k, _ := ecdsa.GenerateKey(curve, rand.Reader)
		out[alg] = k
	}
	return out
}

func pemOf(t *testing.T, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestM2MAssertion(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := newClient(t, oauth2.Config{ClientID: "cid", Scopes: []oauth2.Scope{oauth2.ScopeRESTlets, oauth2.ScopeRESTWebServices}}, oauth2.WithClock(func() time.Time { return now }))
	for alg, key := range genKeys(t) {
		for _, array := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s array=%v", alg, array), func(t *testing.T) {
				t.Parallel()
				parsed, err := oauth2.ParsePrivateKey(pemOf(t, key))
				if err != nil {
					t.Fatal(err)
				}
				m, err := c.ClientCredentials(oauth2.M2MConfig{Account: "123456_SB1", CertificateID: "cert-1", Key: parsed, Algorithm: alg, ScopeArray: array})
				if err != nil {
					t.Fatal(err)
				}
				a, err := m.Assertion()
				if err != nil {
					t.Fatal(err)
				}
				claims := jwt.MapClaims{}
				tok, err := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(func() time.Time { return now })).ParseWithClaims(a, claims, func(*jwt.Token) (any, error) { return key.Public(), nil })
				if err != nil || !tok.Valid {
					t.Fatalf("verify with the public key: %v", err)
				}
				if tok.Header["kid"] != "cert-1" || tok.Header["typ"] != "JWT" {
					t.Errorf("header = %v", tok.Header)
				}
				iat, exp := int64(claims["iat"].(float64)), int64(claims["exp"].(float64))
				if iat >= now.Unix() || now.Unix()-iat > 30 {
					t.Errorf("iat %d is not a few seconds before now %d", iat, now.Unix())
				}
				if d := exp - iat; d <= 0 || d > 59*60 {
					t.Errorf("exp - iat = %d s, want at most 59 minutes", d)
				}
				var wantScope any = "restlets,rest_webservices"
				if array {
					wantScope = []any{"restlets", "rest_webservices"}
				}
				want := map[string]any{"iss": "cid", "aud": "https://123456-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token", "scope": wantScope}
				got := map[string]any{"iss": claims["iss"], "aud": claims["aud"], "scope": claims["scope"]}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("claims mismatch (-want +got):\n%s", diff)
				}
				if j, _ := claims["jti"].(string); len(j) < 22 {
					t.Errorf("jti %q", j)
				}
			})
		}
	}
}

func TestM2MKeysRefused(t *testing.T) {
	t.Parallel()
	r2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for name, k := range map[string]any{"rsa 2048": r2048, "p224": p224, "ed25519": ed} {
		if _, err := oauth2.ParsePrivateKey(pemOf(t, k)); !errors.Is(err, oauth2.ErrKey) {
			t.Errorf("ParsePrivateKey(%s) error = %v, want ErrKey", name, err)
		}
	}
	for _, bad := range [][]byte{nil, []byte("not pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2}}), pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}})} {
		if _, err := oauth2.ParsePrivateKey(bad); !errors.Is(err, oauth2.ErrKey) {
			t.Errorf("ParsePrivateKey(%.20q) error = %v, want ErrKey", bad, err)
		}
	}
	// a 3072-bit key with e=3: the math is not checked here, only that a
	// key with a public exponent other than 65537 is refused before use
	e3, _ := rsa.GenerateKey(rand.Reader, 3072)
	e3.E = 3
	if _, err := newClient(t, oauth2.Config{ClientID: "cid"}).ClientCredentials(oauth2.M2MConfig{Account: "123456", CertificateID: "kid", Key: e3}); !errors.Is(err, oauth2.ErrKey) ||
		!strings.Contains(err.Error(), "exponent 3") {
		t.Errorf("an RSA key with e=3: %v, want ErrKey naming the exponent", err)
	}
	keys := genKeys(t)
	c := newClient(t, oauth2.Config{ClientID: "cid"})
	for _, tc := range []struct {
		name string
		cfg  oauth2.M2MConfig
	}{
		{"RS256", oauth2.M2MConfig{Account: "1", CertificateID: "k", Key: keys["PS256"], Algorithm: "RS256"}},
		{"ES256 with RSA", oauth2.M2MConfig{Account: "1", CertificateID: "k", Key: keys["PS256"], Algorithm: "ES256"}},
		{"ES512 with P-256", oauth2.M2MConfig{Account: "1", CertificateID: "k", Key: keys["ES256"], Algorithm: "ES512"}},
		{"no kid", oauth2.M2MConfig{Account: "1", Key: keys["ES256"]}},
		{"60 minutes", oauth2.M2MConfig{Account: "1", CertificateID: "k", Key: keys["ES256"], Lifetime: time.Hour}},
		{"bad account", oauth2.M2MConfig{Account: "1.evil", CertificateID: "k", Key: keys["ES256"]}},
		{"mcp", oauth2.M2MConfig{Account: "1", CertificateID: "k", Key: keys["ES256"], Scopes: []oauth2.Scope{oauth2.ScopeMCP}}},
		{"rsa 2048", oauth2.M2MConfig{Account: "1", CertificateID: "k", Key: r2048}},
	} {
		if _, err := c.ClientCredentials(tc.cfg); err == nil {
			t.Errorf("ClientCredentials(%s) succeeded", tc.name)
		}
	}
	for alg, k := range keys {
		got, _ := oauth2.DefaultAlgorithm(k)
		if (alg[:2] == "PS" && got != "PS256") || (alg[:2] == "ES" && got != alg) {
			t.Errorf("DefaultAlgorithm(%s key) = %s", alg, got)
		}
	}
}

// A caller's deadline bounds its wait, but not the refresh it started: the
// rotated token is still kept and saved, and the next caller gets it
// without another refresh.
func TestCredentialDeadlineKeepsRotatedToken(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var refreshes atomic.Int32
	n := newNS(t, func(w http.ResponseWriter, r *http.Request, form url.Values) {
		<-release
		k := refreshes.Add(1)
		tokenJSON(w, fmt.Sprintf(`{"access_token":"at-%d","refresh_token":"rt-%d","expires_in":3600}`, k, k))
	})
	c := newClient(t, oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(n.srv.URL))
	var saved atomic.Pointer[oauth2.Token]
	save := func(ctx context.Context, tok *oauth2.Token) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		saved.Store(tok)
		return nil
	}
	cr := c.Refresher(&oauth2.Token{Account: "123456", AccessToken: "old", RefreshToken: "rt-0", Public: true, Expiry: time.Now().Add(-time.Minute)}, save)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := cr.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Token past its deadline = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Token returned %s after a 50ms deadline", d)
	}
	close(release)
	tok, err := cr.Token(t.Context())
	if err != nil || tok.RefreshToken != "rt-1" {
		t.Fatalf("after the refresh landed: %v, %v", tok, err)
	}
	if saved.Load() == nil || saved.Load().RefreshToken != "rt-1" {
		t.Error("the rotated token was not saved although the first caller gave up")
	}
	if refreshes.Load() != 1 {
		t.Errorf("%d refreshes, want 1", refreshes.Load())
	}
}
