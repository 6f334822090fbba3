package oauth2_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

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
// with the install and mapping steps; a Grant without an account
// takes the target's.
func TestM2MAndAccountlessTargets(t *testing.T) {
	t.Parallel()
	fake := nstest.NewServer()
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", OAuth2CodeGrant: true, OAuth2ClientCredentials: true,
		RedirectURIs: []string{"https://app.acme.example/cb"}, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	installed := fake.MustAddAccount("111111", nstest.AccountConfig{RequireApproval: true})
	fake.MustAddAccount("222222", nstest.AccountConfig{})
	g, err := fake.CompleteCodeGrant(installed.ID(), rec) // installs it Waiting for Approval
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
		t.Errorf("a Grant without an account: %s (%v)", res.Outcome, res.Err)
	}
}

// Probe retries a 429 itself only when its Retry-After is short: a long one
// is returned at once, for a rollout to schedule, never slept through.
func TestProbeLongRetryAfter(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, "https://123456.suitetalk.api.netsuite.com/services/rest/system/v1/serverTime",
		func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(429, "")
			r.Header.Set("Retry-After", "3000")
			return r, nil
		})
	c, err := oauth2.NewClient(oauth2.Config{ClientID: "client"}, oauth2.WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	pr := oauth2.NewProber(c).Probe(ctx, distribution.Target{Account: "123456",
		Credential: oauth2.Grant{Token: &oauth2.Token{Account: "123456", AccessToken: "at", Expiry: time.Now().Add(time.Hour)}}})
	if pr.Err == nil || mt.GetTotalCallCount() != 1 || time.Since(start) > 5*time.Second {
		t.Errorf("Probe: %v after %d requests in %s; want the 429 back after 1 request, at once", pr.Err, mt.GetTotalCallCount(), time.Since(start))
	}
	// a Grant without a token is refused, not dereferenced
	if pr := oauth2.NewProber(c).ProbeOnce(ctx, distribution.Target{Account: "123456", Credential: oauth2.Grant{}}); !errors.Is(pr.Err, distribution.ErrCredential) {
		t.Errorf("ProbeOnce(Grant{}) = %v, want ErrCredential", pr.Err)
	}
}
