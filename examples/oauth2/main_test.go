package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/sqlstore"
)

type world struct {
	fake *nstest.Server
	cust *nstest.Account
	rec  *nstest.Integration
}

func newWorld(t *testing.T, public bool, redirects ...string) *world {
	t.Helper()
	fake := nstest.NewServer()
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456_SB1", nstest.AccountConfig{})
	cust.AddUser(nstest.User{Email: "admin@customer.example", Password: "pw"})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", OAuth2CodeGrant: true, OAuth2ClientCredentials: !public,
		PublicClient: public, RedirectURIs: append([]string{"https://app.acme.example/cb"}, redirects...), Scopes: []string{"rest_webservices", "restlets"}})
	if err != nil {
		t.Fatal(err)
	}
	return &world{fake: fake, cust: cust, rec: rec}
}

// lineWriter hands each complete line to a channel.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	all   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf.Next(i + 1))
		select {
		case w.lines <- strings.TrimSpace(line):
		default:
		}
	}
}

func (w *lineWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.all.String() }

// start runs the command in the background and returns the authorize URL it printed.
func start(t *testing.T, args []string, stdin io.Reader) (openURL *url.URL, done <-chan int, stdout *bytes.Buffer, stderr *lineWriter) {
	t.Helper()
	return startWith(t, net.Listen, args, stdin)
}

// startWith is start with -listen's address opened by netListen.
func startWith(t *testing.T, netListen listenFunc, args []string, stdin io.Reader) (openURL *url.URL, done <-chan int, stdout *bytes.Buffer, stderr *lineWriter) {
	t.Helper()
	stdout = &bytes.Buffer{}
	stderr = &lineWriter{lines: make(chan string, 16)}
	ch := make(chan int, 1)
	go func() { ch <- runWith(context.Background(), netListen, args, stdin, stdout, stderr) }()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l := <-stderr.lines:
			if after, ok := strings.CutPrefix(l, "open: "); ok {
				u, err := url.Parse(after)
				if err != nil {
					t.Fatal(err)
				}
				return u, ch, stdout, stderr
			}
		case code := <-ch:
			t.Fatalf("exited %d before printing the authorize URL: %s", code, stderr.String())
		case <-deadline:
			t.Fatal("no open: line")
		}
	}
}

// heldListener listens on a free loopback port for the whole test and
// returns its address and a listenFunc that hands this listener over when
// the command asks for that address. The port is never closed and bound
// again, so no other listener or outgoing connection can take it between.
func heldListener(t *testing.T) (addr string, netListen listenFunc) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() }) // the command closes it too; a second Close only errs
	addr = ln.Addr().String()
	return addr, func(network, address string) (net.Listener, error) {
		if network != "tcp" || address != addr {
			return nil, fmt.Errorf("listen %s %s, want tcp %s", network, address, addr)
		}
		return ln, nil
	}
}

// consent plays the browser; the printed URL points at -netsuite-base, so
// the test names the NetSuite host the fake routes by.
func (w *world) consent(t *testing.T, u *url.URL, host, action string) *url.URL {
	t.Helper()
	v := *u
	v.Scheme, v.Host = "https", host
	loc, err := w.fake.Consent(t.Context(), v.String(), "admin@customer.example", "pw", action)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func wait(t *testing.T, done <-chan int) int {
	t.Helper()
	select {
	case c := <-done:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not finish")
		return -1
	}
}

func TestCodeGrantStdin(t *testing.T) {
	t.Parallel()
	for _, public := range []bool{true, false} {
		w := newWorld(t, public)
		args := []string{"-client-id", w.rec.ClientID, "-account", "123456-sb1", "-redirect", "https://app.acme.example/cb",
			"-scope", "rest_webservices restlets", "-netsuite-base", w.fake.URL()}
		if !public {
			args = append(args, "-client-secret", w.rec.ClientSecret)
		}
		pr, pw := io.Pipe()
		u, done, stdout, stderr := start(t, args, pr)
		base, _ := url.Parse(w.fake.URL())
		if u.Host != base.Host || u.Path != "/app/login/oauth2/authorize.nl" || u.Query().Get("code_challenge_method") != "S256" {
			t.Fatalf("printed URL %s: want the -netsuite-base host and NetSuite's path", u.Redacted())
		}
		loc := w.consent(t, u, "123456-sb1.app.netsuite.com", "allow")
		io.WriteString(pw, loc.String()+"\n") //nolint:errcheck
		if code := wait(t, done); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		var out map[string]string
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("stdout is not one JSON object: %q", stdout.String())
		}
		for _, k := range []string{"access_token", "refresh_token", "expires_at", "entity"} {
			if out[k] == "" {
				t.Errorf("%s is empty in %v", k, out)
			}
		}
		got := map[string]string{"account": out["account"], "token_type": out["token_type"], "scope": out["scope"], "role": out["role"]}
		want := map[string]string{"account": "123456_SB1", "token_type": "bearer", "scope": "rest_webservices restlets", "role": "3"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("output mismatch (-want +got):\n%s", diff)
		}
		if _, err := time.Parse(time.RFC3339, out["expires_at"]); err != nil {
			t.Errorf("expires_at %q is not RFC 3339", out["expires_at"])
		}
		if inst, ok := w.cust.Install(w.rec.ApplicationID); !ok || inst.State != "Enabled" {
			t.Errorf("the record is not installed Enabled: %+v", inst)
		}
		if strings.Contains(stderr.String(), out["access_token"]) || (!public && strings.Contains(stderr.String(), w.rec.ClientSecret)) {
			t.Error("a secret on stderr")
		}
	}
}

func TestCodeGrantListenAndOut(t *testing.T) {
	t.Parallel()
	addr, netListen := heldListener(t)
	redirect := "http://" + addr + "/callback"
	w := newWorld(t, true, redirect)
	outFile := filepath.Join(t.TempDir(), "token.json")
	u, done, stdout, stderr := startWith(t, netListen, []string{"-client-id", w.rec.ClientID, "-redirect", redirect, "-listen", addr,
		"-netsuite-base", w.fake.URL(), "-out", outFile}, strings.NewReader(""))
	loc := w.consent(t, u, "system.netsuite.com", "allow") // no -account: the login picks it
	resp, err := http.Get(loc.String())                    // the browser follows NetSuite's redirect
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := wait(t, done); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout with -out: %q", stdout.String())
	}
	st, err := os.Stat(outFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("-out file: %v, mode %v", err, st)
	}
	data, _ := os.ReadFile(outFile)
	var out map[string]string
	if json.Unmarshal(data, &out) != nil || out["account"] != "123456_SB1" || out["access_token"] == "" {
		t.Errorf("-out content %s", data)
	}
}

func TestDenyExitsOne(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	pr, pw := io.Pipe()
	u, done, _, stderr := start(t, []string{"-client-id", w.rec.ClientID, "-account", "123456_SB1", "-redirect", "https://app.acme.example/cb", "-netsuite-base", w.fake.URL()}, pr)
	loc := w.consent(t, u, "123456-sb1.app.netsuite.com", "deny")
	io.WriteString(pw, loc.String()+"\n") //nolint:errcheck
	if code := wait(t, done); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "oauth2: ") || !strings.Contains(last, "access_denied") {
		t.Errorf("last stderr line %q: want one line naming access_denied", last)
	}
}

// A real record refuses http:// redirect URIs (section_157771733782): without
// -netsuite-base (real NetSuite), an http:// -redirect gets a warning that
// says so; with the fake it does not.
func TestHTTPRedirectWarning(t *testing.T) {
	t.Parallel()
	denied := "http://127.0.0.1:1/cb?error=access_denied&state=x\n"
	for _, tt := range []struct {
		args []string
		warn bool
	}{
		{[]string{"-client-id", "c", "-account", "123456", "-redirect", "http://127.0.0.1:1/cb"}, true},
		{[]string{"-client-id", "c", "-account", "123456", "-redirect", "http://127.0.0.1:1/cb", "-netsuite-base", "http://127.0.0.1:1"}, false},
		{[]string{"-client-id", "c", "-account", "123456", "-redirect", "https://app.acme.example/cb"}, false},
	} {
		var stdout, stderr strings.Builder
		run(t.Context(), tt.args, strings.NewReader(denied), &stdout, &stderr)
		if got := strings.Contains(stderr.String(), "refuses http:// redirect URIs"); got != tt.warn {
			t.Errorf("%v: warning %v, want %v; stderr:\n%s", tt.args, got, tt.warn, stderr.String())
		}
	}
}

func TestBadFlagsExitTwo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no redirect", []string{"-client-id", "x"}, "-redirect"},
		{"no client id", []string{"-redirect", "https://a.example/cb"}, "-client-id"},
		{"bad scope", []string{"-client-id", "x", "-redirect", "https://a.example/cb", "-scope", "email"}, "-scope"},
		{"mcp with others", []string{"-client-id", "x", "-redirect", "https://a.example/cb", "-scope", "mcp restlets"}, "alone"},
		{"bad account", []string{"-client-id", "x", "-redirect", "https://a.example/cb", "-account", "evil.example/"}, "-account"},
		{"http redirect", []string{"-client-id", "x", "-redirect", "http://a.example/cb"}, "http://"},
		{"out in missing dir", []string{"-client-id", "x", "-redirect", "https://a.example/cb", "-out", "/nonexistent/dir/t.json"}, "-out"},
		{"m2m without key", []string{"-m2m", "-client-id", "x", "-account", "1", "-cert-id", "k"}, "-key"},
		{"m2m without account", []string{"-m2m", "-client-id", "x", "-cert-id", "k", "-key", "k.pem"}, "-account"},
		{"extra argument", []string{"-client-id", "x", "-redirect", "https://a.example/cb", "more"}, "unexpected"},
		{"unknown flag", []string{"-nope"}, "nope"},
		{"listen port differs", []string{"-client-id", "x", "-redirect", "http://127.0.0.1:2/cb", "-listen", "127.0.0.1:1"}, "differs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), tt.args, strings.NewReader(""), &stdout, &stderr); code != 2 {
				t.Fatalf("exit %d, want 2; stderr %s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) || stdout.Len() != 0 {
				t.Errorf("stderr %q lacks %q (stdout %q)", stderr.String(), tt.want, stdout.String())
			}
		})
	}
}

func TestM2M(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	// the code grant installs the record; M2M needs it there
	pr, pw := io.Pipe()
	u, done, _, stderr := start(t, []string{"-client-id", w.rec.ClientID, "-client-secret", w.rec.ClientSecret, "-account", "123456_SB1",
		"-redirect", "https://app.acme.example/cb", "-netsuite-base", w.fake.URL()}, pr)
	io.WriteString(pw, w.consent(t, u, "123456-sb1.app.netsuite.com", "allow").String()+"\n") //nolint:errcheck
	if code := wait(t, done); code != 0 {
		t.Fatal(stderr.String())
	}
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "m2m"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	kid, err := w.cust.AddCertificate(w.rec.ClientID, "admin@customer.example", "3", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600) //nolint:errcheck
	var stdout, errb bytes.Buffer
	code := run(t.Context(), []string{"-m2m", "-account", "123456_SB1", "-client-id", w.rec.ClientID, "-cert-id", kid, "-key", keyFile,
		"-netsuite-base", w.fake.URL()}, strings.NewReader(""), &stdout, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var out map[string]string
	if json.Unmarshal(stdout.Bytes(), &out) != nil || out["access_token"] == "" || out["refresh_token"] != "" || out["account"] != "123456_SB1" {
		t.Errorf("M2M output %s", stdout.String())
	}
	// a refused assertion (wrong kid) exits 1 with the OAuth error value
	errb.Reset()
	stdout.Reset()
	code = run(t.Context(), []string{"-m2m", "-account", "123456_SB1", "-client-id", w.rec.ClientID, "-cert-id", "nope", "-key", keyFile,
		"-netsuite-base", w.fake.URL()}, strings.NewReader(""), &stdout, &errb)
	if code != 1 || !strings.Contains(errb.String(), "invalid_grant") {
		t.Errorf("wrong kid: exit %d, stderr %q", code, errb.String())
	}
}

// A stray request to the listener (no state, another path) is ignored,
// and a redirect path that is no valid mux pattern does not panic.
func TestListenIgnoresStrayRequests(t *testing.T) {
	t.Parallel()
	addr, netListen := heldListener(t)
	redirect := "http://" + addr + "/cb{x}"
	w := newWorld(t, true, redirect)
	u, done, _, stderr := startWith(t, netListen, []string{"-client-id", w.rec.ClientID, "-redirect", redirect, "-listen", addr, "-netsuite-base", w.fake.URL()}, strings.NewReader(""))
	for _, stray := range []string{"http://" + addr + "/cb%7Bx%7D", "http://" + addr + "/favicon.ico"} {
		resp, err := http.Get(stray)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("stray %s: %d", stray, resp.StatusCode)
		}
	}
	loc := w.consent(t, u, "system.netsuite.com", "allow")
	resp, err := http.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "You can close this window.") {
		t.Errorf("the browser's page: %d %q, %v", resp.StatusCode, page, err)
	}
	if code := wait(t, done); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "oauth2: oauth2:") {
		t.Errorf("doubled prefix: %s", stderr.String())
	}
}

// -store and -tenant keep the token encrypted where the rollout reads it,
// and after the grant the State check says the record is not Enabled in an
// account that requires approval: exit 3 with the administrator's step.
// Not parallel: NSDIST_STORE_KEY is the process's environment.
func TestStoreAndState(t *testing.T) {
	key, err := sqlstore.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NSDIST_STORE_KEY", key.Base64())
	w := newWorld(t, true)
	w.cust.SetRequireApproval(true)
	dbFile := filepath.Join(t.TempDir(), "tokens.db")
	pr, pw := io.Pipe()
	u, done, stdout, stderr := start(t, []string{"-client-id", w.rec.ClientID, "-account", "123456_SB1", "-redirect", "https://app.acme.example/cb",
		"-netsuite-base", w.fake.URL(), "-store", "sqlite:" + dbFile, "-tenant", "acme"}, pr)
	loc := w.consent(t, u, "123456-sb1.app.netsuite.com", "allow")
	io.WriteString(pw, loc.String()+"\n") //nolint:errcheck
	if code := wait(t, done); code != 3 {
		t.Fatalf("exit %d, want 3 (token obtained, record Waiting for Approval): %s", code, stderr.all.String())
	}
	if s := stderr.all.String(); !strings.Contains(s, "state: not enabled: ") || !strings.Contains(s, "Setup > Integration > Manage Integrations") {
		t.Errorf("stderr lacks the state line with the administrator's step:\n%s", s)
	}
	var printed oauth2.Token
	if err := json.Unmarshal(stdout.Bytes(), &printed); err != nil || printed.AccessToken == "" || printed.ClientID != w.rec.ClientID || printed.IssuedAt.IsZero() {
		t.Fatalf("stdout does not load as an oauth2.Token: %v %v", printed, err)
	}
	if want := "reauthorize by: " + printed.ReauthorizeBy().UTC().Format(time.RFC3339) + " ("; printed.ReauthorizeBy().IsZero() || !strings.Contains(stderr.all.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.all.String())
	}
	db, err := sqlstore.Open(t.Context(), "sqlite:"+dbFile)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kr, _ := sqlstore.NewKeyring(key)
	ts, err := sqlstore.NewTokenStore(t.Context(), db, kr)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ts.OAuth2("acme").Keys(t.Context())
	if err != nil || len(keys) != 1 {
		t.Fatalf("stored keys %v, %v; want one", keys, err)
	}
	stored, err := ts.OAuth2("acme").Load(t.Context(), keys[0])
	if err != nil || stored.AccessToken != printed.AccessToken || stored.RefreshToken != printed.RefreshToken {
		t.Errorf("stored token differs from the printed one (%v)", err)
	}
	files, _ := filepath.Glob(dbFile + "*") // the database and its -wal/-shm companions
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		if bytes.Contains(raw, []byte(printed.AccessToken)) || bytes.Contains(raw, []byte(printed.RefreshToken)) {
			t.Errorf("%s holds a token in clear", filepath.Base(f))
		}
	}
	// -store without -tenant is refused before anything is sent
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"-client-id", "c", "-redirect", "https://app.acme.example/cb", "-store", "sqlite:" + dbFile}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("-store without -tenant: exit %d, want 2 (%s)", code, errb.String())
	}
}

// -m2m-key: after the code grant the key's certificate is registered for
// the token's role and entity, and the M2M credential is stored beside the
// token, whose key then signs in by client credentials. In an account
// whose record waits for approval the hand-off is refused, said, and the
// code-grant token kept (exit 3 follows the State).
// Not parallel: NSDIST_STORE_KEY is the process's environment.
func TestHandOffFlag(t *testing.T) {
	key, err := sqlstore.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NSDIST_STORE_KEY", key.Base64())
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	keyFile := filepath.Join(t.TempDir(), "vendor.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, waiting := range []bool{false, true} {
		w := newWorld(t, false)
		w.cust.SetRequireApproval(waiting)
		dbFile := filepath.Join(t.TempDir(), "tokens.db")
		pr, pw := io.Pipe()
		u, done, _, stderr := start(t, []string{"-client-id", w.rec.ClientID, "-client-secret", w.rec.ClientSecret, "-account", "123456_SB1",
			"-redirect", "https://app.acme.example/cb", "-netsuite-base", w.fake.URL(), "-store", "sqlite:" + dbFile, "-tenant", "acme", "-m2m-key", keyFile}, pr)
		loc := w.consent(t, u, "123456-sb1.app.netsuite.com", "allow")
		io.WriteString(pw, loc.String()+"\n") //nolint:errcheck
		code, out := wait(t, done), stderr.all.String()
		db, err := sqlstore.Open(t.Context(), "sqlite:"+dbFile)
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := sqlstore.NewKeyring(key)
		ts, _ := sqlstore.NewTokenStore(t.Context(), db, keys)
		cred, lerr := ts.M2M("acme").Load(t.Context(), "123456_SB1", w.rec.ClientID)
		db.Close()
		if waiting {
			if code != 3 || !strings.Contains(out, "m2m: not registered: ") || !errors.Is(lerr, sqlstore.ErrNotFound) {
				t.Errorf("waiting: exit %d, stored %v (%v):\n%s", code, cred, lerr, out)
			}
			continue
		}
		if code != 0 || lerr != nil || !strings.Contains(out, "m2m: certificate "+cred.CertificateID+" registered") {
			t.Fatalf("enabled: exit %d, stored %v (%v):\n%s", code, cred, lerr, out)
		}
		m2mKey, err := cred.Key()
		if err != nil {
			t.Fatal(err)
		}
		c, _ := oauth2.NewClient(oauth2.Config{ClientID: w.rec.ClientID}, oauth2.WithBaseURL(w.fake.URL()))
		m, _ := c.ClientCredentials(oauth2.M2MConfig{Account: "123456_SB1", CertificateID: cred.CertificateID, Key: m2mKey.Key})
		if _, err := m.Token(t.Context()); err != nil {
			t.Errorf("client credentials with the stored credential: %v", err)
		}
	}
}
