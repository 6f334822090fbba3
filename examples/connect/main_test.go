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
	var page string
	for i := 0; i < 100; i++ { // wait for the listener
		if page, err = get(browser, base+"/"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the app did not come up: %v; %s", err, stderr.String())
	}
	if resp, err := browser.PostForm(base+"/login", url.Values{"user": {"demo"}, "password": {"demo"}}); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
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
