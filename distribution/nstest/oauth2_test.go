package nstest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
)

// Oracle's published samples (section_158081944642, section_158081952044).
const (
	oracleClientID  = "6794a3086e4f61a120350d01b8527aed3631472ef33412212495be65a8fc8d4c"
	oracleSecret    = "cdc7ac22183ef5024e81b0fce8ef461c44d5896a1f1805d4b372ca61c4d326ae"
	oracleBasic     = "Basic Njc5NGEzMDg2ZTRmNjFhMTIwMzUwZDAxYjg1MjdhZWQzNjMxNDcyZWYzMzQxMjIxMjQ5NWJlNjVhOGZjOGQ0YzpjZGM3YWMyMjE4M2VmNTAyNGU4MWIwZmNlOGVmNDYxYzQ0ZDU4OTZhMWYxODA1ZDRiMzcyY2E2MWM0ZDMyNmFl"
	oraclePublic    = "Basic Njc5NGEzMDg2ZTRmNjFhMTIwMzUwZDAxYjg1MjdhZWQzNjMxNDcyZWYzMzQxMjIxMjQ5NWJlNjVhOGZjOGQ0Yzo="
	oracleVerifier  = "abFOm_isZAwm7PpI9BtJRMEuiMqhU6sUqZlVWSsAAf1QutgIOD~on78mu-JdpbKc_RA7IEcf2e~q0XrKlJ1tE.8Un64PXLKQG16G4lwW-a5de_0aeU2mHnyVPg.Or8cE"
	oracleChallenge = "Who5QBshz2Mu1Mq6GuAknYA5TnjA-0z7VhAgLloec1s"
	oracleRedirect  = "https://myapplication.com/netsuite/oauth2callback"
	testState       = "ykv2XLx1BpT5Q0F3MRPHb94j"
	custID          = "1234567"
	annEmail        = "ann@customer.example"
	annPassword     = "pw-ann"
)

var start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type o2fix struct {
	fake   *nstest.Server
	clk    *clock
	vendor *nstest.Account
	cust   *nstest.Account
	hc     *http.Client
}

func newO2(t testing.TB, requireApproval bool, opts ...nstest.Option) *o2fix {
	t.Helper()
	clk := &clock{t: start}
	fake := nstest.NewServer(append([]nstest.Option{nstest.WithClock(clk.Now)}, opts...)...)
	t.Cleanup(fake.Close)
	f := &o2fix{fake: fake, clk: clk}
	f.vendor = fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	f.cust = fake.MustAddAccount(custID, nstest.AccountConfig{RequireApproval: requireApproval})
	f.cust.AddUser(nstest.User{Email: annEmail, Password: annPassword})
	f.hc = &http.Client{Transport: fake.Transport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return f
}

func (f *o2fix) record(t testing.TB, spec nstest.IntegrationSpec) *nstest.Integration {
	t.Helper()
	if spec.Name == "" {
		spec.Name = "Acme Sync"
	}
	if spec.OAuth2CodeGrant && spec.RedirectURIs == nil {
		spec.RedirectURIs = []string{oracleRedirect}
	}
	if spec.Scopes == nil {
		spec.Scopes = []string{"rest_webservices", "restlets"}
	}
	in, err := f.fake.CreateIntegration(f.vendor.ID(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func authURL(host string, in *nstest.Integration, mods ...func(url.Values)) string {
	v := url.Values{
		"response_type": {"code"}, "client_id": {in.ClientID}, "redirect_uri": {in.RedirectURIs[0]},
		"scope": {"rest_webservices restlets"}, "state": {testState},
		"code_challenge": {oracleChallenge}, "code_challenge_method": {"S256"},
	}
	for _, m := range mods {
		m(v)
	}
	return "https://" + host + "/app/login/oauth2/authorize.nl?" + v.Encode()
}

var custHost = nsdist.AccountID(custID).AppHost()

// code runs Step One as ann and returns the code.
func (f *o2fix) code(t testing.TB, in *nstest.Integration, mods ...func(url.Values)) string {
	t.Helper()
	loc, err := f.fake.Consent(t.Context(), authURL(custHost, in, mods...), annEmail, annPassword, "allow")
	if err != nil {
		t.Fatal(err)
	}
	c := loc.Query().Get("code")
	if c == "" {
		t.Fatalf("redirect %s has no code", redact(loc))
	}
	return c
}

func redact(u *url.URL) string {
	q := u.Query()
	if q.Has("code") {
		q.Set("code", "…")
	}
	return u.Scheme + "://" + u.Host + u.Path + "?" + q.Encode()
}

type tokenResp struct {
	status int
	body   map[string]any
	hdr    http.Header
}

func (f *o2fix) post(t testing.TB, host, path, authz string, form url.Values) tokenResp {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "https://"+host+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := tokenResp{status: resp.StatusCode, hdr: resp.Header}
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out.body); err != nil {
			t.Fatalf("%s: body %q is not JSON", path, b)
		}
	}
	return out
}

func (f *o2fix) token(t testing.TB, authz string, form url.Values) tokenResp {
	t.Helper()
	return f.post(t, nsdist.AccountID(custID).SuiteTalkHost(), "/services/rest/auth/oauth2/v1/token", authz, form)
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// auth returns how in authenticates: Basic for a confidential client,
// client_id in the body for a public one.
func auth(in *nstest.Integration, form url.Values) (string, url.Values) {
	if in.PublicClient {
		form.Set("client_id", in.ClientID)
		return "", form
	}
	return basic(in.ClientID, in.ClientSecret), form
}

func (f *o2fix) exchange(t testing.TB, in *nstest.Integration, code string) tokenResp {
	t.Helper()
	h, form := auth(in, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {in.RedirectURIs[0]}, "code_verifier": {oracleVerifier}})
	return f.token(t, h, form)
}

func (f *o2fix) tokens(t testing.TB, in *nstest.Integration) (access, refresh string) {
	t.Helper()
	r := f.exchange(t, in, f.code(t, in))
	if r.status != http.StatusOK {
		t.Fatalf("token exchange: %d %v", r.status, r.body)
	}
	access, _ = r.body["access_token"].(string)
	refresh, _ = r.body["refresh_token"].(string)
	return access, refresh
}

func (f *o2fix) refresh(t testing.TB, in *nstest.Integration, rt string) tokenResp {
	t.Helper()
	h, form := auth(in, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	return f.token(t, h, form)
}

func (f *o2fix) serverTime(t testing.TB, host, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+host+"/services/rest/system/v1/serverTime", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (f *o2fix) time(t testing.TB, token string) int {
	t.Helper()
	st, _, _ := f.serverTime(t, nsdist.AccountID(custID).SuiteTalkHost(), token)
	return st
}

func lastDetail(t *testing.T, a *nstest.Account) string {
	t.Helper()
	return lastAudit(t, a).Detail
}

const wantBearer = `Bearer realm="1234567", error="invalid_token", error_description="Invalid login attempt."`

func TestOAuth2CodeGrantInstalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		public   bool
		approval bool
		mode     nstest.CodeGrantApproval
		want     nsdist.State // "" = not installed
		detail   string
	}{
		{"confidential/enabled", false, false, nstest.CodeGrantInstallsWaiting, nsdist.StateEnabled, ""},
		{"public/enabled", true, false, nstest.CodeGrantInstallsWaiting, nsdist.StateEnabled, ""},
		{"confidential/waiting", false, true, nstest.CodeGrantInstallsWaiting, nsdist.StateWaitingForApproval, "IntegrationBlocked"},
		{"public/waiting", true, true, nstest.CodeGrantInstallsWaiting, nsdist.StateWaitingForApproval, "IntegrationBlocked"},
		{"confidential/not-installed", false, true, nstest.CodeGrantNotInstalled, "", "InvalidIntegration"},
		{"public/not-installed", true, true, nstest.CodeGrantNotInstalled, "", "InvalidIntegration"},
		{"not-installed reading, no approval", false, false, nstest.CodeGrantNotInstalled, nsdist.StateEnabled, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newO2(t, tt.approval, nstest.WithCodeGrantApproval(tt.mode))
			in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, PublicClient: tt.public})
			access, refresh := f.tokens(t, in)
			if access == "" || refresh == "" {
				t.Fatal("want an access and a refresh token")
			}
			inst, ok := f.cust.Install(in.ApplicationID)
			if got := map[bool]nsdist.State{true: inst.State}[ok]; got != tt.want {
				t.Fatalf("State after the grant = %q, want %q", got, tt.want)
			}
			if ok && inst.Channel != nstest.ChannelOAuth2 {
				t.Errorf("Channel = %q, want oauth2", inst.Channel)
			}
			st, hdr, body := f.serverTime(t, nsdist.AccountID(custID).SuiteTalkHost(), access)
			if tt.detail == "" {
				if diff := cmp.Diff(`{"serverTime":"2025-06-02T09:00:00.000Z"}`, strings.TrimSpace(body)); st != 200 || diff != "" {
					t.Fatalf("serverTime = %d, mismatch (-want +got):\n%s", st, diff)
				}
				return
			}
			if st != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") != wantBearer {
				t.Fatalf("serverTime = %d %q, want 401 %q", st, hdr.Get("WWW-Authenticate"), wantBearer)
			}
			if got := lastDetail(t, f.cust); got != tt.detail {
				t.Errorf("audit Detail = %q, want %q", got, tt.detail)
			}
			if strings.Contains(body, access) {
				t.Error("the error body repeats the token")
			}
			if tt.want == nsdist.StateWaitingForApproval {
				if err := f.cust.Approve(in.ApplicationID); err != nil {
					t.Fatal(err)
				}
			} else {
				if err := f.cust.Approve(in.ApplicationID); !errors.Is(err, nstest.ErrNotInstalled) {
					t.Fatalf("Approve = %v, want ErrNotInstalled", err)
				}
				f.cust.SetRequireApproval(false) // section_158081952044: clear the box, authorize again
				f.tokens(t, in)
			}
			if st := f.time(t, access); st != http.StatusOK {
				t.Fatalf("serverTime after the administrator's step = %d, want 200", st)
			}
		})
	}
}

func TestOAuth2OracleSamples(t *testing.T) {
	t.Parallel()
	t.Run("confidential Basic header and PKCE pair", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, ClientID: oracleClientID, ClientSecret: oracleSecret})
		r := f.token(t, oracleBasic, url.Values{"grant_type": {"authorization_code"}, "code": {f.code(t, in)}, "redirect_uri": {oracleRedirect}, "code_verifier": {oracleVerifier}})
		if r.status != 200 {
			t.Fatalf("token = %d %v", r.status, r.body)
		}
		if diff := cmp.Diff(map[string]any{"expires_in": 3600.0, "token_type": "bearer"}, map[string]any{"expires_in": r.body["expires_in"], "token_type": r.body["token_type"]}); diff != "" {
			t.Errorf("token response mismatch (-want +got):\n%s", diff)
		}
		var claims struct {
			Sub   string   `json:"sub"`
			Aud   []string `json:"aud"`
			Scope []string `json:"scope"`
			Iss   string   `json:"iss"`
			Jti   string   `json:"jti"`
			Exp   int64    `json:"exp"`
			Iat   int64    `json:"iat"`
			Oit   int64    `json:"oit"`
		}
		jt, _, err := jwt.NewParser().ParseUnverified(r.body["access_token"].(string), jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		// the header NetSuite's tokens carry, signed with the fake's own HS256
		if kid, _ := jt.Header["kid"].(string); jt.Header["alg"] != "HS256" || jt.Header["typ"] != "JWT" || !strings.HasPrefix(kid, "c.1234567.") {
			t.Errorf("access token header = %v, want alg HS256 (the fake's), typ JWT, kid c.1234567.<time>", jt.Header)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(r.body["access_token"].(string), ".")[1])
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		want := []any{"3;7", []string{in.ApplicationID + ";1234567", oracleClientID}, []string{"rest_webservices", "restlets"}, "https://system.netsuite.com", true, int64(3600), start.Unix()}
		got := []any{claims.Sub, claims.Aud, claims.Scope, claims.Iss, strings.HasPrefix(claims.Jti, "1234567.a."), claims.Exp - claims.Iat, claims.Oit}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("access token claims mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("public Basic header with empty secret", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, PublicClient: true, ClientID: oracleClientID})
		r := f.token(t, oraclePublic, url.Values{"grant_type": {"authorization_code"}, "code": {f.code(t, in)}, "redirect_uri": {oracleRedirect}, "code_verifier": {oracleVerifier}})
		if r.status != 200 || r.body["refresh_token"] == nil {
			t.Fatalf("token = %d %v", r.status, r.body)
		}
	})
}

func TestOAuth2ClientAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		public bool
		authz  func(in *nstest.Integration) string
		body   func(in *nstest.Integration, v url.Values)
		status int
		err    string
		detail string
	}{
		{"confidential Basic", false, func(in *nstest.Integration) string { return basic(in.ClientID, in.ClientSecret) }, nil, 200, "", ""},
		{"wrong secret", false, func(in *nstest.Integration) string { return basic(in.ClientID, strings.Repeat("0", 64)) }, nil, 401, "invalid_client", "ClientAuthenticationFailed"},
		{"base64url instead of standard", false, func(in *nstest.Integration) string {
			return "Basic " + base64.URLEncoding.EncodeToString([]byte(in.ClientID+":"+in.ClientSecret+"\xfb\xff"))
		}, nil, 401, "invalid_client", "ClientAuthenticationFailed"},
		{"confidential client_id in body only", false, nil, func(in *nstest.Integration, v url.Values) { v.Set("client_id", in.ClientID) }, 401, "invalid_client", "ClientAuthenticationFailed"},
		{"client_secret in body", false, nil, func(in *nstest.Integration, v url.Values) {
			v.Set("client_id", in.ClientID)
			v.Set("client_secret", in.ClientSecret)
		}, 401, "invalid_client", "ClientAuthenticationFailed"},
		{"Basic and client_id in body", false, func(in *nstest.Integration) string { return basic(in.ClientID, in.ClientSecret) },
			func(in *nstest.Integration, v url.Values) { v.Set("client_id", in.ClientID) }, 400, "invalid_request", "ClientAuthenticationFailed"},
		{"no client at all", false, nil, nil, 401, "invalid_client", "ClientAuthenticationFailed"},
		{"public client_id in body", true, nil, func(in *nstest.Integration, v url.Values) { v.Set("client_id", in.ClientID) }, 200, "", ""},
		{"public Basic empty secret", true, func(in *nstest.Integration) string { return basic(in.ClientID, "") }, nil, 200, "", ""},
		{"public Basic and client_id in body", true, func(in *nstest.Integration) string { return basic(in.ClientID, "") },
			func(in *nstest.Integration, v url.Values) { v.Set("client_id", in.ClientID) }, 400, "invalid_request", "ClientAuthenticationFailed"},
		{"public with a secret", true, func(in *nstest.Integration) string { return basic(in.ClientID, "x") }, nil, 401, "invalid_client", "ClientAuthenticationFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newO2(t, false)
			in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, PublicClient: tt.public})
			form := url.Values{"grant_type": {"authorization_code"}, "code": {f.code(t, in)}, "redirect_uri": {oracleRedirect}, "code_verifier": {oracleVerifier}}
			h := ""
			if tt.authz != nil {
				h = tt.authz(in)
			}
			if tt.body != nil {
				tt.body(in, form)
			}
			r := f.token(t, h, form)
			got := []any{r.status, r.body["error"]}
			want := []any{tt.status, map[bool]any{true: tt.err, false: nil}[tt.err != ""]}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("token mismatch (-want +got):\n%s", diff)
			}
			if tt.status == 401 && r.hdr.Get("WWW-Authenticate") != `Basic realm="1234567"` {
				t.Errorf("WWW-Authenticate = %q", r.hdr.Get("WWW-Authenticate"))
			}
			if tt.detail != "" {
				if got := lastDetail(t, f.cust); got != tt.detail {
					t.Errorf("audit Detail = %q, want %q", got, tt.detail)
				}
			}
		})
	}
}

func TestOAuth2CodeRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		form   func(f *o2fix, code string, v url.Values)
		detail string
		origin nstest.DetailOrigin // Oracle lists InvalidGrant for a PKCE mismatch only
	}{
		{"reused", nil, "InvalidGrant", nstest.DetailInferred},
		{"expired", func(f *o2fix, _ string, _ url.Values) { f.clk.Add(10*time.Minute + time.Second) }, "InvalidGrant", nstest.DetailInferred},
		{"redirect_uri differs", func(_ *o2fix, _ string, v url.Values) { v.Set("redirect_uri", "https://myapplication.com/other") }, "InvalidGrant", nstest.DetailInferred},
		{"PKCE mismatch", func(_ *o2fix, _ string, v url.Values) { v.Set("code_verifier", strings.Repeat("a", 43)) }, "InvalidGrant", nstest.DetailDocumented},
		{"verifier too short", func(_ *o2fix, _ string, v url.Values) { v.Set("code_verifier", oracleVerifier[:42]) }, "InvalidGrant", nstest.DetailDocumented},
		{"no verifier", func(_ *o2fix, _ string, v url.Values) { v.Del("code_verifier") }, "InvalidGrant", nstest.DetailDocumented},
		{"unknown code", func(_ *o2fix, _ string, v url.Values) { v.Set("code", strings.Repeat("0", 64)) }, "InvalidGrant", nstest.DetailInferred},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newO2(t, false)
			in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
			code := f.code(t, in)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {oracleRedirect}, "code_verifier": {oracleVerifier}}
			if tt.form == nil { // reused
				if r := f.exchange(t, in, code); r.status != 200 {
					t.Fatalf("first use = %d", r.status)
				}
			} else {
				tt.form(f, code, form)
			}
			r := f.token(t, basic(in.ClientID, in.ClientSecret), form)
			if diff := cmp.Diff([]any{400, "invalid_grant"}, []any{r.status, r.body["error"]}); diff != "" {
				t.Fatalf("token mismatch (-want +got):\n%s", diff)
			}
			if a := lastAudit(t, f.cust); a.Detail != tt.detail || a.Origin != tt.origin {
				t.Errorf("audit Detail = %q (%s), want %q (%s)", a.Detail, a.Origin, tt.detail, tt.origin)
			}
			if _, ok := f.cust.Install(in.ApplicationID); ok && tt.name != "reused" {
				t.Error("a refused grant installed the record")
			}
		})
	}
	t.Run("another client's code", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		a := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
		b := f.record(t, nstest.IntegrationSpec{Name: "Other", OAuth2CodeGrant: true})
		r := f.exchange(t, b, f.code(t, a))
		if diff := cmp.Diff([]any{400, "invalid_grant", "ClientIdMismatch"}, []any{r.status, r.body["error"], lastDetail(t, f.cust)}); diff != "" {
			t.Fatalf("mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestOAuth2AuthorizeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spec    nstest.IntegrationSpec
		mods    func(v url.Values)
		setup   func(f *o2fix, in *nstest.Integration)
		host    string
		action  string
		pageErr bool   // an error page, no redirect
		err     string // the redirect's error
		detail  string
		origin  nstest.DetailOrigin // empty: documented
	}{
		{name: "unknown client_id", mods: func(v url.Values) { v.Set("client_id", strings.Repeat("a", 64)) }, pageErr: true, detail: "UnknownIntegration"},
		{name: "redirect_uri mismatch", mods: func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, pageErr: true, detail: "InvalidRedirectURI"},
		{name: "response_type token", mods: func(v url.Values) { v.Set("response_type", "token") }, err: "unsupported_response_type", detail: "UnsupportedResponseType"},
		{name: "short state", mods: func(v url.Values) { v.Set("state", "abc") }, err: "invalid_request", detail: "InvalidState"},
		{name: "no state", mods: func(v url.Values) { v.Del("state") }, err: "invalid_request", detail: "InvalidState"},
		{name: "plain PKCE", mods: func(v url.Values) { v.Set("code_challenge_method", "plain") }, err: "invalid_request", detail: "InvalidRequest"},
		{name: "public client without PKCE", spec: nstest.IntegrationSpec{PublicClient: true}, mods: func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, err: "invalid_request", detail: "InvalidRequest"},
		{name: "2027.1 requires PKCE", mods: func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") },
			setup: func(f *o2fix, _ *nstest.Integration) {
				f.clk.Add(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC).Sub(start))
			}, err: "invalid_request", detail: "InvalidRequest"},
		{name: "scope not on the record", mods: func(v url.Values) { v.Set("scope", "suite_analytics") }, err: "invalid_scope", detail: "ScopeMismatched"},
		{name: "unknown scope", mods: func(v url.Values) { v.Set("scope", "rest_webservices openid") }, err: "invalid_scope", detail: "ScopeMismatched"},
		{name: "mcp with another scope", spec: nstest.IntegrationSpec{Scopes: []string{"mcp"}}, mods: func(v url.Values) { v.Set("scope", "mcp restlets") }, err: "invalid_scope", detail: "ScopeMismatched"},
		{name: "prompt=none with mcp", spec: nstest.IntegrationSpec{Scopes: []string{"mcp"}}, mods: func(v url.Values) { v.Set("scope", "mcp"); v.Set("prompt", "none") }, err: "invalid_request", detail: "InvalidRequest", origin: nstest.DetailInferred},
		{name: "unknown prompt", mods: func(v url.Values) { v.Set("prompt", "select_account") }, err: "invalid_request", detail: "InvalidRequest", origin: nstest.DetailInferred},
		{name: "no scope", mods: func(v url.Values) { v.Del("scope") }, err: "invalid_request", detail: "InvalidRequest", origin: nstest.DetailInferred},
		{name: "state twice", mods: func(v url.Values) { v.Add("state", "ykv2XLx1BpT5Q0F3MRPHb94j") }, err: "invalid_request", detail: "InvalidRequest", origin: nstest.DetailInferred},
		{name: "prompt=login on system.netsuite.com", mods: func(v url.Values) { v.Set("prompt", "login") }, host: "system.netsuite.com", err: "invalid_request"}, // no account known yet: no audit entry
		{name: "user denies", action: "deny", err: "access_denied", detail: "AuthorizationExplicitlyDenied"},
		{name: "record Blocked", setup: func(f *o2fix, in *nstest.Integration) {
			f.tokens(t, in)
			if err := f.cust.Block(in.ApplicationID); err != nil {
				t.Fatal(err)
			}
		}, err: "unauthorized_client", detail: "IntegrationBlocked"},
		{name: "feature off", setup: func(f *o2fix, _ *nstest.Integration) { f.cust.SetOAuth2Enabled(false) }, err: "unauthorized_client", detail: "FeatureDisabled"},
		{name: "record without the code grant", spec: nstest.IntegrationSpec{OAuth2ClientCredentials: true, RedirectURIs: []string{}},
			pageErr: true, detail: "InvalidRedirectURI"}, // no redirect URI can match
		{name: "code grant box cleared by the owner", setup: func(f *o2fix, in *nstest.Integration) {
			err := f.vendor.EditShared(in.ApplicationID, func(i *nstest.Integration) { i.OAuth2CodeGrant, i.OAuth2ClientCredentials = false, true })
			if err != nil {
				t.Fatal(err)
			}
		}, err: "unauthorized_client", detail: "AuthorizationCodeGrantRequired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newO2(t, false)
			spec := tt.spec
			if !spec.OAuth2ClientCredentials {
				spec.OAuth2CodeGrant = true
			}
			in := f.record(t, spec)
			if len(in.RedirectURIs) == 0 {
				in.RedirectURIs = []string{oracleRedirect}
			}
			if tt.setup != nil {
				tt.setup(f, in)
			}
			host, action := tt.host, tt.action
			if host == "" {
				host = custHost
			}
			if action == "" {
				action = "allow"
			}
			mods := []func(url.Values){}
			if tt.mods != nil {
				mods = append(mods, tt.mods)
			}
			loc, err := f.fake.Consent(t.Context(), authURL(host, in, mods...), annEmail, annPassword, action)
			if tt.pageErr {
				if !errors.Is(err, nstest.ErrAuthorizePage) {
					t.Fatalf("Consent = %v, %v; want an error page", loc, err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				q := loc.Query()
				if diff := cmp.Diff([]string{tt.err, "", strings.SplitN(in.RedirectURIs[0], "?", 2)[0]}, []string{q.Get("error"), q.Get("code"), loc.Scheme + "://" + loc.Host + loc.Path}); diff != "" {
					t.Fatalf("redirect mismatch (-want +got):\n%s", diff)
				}
				if q.Get("state") != f.stateOf(tt.mods) {
					t.Errorf("state = %q", q.Get("state"))
				}
				if tt.action == "deny" {
					if diff := cmp.Diff([]string{"3", "7", custID}, []string{q.Get("role"), q.Get("entity"), q.Get("company")}); diff != "" {
						t.Errorf("deny redirect mismatch (-want +got):\n%s", diff)
					}
				}
			}
			if tt.detail != "" {
				origin := tt.origin
				if origin == "" {
					origin = nstest.DetailDocumented
				}
				if a := lastAudit(t, f.cust); a.Detail != tt.detail || a.Origin != origin {
					t.Errorf("audit Detail = %q (%s), want %q (%s)", a.Detail, a.Origin, tt.detail, origin)
				}
			}
		})
	}
}

func (f *o2fix) stateOf(mod func(url.Values)) string {
	v := url.Values{"state": {testState}}
	if mod != nil {
		mod(v)
	}
	return v.Get("state")
}

func TestOAuth2SystemDomain(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	other := f.fake.MustAddAccount("7654321_SB1", nstest.AccountConfig{})
	other.AddUser(nstest.User{Email: "bob@other.example", Password: "pw-bob", EntityID: "42", Roles: []nstest.Role{{ID: "1000", Name: "Integrator"}}})
	in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
	loc, err := f.fake.Consent(t.Context(), authURL("system.netsuite.com", in), "bob@other.example", "pw-bob", "allow")
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if diff := cmp.Diff([]string{"7654321_SB1", "1000", "42", testState}, []string{q.Get("company"), q.Get("role"), q.Get("entity"), q.Get("state")}); diff != "" {
		t.Fatalf("redirect mismatch (-want +got):\n%s", diff)
	}
	r := f.post(t, nsdist.AccountID("7654321_SB1").SuiteTalkHost(), "/services/rest/auth/oauth2/v1/token", basic(in.ClientID, in.ClientSecret),
		url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {oracleRedirect}, "code_verifier": {oracleVerifier}})
	if r.status != 200 {
		t.Fatalf("token on the company's host = %d %v", r.status, r.body)
	}
	if _, ok := other.Install(in.ApplicationID); !ok {
		t.Error("the record was not installed in the company's account")
	}
	if _, err := f.fake.Consent(t.Context(), authURL("system.netsuite.com", in), "bob@other.example", "wrong", "allow"); !errors.Is(err, nstest.ErrAuthorizePage) {
		t.Errorf("bad password: %v, want the login page again", err)
	}
}

func TestOAuth2ConsentMatrix(t *testing.T) {
	t.Parallel()
	type result string
	const (
		redirect result = "redirect" // skipped: straight back to the app with a code
		consent  result = "consent"
		login    result = "login" // the login form only
	)
	tests := []struct {
		policy  nstest.ConsentPolicy
		prompt  string
		session bool
		before  bool // the user consented before
		want    result
	}{
		{nstest.ConsentAlwaysAsk, "", true, true, consent},
		{nstest.ConsentAlwaysAsk, "none", true, true, consent},
		{nstest.ConsentAlwaysAsk, "", false, false, consent},
		{nstest.ConsentNeverAsk, "", true, false, redirect},
		{nstest.ConsentNeverAsk, "none", true, false, redirect},
		{nstest.ConsentNeverAsk, "consent", true, false, consent},
		{nstest.ConsentNeverAsk, "", false, false, login},
		{nstest.ConsentNeverAsk, "login", true, false, login},
		{nstest.ConsentNeverAsk, "login consent", true, false, consent},
		{nstest.ConsentAskFirstTime, "", true, false, consent},
		{nstest.ConsentAskFirstTime, "", true, true, redirect},
		{nstest.ConsentAskFirstTime, "consent", true, true, consent},
		{nstest.ConsentAskFirstTime, "consent login", true, true, consent},
		{nstest.ConsentAskFirstTime, "none", true, true, redirect},
	}
	for _, tt := range tests {
		t.Run(tt.policy.String()+"/"+tt.prompt+map[bool]string{true: "/session", false: ""}[tt.session]+map[bool]string{true: "/again", false: ""}[tt.before], func(t *testing.T) {
			t.Parallel()
			f := newO2(t, false)
			in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, ConsentPolicy: tt.policy})
			if tt.before {
				f.code(t, in)
			}
			if tt.session {
				f.cust.SetConsentUser(annEmail)
			}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, authURL(custHost, in, func(v url.Values) { v.Set("prompt", tt.prompt) }), nil)
			if tt.prompt == "" {
				req.URL.RawQuery = strings.ReplaceAll(req.URL.RawQuery, "prompt=&", "")
			}
			resp, err := f.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var got result
			switch {
			case resp.StatusCode == http.StatusFound && resp.Header.Get("Location") != "" && strings.Contains(resp.Header.Get("Location"), "code="):
				got = redirect
			case resp.StatusCode == 200 && strings.Contains(string(b), `id="consent"`):
				got = consent
			case resp.StatusCode == 200 && strings.Contains(string(b), `id="login"`):
				got = login
			default:
				got = result(resp.Status + " " + resp.Header.Get("Location"))
			}
			if got != tt.want {
				t.Fatalf("GET authorize = %s, want %s", got, tt.want)
			}
			if got != redirect {
				for _, must := range []string{`<form method="post"`, `name="email"`, `name="password"`, `name="action" value="allow"`, `name="action" value="deny"`} {
					if !strings.Contains(string(b), must) {
						t.Errorf("page lacks %s", must)
					}
				}
				// the page's form completes the flow
				loc, err := f.fake.Consent(t.Context(), req.URL.String(), annEmail, annPassword, "allow")
				if err != nil || loc.Query().Get("code") == "" {
					t.Fatalf("Consent = %v, %v", loc, err)
				}
			}
		})
	}
	t.Run("prompt=none without a session", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, ConsentPolicy: nstest.ConsentNeverAsk})
		loc, err := f.fake.Consent(t.Context(), authURL(custHost, in, func(v url.Values) { v.Set("prompt", "none") }), "", "", "allow")
		if err != nil || loc.Query().Get("error") != "access_denied" {
			t.Fatalf("Consent = %v, %v; want error=access_denied", loc, err)
		}
	})
	t.Run("new scopes ask again", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, ConsentPolicy: nstest.ConsentAskFirstTime})
		f.code(t, in, func(v url.Values) { v.Set("scope", "restlets") })
		f.cust.SetConsentUser(annEmail)
		resp, err := f.hc.Get(authURL(custHost, in))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET = %d, want the consent page for the new scope", resp.StatusCode)
		}
	})
}

func TestOAuth2Refresh(t *testing.T) {
	t.Parallel()
	t.Run("public rotation", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, PublicClient: true})
		_, rt1 := f.tokens(t, in)
		r := f.refresh(t, in, rt1)
		rt2, _ := r.body["refresh_token"].(string)
		if r.status != 200 || rt2 == "" || rt2 == rt1 {
			t.Fatalf("refresh = %d %v, want a new refresh token", r.status, r.body)
		}
		if st := f.time(t, r.body["access_token"].(string)); st != 200 {
			t.Errorf("serverTime with the refreshed token = %d", st)
		}
		again := f.refresh(t, in, rt1)
		if diff := cmp.Diff([]any{400, "invalid_grant", "InvalidRefreshToken", nstest.DetailInferred}, []any{again.status, again.body["error"], lastDetail(t, f.cust), lastAudit(t, f.cust).Origin}); diff != "" {
			t.Errorf("spent refresh token mismatch (-want +got):\n%s", diff)
		}
		if got := f.fake.TokenRequests("refresh_token"); got != 2 {
			t.Errorf("TokenRequests(refresh_token) = %d, want 2", got)
		}
		f.clk.Add(48*time.Hour + time.Second)
		r = f.refresh(t, in, rt2)
		if diff := cmp.Diff([]any{400, "invalid_grant", "RefreshTokenExpired"}, []any{r.status, r.body["error"], lastDetail(t, f.cust)}); diff != "" {
			t.Errorf("48h-old refresh token mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("public rotation window", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, PublicClient: true, RefreshTokenValidity: 2 * time.Hour, MaxTokenRotation: 5 * time.Hour})
		_, rt := f.tokens(t, in)
		for i := range 4 {
			f.clk.Add(time.Hour + time.Minute)
			r := f.refresh(t, in, rt)
			if r.status != 200 {
				t.Fatalf("refresh %d at %v = %d %v", i, f.clk.Now().Sub(start), r.status, r.body)
			}
			rt = r.body["refresh_token"].(string)
		}
		f.clk.Add(time.Hour) // 5h05 after the chain's first token
		r := f.refresh(t, in, rt)
		if diff := cmp.Diff([]any{400, "invalid_grant", "RefreshTokenExpired"}, []any{r.status, r.body["error"], lastDetail(t, f.cust)}); diff != "" {
			t.Errorf("refresh past the rotation window mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("confidential", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
		access, rt := f.tokens(t, in)
		for range 2 {
			r := f.refresh(t, in, rt)
			if r.status != 200 || r.body["refresh_token"] != nil || r.body["access_token"] == nil {
				t.Fatalf("refresh = %d %v, want an access token only", r.status, r.body)
			}
		}
		f.clk.Add(61 * time.Minute)
		if st := f.time(t, access); st != 401 || lastDetail(t, f.cust) != "AccessTokenExpired" {
			t.Errorf("serverTime with a 61-minute-old token = %d %s", st, lastDetail(t, f.cust))
		}
		f.clk.Add(7*24*time.Hour - 61*time.Minute - time.Second)
		if r := f.refresh(t, in, rt); r.status != 200 {
			t.Fatalf("refresh just before 7 days = %d", r.status)
		}
		f.clk.Add(time.Second)
		r := f.refresh(t, in, rt)
		if diff := cmp.Diff([]any{400, "invalid_grant", "RefreshTokenExpired"}, []any{r.status, r.body["error"], lastDetail(t, f.cust)}); diff != "" {
			t.Errorf("7-day refresh mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("access token as refresh token", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
		access, rt := f.tokens(t, in)
		r := f.refresh(t, in, access)
		if diff := cmp.Diff([]any{400, "invalid_grant", "InvalidRefreshToken", nstest.DetailDocumented}, []any{r.status, r.body["error"], lastDetail(t, f.cust), lastAudit(t, f.cust).Origin}); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
		if st := f.time(t, rt); st != 401 || lastDetail(t, f.cust) != "TokenRejected" {
			t.Errorf("serverTime with a refresh token = %d %s", st, lastDetail(t, f.cust))
		}
	})
}

func TestOAuth2RevokeAndResourceRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		act    func(t *testing.T, f *o2fix, in *nstest.Integration, access, refresh string)
		detail string
	}{
		{"revoke endpoint", func(t *testing.T, f *o2fix, in *nstest.Integration, _, refresh string) {
			r := f.post(t, nsdist.AccountID(custID).SuiteTalkHost(), "/services/rest/auth/oauth2/v1/revoke", basic(in.ClientID, in.ClientSecret), url.Values{"token": {refresh}})
			if r.status != 200 || r.body != nil {
				t.Fatalf("revoke = %d %v", r.status, r.body)
			}
			if r := f.refresh(t, in, refresh); r.status != 400 {
				t.Errorf("refresh after revoke = %d", r.status)
			}
		}, "TokenBlocked"},
		{"administrator revokes", func(t *testing.T, f *o2fix, in *nstest.Integration, _, _ string) {
			if n := f.fake.RevokeOAuth2(custID, in.ClientID); n != 1 {
				t.Errorf("RevokeOAuth2 = %d, want 1", n)
			}
		}, "TokenBlocked"},
		{"record Blocked", func(t *testing.T, f *o2fix, in *nstest.Integration, _, refresh string) {
			f.cust.Block(in.ApplicationID) //nolint:errcheck
			if r := f.refresh(t, in, refresh); r.status != 400 || r.body["error"] != "unauthorized_client" || lastDetail(t, f.cust) != "IntegrationBlocked" {
				t.Errorf("refresh for a Blocked record = %d %v %s", r.status, r.body, lastDetail(t, f.cust))
			}
		}, "IntegrationBlocked"},
		{"feature off", func(_ *testing.T, f *o2fix, _ *nstest.Integration, _, _ string) { f.cust.SetOAuth2Enabled(false) }, "FeatureDisabled"},
		{"user removed its role", func(_ *testing.T, f *o2fix, _ *nstest.Integration, _, _ string) {
			f.cust.AddUser(nstest.User{Email: annEmail, Password: annPassword, EntityID: "7", Roles: []nstest.Role{{ID: "1000"}}})
		}, "EntityOrRoleDisabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newO2(t, false)
			in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
			access, refresh := f.tokens(t, in)
			tt.act(t, f, in, access, refresh)
			st, hdr, _ := f.serverTime(t, nsdist.AccountID(custID).SuiteTalkHost(), access)
			if st != 401 || hdr.Get("WWW-Authenticate") != wantBearer {
				t.Fatalf("serverTime = %d %q", st, hdr.Get("WWW-Authenticate"))
			}
			if got := lastDetail(t, f.cust); got != tt.detail {
				t.Errorf("audit Detail = %q, want %q", got, tt.detail)
			}
		})
	}
	t.Run("other account's host", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
		access, _ := f.tokens(t, in)
		o := f.fake.MustAddAccount("555555", nstest.AccountConfig{})
		st, hdr, _ := f.serverTime(t, o.ID().SuiteTalkHost(), access)
		if st != 401 || !strings.Contains(hdr.Get("WWW-Authenticate"), `realm="555555"`) || lastDetail(t, o) != "InvalidSignature" {
			t.Errorf("token on another account = %d %q %s", st, hdr.Get("WWW-Authenticate"), lastDetail(t, o))
		}
	})
	t.Run("restlets-only token", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
		r := f.exchange(t, in, f.code(t, in, func(v url.Values) { v.Set("scope", "restlets") }))
		if st := f.time(t, r.body["access_token"].(string)); st != 401 || lastDetail(t, f.cust) != "ScopeMismatched" {
			t.Errorf("serverTime = %d %s, want 401 ScopeMismatched", st, lastDetail(t, f.cust))
		}
	})
	t.Run("concurrency", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
		access, _ := f.tokens(t, in)
		f.cust.SetFaults(nstest.Faults{ConcurrencyFaultRate: 1})
		if st := f.time(t, access); st != http.StatusTooManyRequests {
			t.Errorf("serverTime = %d, want 429", st)
		}
	})
}

// Keys for M2M, made once: RSA generation is slow under -race.
var (
	rsa3072 = sync.OnceValue(func() *rsa.PrivateKey { k, _ := rsa.GenerateKey(rand.Reader, 3072); return k })
	rsa2048 = sync.OnceValue(func() *rsa.PrivateKey { k, _ := rsa.GenerateKey(rand.Reader, 2048); return k })
)

func ecKey(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// certPEM is a self-signed certificate for key, valid from an hour before
// start for a year.
func certPEM(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	return certValid(t, key, start.Add(-time.Hour), 365*24*time.Hour+time.Hour)
}

// certValid is a self-signed certificate for key, valid from from for d.
func certValid(t *testing.T, key crypto.Signer, from time.Time, d time.Duration) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "nsdist"}, NotBefore: from, NotAfter: from.Add(d)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// m2mRecord creates a record with both grants, installs it in the
// customer by a code grant (M2M cannot be the first touch), and returns
// it with an access token.
func (f *o2fix) m2mRecord(t testing.TB) (*nstest.Integration, string) {
	t.Helper()
	in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, OAuth2ClientCredentials: true})
	access, _ := f.tokens(t, in)
	return in, access
}

func assertion(t *testing.T, alg jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(alg, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *o2fix) m2m(t testing.TB, jwtStr string) tokenResp {
	t.Helper()
	return f.token(t, "", url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {jwtStr}})
}

func claimsFor(in *nstest.Integration, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{"iss": in.ClientID, "scope": "rest_webservices,restlets", "aud": "https://1234567.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token",
		"iat": now.Unix() - 5, "exp": now.Unix() + 3000, "jti": "j1"}
}

func TestOAuth2ClientCredentials(t *testing.T) {
	t.Parallel()
	p256, p384, p521 := ecKey(t, elliptic.P256()), ecKey(t, elliptic.P384()), ecKey(t, elliptic.P521())
	tests := []struct {
		name   string
		key    crypto.Signer
		alg    jwt.SigningMethod
		mod    func(c jwt.MapClaims)
		nokid  bool
		signer crypto.Signer // signs instead of key, whose certificate is mapped
		status int
		detail string
	}{
		{name: "PS256", key: rsa3072(), alg: jwt.SigningMethodPS256, status: 200},
		{name: "PS384", key: rsa3072(), alg: jwt.SigningMethodPS384, status: 200},
		{name: "PS512", key: rsa3072(), alg: jwt.SigningMethodPS512, status: 200},
		{name: "ES256", key: p256, alg: jwt.SigningMethodES256, status: 200},
		{name: "ES384", key: p384, alg: jwt.SigningMethodES384, status: 200},
		{name: "ES512", key: p521, alg: jwt.SigningMethodES512, status: 200},
		{name: "scope as a JSON array, restlets host aud", key: p256, alg: jwt.SigningMethodES256, status: 200, mod: func(c jwt.MapClaims) {
			c["scope"] = []string{"restlets", "rest_webservices"}
			c["aud"] = "https://1234567.restlets.api.netsuite.com/services/rest/auth/oauth2/v1/token"
		}},
		{name: "RS256", key: rsa3072(), alg: jwt.SigningMethodRS256, status: 400, detail: "UnsupportedAlgo"},
		{name: "no kid", key: p256, alg: jwt.SigningMethodES256, nokid: true, status: 400, detail: "MissingKeyId"},
		{name: "exp-iat over 60 minutes", key: p256, alg: jwt.SigningMethodES256, status: 400, detail: "TokenValidityTooBroad",
			mod: func(c jwt.MapClaims) { c["exp"] = c["iat"].(int64) + 3601 }},
		{name: "iat in the future", key: p256, alg: jwt.SigningMethodES256, status: 400, detail: "TokenNotAcceptable",
			mod: func(c jwt.MapClaims) { c["iat"] = c["iat"].(int64) + 120 }},
		{name: "expired", key: p256, alg: jwt.SigningMethodES256, status: 400, detail: "TokenExpired",
			mod: func(c jwt.MapClaims) { c["iat"] = c["iat"].(int64) - 4000; c["exp"] = c["iat"].(int64) + 3000 }},
		{name: "wrong aud", key: p256, alg: jwt.SigningMethodES256, status: 400, detail: "TokenNotAcceptable",
			mod: func(c jwt.MapClaims) {
				c["aud"] = "https://555555.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
			}},
		// section_162790605110: exp - iat "less than 60 minutes"
		{name: "exp-iat exactly 60 minutes", key: p256, alg: jwt.SigningMethodES256, status: 400, detail: "TokenValidityTooBroad",
			mod: func(c jwt.MapClaims) { c["exp"] = c["iat"].(int64) + 3600 }},
		{name: "exp-iat a second under 60 minutes", key: p256, alg: jwt.SigningMethodES256, status: 200,
			mod: func(c jwt.MapClaims) { c["exp"] = c["iat"].(int64) + 3599 }},
		// the fake's own tolerance for an iat in the future: 10 seconds
		{name: "iat 10 s in the future", key: p256, alg: jwt.SigningMethodES256, status: 200,
			mod: func(c jwt.MapClaims) { c["iat"] = c["iat"].(int64) + 15 }},
		{name: "iat 11 s in the future", key: p256, alg: jwt.SigningMethodES256, status: 400, detail: "TokenNotAcceptable",
			mod: func(c jwt.MapClaims) { c["iat"] = c["iat"].(int64) + 16 }},
		// subsect_158324637123: the client credentials flow's Details
		{name: "signed by another key", key: p256, signer: ecKey(t, elliptic.P256()), alg: jwt.SigningMethodES256, status: 400, detail: "SignatureValidation"},
		{name: "scope not on the record", key: p256, alg: jwt.SigningMethodES256, status: 400, detail: "ScopeMismatched",
			mod: func(c jwt.MapClaims) { c["scope"] = "suite_analytics" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newO2(t, false)
			in, _ := f.m2mRecord(t)
			kid, err := f.cust.AddCertificate(in.ClientID, annEmail, "3", certPEM(t, tt.key))
			if err != nil {
				t.Fatal(err)
			}
			c := claimsFor(in, f.clk.Now())
			if tt.mod != nil {
				tt.mod(c)
			}
			if tt.nokid {
				kid = ""
			}
			before := len(f.cust.Installs())
			signer := tt.key
			if tt.signer != nil {
				signer = tt.signer
			}
			r := f.m2m(t, assertion(t, tt.alg, signer, kid, c))
			if r.status != tt.status {
				t.Fatalf("client_credentials = %d %v, want %d", r.status, r.body, tt.status)
			}
			if tt.status == 200 {
				if r.body["refresh_token"] != nil || r.body["expires_in"] != 3600.0 {
					t.Errorf("response = %v, want an access token only", r.body)
				}
				if st := f.time(t, r.body["access_token"].(string)); st != 200 {
					t.Errorf("serverTime with the M2M token = %d", st)
				}
			} else {
				if got := lastDetail(t, f.cust); got != tt.detail {
					t.Errorf("audit Detail = %q, want %q", got, tt.detail)
				}
			}
			if len(f.cust.Installs()) != before {
				t.Error("client credentials installed a record")
			}
		})
	}
	t.Run("revoked and unknown kid", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in, _ := f.m2mRecord(t)
		pem := certPEM(t, p256)
		kid, err := f.cust.AddCertificate(in.ClientID, annEmail, "3", pem)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"nope", kid} {
			if k == kid {
				if err := f.cust.RevokeCertificate(kid); err != nil {
					t.Fatal(err)
				}
			}
			r := f.m2m(t, assertion(t, jwt.SigningMethodES256, p256, k, claimsFor(in, f.clk.Now())))
			if r.status != 400 || lastDetail(t, f.cust) != "MissingKey" {
				t.Errorf("kid %q: %d %s, want MissingKey", k, r.status, lastDetail(t, f.cust))
			}
		}
		if _, err := f.cust.AddCertificate(in.ClientID, annEmail, "3", pem); !errors.Is(err, nstest.ErrCertificate) {
			t.Errorf("re-adding a revoked certificate: %v", err)
		}
	})
}

func TestOAuth2CertificateRules(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in, _ := f.m2mRecord(t)
	codeOnly := f.record(t, nstest.IntegrationSpec{Name: "Code only", OAuth2CodeGrant: true})
	notHere := f.record(t, nstest.IntegrationSpec{Name: "Not installed", OAuth2ClientCredentials: true})
	if _, err := f.cust.AddCertificate(in.ClientID, annEmail, "3", certPEM(t, rsa2048())); !errors.Is(err, nstest.ErrCertificate) {
		t.Errorf("RSA 2048: %v, want ErrCertificate", err)
	}
	if _, err := f.cust.AddCertificate(codeOnly.ClientID, annEmail, "3", certPEM(t, ecKey(t, elliptic.P256()))); !errors.Is(err, nstest.ErrAuthBox) {
		t.Errorf("record without M2M: %v, want ErrAuthBox", err)
	}
	if _, err := f.cust.AddCertificate(notHere.ClientID, annEmail, "3", certPEM(t, ecKey(t, elliptic.P256()))); !errors.Is(err, nstest.ErrNotInstalled) {
		t.Errorf("record not installed: %v, want ErrNotInstalled", err)
	}
	for i := range 5 {
		email := "u" + string(rune('a'+i)) + "@customer.example"
		f.cust.AddUser(nstest.User{Email: email, Password: "x"})
		if _, err := f.cust.AddCertificate(in.ClientID, email, "3", certPEM(t, ecKey(t, elliptic.P256()))); err != nil {
			t.Fatalf("certificate %d: %v", i+1, err)
		}
	}
	if _, err := f.cust.AddCertificate(in.ClientID, annEmail, "3", certPEM(t, ecKey(t, elliptic.P256()))); !errors.Is(err, nstest.ErrTooManyCerts) {
		t.Errorf("6th certificate: %v, want ErrTooManyCerts", err)
	}
	certs := f.cust.Certificates(in.ClientID)
	if err := f.cust.RevokeCertificate(certs[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cust.AddCertificate(in.ClientID, annEmail, "3", certPEM(t, ecKey(t, elliptic.P256()))); err != nil {
		t.Errorf("after a revoke: %v", err)
	}
	if _, err := f.cust.AddCertificate(in.ClientID, annEmail, "3", certPEM(t, ecKey(t, elliptic.P384()))); !errors.Is(err, nstest.ErrCertificate) && !errors.Is(err, nstest.ErrTooManyCerts) {
		t.Errorf("second certificate for the same (record, role, entity): %v", err)
	}
}

// rest sends a REST request with a Bearer token and a JSON body, and
// returns the status and the body of the answer.
func (f *o2fix) rest(t testing.TB, method, u, bearer, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOAuth2CertificateEndpoint(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in, access := f.m2mRecord(t)
	key := ecKey(t, elliptic.P384())
	base := "https://" + nsdist.AccountID(custID).RESTletsHost() + "/services/rest/auth/oauth2/v1/clients/" + in.ClientID + "/certificates"
	do := func(method, u, bearer, body string) (int, string) {
		t.Helper()
		return f.rest(t, method, u, bearer, body)
	}
	body, _ := json.Marshal(map[string]any{"fileContent": string(certPEM(t, key)), "role": 3, "entity": "7"})
	st, out := do(http.MethodPost, base, access, string(body))
	var added struct {
		CertificateID string `json:"certificate_id"`
		Algorithm     string `json:"algorithm"`
		Entity        string `json:"entity"`
		Role          int    `json:"role"`
	}
	if err := json.Unmarshal([]byte(out), &added); st != 200 || err != nil || added.CertificateID == "" {
		t.Fatalf("POST certificates = %d %s", st, out)
	}
	if diff := cmp.Diff([]any{"EC", "7", 3}, []any{added.Algorithm, added.Entity, added.Role}); diff != "" {
		t.Errorf("added certificate mismatch (-want +got):\n%s", diff)
	}
	r := f.m2m(t, assertion(t, jwt.SigningMethodES384, key, added.CertificateID, claimsFor(in, f.clk.Now())))
	if r.status != 200 {
		t.Fatalf("M2M with the uploaded certificate = %d %v", r.status, r.body)
	}
	m2mAccess := r.body["access_token"].(string)
	st, out = do(http.MethodGet, base, m2mAccess, "")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); st != 200 || err != nil || len(list) != 1 {
		t.Fatalf("GET certificates = %d %s", st, out)
	}
	for _, k := range []string{"application", "entity", "role", "created", "valid_from", "valid_until", "revoked", "certificate_id", "algorithm"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("list item lacks %q", k)
		}
	}
	st, out = do(http.MethodPost, base+"/"+added.CertificateID+"/revoke", access, "")
	if st != 200 || out != "Successfully revoked" {
		t.Fatalf("revoke = %d %q", st, out)
	}
	if r := f.m2m(t, assertion(t, jwt.SigningMethodES384, key, added.CertificateID, claimsFor(in, f.clk.Now()))); r.status != 400 || lastDetail(t, f.cust) != "MissingKey" {
		t.Errorf("M2M after revoke = %d %s", r.status, lastDetail(t, f.cust))
	}
	if st, _ := do(http.MethodGet, base, "not-a-token", ""); st != 401 {
		t.Errorf("GET without a valid token = %d", st)
	}
}

func TestCreateIntegrationOAuth2(t *testing.T) {
	t.Parallel()
	ok := func(s nstest.IntegrationSpec) nstest.IntegrationSpec {
		s.Name = "X"
		if s.Scopes == nil {
			s.Scopes = []string{"rest_webservices"}
		}
		return s
	}
	tests := []struct {
		name string
		spec nstest.IntegrationSpec
		ok   bool
	}{
		{"https", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, RedirectURIs: []string{"https://a.example/cb"}}), true},
		{"custom scheme", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, RedirectURIs: []string{"myapp://callback"}}), true},
		{"loopback 127.0.0.1", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, RedirectURIs: []string{"http://127.0.0.1:8123/cb"}}), true},
		{"loopback localhost", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, RedirectURIs: []string{"http://localhost/cb"}}), true},
		{"loopback [::1]", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, RedirectURIs: []string{"http://[::1]:9/cb"}}), true},
		{"http refused", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, RedirectURIs: []string{"http://a.example/cb"}}), false},
		{"public M2M", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, OAuth2ClientCredentials: true, PublicClient: true, RedirectURIs: []string{"https://a.example/cb"}}), false},
		{"mcp alone", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, Scopes: []string{"mcp"}, RedirectURIs: []string{"https://a.example/cb"}}), true},
		{"mcp and restlets", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, Scopes: []string{"mcp", "restlets"}, RedirectURIs: []string{"https://a.example/cb"}}), false},
		{"mcp never ask", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, Scopes: []string{"mcp"}, ConsentPolicy: nstest.ConsentNeverAsk, RedirectURIs: []string{"https://a.example/cb"}}), false},
		{"unknown scope", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, Scopes: []string{"openid"}, RedirectURIs: []string{"https://a.example/cb"}}), false},
		{"validity out of range", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, PublicClient: true, RefreshTokenValidity: 721 * time.Hour, RedirectURIs: []string{"https://a.example/cb"}}), false},
		{"validity on confidential", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, RefreshTokenValidity: 2 * time.Hour, RedirectURIs: []string{"https://a.example/cb"}}), false},
		{"code grant without redirect", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true}), false},
		{"public with a secret", ok(nstest.IntegrationSpec{OAuth2CodeGrant: true, PublicClient: true, ClientSecret: oracleSecret, RedirectURIs: []string{"https://a.example/cb"}}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newO2(t, false)
			in, err := f.fake.CreateIntegration(f.vendor.ID(), tt.spec)
			if (err == nil) != tt.ok {
				t.Fatalf("CreateIntegration = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				return
			}
			if len(in.ClientID) != 64 || (len(in.ClientSecret) == 64) == tt.spec.PublicClient {
				t.Errorf("ClientID %d hex, ClientSecret %d hex (public %v)", len(in.ClientID), len(in.ClientSecret), tt.spec.PublicClient)
			}
		})
	}
	t.Run("public defaults", func(t *testing.T) {
		t.Parallel()
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, PublicClient: true})
		if diff := cmp.Diff([]time.Duration{48 * time.Hour, 168 * time.Hour, 0}, []time.Duration{in.RefreshTokenValidity, in.MaxTokenRotation, time.Duration(len(in.ClientSecret))}); diff != "" {
			t.Errorf("public client defaults mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestOAuth2SecretsStayOut(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
	code := f.code(t, in)
	r := f.token(t, basic(in.ClientID, strings.Repeat("1", 64)), url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {oracleRedirect}, "code_verifier": {oracleVerifier}})
	_, err := f.fake.Consent(t.Context(), authURL(custHost, in, func(v url.Values) { v.Set("redirect_uri", "https://x.example/"+code) }), annEmail, annPassword, "allow")
	b, _ := json.Marshal(r.body)
	all := string(b) + err.Error()
	for _, e := range f.cust.LoginAudit() {
		all += e.Detail + e.TokenID + e.Email
	}
	for _, secret := range []string{in.ClientSecret, code, strings.Repeat("1", 64)} {
		if strings.Contains(all, secret) {
			t.Errorf("a secret appears in an error or the audit trail: %s", all)
		}
	}
}
