package rollout_test

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
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap/soaptest"
)

// A 429 with Retry-After holds the target that long in a rollout too, not
// just the rollout's own short backoff.
func TestRolloutHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"serverTime":"2026-11-27T00:00:00.000Z"}`)
	}))
	t.Cleanup(srv.Close)
	oc, err := oauth2.NewClient(oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ai, err := distribution.NewAutoInstaller(approval.Record{Name: "Acme", OAuth2CodeGrant: true}, distribution.WithProber(oauth2.NewProber(oc)))
	if err != nil {
		t.Fatal(err)
	}
	tok := &oauth2.Token{Account: "123456", AccessToken: "at", Expiry: time.Now().Add(time.Hour)}
	r := fastRollout(t, ai)
	start := time.Now()
	rep, err := r.Run(t.Context(), []distribution.Target{{Account: "123456", Credential: oauth2.Grant{Token: tok}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("the retry came after %s, before the server's Retry-After of 1s", d)
	}
	if rep.Results[0].Outcome != distribution.OutcomeEnabled || rep.Results[0].Attempts != 2 {
		t.Errorf("result %+v", rep.Results[0])
	}
}

// A Target logged as JSON or encoded never carries its secrets.
func TestTargetSecretsInJSON(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	targets := []distribution.Target{
		{Account: "1", Credential: tba.Credential{Consumer: tba.Consumer{Key: "ck-public-part", Secret: "cs-SECRET-1"}, Token: tba.Token{ID: "tid-public", Secret: "ts-SECRET-2"}}},
		{Account: "1", Credential: tba.UserCredentials{Email: "a@b.c", Password: "pw-SECRET-3", ApplicationID: "x"}},
		{Account: "1", Credential: oauth2.M2MKey{CertificateID: "kid", Key: key}},
		{Account: "1", Credential: oauth2.Grant{Token: &oauth2.Token{Account: "1", AccessToken: "at-SECRET-4", RefreshToken: "rt-SECRET-5"}}},
	}
	var out bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	for _, tg := range targets {
		log.Info("target", "target", tg, "credential", tg.Credential)
		b, err := json.Marshal(tg)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
	}
	if strings.Contains(out.String(), "SECRET") || strings.Contains(out.String(), key.D.String()) {
		t.Errorf("a secret in JSON output:\n%s", out.String())
	}
}

// A Distributor that answers for another account, with an unknown outcome,
// or that panics, cannot corrupt the report or take the rollout down.
type liar struct{}

func (liar) Distribute(_ context.Context, t distribution.Target) distribution.Result {
	switch t.Account {
	case "3":
		panic("boom")
	case "2":
		return distribution.Result{Account: "999999", Outcome: "bogus"}
	}
	return distribution.Result{Account: "999999", Outcome: distribution.OutcomeEnabled}
}

// WithClock stamps the journal and WithLogger hears what the rollout
// survives (a distributor that panics), at Debug.
func TestRolloutClockAndLogger(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	j := &rollout.MemoryJournal{}
	r, err := rollout.New(liar{}, rollout.WithJournal(j), rollout.WithRecordName("Acme Sync"), rollout.WithClock(func() time.Time { return at }),
		rollout.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(t.Context(), []distribution.Target{{Account: "1"}, {Account: "3"}}); err != nil {
		t.Fatal(err)
	}
	latest, err := j.Latest(t.Context(), "Acme Sync")
	if err != nil || len(latest) != 2 {
		t.Fatalf("journal: %v, %v", latest, err)
	}
	for a, e := range latest {
		if !e.Time.Equal(at) {
			t.Errorf("%s recorded at %s, want the clock's %s", a, e.Time, at)
		}
	}
	if !strings.Contains(logs.String(), "the distributor panicked") || !strings.Contains(logs.String(), "account=3") {
		t.Errorf("log lacks the panic of account 3:\n%s", logs.String())
	}
	for _, bad := range []rollout.Option{rollout.WithClock(nil), rollout.WithLogger(nil)} {
		if _, err := rollout.New(liar{}, bad); err == nil {
			t.Error("a nil clock or logger was accepted")
		}
	}
}

func TestRolloutDistributorThatLies(t *testing.T) {
	t.Parallel()
	var seen atomic.Int32
	r, err := rollout.New(liar{}, rollout.WithResults(func(distribution.Result) {
		if seen.Add(1) == 1 {
			panic("callback boom")
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(t.Context(), []distribution.Target{{Account: "1"}, {Account: "2"}, {Account: "3"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[nsdist.AccountID]distribution.Outcome{}
	for _, res := range rep.Results {
		got[res.Account] = res.Outcome
	}
	want := map[nsdist.AccountID]distribution.Outcome{"1": "enabled", "2": "failed", "3": "failed"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results %v, want %v", got, want)
	}
	if seen.Load() != 3 {
		t.Errorf("the callback saw %d results after one panic, want 3", seen.Load())
	}
}

func selfSignedCert(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "m2m"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// M2M targets: installed and mapped → enabled; not installed → rejected
// with the install and mapping steps; an OAuth2Token without an account
// takes the target's.
func TestM2MAndAccountlessTargets(t *testing.T) {
	t.Parallel()
	fake := soaptest.NewServer()
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", soaptest.AccountConfig{})
	rec, err := fake.CreateIntegration(vendor.ID(), soaptest.IntegrationSpec{Name: "Acme Sync", OAuth2CodeGrant: true, OAuth2ClientCredentials: true,
		RedirectURIs: []string{"https://app.acme.example/cb"}, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	installed := fake.MustAddAccount("111111", soaptest.AccountConfig{RequireApproval: true})
	fake.MustAddAccount("222222", soaptest.AccountConfig{})
	g, err := fake.ConnectOAuth2(installed.ID(), rec) // installs it Waiting for Approval
	if err != nil {
		t.Fatal(err)
	}
	if err := installed.Approve(rec.ApplicationID); err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	kid, err := installed.AddCertificate(rec.ClientID, "admin@111111.example", "3", selfSignedCert(t, key))
	if err != nil {
		t.Fatal(err)
	}
	oc, _ := oauth2.NewClient(oauth2.Config{ClientID: rec.ClientID, ClientSecret: rec.ClientSecret}, oauth2.WithTransport(fake.Transport()))
	ai, err := distribution.NewAutoInstaller(approval.Record{Name: "Acme Sync", OAuth2CodeGrant: true, OAuth2ClientCredentials: true}, distribution.WithProber(oauth2.NewProber(oc)))
	if err != nil {
		t.Fatal(err)
	}
	res := ai.Distribute(t.Context(), distribution.Target{Account: "111111", RequireApproval: approval.PreferenceRequired, Credential: oauth2.M2MKey{CertificateID: kid, Key: key}})
	if res.Outcome != distribution.OutcomeEnabled {
		t.Errorf("installed and mapped: %s (%s)", res.Outcome, res.Explanation)
	}
	res = ai.Distribute(t.Context(), distribution.Target{Account: "222222", Credential: oauth2.M2MKey{CertificateID: kid, Key: key}})
	if res.Outcome != distribution.OutcomeRejected || !strings.Contains(res.Explanation.Sentence, "client credentials install nothing") ||
		!strings.Contains(res.NextStep(), "authorization code grant") {
		t.Errorf("not installed: %s: %s / %s", res.Outcome, res.Explanation.Sentence, res.NextStep())
	}
	tok := &oauth2.Token{AccessToken: g.AccessToken, RefreshToken: g.RefreshToken, Expiry: time.Now().Add(time.Hour), Role: g.Role, Entity: g.Entity}
	res = ai.Distribute(t.Context(), distribution.Target{Account: "111111", Credential: oauth2.Grant{Token: tok}})
	if res.Outcome != distribution.OutcomeEnabled {
		t.Errorf("an OAuth2Token without an account: %s (%v)", res.Outcome, res.Err)
	}
}
