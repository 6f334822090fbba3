package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/sqlstore"
)

func TestBadFlags(t *testing.T) {
	t.Setenv("NSDIST_STORE_KEY", "")
	for _, args := range [][]string{{"-auth", "saml"}, {"extra"}, {"-db", "sqlite:" + filepath.Join(t.TempDir(), "x.db")}, {"-nope"}} {
		var stderr bytes.Buffer
		if code := run(t.Context(), args, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
	var stderr bytes.Buffer
	if code := run(t.Context(), []string{"-h"}, &stderr); code != 0 || !strings.Contains(stderr.String(), "NSDIST_STORE_KEY") {
		t.Errorf("-h: exit %d\n%s", code, stderr.String())
	}
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hidden     = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// -db: the token is stored encrypted in SQLite, under the vendor tenant.
func TestConnectWithSQLite(t *testing.T) {
	key, _ := sqlstore.GenerateKey()
	t.Setenv("NSDIST_STORE_KEY", key.Base64())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dbPath := filepath.Join(t.TempDir(), "connect.db")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-addr", "localhost:" + itoa(port), "-db", "sqlite:" + dbPath}, &stderr)
	}()
	base := "http://localhost:" + itoa(port)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	page := signIn(t, browser, base, &stderr)
	consent, err := get(browser, base+"/connect")
	if err != nil {
		t.Fatal(err)
	}
	m := formAction.FindStringSubmatch(consent)
	if m == nil {
		t.Fatalf("no form:\n%s", consent)
	}
	form := url.Values{"action": {"allow"}, "email": {"admin@customer.example"}, "password": {"demo-password"}}
	for _, h := range hidden.FindAllStringSubmatch(consent, -1) {
		form.Set(h[1], strings.ReplaceAll(h[2], "&amp;", "&"))
	}
	resp, err := browser.PostForm(base+m[1], form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Connected: Enabled") {
		t.Fatalf("result page:\n%s\n(home %d bytes)", b, len(page))
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	db, err := sqlstore.Open(t.Context(), "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, _ := sqlstore.NewKeyring(key)
	ts, err := sqlstore.NewTokenStore(t.Context(), db, keys)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := ts.OAuth2("demo-tenant").Keys(t.Context())
	if err != nil || len(ks) != 1 || ks[0].Account != "123456" {
		t.Fatalf("stored keys %v, %v", ks, err)
	}
	tok, err := ts.OAuth2("demo-tenant").Load(t.Context(), ks[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{dbPath, dbPath + "-wal"} {
		raw, _ := os.ReadFile(f)
		if bytes.Contains(raw, []byte(tok.AccessToken[:40])) || bytes.Contains(raw, []byte(tok.RefreshToken[:40])) {
			t.Errorf("%s holds a token in clear", f)
		}
	}
}

// signIn waits for the app to listen, signs the browser in as the demo
// user, and returns the home page it first saw.
func signIn(t *testing.T, browser *http.Client, base string, stderr *bytes.Buffer) string {
	t.Helper()
	var page string
	var err error
	for range 100 { // wait for the listener
		if page, err = get(browser, base+"/"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the app did not come up: %v; %s", err, stderr.String())
	}
	resp, err := browser.PostForm(base+"/login", url.Values{"user": {"demo"}, "password": {"demo"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return page
}

func get(c *http.Client, u string) (string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func itoa(n int) string { return strconv.Itoa(n) }

// -netsuite-base: the app talks to a NetSuite over TCP (the fake, as
// examples/fakenetsuite serves it), the browser is sent there for the
// consent page, and the token lands in the store for the rollout.
func TestConnectNetSuiteBase(t *testing.T) {
	key, _ := sqlstore.GenerateKey()
	t.Setenv("NSDIST_STORE_KEY", key.Base64())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	base := "http://localhost:" + itoa(port)
	fake := nstest.NewServer()
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	cust := fake.MustAddAccount("7654321", nstest.AccountConfig{RequireApproval: true})
	cust.AddUser(nstest.User{Email: "admin@waiting.example", Password: "waiting-pw"})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Mobile", OAuth2CodeGrant: true, PublicClient: true,
		RedirectURIs: []string{base + "/netsuite/callback"}, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "connect.db")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-addr", "localhost:" + itoa(port), "-db", "sqlite:" + dbPath, "-netsuite-base", fake.URL(),
			"-client-id", rec.ClientID, "-account", "7654321", "-record-name", "Acme Mobile"}, &stderr)
	}()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signIn(t, browser, base, &stderr)
	resp, err := browser.Get(base + "/connect")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	authorize, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || "http://"+authorize.Host != fake.URL() || authorize.Path != "/app/login/oauth2/authorize.nl" {
		t.Fatalf("Start sent the browser to %d %q, want the NetSuite base's authorize page", resp.StatusCode, resp.Header.Get("Location"))
	}
	authorize.Scheme, authorize.Host = "https", "7654321.app.netsuite.com"
	cb, err := fake.Consent(t.Context(), authorize.String(), "admin@waiting.example", "waiting-pw", "allow")
	if err != nil {
		t.Fatal(err)
	}
	page, err := get(browser, cb.String())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, "Connected: waiting for approval") || !strings.Contains(page, "Acme Mobile") {
		t.Fatalf("result page:\n%s", page)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	db, err := sqlstore.Open(t.Context(), "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, _ := sqlstore.NewKeyring(key)
	ts, err := sqlstore.NewTokenStore(t.Context(), db, keys)
	if err != nil {
		t.Fatal(err)
	}
	if ks, err := ts.OAuth2("demo-tenant").Keys(t.Context()); err != nil || len(ks) != 1 || ks[0].Account != "7654321" {
		t.Fatalf("stored keys %v, %v", ks, err)
	}
}

func TestNetSuiteBaseFlags(t *testing.T) {
	t.Setenv("NETSUITE_CLIENT_ID", "")
	t.Setenv("NETSUITE_CONSUMER_KEY", "")
	for _, args := range [][]string{
		{"-netsuite-base", "http://127.0.0.1:1"},                                       // no client id
		{"-netsuite-base", "ftp://x", "-client-id", "c"},                               // not http(s)
		{"-netsuite-base", "http://127.0.0.1:1", "-client-id", "c", "-account", "x y"}, // bad account
		{"-netsuite-base", "http://127.0.0.1:1", "-auth", "tba"},                       // no consumer
	} {
		var stderr bytes.Buffer
		if code := run(t.Context(), args, &stderr); code != 2 || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, want 2 with one line:\n%s", args, code, stderr.String())
		}
	}
}
