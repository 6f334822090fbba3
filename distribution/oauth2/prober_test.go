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
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/nsdist/nsdist"
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

// What a direct Distribute of an OAuth 2.0 target must do, each pinned:
// a 429 with no Retry-After is retried; a token for another account, or
// no client, is misconfigured with nothing sent; a refreshed token whose
// save failed still proves the State, with a note.
func TestDistributeOAuth2Target(t *testing.T) {
	t.Parallel()
	var calls, refreshes int
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, "https://123456.suitetalk.api.netsuite.com/services/rest/system/v1/serverTime",
		func(*http.Request) (*http.Response, error) {
			if calls++; calls <= 2 {
				return httpmock.NewStringResponse(429, ""), nil
			}
			return httpmock.NewStringResponse(200, `{"serverTime":"2027-03-02T09:00:00Z"}`), nil
		})
	mt.RegisterResponder(http.MethodPost, "https://123456.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token",
		func(*http.Request) (*http.Response, error) {
			refreshes++
			r := httpmock.NewStringResponse(200, `{"access_token":"at-2","refresh_token":"rt-2","expires_in":3600,"token_type":"bearer"}`)
			r.Header.Set("Content-Type", "application/json")
			return r, nil
		})
	c, err := oauth2.NewClient(oauth2.Config{ClientID: "client"}, oauth2.WithTransport(mt), oauth2.WithProbeRetry(4, time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	rec := approval.Record{Name: "Acme Sync", OAuth2CodeGrant: true}
	ai, err := distribution.NewAutoInstaller(rec, distribution.WithProber(oauth2.NewProber(c)))
	if err != nil {
		t.Fatal(err)
	}
	fresh := &oauth2.Token{Account: "123456", AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}
	res := ai.Distribute(t.Context(), distribution.Target{Account: "123456", Credential: oauth2.Grant{Token: fresh}})
	if res.Outcome != distribution.OutcomeEnabled || calls != 3 {
		t.Errorf("two 429s then 200: %s after %d requests (%v), want enabled after 3", res.Outcome, calls, res.Err)
	}

	calls = 2 // answer 200 from now on
	before := mt.GetTotalCallCount()
	res = ai.Distribute(t.Context(), distribution.Target{Account: "654321", Credential: oauth2.Grant{Token: fresh}})
	if res.Outcome != distribution.OutcomeMisconfigured || !strings.Contains(res.Err.Error(), "is for account 123456") || mt.GetTotalCallCount() != before {
		t.Errorf("account A's token for target B: %s (%v), %d requests", res.Outcome, res.Err, mt.GetTotalCallCount()-before)
	}

	noClient, err := distribution.NewAutoInstaller(rec, distribution.WithProber(oauth2.NewProber(nil)))
	if err != nil {
		t.Fatal(err)
	}
	res = noClient.Distribute(t.Context(), distribution.Target{Account: "123456", Credential: oauth2.Grant{Token: fresh}})
	if res.Outcome != distribution.OutcomeMisconfigured || mt.GetTotalCallCount() != before {
		t.Errorf("no client: %s (%v)", res.Outcome, res.Err)
	}

	expired := &oauth2.Token{Account: "123456", AccessToken: "at-old", RefreshToken: "rt-other", Role: "1001", Entity: "77", Expiry: time.Now().Add(-time.Minute)}
	failSave := func(context.Context, *oauth2.Token) error { return errors.New("vault offline") }
	res = ai.Distribute(t.Context(), distribution.Target{Account: "123456", Credential: oauth2.Grant{Token: expired, Save: failSave}})
	if res.Outcome != distribution.OutcomeEnabled || refreshes != 1 || !strings.Contains(res.Note, "could not be saved") || !strings.Contains(res.Note, "vault offline") {
		t.Errorf("refreshed, save failed: %s, %d refreshes, note %q (%v)", res.Outcome, refreshes, res.Note, res.Err)
	}
}

// Probe makes the client's number of attempts at a probe that may work
// later (503), no more and no fewer, and reports them.
//
// Mutation testing leaves three of Probe's mutants alive. MaxElapsedTime
// (30 s) made 0: the attempt limit ends every test's retries first, and
// pinning the 30 s would take a test that waits 30 s of wall-clock time.
// "ra > wait" as ">=": a Retry-After equal to the backoff waits the same
// either way (equivalent). "ra > maxProbeRetryAfter" as ">=": a
// Retry-After of exactly 30 s is either slept through or returned, and
// both end with the same Probe after one request; only the elapsed time
// differs, which these tests do not assert.
func TestProbeAttempts(t *testing.T) {
	t.Parallel()
	for _, attempts := range []int{1, 3} {
		mt := httpmock.NewMockTransport()
		mt.RegisterResponder(http.MethodGet, "https://123456.suitetalk.api.netsuite.com/services/rest/system/v1/serverTime",
			httpmock.NewStringResponder(503, ""))
		c, err := oauth2.NewClient(oauth2.Config{ClientID: "client"}, oauth2.WithTransport(mt), oauth2.WithProbeRetry(attempts, time.Millisecond, time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		pr := oauth2.NewProber(c).Probe(t.Context(), distribution.Target{Account: "123456",
			Credential: oauth2.Grant{Token: &oauth2.Token{Account: "123456", AccessToken: "at", Expiry: time.Now().Add(time.Hour)}}})
		if pr.Err == nil || pr.Attempts != attempts || mt.GetTotalCallCount() != attempts {
			t.Errorf("WithProbeRetry(%d): Probe = %v after %d attempts, %d requests; want the 503 after %d", attempts, pr.Err, pr.Attempts, mt.GetTotalCallCount(), attempts)
		}
	}
}

// TestProberForgetsCredentials: the client forgets a probed credential
// whose token it did not refresh, so a rollout's client does not keep
// every target's token; it keeps one it refreshed, so that the target's
// next attempt uses the new token and not the spent refresh token (a
// public client's rotates), and one a Refresher still holds.
func TestProberForgetsCredentials(t *testing.T) {
	t.Parallel()
	refreshed := 0
	mt := httpmock.NewMockTransport()
	mt.RegisterRegexpResponder(http.MethodGet, regexp.MustCompile(`/services/rest/system/v1/serverTime$`), func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") == "Bearer at-old" {
			return httpmock.NewStringResponse(401, ""), nil
		}
		return httpmock.NewStringResponse(200, `{"serverTime":"2027-03-02T09:00:00Z"}`), nil
	})
	mt.RegisterRegexpResponder(http.MethodPost, regexp.MustCompile(`/services/rest/auth/oauth2/v1/token$`), func(r *http.Request) (*http.Response, error) {
		_ = r.ParseForm()
		if r.PostForm.Get("refresh_token") != "rt-1" { // rt-1 works once, as a public client's does
			return httpmock.NewStringResponse(400, `{"error":"invalid_grant"}`), nil
		}
		refreshed++
		resp := httpmock.NewStringResponse(200, `{"access_token":"at-2","refresh_token":"rt-2","expires_in":3600,"token_type":"bearer"}`)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	c, err := oauth2.NewClient(oauth2.Config{ClientID: "client"}, oauth2.WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	p := oauth2.NewProber(c)
	for i := range 50 {
		acct := nsdist.AccountID(fmt.Sprintf("%d", 200000+i))
		tok := &oauth2.Token{Account: acct, AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour), Public: true}
		if pr := p.ProbeOnce(t.Context(), distribution.Target{Account: acct, Credential: oauth2.Grant{Token: tok}}); pr.Err != nil {
			t.Fatal(pr.Err)
		}
	}
	if n := oauth2.CredStates(c); n != 0 {
		t.Errorf("the client keeps %d credentials after 50 probes with valid tokens, want 0", n)
	}
	expired := oauth2.Grant{Token: &oauth2.Token{Account: "300000", AccessToken: "at-old", RefreshToken: "rt-1", Expiry: time.Now().Add(-time.Minute), Public: true}}
	for attempt := range 2 { // the second attempt must not spend rt-1 again
		if pr := p.ProbeOnce(t.Context(), distribution.Target{Account: "300000", Credential: expired}); pr.Err != nil {
			t.Fatalf("attempt %d: %v", attempt+1, pr.Err)
		}
	}
	if n := oauth2.CredStates(c); refreshed != 1 || n != 1 {
		t.Errorf("%d refreshes, %d credentials kept; want the one refresh, its token kept", refreshed, n)
	}
	held := c.Refresher(&oauth2.Token{Account: "400000", AccessToken: "at", Expiry: time.Now().Add(time.Hour)}, nil)
	if pr := p.ProbeOnce(t.Context(), distribution.Target{Account: "400000", Credential: oauth2.Grant{Token: &oauth2.Token{Account: "400000", AccessToken: "at", Expiry: time.Now().Add(time.Hour)}}}); pr.Err != nil {
		t.Fatal(pr.Err)
	}
	if _, err := held.Token(t.Context()); err != nil || oauth2.CredStates(c) != 2 {
		t.Errorf("a Refresher the caller holds lost its state: %v, %d kept", err, oauth2.CredStates(c))
	}
}

// TestProberReleaseRace: probes of one credential from many goroutines at
// once, each taking and releasing its state, leave the client consistent
// (run with -race): every probe works and nothing is kept at the end.
func TestProberReleaseRace(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterRegexpResponder(http.MethodGet, regexp.MustCompile(`/serverTime$`), httpmock.NewStringResponder(200, `{"serverTime":"2027-03-02T09:00:00Z"}`))
	c, err := oauth2.NewClient(oauth2.Config{ClientID: "client"}, oauth2.WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	p := oauth2.NewProber(c)
	target := distribution.Target{Account: "123456", Credential: oauth2.Grant{Token: &oauth2.Token{Account: "123456", AccessToken: "at", Expiry: time.Now().Add(time.Hour)}}}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 50 {
				if pr := p.ProbeOnce(t.Context(), target); pr.Err != nil {
					t.Error(pr.Err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := oauth2.CredStates(c); n != 0 {
		t.Errorf("%d credentials kept after every probe ended, want 0", n)
	}
}

// rotatingTokens is a token endpoint that answers a refresh with a new
// access token and, when rotate is set, a new refresh token, refusing a
// refresh token used twice; serverTime answers 200.
func rotatingTokens(t *testing.T, rotate bool) (*httpmock.MockTransport, *sync.Map) {
	t.Helper()
	used := &sync.Map{} // refresh token → times used
	var n atomic.Int32
	mt := httpmock.NewMockTransport()
	mt.RegisterRegexpResponder(http.MethodGet, regexp.MustCompile(`/serverTime$`), httpmock.NewStringResponder(200, `{"serverTime":"2027-03-02T09:00:00Z"}`))
	mt.RegisterRegexpResponder(http.MethodPost, regexp.MustCompile(`/token$`), func(r *http.Request) (*http.Response, error) {
		_ = r.ParseForm()
		rt := r.PostForm.Get("refresh_token")
		if v, dup := used.LoadOrStore(rt, 1); dup && rotate {
			used.Store(rt, v.(int)+1) //nolint:forcetypeassert // ints only
			return httpmock.NewStringResponse(400, `{"error":"invalid_grant"}`), nil
		}
		next := rt
		if rotate {
			next = fmt.Sprintf("rt-%d", n.Add(1))
		}
		resp := httpmock.NewStringResponse(200, `{"access_token":"at-new","refresh_token":"`+next+`","expires_in":3600,"token_type":"bearer"}`)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	return mt, used
}

// TestProbeDoesNotWaitForASave: a probe whose context ends while the
// store saves the refreshed token returns then, not when the save ends
// (releasing its Refresher never waits).
func TestProbeDoesNotWaitForASave(t *testing.T) {
	t.Parallel()
	mt, _ := rotatingTokens(t, true)
	c, err := oauth2.NewClient(oauth2.Config{ClientID: "client"}, oauth2.WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	unblock := make(chan struct{})
	defer close(unblock)
	save := func(context.Context, *oauth2.Token) error { <-unblock; return nil } // a store that hangs
	tok := &oauth2.Token{Account: "123456", AccessToken: "at", RefreshToken: "rt-0", Public: true, Expiry: time.Now().Add(-time.Minute)}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	done := make(chan distribution.Probe, 1)
	go func() {
		done <- oauth2.NewProber(c).ProbeOnce(ctx, distribution.Target{Account: "123456", Credential: oauth2.Grant{Token: tok, Save: save}})
	}()
	select {
	case pr := <-done:
		if !errors.Is(pr.Err, context.DeadlineExceeded) {
			t.Errorf("probe ended with %v, want its deadline", pr.Err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the probe waited for the store past its deadline")
	}
}

// TestProberKeepsARefreshWhileItIsValid: a token the client refreshed
// serves the credential's every attempt while it is valid (one refresh,
// however many retries), and a refresh token it rotated is never given up
// for the caller's spent copy. Once an unrotated token is due again, the
// next sweep forgets its state: the caller's refresh token still works.
func TestProberKeepsARefreshWhileItIsValid(t *testing.T) {
	t.Parallel()
	for _, rotate := range []bool{false, true} {
		mt, used := rotatingTokens(t, rotate)
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		c, err := oauth2.NewClient(oauth2.Config{ClientID: "client"}, oauth2.WithTransport(mt), oauth2.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		g := oauth2.Grant{Token: &oauth2.Token{Account: "123456", AccessToken: "at", RefreshToken: "rt-0", Public: rotate, Expiry: now.Add(-time.Minute)}}
		for attempt := range 3 {
			if pr := oauth2.NewProber(c).ProbeOnce(t.Context(), distribution.Target{Account: "123456", Credential: g}); pr.Err != nil {
				t.Fatalf("rotate %v, attempt %d: %v", rotate, attempt+1, pr.Err)
			}
		}
		if v, _ := used.Load("rt-0"); v != 1 || oauth2.CredStates(c) != 1 {
			t.Errorf("rotate %v: rt-0 used %v times, %d credentials kept; want once, 1", rotate, v, oauth2.CredStates(c))
		}
		mu.Lock()
		now = now.Add(2 * time.Hour) // the refreshed token is due again
		mu.Unlock()
		for i := range 1024 { // enough new credentials for a sweep
			acct := nsdist.AccountID(fmt.Sprintf("%d", 500000+i))
			tok := &oauth2.Token{Account: acct, AccessToken: "at", Expiry: now.Add(time.Hour)}
			if pr := oauth2.NewProber(c).ProbeOnce(t.Context(), distribution.Target{Account: acct, Credential: oauth2.Grant{Token: tok}}); pr.Err != nil {
				t.Fatal(pr.Err)
			}
		}
		want := 0
		if rotate {
			want = 1 // the rotated refresh token lives only here
		}
		if n := oauth2.CredStates(c); n != want {
			t.Errorf("rotate %v: %d credentials kept after the sweep, want %d", rotate, n, want)
		}
	}
}
