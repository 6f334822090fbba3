package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/sqlstore"
)

// The operator's OAuth 2.0 path end to end, over real TCP: customers'
// code grants are in the store, `rollout -targets` with oauth2 rows and
// -netsuite-base finds one Enabled and one Waiting for Approval; after the
// administrator approves, a re-run with the journal takes the first from
// the journal and finds the second Enabled. Not parallel: the store key and
// client secret are environment variables.
func TestRealModeOAuth2(t *testing.T) {
	fake := nstest.NewServer()
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", OAuth2CodeGrant: true, OAuth2ClientCredentials: true,
		RedirectURIs: []string{"https://app.acme.example/cb"}, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	open := fake.MustAddAccount("111111", nstest.AccountConfig{})
	gated := fake.MustAddAccount("222222", nstest.AccountConfig{RequireApproval: true})
	key, _ := sqlstore.GenerateKey()
	t.Setenv("NSDIST_STORE_KEY", key.Base64())
	t.Setenv("NETSUITE_CLIENT_SECRET", rec.ClientSecret)
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "tokens.db")
	store, _, closeStore, err := openTokens(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	var expired string
	for _, a := range []nsdist.AccountID{open.ID(), gated.ID()} {
		tok, err := fake.CompleteCodeGrant(a, rec)
		if err != nil {
			t.Fatal(err)
		}
		if a == open.ID() { // an access token that has expired: the rollout refreshes it through the store
			tok.Expiry, expired = time.Now().Add(-time.Minute), tok.AccessToken
		}
		if err := store.OAuth2("acme").SaveToken(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	closeStore()
	// a third customer authorized once with the code grant, then mapped the
	// vendor's certificate: its row is m2m
	robot := fake.MustAddAccount("333333", nstest.AccountConfig{})
	if _, err := fake.CompleteCodeGrant(robot.ID(), rec); err != nil {
		t.Fatal(err)
	}
	keyFile, certPEM := m2mKey(t, dir)
	kid, err := robot.AddCertificate(rec.ClientID, "admin@333333.example", "3", certPEM)
	if err != nil {
		t.Fatal(err)
	}
	// a fourth handed its code grant off to M2M (examples/oauth2 -m2m-key):
	// its oauth2 row uses the stored M2M credential, channel m2m
	handed := fake.MustAddAccount("444444", nstest.AccountConfig{})
	htok, err := fake.CompleteCodeGrant(handed.ID(), rec)
	if err != nil {
		t.Fatal(err)
	}
	hkid, err := handed.AddCertificate(rec.ClientID, "admin@444444.example", "3", certPEM)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := os.ReadFile(keyFile)
	if store, _, closeStore, err = openTokens(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	if err := store.OAuth2("acme").SaveToken(t.Context(), htok); err != nil {
		t.Fatal(err)
	}
	if err := store.M2M("acme").Save(t.Context(), sqlstore.M2MCredential{Account: handed.ID(), ClientID: rec.ClientID, CertificateID: hkid,
		Role: htok.Role, Entity: htok.Entity, KeyPEM: keyPEM, RegisteredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	closeStore()
	t.Setenv("NETSUITE_ROBOT_CLIENT_ID", rec.ClientID)
	t.Setenv("NETSUITE_ROBOT_CERTIFICATE_ID", kid)
	t.Setenv("NETSUITE_ROBOT_PRIVATE_KEY_FILE", keyFile)
	targets := filepath.Join(dir, "targets.csv")
	if err := os.WriteFile(targets, []byte("account,label,auth,credentials\n111111,Acme Ltd,oauth2,acme\n222222,Globex,oauth2,acme\n333333,Initech,m2m,robot\n444444,Hooli,oauth2,acme\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-targets", targets, "-record-name", "Acme Sync", "-tokens", dsn, "-client-id", rec.ClientID,
		"-netsuite-base", fake.URL(), "-journal", filepath.Join(dir, "journal.jsonl"), "-report", filepath.Join(dir, "report.json"), "-quiet"}
	runOnce := func(want map[string]string, fromJournal int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
		}
		var rep struct {
			Results []struct {
				Account, Outcome, Channel, Label string
				FromJournal                      bool `json:"from_journal"`
			} `json:"results"`
		}
		b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range rep.Results {
			wantCh := "oauth2"
			if r.Account == "333333" || r.Account == "444444" {
				wantCh = "m2m"
			}
			if want[r.Account] != r.Outcome || r.Channel != wantCh || r.Label == "" {
				t.Errorf("%s: %s via %s (label %q), want %s via %s", r.Account, r.Outcome, r.Channel, r.Label, want[r.Account], wantCh)
			}
			if r.FromJournal {
				n++
			}
		}
		if len(rep.Results) != 4 || n != fromJournal {
			t.Errorf("%d results, %d from the journal; want 4 and %d\n%s", len(rep.Results), n, fromJournal, stdout.String())
		}
		if strings.Contains(string(b), rec.ClientSecret) {
			t.Error("the report holds the client secret")
		}
	}
	runOnce(map[string]string{"111111": "enabled", "222222": "awaiting_approval", "333333": "enabled", "444444": "enabled"}, 0)
	store, _, closeStore, err = openTokens(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := store.OAuth2("acme").Keys(t.Context())
	for _, k := range keys {
		if tok, err := store.OAuth2("acme").Load(t.Context(), k); k.Account == open.ID() && (err != nil || tok.AccessToken == expired || !tok.Valid(time.Now())) {
			t.Errorf("the refreshed token of 111111 was not saved back (%v)", err)
		}
	}
	closeStore()
	if n := fake.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("%d refresh requests, want 1", n)
	}
	if err := gated.Approve(rec.ApplicationID); err != nil {
		t.Fatal(err)
	}
	runOnce(map[string]string{"111111": "enabled", "222222": "enabled", "333333": "enabled", "444444": "enabled"}, 3)
	// a targets file of m2m rows alone needs neither -tokens nor -client-id
	only := filepath.Join(dir, "m2m.csv")
	if err := os.WriteFile(only, []byte("account,label,auth,credentials\n333333,Initech,m2m,robot\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-targets", only, "-record-name", "Acme Sync", "-netsuite-base", fake.URL(), "-quiet", "-client-id", ""}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "enabled                  1") {
		t.Errorf("m2m rows alone: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}

// oauth2 rows are refused before anything is sent when the command cannot
// read them: no -tokens, -tokens without a client, no token for the
// account.
func TestRealModeOAuth2Refusals(t *testing.T) {
	key, _ := sqlstore.GenerateKey()
	t.Setenv("NSDIST_STORE_KEY", key.Base64())
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.csv")
	if err := os.WriteFile(targets, []byte("account,auth,credentials\n333333,oauth2,acme\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(dir, "tokens.db")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "oauth2 rows need -tokens"},
		{[]string{"-tokens", dsn}, "-tokens needs -client-id"},
		{[]string{"-tokens", dsn, "-client-id", strings.Repeat("a", 64)}, `tenant "acme" has no OAuth 2.0 token for 333333`},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"-targets", targets, "-record-name", "Acme Sync", "-quiet", "-client-id", ""}, tt.args...)
		if code := run(t.Context(), args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}

// m2mKey writes an EC P-256 private key file and returns it with a
// self-signed certificate for it.
func m2mKey(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "acme"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "m2m.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
