package tba_test

import (
	"encoding/hex"
	"errors"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/tba"

	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/soap"
)

type env struct {
	fake     *nstest.Server
	customer *nstest.Account
	rec      *nstest.Integration
	consumer tba.Consumer
	client   *tba.Client
}

func setup(t *testing.T, requireApproval bool, spec nstest.IntegrationSpec, opts ...tba.Option) *env {
	t.Helper()
	fake := nstest.NewServer()
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456_SB1", nstest.AccountConfig{RequireApproval: requireApproval})
	cust.AddUser(nstest.User{Email: "admin@customer.example", Password: "pw"})
	if spec.Name == "" {
		spec = nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true, TBAIssueToken: true, CallbackURL: "https://app.acme.example/netsuite/callback"}
	}
	rec, err := fake.CreateIntegration(vendor.ID(), spec)
	if err != nil {
		t.Fatal(err)
	}
	client, err := tba.NewClient(append([]tba.Option{tba.WithTransport(fake.Transport())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, customer: cust, rec: rec, consumer: tba.Consumer{Key: rec.ConsumerKey, Secret: rec.ConsumerSecret}, client: client}
}

// consent plays the user's browser on the fake consent page.
func (e *env) consent(t *testing.T, authorizeURL, action, password string) url.Values {
	t.Helper()
	hc := &http.Client{Transport: e.fake.Transport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `id="allow"`) || !strings.Contains(string(page), "Acme Sync") {
		t.Fatalf("consent page:\n%s", page)
	}
	u, _ := url.Parse(authorizeURL)
	form := url.Values{"oauth_token": {u.Query().Get("oauth_token")}, "state": {u.Query().Get("state")}, "company": {"123456_SB1"},
		"email": {"admin@customer.example"}, "password": {password}, "action": {action}}
	resp, err = hc.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return nil
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return loc.Query()
}

func TestThreeStepFlowInstalls(t *testing.T) {
	t.Parallel()
	for _, approvalRequired := range []bool{false, true} {
		e := setup(t, approvalRequired, nstest.IntegrationSpec{})
		rt, err := e.client.RequestToken(t.Context(), "", e.consumer, "https://app.acme.example/netsuite/callback", "")
		if err != nil {
			t.Fatalf("step one: %v", err)
		}
		authURL := tba.AuthorizeURL("123456_SB1", rt.ID, "state123")
		if !strings.HasPrefix(authURL, "https://123456-sb1.app.netsuite.com/app/login/secure/authorizetoken.nl?") {
			t.Errorf("authorize URL %s", authURL)
		}
		if _, ok := e.customer.Install(e.rec.ApplicationID); ok {
			t.Fatal("installed before the access token")
		}
		cb, err := tba.ParseCallback(e.consent(t, authURL, "allow", "pw"), "state123")
		if err != nil || cb.Company != "123456_SB1" || cb.Role != "3" {
			t.Fatalf("callback %+v %v", cb, err)
		}
		access, err := e.client.AccessToken(t.Context(), e.consumer, rt, cb)
		if err != nil {
			t.Fatalf("step three: %v", err)
		}
		inst, ok := e.customer.Install(e.rec.ApplicationID)
		want := nsdist.StateEnabled
		if approvalRequired {
			want = nsdist.StateWaitingForApproval
		}
		if !ok || inst.State != want {
			t.Errorf("install = %+v, want %s", inst, want)
		}
		// the token works for SOAP (when Enabled)
		c, _ := soap.NewClient("123456_SB1", append(e.fake.ClientOptions(), soap.WithAuth(&soap.TokenAuth{Account: "123456_SB1",
			ConsumerKey: e.consumer.Key, ConsumerSecret: e.consumer.Secret, TokenID: access.ID, TokenSecret: access.Secret}))...)
		_, err = c.Do(t.Context(), soap.OpGetServerTime)
		if (err == nil) == approvalRequired {
			t.Errorf("getServerTime with the new token: %v (approval required %v)", err, approvalRequired)
		}
		info, err := e.client.TokenInfo(t.Context(), "123456_SB1", e.consumer, access)
		if err != nil || info["companyId"] != "123456_SB1" {
			t.Errorf("tokeninfo %v %v", info, err)
		}
		if err := e.client.RevokeToken(t.Context(), "123456_SB1", e.consumer, access); err != nil {
			t.Errorf("revoke: %v", err)
		}
		if _, err := e.client.TokenInfo(t.Context(), "123456_SB1", e.consumer, access); !isCode(err, tba.CodeTokenRejected) {
			t.Errorf("tokeninfo after revoke: %v", err)
		}
	}
}

func isCode(err error, code string) bool {
	var fe *tba.FlowError
	return errors.As(err, &fe) && fe.Code == code && fe.NextStep != ""
}

func TestFlowErrors(t *testing.T) {
	t.Parallel()
	cb := "https://app.acme.example/netsuite/callback"
	tests := []struct {
		name string
		spec nstest.IntegrationSpec
		cb   string
		prep func(*env)
		want string
	}{
		{"authorization flow unchecked", nstest.IntegrationSpec{Name: "X", TBA: true, TBAIssueToken: true, CallbackURL: cb}, cb, nil, tba.CodeAuthorizationFlowReq},
		{"callback mismatch", nstest.IntegrationSpec{}, "https://evil.example/netsuite/callback", nil, tba.CodeInvalidCallback},
		{"localhost any port", nstest.IntegrationSpec{Name: "X", TBA: true, TBAAuthFlow: true, CallbackURL: "http://localhost:*/cb"}, "http://localhost:7777/cb", nil, ""},
		{"wildcard label", nstest.IntegrationSpec{Name: "X", TBA: true, TBAAuthFlow: true, CallbackURL: "https://*.acme.example/cb"}, "https://eu.acme.example/cb", nil, ""},
		{"wildcard is one label", nstest.IntegrationSpec{Name: "X", TBA: true, TBAAuthFlow: true, CallbackURL: "https://*.acme.example/cb"}, "https://a.b.acme.example/cb", nil, tba.CodeInvalidCallback},
		{"unknown consumer", nstest.IntegrationSpec{}, cb, func(e *env) { e.consumer.Key = strings.Repeat("0", 64) }, tba.CodeUnknownIntegration},
		{"bad secret", nstest.IntegrationSpec{}, cb, func(e *env) { e.consumer.Secret = "wrong" }, tba.CodeInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, false, tt.spec)
			if tt.prep != nil {
				tt.prep(e)
			}
			_, err := e.client.RequestToken(t.Context(), "123456_SB1", e.consumer, tt.cb, "")
			if tt.want == "" {
				if err != nil {
					t.Errorf("RequestToken: %v", err)
				}
				return
			}
			if !isCode(err, tt.want) || !errors.Is(err, tba.ErrFlow) {
				t.Errorf("RequestToken error = %v, want %s", err, tt.want)
			}
		})
	}
	t.Run("blocked in the target", func(t *testing.T) {
		t.Parallel()
		e := setup(t, false, nstest.IntegrationSpec{})
		if _, err := e.fake.IssueTBAToken("123456_SB1", e.rec); err != nil {
			t.Fatal(err)
		}
		e.customer.Block(e.rec.ApplicationID) //nolint:errcheck
		if _, err := e.client.RequestToken(t.Context(), "123456_SB1", e.consumer, cb, ""); !isCode(err, tba.CodeIntegrationBlocked) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("nonce reuse and clock", func(t *testing.T) {
		t.Parallel()
		fixed := func() (string, error) { return "samenonce123", nil }
		// one fixed second: a nonce is reused only with the same timestamp,
		// and a clock read twice could cross a second (it did, once in a
		// full run)
		now := time.Unix(time.Now().Unix(), 0)
		e := setup(t, false, nstest.IntegrationSpec{}, tba.WithNonceSource(fixed), tba.WithClock(func() time.Time { return now }))
		e.client.RequestToken(t.Context(), "", e.consumer, cb, "") //nolint:errcheck
		if _, err := e.client.RequestToken(t.Context(), "", e.consumer, cb, ""); !isCode(err, tba.CodeNonceUsed) {
			t.Errorf("reused nonce: %v", err)
		}
		late := setup(t, false, nstest.IntegrationSpec{}, tba.WithClock(func() time.Time { return time.Now().Add(-10 * time.Minute) }))
		if _, err := late.client.RequestToken(t.Context(), "", late.consumer, cb, ""); !isCode(err, tba.CodeInvalidTimestamp) {
			t.Errorf("clock 10 minutes late: %v", err)
		}
	})
	t.Run("deny, state, verifier", func(t *testing.T) {
		t.Parallel()
		e := setup(t, false, nstest.IntegrationSpec{})
		rt, err := e.client.RequestToken(t.Context(), "", e.consumer, cb, "")
		if err != nil {
			t.Fatal(err)
		}
		q := e.consent(t, tba.AuthorizeURL("", rt.ID, "s1"), "deny", "pw")
		if _, err := tba.ParseCallback(q, "s1"); !isCode(err, tba.CodeDenied) {
			t.Errorf("deny: %v", err)
		}
		rt2, _ := e.client.RequestToken(t.Context(), "", e.consumer, cb, "")
		if q := e.consent(t, tba.AuthorizeURL("", rt2.ID, "s2"), "allow", "wrong password"); q != nil {
			t.Errorf("wrong password redirected: %v", q)
		}
		q = e.consent(t, tba.AuthorizeURL("", rt2.ID, "s2"), "allow", "pw")
		if _, err := tba.ParseCallback(q, "other"); !isCode(err, tba.CodeStateMismatch) {
			t.Errorf("state mismatch: %v", err)
		}
		c, err := tba.ParseCallback(q, "s2")
		if err != nil {
			t.Fatal(err)
		}
		c.Verifier = strings.Repeat("1", 64)
		if _, err := e.client.AccessToken(t.Context(), e.consumer, rt2, c); !isCode(err, tba.CodeInvalidVerifier) {
			t.Errorf("bad verifier: %v", err)
		}
	})
}

func TestIssueToken(t *testing.T) {
	t.Parallel()
	e := setup(t, true, nstest.IntegrationSpec{})
	e.customer.AddUser(nstest.User{Email: "ops@customer.example", Password: "p w&", OTP: "123456",
		Roles: []nstest.Role{{ID: "1001", Name: "Ops", WebServices: true, TwoFactor: true}}})
	u := tba.UserCredentials{Account: "123456_SB1", Email: "ops@customer.example", Password: "p w&", Role: "1001"}
	if _, err := e.client.IssueToken(t.Context(), u, e.consumer.Key, "nsdist"); !isCode(err, tba.CodeTwoFactorRequired) {
		t.Errorf("without OTP: %v", err)
	}
	u.OTP = "123456"
	tok, err := e.client.IssueToken(t.Context(), u, e.consumer.Key, "nsdist")
	if err != nil || tok.ID == "" {
		t.Fatalf("issuetoken: %v", err)
	}
	if inst, _ := e.customer.Install(e.rec.ApplicationID); inst.State != nsdist.StateWaitingForApproval || inst.Channel != nstest.ChannelTBA {
		t.Errorf("install = %+v", inst)
	}
	if _, err := e.client.IssueToken(t.Context(), u, e.consumer.Key, ""); !isCode(err, tba.CodeTwoFactorRequired) {
		t.Errorf("reused OTP: %v", err)
	}
	u.Password = "wrong"
	if _, err := e.client.IssueToken(t.Context(), u, e.consumer.Key, ""); !isCode(err, tba.CodeInvalidLogin) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("bad password: %v", err)
	}
	flowOnly := setup(t, false, nstest.IntegrationSpec{Name: "F", TBA: true, TBAAuthFlow: true, CallbackURL: "https://x.example/cb"})
	if _, err := flowOnly.client.IssueToken(t.Context(), tba.UserCredentials{Account: "123456_SB1", Email: "admin@customer.example", Password: "pw"}, flowOnly.consumer.Key, ""); !isCode(err, tba.CodeIssueTokenRequired) {
		t.Errorf("record without IssueToken box: %v", err)
	}
}

func TestSecretsNotPrinted(t *testing.T) {
	t.Parallel()
	c := tba.Consumer{Key: "k123456789", Secret: "consumer-secret"}
	tk := tba.Token{ID: "t123456789", Secret: "token-secret"}
	u := tba.UserCredentials{Account: "1", Email: "a", Password: "the-password", OTP: "999999"}
	s := fmt.Sprintf("%v %+v %#v %s %v %#v %v %+v %#v", c, c, c, c, tk, tk, u, u, u)
	for _, secret := range []string{"consumer-secret", "token-secret", "the-password", "999999"} {
		if strings.Contains(s, secret) {
			t.Errorf("printed %q: %s", secret, s)
		}
	}
}

func TestTimestampsNeverGoBackwards(t *testing.T) {
	t.Parallel()
	now := time.Now()
	times := []time.Time{now, now.Add(-time.Hour)}
	i := 0
	var seen []string
	e := setup(t, false, nstest.IntegrationSpec{}, tba.WithClock(func() time.Time { i++; return times[min(i-1, 1)] }))
	rec := &recorder{next: e.fake.Transport(), seen: &seen}
	c, err := tba.NewClient(tba.WithTransport(rec), tba.WithClock(func() time.Time { i++; return times[min(i-1, 1)] }))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []tba.Option{tba.WithTransport(nil), tba.WithClock(nil), tba.WithNonceSource(nil), nil} {
		if _, err := tba.NewClient(o); err == nil {
			t.Error("NewClient accepted a nil option value")
		}
	}
	c.RequestToken(t.Context(), "", e.consumer, "https://app.acme.example/netsuite/callback", "") //nolint:errcheck
	c.RequestToken(t.Context(), "", e.consumer, "https://app.acme.example/netsuite/callback", "") //nolint:errcheck
	if len(seen) != 2 || seen[0] != seen[1] {
		t.Errorf("timestamps %v: the second went backwards", seen)
	}
}

type recorder struct {
	next http.RoundTripper
	seen *[]string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	h := req.Header.Get("Authorization")
	i := strings.Index(h, `oauth_timestamp="`)
	*r.seen = append(*r.seen, h[i+17:i+27])
	return r.next.RoundTrip(req)
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	return s[:strings.Index(s, b)]
}

// routeApp sends app.acme.example to the test app and NetSuite hosts to the fake.
// TestIssueTokenRefusedByTheAccount: once the record is Blocked in the
// account, or Token-Based Authentication is off there, issuetoken answers
// with the code for that cause, and NextStep sends the administrator to
// the integration record or the feature, not to the role.
func TestIssueTokenRefusedByTheAccount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		prep     func(*testing.T, *env)
		wantCode string
		wantStep string // in NextStep
	}{
		{"record Blocked", func(t *testing.T, e *env) {
			t.Helper()
			if err := e.customer.Block(e.rec.ApplicationID); err != nil {
				t.Fatal(err)
			}
		}, tba.CodeIntegrationBlocked, "Manage Integrations, edit it and set State to Enabled"},
		{"TBA off", func(_ *testing.T, e *env) { e.customer.SetFeatures(true, false) }, tba.CodeFeatureDisabled, "enable Token-Based Authentication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, false, nstest.IntegrationSpec{})
			u := tba.UserCredentials{Account: "123456_SB1", Email: "admin@customer.example", Password: "pw"}
			if _, err := e.client.IssueToken(t.Context(), u, e.consumer.Key, "first"); err != nil {
				t.Fatalf("first issuetoken: %v", err)
			}
			tt.prep(t, e)
			_, err := e.client.IssueToken(t.Context(), u, e.consumer.Key, "second")
			var fe *tba.FlowError
			if !errors.As(err, &fe) || !errors.Is(err, tba.ErrFlow) {
				t.Fatalf("IssueToken error = %v, want a *tba.FlowError", err)
			}
			if diff := cmp.Diff(tt.wantCode, fe.Code); diff != "" {
				t.Errorf("IssueToken error %v: Code mismatch (-want +got):\n%s", err, diff)
			}
			if step := fe.NextStep; !strings.Contains(step, tt.wantStep) || strings.Contains(step, "Manage Roles") {
				t.Errorf("NextStep() = %q, want it to say %q and not to send the administrator to the role", step, tt.wantStep)
			}
		})
	}
}

// TestFlowRefusalAudited: when the access-token step is refused because
// the record was Blocked or TBA was switched off after the consent, the
// client gets Oracle's code and the account's Login Audit Trail records it
// as a documented Detail (subsect_156934879823).
func TestFlowRefusalAudited(t *testing.T) {
	t.Parallel()
	type got struct {
		Code, Detail string
		Origin       nstest.DetailOrigin
	}
	tests := []struct {
		name  string
		apply func(e *env)
		want  got
	}{
		{"Blocked", func(e *env) { _ = e.customer.Block(e.rec.ApplicationID) }, got{"IntegrationBlocked", "IntegrationBlocked", nstest.DetailDocumented}},
		{"TBA off", func(e *env) { e.customer.SetFeatures(true, false) }, got{"FeatureDisabled", "FeatureDisabled", nstest.DetailDocumented}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb := "https://app.acme.example/netsuite/callback"
			e := setup(t, false, nstest.IntegrationSpec{})
			if _, err := e.fake.IssueTBAToken("123456_SB1", e.rec); err != nil {
				t.Fatal(err)
			}
			rt, err := e.client.RequestToken(t.Context(), "", e.consumer, cb, "")
			if err != nil {
				t.Fatal(err)
			}
			c, err := tba.ParseCallback(e.consent(t, tba.AuthorizeURL("", rt.ID, "s"), "allow", "pw"), "s")
			if err != nil {
				t.Fatal(err)
			}
			tt.apply(e)
			before := len(e.customer.LoginAudit())
			_, err = e.client.AccessToken(t.Context(), e.consumer, rt, c)
			var fe *tba.FlowError
			if !errors.As(err, &fe) {
				t.Fatalf("AccessToken = %v, want a *tba.FlowError", err)
			}
			log := e.customer.LoginAudit()
			if len(log) != before+1 {
				t.Fatalf("%d audit entries added, want 1", len(log)-before)
			}
			last := log[len(log)-1]
			if diff := cmp.Diff(tt.want, got{fe.Code, last.Value(), last.Origin}); diff != "" {
				t.Errorf("refusal (-want +got):\n%s", diff)
			}
		})
	}
}

// A Callback's oauth_verifier (with the request token, what step three
// exchanges for the access token) is never printed: not by any fmt verb,
// not by slog's text or JSON handler.
func TestCallbackNotPrinted(t *testing.T) {
	t.Parallel()
	const verifier = "verifier-7f3a9c1e5b"
	cb := tba.Callback{Token: "request-token-id-123", Verifier: verifier, Company: "123456", Role: "3", Entity: "-5"}
	var out strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		fmt.Fprintf(&out, verb+"\n", cb)
		fmt.Fprintf(&out, verb+"\n", &cb)
	}
	slog.New(slog.NewTextHandler(&out, nil)).Info("callback", "cb", cb)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("callback", "cb", cb)
	if strings.Contains(out.String(), verifier) || strings.Contains(out.String(), hex.EncodeToString([]byte(verifier))) {
		t.Errorf("the verifier is printed:\n%s", out.String())
	}
	if s := fmt.Sprint(cb); !strings.Contains(s, "123456") || !strings.Contains(s, "Verifier:[REDACTED]") {
		t.Errorf("fmt.Sprint(cb) = %q: want the account and the verifier redacted", s)
	}
}

// slog's JSON handler marshals a value that is not a LogValuer: Consumer
// and Token must be LogValuers, or their secrets reach the log.
func TestSecretsNotLogged(t *testing.T) {
	t.Parallel()
	c := tba.Consumer{Key: "k123456789", Secret: "consumer-secret"}
	tk := tba.Token{ID: "t123456789", Secret: "token-secret"}
	var out strings.Builder
	for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
		slog.New(h).Info("credentials", "consumer", c, "token", tk, "consumer_ptr", &c, "token_ptr", &tk)
	}
	for _, secret := range []string{"consumer-secret", "token-secret"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("logged %q:\n%s", secret, out.String())
		}
	}
}
