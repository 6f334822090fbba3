package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/internal/oauth1"
	"github.com/nsdist/nsdist/internal/xsdcheck"
	"github.com/nsdist/nsdist/soap"
)

// Every bad config in testdata/bad exits 2 with the one-line reason its
// .want file gives (.ci/run checks the same files against the binary).
func TestBadConfigs(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/bad/*.json")
	if err != nil || len(files) < 10 {
		t.Fatalf("testdata/bad: %d files, %v", len(files), err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			t.Parallel()
			want, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".want")
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), []string{"-config", f}, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), strings.TrimSpace(string(want))) || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() > 0 {
				t.Errorf("run(-config %s) = %d, stderr %q, stdout %q; want 2 and one line with %q", f, code, stderr.String(), stdout.String(), want)
			}
		})
	}
}

func TestBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no config", nil, "-config FILE is required"},
		{"missing file", []string{"-config", "testdata/none.json"}, "no such file"},
		{"fault rate", []string{"-config", "testdata/config.json", "-fault-rate", "1.5"}, "-fault-rate 1.5 is not between 0 and 1"},
		{"latency", []string{"-config", "testdata/config.json", "-latency", "-1s"}, "-latency -1s is negative"},
		{"code grant mode", []string{"-config", "testdata/config.json", "-code-grant-approval", "maybe"}, "want installs_waiting or not_installed"},
		{"argument", []string{"-config", "testdata/config.json", "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"-port", "1"}, "flag provided but not defined: -port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), tt.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("run(%q) = %d, stderr %q; want 2 with %q", tt.args, code, stderr.String(), tt.want)
			}
		})
	}
}

func TestNetSuiteHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		want bool
	}{
		{"webservices.netsuite.com", true},
		{"system.netsuite.com", true},
		{"1234567.suitetalk.api.netsuite.com", true},
		{"1234567-sb1.restlets.api.netsuite.com", true},
		{"tstdrv1.app.netsuite.com", true},
		{"127.0.0.1", false},
		{"localhost", false},
		{"netsuite.com", false},
		{".app.netsuite.com", false},
		{"a.b.app.netsuite.com", false},
		{"1234567.suitetalk.api.netsuite.com.evil.example", false},
	}
	for _, tt := range tests {
		if got := netSuiteHost(tt.host); got != tt.want {
			t.Errorf("netSuiteHost(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

// The binary, built once per run of this package's tests.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fakenetsuite-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "fakenetsuite")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// server is one running fakenetsuite process.
type server struct {
	base   string // http://127.0.0.1:PORT
	cfg    *config
	client *http.Client
}

// start runs the binary with the test config and waits for its ready
// line. At cleanup it sends SIGINT and checks a clean stop: exit 0, and
// nothing on stdout but the ready line.
func start(t testing.TB, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"-config", "testdata/config.json"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	ready := make(chan string, 1)
	go func() {
		line, _ := out.ReadString('\n')
		ready <- line
	}()
	var line string
	select {
	case line = <-ready:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill() //nolint:errcheck
		t.Fatalf("no ready line in 10s; stderr:\n%s", stderr.String())
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		cmd.Process.Kill() //nolint:errcheck
		t.Fatalf("ready line %q; stderr:\n%s", line, stderr.String())
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT) //nolint:errcheck
		rest, _ := io.ReadAll(out)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("after SIGINT: %v; stderr:\n%s", err, stderr.String())
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
			t.Errorf("still running 15s after SIGINT")
		}
		if len(rest) > 0 {
			t.Errorf("stdout after the ready line: %q", rest)
		}
	})
	data, err := os.ReadFile("testdata/config.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	return &server{base: base, cfg: cfg, client: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request to the server with the given Host header and returns
// the status, headers and body.
func (s *server) do(t testing.TB, method, host, path string, body io.Reader, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func (s *server) adminJSON(t testing.TB, method, path string, in, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	status, _, b := s.do(t, method, "", path, body, map[string]string{"Content-Type": "application/json"})
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, status, b, err)
		}
	}
	return status
}

func (s *server) record(name string) integrationConfig {
	for _, in := range s.cfg.Integrations {
		if in.Name == name {
			return in
		}
	}
	panic("no record " + name)
}

func (s *server) token(account string) tokenConfig {
	for _, tok := range s.cfg.Tokens {
		if tok.Account == account {
			return tok
		}
	}
	panic("no token for " + account)
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	rand.Read(b) //nolint:errcheck
	return hex.EncodeToString(b)
}

// envelope is a 2023_2 getServerTime request with a tokenPassport, built
// and signed by hand as an outside client would (HMAC-SHA256 over
// account&consumerKey&token&nonce&timestamp, key consumerSecret&tokenSecret).
func envelope(account, consumerKey, consumerSecret, tokenID, tokenSecret string) string {
	nonce, ts := randomHex(20), strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(consumerSecret+"&"+tokenSecret))
	io.WriteString(mac, account+"&"+consumerKey+"&"+tokenID+"&"+nonce+"&"+ts) //nolint:errcheck
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"` +
		` xmlns:msg="urn:messages_2023_2.platform.webservices.netsuite.com" xmlns:core="urn:core_2023_2.platform.webservices.netsuite.com">` +
		`<soapenv:Header><msg:tokenPassport><core:account>` + account + `</core:account><core:consumerKey>` + consumerKey +
		`</core:consumerKey><core:token>` + tokenID + `</core:token><core:nonce>` + nonce + `</core:nonce><core:timestamp>` + ts +
		`</core:timestamp><core:signature algorithm="HMAC-SHA256">` + sig + `</core:signature></msg:tokenPassport></soapenv:Header>` +
		`<soapenv:Body><msg:getServerTime/></soapenv:Body></soapenv:Envelope>`
}

const soapPath = "/services/NetSuitePort_2023_2"

func hostID(account string) string { return nsdist.MustParseAccountID(account).HostID() }

// serverTime sends getServerTime for account with a token and returns the
// raw answer and its decoding error (a *soap.Fault for a fault).
func (s *server) serverTime(t *testing.T, account, tokenID, tokenSecret string) ([]byte, error) {
	t.Helper()
	rec := s.record("Acme Sync")
	_, _, b := s.do(t, http.MethodPost, hostID(account)+".suitetalk.api.netsuite.com", soapPath,
		strings.NewReader(envelope(account, rec.ConsumerKey, rec.ConsumerSecret, tokenID, tokenSecret)),
		map[string]string{"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "getServerTime"})
	_, err := soap.DecodeResponse(b)
	return b, err
}

func faultString(err error) string {
	var f *soap.Fault
	if errors.As(err, &f) {
		return f.String
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// SOAP: getServerTime on an Enabled and a Waiting for Approval account,
// before and after approval through the admin API; getDataCenterUrls on
// webservices.netsuite.com; every answer valid against Oracle's schemas.
func TestSOAP(t *testing.T) {
	t.Parallel()
	s := start(t)
	docs := map[string][]byte{}
	for _, acct := range []string{"1234567", "7654321"} {
		tok := s.token(acct)
		b, err := s.serverTime(t, acct, tok.TokenID, tok.TokenSecret)
		docs[acct+"-before"] = b
		want := ""
		if acct == "7654321" {
			want = "Invalid login attempt."
		}
		if got := faultString(err); got != want {
			t.Errorf("%s getServerTime before approval: fault %q, want %q", acct, got, want)
		}
	}
	if st := s.adminJSON(t, http.MethodPost, "/_fake/accounts/7654321/integrations/Acme%20Sync/state", map[string]string{"state": "Enabled"}, nil); st != http.StatusNoContent {
		t.Fatalf("approve: %d", st)
	}
	tok := s.token("7654321")
	b, err := s.serverTime(t, "7654321", tok.TokenID, tok.TokenSecret)
	docs["after"] = b
	if err != nil {
		t.Errorf("getServerTime after approval: %v", err)
	}
	dc := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
		`<getDataCenterUrls xmlns="urn:messages_2023_2.platform.webservices.netsuite.com"><account>7654321</account></getDataCenterUrls></soapenv:Body></soapenv:Envelope>`
	_, _, b = s.do(t, http.MethodPost, "webservices.netsuite.com", soapPath, strings.NewReader(dc), map[string]string{"SOAPAction": "getDataCenterUrls"})
	docs["datacenter"] = b
	if _, err := soap.DecodeResponse(b); err != nil || !bytes.Contains(b, []byte("https://7654321.suitetalk.api.netsuite.com")) {
		t.Errorf("getDataCenterUrls: %v\n%s", err, b)
	}
	t.Run("schemas", func(t *testing.T) { xsdcheck.Validate(t, docs) })
}

var (
	inputRe = regexp.MustCompile(`<input\b[^>]*>`)
	attrRe  = regexp.MustCompile(`(\w+)="([^"]*)"`)
	formRe  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
)

// submit reads the login and consent page as the contract describes it
// (one post form; email and password; everything else hidden and posted
// back unchanged), fills it and posts it with action, on the same Host.
func (s *server) submit(t *testing.T, host, page, email, password, action string) *url.URL {
	t.Helper()
	m := formRe.FindStringSubmatch(page)
	if m == nil || strings.Count(page, "<form") != 1 {
		t.Fatalf("no single post form:\n%s", page)
	}
	form := url.Values{}
	for _, tag := range inputRe.FindAllString(page, -1) {
		attrs := map[string]string{}
		for _, kv := range attrRe.FindAllStringSubmatch(tag, -1) {
			attrs[kv[1]] = html.UnescapeString(kv[2])
		}
		if n := attrs["name"]; n != "email" && n != "password" && attrs["type"] != "hidden" {
			t.Errorf("input %s is neither email, password nor hidden", tag)
		}
		form.Set(attrs["name"], attrs["value"])
	}
	for _, v := range []string{"allow", "deny"} {
		if !strings.Contains(page, `name="action" value="`+v+`"`) {
			t.Errorf("no %s button", v)
		}
	}
	form.Set("email", email)
	form.Set("password", password)
	form.Set("action", action)
	status, hdr, b := s.do(t, http.MethodPost, host, html.UnescapeString(m[1]), strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if status != http.StatusFound && status != http.StatusSeeOther {
		t.Fatalf("form post: %d\n%s", status, b)
	}
	loc, err := url.Parse(hdr.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// signed sends an OAuth 1.0a request (TBA token endpoints) signed by hand.
func (s *server) signed(t *testing.T, host, path string, extra map[string]string, tokenSecret string) url.Values {
	t.Helper()
	rec := s.record("Acme Sync")
	params := []oauth1.Param{
		{Name: "oauth_consumer_key", Value: rec.ConsumerKey}, {Name: "oauth_nonce", Value: randomHex(20)},
		{Name: "oauth_signature_method", Value: "HMAC-SHA256"}, {Name: "oauth_timestamp", Value: strconv.FormatInt(time.Now().Unix(), 10)},
		{Name: "oauth_version", Value: "1.0"},
	}
	for k, v := range extra {
		params = append(params, oauth1.Param{Name: k, Value: v})
	}
	baseString, err := oauth1.BaseString(http.MethodPost, "https://"+host+path, params)
	if err != nil {
		t.Fatal(err)
	}
	status, _, b := s.do(t, http.MethodPost, host, path, nil,
		map[string]string{"Authorization": oauth1.Header("", params, oauth1.Sign(baseString, rec.ConsumerSecret, tokenSecret))})
	v, _ := url.ParseQuery(string(b))
	if status != http.StatusOK || v.Get("oauth_token") == "" {
		t.Fatalf("POST %s%s: %d %s", host, path, status, b)
	}
	return v
}

// The TBA three-step flow on the Waiting for Approval account: request
// token, the consent page, access token; the new token is refused until
// the admin API approves the record.
func TestTBAFlow(t *testing.T) {
	t.Parallel()
	s := start(t)
	const acct = "7654321"
	rest := hostID(acct) + ".restlets.api.netsuite.com"
	cb := s.record("Acme Sync").CallbackURL
	rt := s.signed(t, rest, "/rest/requesttoken", map[string]string{"oauth_callback": cb}, "")
	app := hostID(acct) + ".app.netsuite.com"
	status, _, page := s.do(t, http.MethodGet, app, "/app/login/secure/authorizetoken.nl?oauth_token="+rt.Get("oauth_token"), nil, nil)
	if status != http.StatusOK {
		t.Fatalf("authorize page: %d %s", status, page)
	}
	loc := s.submit(t, app, string(page), "admin@waiting.example", "waiting-pw", "allow")
	if !strings.HasPrefix(loc.String(), cb+"?") || loc.Query().Get("company") != acct {
		t.Fatalf("redirect %s", loc)
	}
	at := s.signed(t, rest, "/rest/accesstoken", map[string]string{"oauth_token": rt.Get("oauth_token"), "oauth_verifier": loc.Query().Get("oauth_verifier")}, rt.Get("oauth_token_secret"))
	if _, err := s.serverTime(t, acct, at.Get("oauth_token"), at.Get("oauth_token_secret")); faultString(err) != "Invalid login attempt." {
		t.Errorf("new token before approval: %v", err)
	}
	var audit []auditJSON
	s.adminJSON(t, http.MethodGet, "/_fake/accounts/"+acct+"/audit", nil, &audit)
	// consumer_key_refused is documented for a Blocked record, inferred for one Waiting for Approval
	if n := len(audit); n == 0 || audit[n-1].Status != "Failure" || !strings.HasPrefix(audit[n-1].Detail, "consumer_key_refused") || audit[n-1].Application != "Acme Sync" ||
		audit[n-1].Origin != "inferred" {
		t.Errorf("audit = %+v", audit)
	}
	s.adminJSON(t, http.MethodPost, "/_fake/accounts/"+acct+"/integrations/Acme%20Sync/state", map[string]string{"state": "Enabled"}, nil)
	if _, err := s.serverTime(t, acct, at.Get("oauth_token"), at.Get("oauth_token_secret")); err != nil {
		t.Errorf("new token after approval: %v", err)
	}
}

func pkce() (verifier, challenge string) {
	verifier = randomHex(64)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// The OAuth 2.0 code grant with PKCE, the login page reached with a
// browser's Host (127.0.0.1:PORT, served as system.netsuite.com); then
// REST serverTime, refused until the admin API approves the record the
// grant installed Waiting for Approval.
func TestOAuth2CodeGrant(t *testing.T) {
	t.Parallel()
	s := start(t)
	rec := s.record("Acme Cloud")
	tests := []struct {
		account, email, password string
		waiting                  bool
	}{
		{"1234567", "admin@enabled.example", "enabled-pw", false},
		{"7654321", "admin@waiting.example", "waiting-pw", true},
	}
	for _, tt := range tests {
		verifier, challenge := pkce()
		state := "state-" + randomHex(24)
		q := url.Values{"response_type": {"code"}, "client_id": {rec.ClientID}, "redirect_uri": {rec.RedirectURIs[0]},
			"scope": {"rest_webservices restlets"}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		status, _, page := s.do(t, http.MethodGet, "", "/app/login/oauth2/authorize.nl?"+q.Encode(), nil, nil)
		if status != http.StatusOK {
			t.Fatalf("authorize page: %d %s", status, page)
		}
		loc := s.submit(t, "", string(page), tt.email, tt.password, "allow")
		got := map[string]string{"state": loc.Query().Get("state"), "company": loc.Query().Get("company")}
		if diff := cmp.Diff(map[string]string{"state": state, "company": tt.account}, got); diff != "" || loc.Query().Get("code") == "" {
			t.Fatalf("redirect %s mismatch (-want +got):\n%s", loc, diff)
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {rec.RedirectURIs[0]}, "code_verifier": {verifier}}
		status, _, b := s.do(t, http.MethodPost, hostID(tt.account)+".suitetalk.api.netsuite.com", "/services/rest/auth/oauth2/v1/token", strings.NewReader(form.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded",
				"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(rec.ClientID+":"+rec.ClientSecret))})
		var tok struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
		}
		if err := json.Unmarshal(b, &tok); status != http.StatusOK || err != nil || tok.AccessToken == "" {
			t.Fatalf("token endpoint: %d %s", status, b)
		}
		serverTime := func() (int, string) {
			status, hdr, _ := s.do(t, http.MethodGet, hostID(tt.account)+".suitetalk.api.netsuite.com", "/services/rest/system/v1/serverTime", nil,
				map[string]string{"Authorization": "Bearer " + tok.AccessToken})
			return status, hdr.Get("WWW-Authenticate")
		}
		var installs []integrationJSON
		s.adminJSON(t, http.MethodGet, "/_fake/accounts/"+tt.account+"/integrations", nil, &installs)
		wantState, wantStatus := "Enabled", http.StatusOK
		if tt.waiting {
			wantState, wantStatus = "Waiting for Approval", http.StatusUnauthorized
		}
		for _, in := range installs {
			if in.Name == "Acme Cloud" && (in.State != wantState || in.InstalledBy != "auto") {
				t.Errorf("%s: %+v, want %s installed by auto", tt.account, in, wantState)
			}
		}
		if status, www := serverTime(); status != wantStatus {
			t.Errorf("%s serverTime before approval: %d %s, want %d", tt.account, status, www, wantStatus)
		}
		if tt.waiting {
			s.adminJSON(t, http.MethodPost, "/_fake/accounts/"+tt.account+"/integrations/Acme%20Cloud/state", map[string]string{"state": "Enabled"}, nil)
			if status, www := serverTime(); status != http.StatusOK {
				t.Errorf("%s serverTime after approval: %d %s", tt.account, status, www)
			}
		}
	}
}

// The admin API, Host routing and reset.
func TestAdminAPI(t *testing.T) {
	t.Parallel()
	s := start(t)
	var installs []integrationJSON
	s.adminJSON(t, http.MethodGet, "/_fake/accounts/7654321/integrations", nil, &installs)
	want := []integrationJSON{{Name: "Acme Sync", State: "Waiting for Approval", InstalledBy: "auto"}}
	if diff := cmp.Diff(want, installs, cmpIgnoreAppID); diff != "" {
		t.Errorf("GET integrations mismatch (-want +got):\n%s", diff)
	}
	s.adminJSON(t, http.MethodGet, "/_fake/accounts/TSTDRV1234567/integrations", nil, &installs)
	if len(installs) != 3 || installs[0].InstalledBy != "created" {
		t.Errorf("owner's integrations = %+v", installs)
	}
	tests := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"block", http.MethodPost, "/_fake/accounts/1234567/integrations/Acme%20Sync/state", map[string]string{"state": "Blocked"}, http.StatusNoContent},
		{"waiting is not settable", http.MethodPost, "/_fake/accounts/1234567/integrations/Acme%20Sync/state", map[string]string{"state": "Waiting for Approval"}, http.StatusBadRequest},
		{"unknown key", http.MethodPost, "/_fake/accounts/1234567/integrations/Acme%20Sync/state", map[string]string{"state": "Enabled", "note": "x"}, http.StatusBadRequest},
		{"unknown account", http.MethodGet, "/_fake/accounts/999/integrations", nil, http.StatusNotFound},
		{"unknown record", http.MethodPost, "/_fake/accounts/1234567/integrations/Nope/state", map[string]string{"state": "Enabled"}, http.StatusNotFound},
		{"not installed", http.MethodPost, "/_fake/accounts/1234567/integrations/Acme%20Cloud/state", map[string]string{"state": "Enabled"}, http.StatusNotFound},
		{"preference", http.MethodPost, "/_fake/accounts/1234567/preferences", map[string]bool{"require_approval": true}, http.StatusNoContent},
		{"bundle", http.MethodPost, "/_fake/accounts/7654321/integrations/Acme%20Mobile/bundle", nil, http.StatusNoContent},
		{"unknown endpoint", http.MethodGet, "/_fake/nope", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		if got := s.adminJSON(t, tt.method, tt.path, tt.body, nil); got != tt.want {
			t.Errorf("%s: %s %s = %d, want %d", tt.name, tt.method, tt.path, got, tt.want)
		}
	}
	tok := s.token("1234567")
	if _, err := s.serverTime(t, "1234567", tok.TokenID, tok.TokenSecret); faultString(err) != "Invalid login attempt." {
		t.Errorf("Blocked record: %v", err)
	}
	var audit []auditJSON
	s.adminJSON(t, http.MethodGet, "/_fake/accounts/1234567/audit", nil, &audit)
	if n := len(audit); n == 0 || audit[n-1].Detail != "consumer_key_refused: the integration record is Blocked" || audit[n-1].User != "admin@enabled.example" {
		t.Errorf("audit = %+v", audit)
	}
	s.adminJSON(t, http.MethodGet, "/_fake/accounts/7654321/integrations", nil, &installs)
	if len(installs) != 2 || installs[1].Name != "Acme Mobile" || installs[1].InstalledBy != "bundle" || installs[1].State != "Enabled" {
		t.Errorf("after the bundle install: %+v", installs)
	}
	var recs []recordJSON
	s.adminJSON(t, http.MethodGet, "/_fake/integrations", nil, &recs)
	if len(recs) != 3 || recs[1].ClientID != s.record("Acme Cloud").ClientID || recs[2].ClientSecret != "" {
		t.Errorf("GET /_fake/integrations = %+v", recs)
	}

	// a Host that names no NetSuite host: 421 outside the UI pages
	status, _, b := s.do(t, http.MethodPost, "", soapPath, strings.NewReader("<x/>"), nil)
	if status != http.StatusMisdirectedRequest || strings.Count(string(b), "\n") != 1 {
		t.Errorf("SOAP on 127.0.0.1: %d %q", status, b)
	}

	if got := s.adminJSON(t, http.MethodPost, "/_fake/reset", nil, nil); got != http.StatusNoContent {
		t.Fatalf("reset: %d", got)
	}
	if _, err := s.serverTime(t, "1234567", tok.TokenID, tok.TokenSecret); err != nil {
		t.Errorf("after reset: %v", err)
	}
	s.adminJSON(t, http.MethodGet, "/_fake/accounts/7654321/integrations", nil, &installs)
	if diff := cmp.Diff(want, installs, cmpIgnoreAppID); diff != "" {
		t.Errorf("integrations after reset mismatch (-want +got):\n%s", diff)
	}
}

// A bundle install of a record the account already has (installed before,
// auto-installed, or its own) changes nothing and answers 409 with a
// one-line JSON reason; an unknown record is still 404.
func TestAdminBundleConflict(t *testing.T) {
	t.Parallel()
	s := start(t)
	bundle := func(account, name string) (int, string) {
		t.Helper()
		status, _, b := s.do(t, http.MethodPost, "", "/_fake/accounts/"+account+"/integrations/"+name+"/bundle", nil, nil)
		var body struct {
			Error string `json:"error"`
		}
		if status != http.StatusNoContent {
			if err := json.Unmarshal(b, &body); err != nil || strings.Count(string(b), "\n") != 1 {
				t.Errorf("bundle %s into %s: %d %q: want one line of JSON (%v)", name, account, status, b, err)
			}
		}
		return status, body.Error
	}
	if status, _ := bundle("7654321", "Acme%20Mobile"); status != http.StatusNoContent {
		t.Fatalf("first bundle install: %d", status)
	}
	tests := []struct {
		name, account, record string
		want                  int
		reason                string
	}{
		{"installed by a bundle before", "7654321", "Acme%20Mobile", http.StatusConflict, "already in this account"},
		{"auto-installed, waiting for approval", "7654321", "Acme%20Sync", http.StatusConflict, "already in this account"},
		{"the owner's own record", "TSTDRV1234567", "Acme%20Sync", http.StatusConflict, "owns"},
		{"unknown record", "7654321", "Nope", http.StatusNotFound, "no integration record"},
		{"unknown account", "999", "Acme%20Sync", http.StatusNotFound, "no account"},
	}
	for _, tt := range tests {
		if status, reason := bundle(tt.account, tt.record); status != tt.want || !strings.Contains(reason, tt.reason) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, status, reason, tt.want, tt.reason)
		}
	}
	var installs []integrationJSON
	s.adminJSON(t, http.MethodGet, "/_fake/accounts/7654321/integrations", nil, &installs)
	want := []integrationJSON{
		{Name: "Acme Sync", State: "Waiting for Approval", InstalledBy: "auto"},
		{Name: "Acme Mobile", State: "Enabled", InstalledBy: "bundle"},
	}
	if diff := cmp.Diff(want, installs, cmpIgnoreAppID); diff != "" {
		t.Errorf("integrations after the refused installs (-want +got):\n%s", diff)
	}
}

var cmpIgnoreAppID = cmp.Transformer("noAppID", func(in integrationJSON) integrationJSON { in.ApplicationID = ""; return in })

// 1,000 concurrent SOAP requests from 50 clients, each with its own
// connections: the server answers every one, with a response or the
// concurrency fault, and stays up. With 5 ms of latency the accounts'
// concurrency limit (5) is reached, so both kinds of answer come back.
func TestConcurrentSOAP(t *testing.T) {
	t.Parallel()
	for _, latency := range []string{"0s", "5ms"} {
		t.Run("latency="+latency, func(t *testing.T) {
			t.Parallel()
			s := start(t, "-latency", latency)
			counts, took := s.burst(t, 1000, 50)
			if counts["ok"]+counts["WS_REQUEST_BLOCKED"] != 1000 || counts["ok"] == 0 {
				t.Errorf("answers: %v", counts)
			}
			if latency != "0s" && counts["WS_REQUEST_BLOCKED"] == 0 {
				t.Errorf("no concurrency fault with 50 clients on a limit of 5: %v", counts)
			}
			t.Logf("1000 requests from 50 clients in %v (%.0f/s): %v", took.Round(time.Millisecond), 1000/took.Seconds(), counts)
			if got := s.adminJSON(t, http.MethodGet, "/_fake/accounts/1234567/audit", nil, nil); got != http.StatusOK {
				t.Errorf("server after the burst: %d", got)
			}
		})
	}
}

// burst sends total getServerTime requests from clients goroutines, each
// with its own connections, and counts the answers by kind: ok, the
// fault's code, or what went wrong.
func (s *server) burst(t testing.TB, total, clients int) (map[string]int, time.Duration) {
	t.Helper()
	for _, tok := range s.cfg.Tokens {
		s.adminJSON(t, http.MethodPost, "/_fake/accounts/"+tok.Account+"/integrations/Acme%20Sync/state", map[string]string{"state": "Enabled"}, nil)
	}
	rec := s.record("Acme Sync")
	var mu sync.Mutex
	counts := map[string]int{}
	next := make(chan int)
	var wg sync.WaitGroup
	begin := time.Now()
	for range clients {
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		wg.Go(func() {
			defer c.CloseIdleConnections()
			for i := range next {
				tok := s.cfg.Tokens[i%len(s.cfg.Tokens)]
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.base+soapPath,
					strings.NewReader(envelope(tok.Account, rec.ConsumerKey, rec.ConsumerSecret, tok.TokenID, tok.TokenSecret)))
				req.Host = hostID(tok.Account) + ".suitetalk.api.netsuite.com"
				req.Header.Set("SOAPAction", "getServerTime")
				kind := ""
				resp, err := c.Do(req)
				if err != nil {
					kind = "transport: " + err.Error()
				} else {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					_, err := soap.DecodeResponse(b)
					var f *soap.Fault
					switch {
					case err == nil:
						kind = "ok"
					case errors.As(err, &f):
						kind = f.NSCode
					default:
						kind = err.Error()
					}
				}
				mu.Lock()
				counts[kind]++
				mu.Unlock()
			}
		})
	}
	for i := range total {
		next <- i
	}
	close(next)
	wg.Wait()
	return counts, time.Since(begin)
}

// BenchmarkSOAPOverTCP measures getServerTime requests per second from 50
// clients against the binary at 0 ms latency:
//
//	go test ./examples/fakenetsuite -run '^$' -bench SOAPOverTCP -benchtime 20000x
func BenchmarkSOAPOverTCP(b *testing.B) {
	s := start(b)
	b.ResetTimer()
	counts, took := s.burst(b, b.N, 50)
	b.ReportMetric(float64(b.N)/took.Seconds(), "req/s")
	if counts["ok"]+counts["WS_REQUEST_BLOCKED"] != b.N {
		b.Errorf("answers: %v", counts)
	}
	b.ReportMetric(float64(counts["WS_REQUEST_BLOCKED"])/float64(b.N), "faults/req")
}

// startInProcess runs the server in this process with lim, for tests that
// shorten its timeouts or measure its allocations, and returns its base
// URL. Cleanup stops it and checks a clean stop.
func startInProcess(t *testing.T, lim limits) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := runWith(ctx, []string{"-config", "testdata/config.json"}, pw, io.Discard, lim)
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		cancel()
		t.Fatalf("ready line %q: %v", line, err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("stopped with %d, want 0", code)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("still running 15s after the stop")
		}
	})
	return base
}

// A client that sends half a header line and then nothing (slowloris), or
// keeps a connection open after its request, is cut off: the server closes
// the connection once ReadHeaderTimeout or IdleTimeout has passed. The 10 s
// read deadline only bounds a failing run.
func TestSlowClientsCutOff(t *testing.T) {
	t.Parallel()
	base := startInProcess(t, limits{readHeader: 100 * time.Millisecond, idle: 200 * time.Millisecond, maxBody: 1 << 20})
	addr := strings.TrimPrefix(base, "http://")
	tests := []struct {
		name, send, wantPrefix string
	}{
		{"half a header", "GET /_fake/integrations HTTP/1.1\r\nHost: " + addr + "\r\nX-Slow: a", ""},
		{"idle after a request", "GET /_fake/integrations HTTP/1.1\r\nHost: " + addr + "\r\n\r\n", "HTTP/1.1 200 OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var d net.Dialer
			conn, err := d.DialContext(t.Context(), "tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tt.send); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
			got, err := io.ReadAll(conn)
			if err != nil {
				t.Fatalf("connection still open: %v (read %q)", err, got)
			}
			if !strings.HasPrefix(string(got), tt.wantPrefix) {
				t.Errorf("read %q before the close, want it to start with %q", got, tt.wantPrefix)
			}
		})
	}
}
