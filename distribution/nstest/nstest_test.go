package nstest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/internal/xsdcheck"
	"github.com/nsdist/nsdist/soap"
)

type fixture struct {
	fake     *nstest.Server
	vendor   *nstest.Account
	customer *nstest.Account
	rec      *nstest.Integration
}

func setup(t *testing.T, requireApproval bool, opts ...nstest.Option) *fixture {
	t.Helper()
	fake := nstest.NewServer(opts...)
	t.Cleanup(fake.Close)
	f := &fixture{fake: fake}
	f.vendor = fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	f.customer = fake.MustAddAccount("123456_SB1", nstest.AccountConfig{RequireApproval: requireApproval})
	rec, err := fake.CreateIntegration(f.vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", UserCredentials: true, TBA: true, TBAAuthFlow: true, TBAIssueToken: true})
	if err != nil {
		t.Fatal(err)
	}
	f.rec = rec
	return f
}

func (f *fixture) client(t *testing.T, auth soap.Auth, opts ...soap.Option) *soap.Client {
	t.Helper()
	all := append(f.fake.ClientOptions(), soap.WithRetryPolicy(soap.NoRetry()))
	if auth != nil {
		all = append(all, soap.WithAuth(auth))
	}
	c, err := soap.NewClient(string(f.customer.ID()), append(all, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func lastAudit(t *testing.T, a *nstest.Account) nstest.AuditEntry {
	t.Helper()
	log := a.LoginAudit()
	if len(log) == 0 {
		t.Fatal("empty Login Audit Trail")
	}
	return log[len(log)-1]
}

func TestTokenIssueInstallsEnabled(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	if _, ok := f.customer.Install(f.rec.ApplicationID); ok {
		t.Fatal("record installed before any contact")
	}
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	inst, ok := f.customer.Install(f.rec.ApplicationID)
	if !ok || inst.State != nsdist.StateEnabled || inst.Channel != nstest.ChannelTBA || inst.InitialState != nsdist.StateEnabled {
		t.Fatalf("install = %+v, %v; want Enabled by token", inst, ok)
	}
	resp, err := f.client(t, auth).Do(t.Context(), soap.OpGetServerTime)
	if err != nil {
		t.Fatalf("getServerTime: %v", err)
	}
	if !strings.HasPrefix(resp.NSID, "WEBSERVICES_123456_SB1_") || resp.ServerTime.IsZero() {
		t.Errorf("response = %+v", resp)
	}
}

func TestRequireApprovalWaitsUntilApproved(t *testing.T) {
	t.Parallel()
	f := setup(t, true)
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	if inst, _ := f.customer.Install(f.rec.ApplicationID); inst.State != nsdist.StateWaitingForApproval {
		t.Fatalf("State = %q, want Waiting for Approval", inst.State)
	}
	c := f.client(t, auth)
	_, err = c.Do(t.Context(), soap.OpGetServerTime)
	var fault *soap.Fault
	if !errors.As(err, &fault) || !errors.Is(err, soap.ErrAuthRejected) || fault.String != "Invalid login attempt." {
		t.Fatalf("error = %v, want the generic invalid login fault", err)
	}
	if a := lastAudit(t, f.customer); a.Success || !strings.Contains(a.Detail, "Waiting for Approval") {
		t.Errorf("audit = %+v", a)
	}
	if err := f.customer.Approve(f.rec.ApplicationID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(t.Context(), soap.OpGetServerTime); err != nil {
		t.Fatalf("after approval: %v", err)
	}
	if err := f.customer.Block(f.rec.ApplicationID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(t.Context(), soap.OpGetServerTime); !errors.Is(err, soap.ErrAuthRejected) {
		t.Fatalf("blocked record: error = %v", err)
	}
	if a := lastAudit(t, f.customer); !strings.HasPrefix(a.Detail, "consumer_key_refused") {
		t.Errorf("audit = %+v, want consumer_key_refused", a)
	}
}

func TestBundleInstallIsAlwaysEnabled(t *testing.T) {
	t.Parallel()
	f := setup(t, true)
	if err := f.customer.InstallBundle(f.rec.ApplicationID, "installer@example.com"); err != nil {
		t.Fatal(err)
	}
	inst, _ := f.customer.Install(f.rec.ApplicationID)
	if inst.State != nsdist.StateEnabled || inst.Channel != nstest.ChannelBundle {
		t.Errorf("bundle install = %+v, want Enabled", inst)
	}
}

func TestOnlyStateAndNoteEditableOutsideOwner(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.customer.SetNote(f.rec.ApplicationID, "ok by IT"); err != nil {
		t.Errorf("SetNote: %v", err)
	}
	if err := f.customer.SetState(f.rec.ApplicationID, nsdist.StateWaitingForApproval); !errors.Is(err, nstest.ErrNotEditable) {
		t.Errorf("setting Waiting for Approval by hand: %v", err)
	}
	if err := f.customer.EditShared(f.rec.ApplicationID, func(in *nstest.Integration) { in.Name = "hijack" }); !errors.Is(err, nstest.ErrNotEditable) {
		t.Errorf("EditShared in target: %v", err)
	}
	if _, _, err := f.customer.ResetCredentials(f.rec.ApplicationID); !errors.Is(err, nstest.ErrNotOwner) {
		t.Errorf("ResetCredentials in target: %v", err)
	}
	key, secret, err := f.vendor.ResetCredentials(f.rec.ApplicationID)
	if err != nil {
		t.Fatalf("ResetCredentials in owner: %v", err)
	}
	// Existing tokens keep working with the new consumer key and secret.
	old := *auth
	auth.ConsumerKey, auth.ConsumerSecret = key, secret
	if _, err := f.client(t, auth).Do(t.Context(), soap.OpGetServerTime); err != nil {
		t.Errorf("token with new consumer key: %v", err)
	}
	if _, err := f.client(t, &old).Do(t.Context(), soap.OpGetServerTime); !errors.Is(err, soap.ErrAuthRejected) {
		t.Errorf("old consumer key still accepted: %v", err)
	}
	if a := lastAudit(t, f.customer); a.Detail != "consumer_key_unknown" {
		t.Errorf("audit = %+v", a)
	}
	if inst, _ := f.customer.Install(f.rec.ApplicationID); inst.Note != "ok by IT" {
		t.Errorf("Note = %q", inst.Note)
	}
}

func TestSandboxRefresh(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	prod := f.fake.MustAddAccount("123456", nstest.AccountConfig{})
	other, err := f.fake.CreateIntegration(f.vendor.ID(), nstest.IntegrationSpec{Name: "Prod App", TBA: true, TBAIssueToken: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tokenAuth(f.fake, prod.ID(), other); err != nil {
		t.Fatal(err)
	}
	prod.SetNote(other.ApplicationID, "prod note") //nolint:errcheck
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	f.customer.SetNote(f.rec.ApplicationID, "sandbox note") //nolint:errcheck
	if err := f.customer.Refresh(); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.customer.Install(f.rec.ApplicationID); ok {
		t.Error("sandbox-only record survived the refresh")
	}
	if inst, ok := f.customer.Install(other.ApplicationID); !ok || inst.Note != "prod note" {
		t.Errorf("production record not copied: %+v %v", inst, ok)
	}
	if _, err := f.client(t, auth).Do(t.Context(), soap.OpGetServerTime); !errors.Is(err, soap.ErrAuthRejected) {
		t.Errorf("token survived the refresh: %v", err)
	}
	// Re-installing restores the record with State, Note and log cleared.
	if _, err := tokenAuth(f.fake, f.customer.ID(), f.rec); err != nil {
		t.Fatal(err)
	}
	if inst, _ := f.customer.Install(f.rec.ApplicationID); inst.Note != "" || inst.State != nsdist.StateEnabled {
		t.Errorf("re-install = %+v", inst)
	}
	if err := prod.Refresh(); err == nil {
		t.Error("refreshing a production account succeeded")
	}
}

func legacySetup(t *testing.T, requireApproval, userCredentials bool) (*fixture, *soap.Passport) {
	t.Helper()
	fake := nstest.NewServer()
	t.Cleanup(fake.Close)
	f := &fixture{fake: fake}
	f.vendor = fake.MustAddAccount("654321", nstest.AccountConfig{})
	f.customer = fake.MustAddAccount("123456", nstest.AccountConfig{RequireApproval: requireApproval})
	f.customer.AddUser(nstest.User{Email: "ops@customer.example", Password: "pw1"})
	rec, err := fake.CreateIntegration(f.vendor.ID(), nstest.IntegrationSpec{Name: "Legacy", UserCredentials: userCredentials})
	if err != nil {
		t.Fatal(err)
	}
	f.rec = rec
	return f, &soap.Passport{Email: "ops@customer.example", Password: "pw1", Account: "123456", Role: "3", ApplicationID: rec.ApplicationID}
}

func TestPassportLoginInstalls(t *testing.T) {
	t.Parallel()
	for _, approval := range []bool{false, true} {
		f, pp := legacySetup(t, approval, true)
		c := f.client(t, pp, soap.WithVersion(soap.V2020_1))
		s, err := c.Login(t.Context())
		inst, ok := f.customer.Install(f.rec.ApplicationID)
		if !ok || inst.Channel != nstest.ChannelCredentials {
			t.Fatalf("login did not install the record: %+v", inst)
		}
		if approval {
			if !errors.Is(err, soap.ErrAuthRejected) || inst.State != nsdist.StateWaitingForApproval {
				t.Errorf("approval required: err=%v state=%q", err, inst.State)
			}
			continue
		}
		if err != nil || inst.State != nsdist.StateEnabled {
			t.Fatalf("login: %v, state %q", err, inst.State)
		}
		if len(s.Session.Roles) != 1 || s.Session.Roles[0].ID != "3" {
			t.Errorf("session = %+v", s.Session)
		}
		if _, err := s.Do(t.Context(), soap.OpGetServerTime); err != nil {
			t.Errorf("request in session: %v", err)
		}
		if err := s.Logout(t.Context()); err != nil {
			t.Errorf("logout: %v", err)
		}
		if _, err := s.Do(t.Context(), soap.OpGetServerTime); !errors.Is(err, soap.ErrSessionInvalid) {
			t.Errorf("request after logout: %v", err)
		}
		// request-level passport
		if _, err := c.Do(t.Context(), soap.OpGetServerTime); err != nil {
			t.Errorf("request-level passport: %v", err)
		}
	}
}

func TestPassportNeedsUserCredentialsBox(t *testing.T) {
	t.Parallel()
	f, pp := legacySetup(t, false, false)
	_, err := f.client(t, pp, soap.WithVersion(soap.V2019_2)).Login(t.Context())
	if !errors.Is(err, soap.ErrAuthRejected) {
		t.Fatalf("error = %v", err)
	}
	if _, ok := f.customer.Install(f.rec.ApplicationID); ok {
		t.Error("installed without the User Credentials box")
	}
	if a := lastAudit(t, f.customer); !strings.HasPrefix(a.Detail, "fake:UserCredentialsNotEnabled") {
		t.Errorf("audit = %+v", a)
	}
	pp.Password = "wrong"
	if _, err := f.client(t, pp, soap.WithVersion(soap.V2019_2)).Login(t.Context()); !errors.Is(err, soap.ErrAuthRejected) {
		t.Errorf("wrong password: %v", err)
	}
}

// raw posts a hand-made envelope through the fake's transport, for the
// requests soap.Client refuses to build.
func raw(t *testing.T, f *fixture, host string, v soap.Version, body []byte) (int, error) {
	t.Helper()
	status, data := post(t, f, host, v, body)
	_, derr := soap.DecodeResponse(data)
	return status, derr
}

// post sends a SOAP body to the fake as is and returns the answer's status
// and body.
func post(t *testing.T, f *fixture, host string, v soap.Version, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "https://"+host+v.Path(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", soap.ContentType)
	resp, err := f.fake.Transport().RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func TestAuthenticationRules(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	encode := func(a *soap.TokenAuth, nonce string, at time.Time) []byte {
		r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: a}
		b, err := r.Encode(nonce, at)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	host := f.customer.ID().SuiteTalkHost()
	tests := []struct {
		name   string
		body   []byte
		want   error
		detail string
	}{
		{"valid", encode(auth, "abcdefghij0123456789", now), nil, ""},
		{"reused nonce", encode(auth, "abcdefghij0123456789", now), soap.ErrAuthRejected, "NonceUsed"},
		{"timestamp 6 minutes old", encode(auth, "nonce6minutesold0000", now.Add(-6*time.Minute)), soap.ErrAuthRejected, "InvalidTimestamp"},
		{"timestamp 4 minutes ahead", encode(auth, "nonce4minutesahead00", now.Add(4*time.Minute)), nil, ""},
		{"HMAC-SHA1", bytes.Replace(encode(auth, "nonceSHA1aaaaaaaaaaa", now), []byte(`algorithm="HMAC-SHA256"`), []byte(`algorithm="HMAC-SHA1"`), 1), soap.ErrAuthRejected, "UnknownAlgorithm"},
		{"HMAC_SHA256 enum form", bytes.Replace(encode(auth, "nonceEnumaaaaaaaaaaa", now), []byte(`algorithm="HMAC-SHA256"`), []byte(`algorithm="HMAC_SHA256"`), 1), nil, ""},
		{"lower-case sandbox id", bytes.Replace(encode(auth, "nonceLowercaseaaaaaa", now), []byte(">123456_SB1<"), []byte(">123456_sb1<"), 1), soap.ErrAuthRejected, "fake:InvalidAccount"},
		{"bad signature", bytes.Replace(encode(auth, "nonceBadSigaaaaaaaaa", now), []byte(`HMAC-SHA256">`), []byte(`HMAC-SHA256">AAAA`), 1), soap.ErrAuthRejected, "InvalidSignature"},
		{"with applicationInfo", bytes.Replace(encode(auth, "nonceAmbiguousaaaaaa", now), []byte("<soapenv:Header>"), []byte("<soapenv:Header><msg:applicationInfo><msg:applicationId>"+f.rec.ApplicationID+"</msg:applicationId></msg:applicationInfo>"), 1), soap.ErrAmbiguousAuth, ""},
	}
	for _, tt := range tests { // sequential: nonces matter
		status, err := raw(t, f, host, soap.V2025_2, tt.body)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: status %d error %v, want %v", tt.name, status, err, tt.want)
			continue
		}
		if tt.detail != "" {
			if a := lastAudit(t, f.customer); !strings.HasPrefix(a.Detail, tt.detail) {
				t.Errorf("%s: audit = %q, want %s", tt.name, a.Detail, tt.detail)
			}
		}
	}
	// A passport on 2025_2 is refused.
	pp := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2020_1, Auth: &soap.Passport{Email: "a", Password: "b", Account: "123456_SB1", Role: "3", ApplicationID: f.rec.ApplicationID}}
	b, err := pp.Encode("", now)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("_2020_1."), []byte("_2025_2."))
	if _, err := raw(t, f, host, soap.V2025_2, b); !errors.Is(err, soap.ErrAuthRejected) {
		t.Errorf("passport on 2025_2: %v", err)
	}
}

func TestTBAConcurrencyLimit(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	f.customer.SetConcurrencyLimit(2)
	f.customer.SetFaults(nstest.Faults{Latency: 100 * time.Millisecond})
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	c := f.client(t, auth)
	errs := make([]error, 6)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, errs[i] = c.Do(t.Context(), soap.OpGetServerTime) })
	}
	wg.Wait()
	ok, blocked := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, soap.ErrConcurrencyLimited):
			var fault *soap.Fault
			errors.As(err, &fault)
			if fault.NSCode != "WS_REQUEST_BLOCKED" || fault.Kind != "exceededConcurrentRequestLimitFault" {
				t.Errorf("fault = %+v", fault)
			}
			blocked++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 2 || blocked != 4 {
		t.Errorf("ok=%d blocked=%d, want 2 and 4 with a limit of 2", ok, blocked)
	}
}

func TestUserCredentialConcurrencyPerUser(t *testing.T) {
	t.Parallel()
	f, pp := legacySetup(t, false, true)
	f.customer.SetFaults(nstest.Faults{Latency: 100 * time.Millisecond})
	c := f.client(t, pp, soap.WithVersion(soap.V2020_1))
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, errs[i] = c.Do(t.Context(), soap.OpGetServerTime) })
	}
	wg.Wait()
	blocked := 0
	for _, err := range errs {
		var fault *soap.Fault
		if errors.As(err, &fault) && fault.NSCode == "WS_CONCUR_SESSION_DISALLWD" {
			blocked++
		} else if err != nil {
			t.Errorf("unexpected error %v", err)
		}
	}
	if blocked != 2 {
		t.Errorf("blocked = %d, want 2 (one request per user)", blocked)
	}
}

func TestGovernanceAdministratorsOnly(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	f.customer.AddUser(nstest.User{Email: "clerk@example.com", Password: "x", Roles: []nstest.Role{{ID: "1001", Name: "Clerk", WebServices: true}}})
	admin, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.client(t, admin).Do(t.Context(), soap.OpGetAccountGovernanceInfo)
	if err != nil || resp.AccountGovernance == nil || resp.AccountGovernance.ConcurrencyLimit != 5 {
		t.Fatalf("admin governance: %+v %v", resp, err)
	}
	tok, err := f.fake.IssueToken(f.customer.ID(), "clerk@example.com", "1001", f.rec.ConsumerKey)
	if err != nil {
		t.Fatal(err)
	}
	clerk := &soap.TokenAuth{Account: f.customer.ID(), ConsumerKey: f.rec.ConsumerKey, ConsumerSecret: f.rec.ConsumerSecret, TokenID: tok.ID, TokenSecret: tok.Secret}
	if _, err := f.client(t, clerk).Do(t.Context(), soap.OpGetIntegrationGovernanceInfo); !errors.Is(err, soap.ErrFeatureOrPermission) {
		t.Errorf("clerk governance: %v", err)
	}
	if _, err := f.client(t, clerk).Do(t.Context(), soap.OpGetServerTime); err != nil {
		t.Errorf("clerk getServerTime: %v", err)
	}
}

func TestFeatureSwitches(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	f.customer.SetFeatures(false, true)
	if _, err := f.client(t, auth).Do(t.Context(), soap.OpGetServerTime); !errors.Is(err, soap.ErrFeatureOrPermission) {
		t.Errorf("SOAP off: %v", err)
	}
	f.customer.SetFeatures(true, false)
	if _, err := f.client(t, auth).Do(t.Context(), soap.OpGetServerTime); !errors.Is(err, soap.ErrAuthRejected) {
		t.Errorf("TBA off: %v", err)
	}
	if _, err := f.fake.IssueToken(f.customer.ID(), "x", "3", f.rec.ConsumerKey); !errors.Is(err, nstest.ErrFeature) {
		t.Errorf("IssueToken with TBA off: %v", err)
	}
}

func TestDataCenterDiscovery(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	moved := f.fake.MustAddAccount("777777", nstest.AccountConfig{DataCenterHost: "777777.suitetalk.eu2.netsuite.com"})
	c, err := soap.NewClient("123456_SB1", f.fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	urls, err := c.DataCenterURLs(t.Context())
	if err != nil || urls.WebservicesDomain != "https://123456-sb1.suitetalk.api.netsuite.com" {
		t.Errorf("known account: %+v %v", urls, err)
	}
	unknown, _ := soap.NewClient("999999", f.fake.ClientOptions()...)
	if urls, err := unknown.DataCenterURLs(t.Context()); err != nil || urls.WebservicesDomain != "https://webservices.netsuite.com" {
		t.Errorf("unknown account: %+v %v", urls, err)
	}
	// The derived host of the moved account does not resolve: the client
	// falls back to discovery and reaches the other data center.
	rec, _ := f.fake.CreateIntegration(f.vendor.ID(), nstest.IntegrationSpec{Name: "x", TBA: true, TBAIssueToken: true})
	auth, err := tokenAuth(f.fake, moved.ID(), rec)
	if err != nil {
		t.Fatal(err)
	}
	mc, _ := soap.NewClient("777777", append(f.fake.ClientOptions(), soap.WithAuth(auth))...)
	if _, err := mc.Do(t.Context(), soap.OpGetServerTime); err != nil {
		t.Fatalf("moved account: %v", err)
	}
	if mc.Endpoint() != "https://777777.suitetalk.eu2.netsuite.com/services/NetSuitePort_2025_2" {
		t.Errorf("endpoint = %s", mc.Endpoint())
	}
}

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults nstest.Faults
		check  func(error) bool
	}{
		{"503 html", nstest.Faults{HTTP503Rate: 1}, func(err error) bool {
			var h *soap.HTTPError
			return errors.As(err, &h) && h.StatusCode == 503 && errors.Is(err, soap.ErrNotSOAP)
		}},
		{"truncated", nstest.Faults{TruncateRate: 1}, func(err error) bool {
			var te *soap.TransportError
			return errors.As(err, &te) || errors.Is(err, soap.ErrTruncated)
		}},
		{"reset", nstest.Faults{ResetRate: 1}, func(err error) bool { var te *soap.TransportError; return errors.As(err, &te) }},
		{"concurrency", nstest.Faults{ConcurrencyFaultRate: 1}, func(err error) bool { return errors.Is(err, soap.ErrConcurrencyLimited) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, false)
			auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
			if err != nil {
				t.Fatal(err)
			}
			f.customer.SetFaults(tt.faults)
			_, err = f.client(t, auth).Do(t.Context(), soap.OpGetServerTime)
			if err == nil || !tt.check(err) || !nsdist.Retryable(err) {
				t.Errorf("error = %v (retryable %v)", err, nsdist.Retryable(err))
			}
		})
	}
	t.Run("unavailable window", func(t *testing.T) {
		t.Parallel()
		f := setup(t, false)
		auth, _ := tokenAuth(f.fake, f.customer.ID(), f.rec)
		f.customer.SetUnavailable(time.Now().Add(-time.Minute), time.Now().Add(time.Minute))
		if _, err := f.client(t, auth).Do(t.Context(), soap.OpGetServerTime); !errors.Is(err, soap.ErrTemporarilyUnavailable) {
			t.Errorf("error = %v", err)
		}
	})
}

// Fault injection is deterministic under a seed, whatever the timing.
func TestFaultInjectionDeterministic(t *testing.T) {
	t.Parallel()
	outcomes := func(seed uint64) string {
		f := setup(t, false, nstest.WithSeed(seed), nstest.WithFaults(nstest.Faults{ConcurrencyFaultRate: 0.5}))
		auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
		if err != nil {
			t.Fatal(err)
		}
		c := f.client(t, auth)
		var b strings.Builder
		for range 40 {
			if _, err := c.Do(t.Context(), soap.OpGetServerTime); err != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := outcomes(7), outcomes(7), outcomes(8)
	if a != b {
		t.Errorf("same seed, different outcomes:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same outcomes: %s", a)
	}
	if n := strings.Count(a, "x"); n < 8 || n > 32 {
		t.Errorf("%d of 40 faulted at rate 0.5", n)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	f := setup(t, false, nstest.WithTLS())
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client(t, auth).Do(t.Context(), soap.OpGetServerTime); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.fake.URL(), "https://") {
		t.Errorf("URL = %s", f.fake.URL())
	}
}

// recorder keeps every response body the fake sends.
type recorder struct {
	rt   http.RoundTripper
	mu   sync.Mutex
	docs map[string][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	r.mu.Lock()
	r.docs[req.Header.Get("SOAPAction")+"-"+req.URL.Path+"-"+strings.Repeat("i", len(r.docs))] = b
	r.mu.Unlock()
	return resp, nil
}

// Every response and fault of the fake validates against the official schemas.
func TestResponsesValidate(t *testing.T) {
	t.Parallel()
	xsdcheck.Dir(t)
	rec := &recorder{docs: map[string][]byte{}}
	for _, v := range []soap.Version{soap.V2025_2, soap.V2023_2} {
		f := setup(t, false)
		auth, _ := tokenAuth(f.fake, f.customer.ID(), f.rec)
		c, _ := soap.NewClient("123456_SB1", soap.WithTransport(&recorder{rt: f.fake.Transport(), docs: rec.docs}), soap.WithAuth(auth), soap.WithVersion(v), soap.WithRetryPolicy(soap.NoRetry()))
		for _, op := range []soap.Operation{soap.OpGetServerTime, soap.OpGetDataCenterUrls, soap.OpGetAccountGovernanceInfo, soap.OpGetIntegrationGovernanceInfo} {
			if _, err := c.Do(t.Context(), op); err != nil {
				t.Fatal(err)
			}
		}
		f.customer.Block(f.rec.ApplicationID)   //nolint:errcheck
		c.Do(t.Context(), soap.OpGetServerTime) //nolint:errcheck
		f.customer.SetFaults(nstest.Faults{ConcurrencyFaultRate: 1})
		c.Do(t.Context(), soap.OpGetServerTime) //nolint:errcheck
	}
	lf, pp := legacySetup(t, false, true)
	lc, _ := soap.NewClient("123456", soap.WithTransport(&recorder{rt: lf.fake.Transport(), docs: rec.docs}), soap.WithAuth(pp), soap.WithVersion(soap.V2020_1))
	s, err := lc.Login(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.Logout(t.Context()) //nolint:errcheck
	if len(rec.docs) < 12 {
		t.Fatalf("recorded %d responses", len(rec.docs))
	}
	xsdcheck.Validate(t, rec.docs)
}

func TestCancelledRequestReturnsPromptly(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	auth, _ := tokenAuth(f.fake, f.customer.ID(), f.rec)
	f.customer.SetFaults(nstest.Faults{Latency: 10 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.client(t, auth).Do(ctx, soap.OpGetServerTime)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("error = %v after %v", err, time.Since(start))
	}
}

// TestTimestampWindowEdges: a tokenPassport timestamp up to 5 minutes from
// the server's clock, either way, is accepted; one second more is
// InvalidTimestamp (section_4395630653).
func TestTimestampWindowEdges(t *testing.T) {
	t.Parallel()
	now := time.Now().Truncate(time.Second)
	clk := &clock{t: now}
	f := setup(t, false, nstest.WithClock(clk.Now))
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	host := f.customer.ID().SuiteTalkHost()
	got := map[string]string{}
	for i, d := range []time.Duration{-5*time.Minute - time.Second, -5 * time.Minute, 5 * time.Minute, 5*time.Minute + time.Second} {
		r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: auth}
		b, err := r.Encode(fmt.Sprintf("nonceTimestampEdge%02d", i), now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		_, err = raw(t, f, host, soap.V2025_2, b)
		switch {
		case err == nil:
			got[d.String()] = "accepted"
		case errors.Is(err, soap.ErrAuthRejected):
			got[d.String()] = lastAudit(t, f.customer).Detail
		default:
			got[d.String()] = err.Error()
		}
	}
	want := map[string]string{
		"-5m1s": "InvalidTimestamp",
		"-5m0s": "accepted",
		"5m0s":  "accepted",
		"5m1s":  "InvalidTimestamp",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers by timestamp offset (-want +got):\n%s", diff)
	}
}

// tokenAuth issues a TBA token in target and returns it as a soap.Client
// takes it.
func tokenAuth(s *nstest.Server, target nsdist.AccountID, in *nstest.Integration) (*soap.TokenAuth, error) {
	c, err := s.IssueTBAToken(target, in)
	if err != nil {
		return nil, err
	}
	return c.TokenAuth(target), nil
}
