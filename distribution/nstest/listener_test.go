package nstest_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/internal/oauth1"
	"github.com/nsdist/nsdist/soap"
)

// A client outside the process reaches the fake over real TCP on the
// listener it was given, naming the NetSuite host in the Host header; the
// middleware sees every request first.
func TestWithListenerAndMiddleware(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mw := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/extra" {
				io.WriteString(w, "extra") //nolint:errcheck
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	fake := nstest.NewServer(nstest.WithListener(l), nstest.WithMiddleware(mw))
	t.Cleanup(fake.Close)
	if got, want := fake.URL(), "http://"+l.Addr().String(); got != want {
		t.Errorf("URL() = %q, want %q", got, want)
	}
	vendor := fake.MustAddAccount("TSTDRV1", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456", nstest.AccountConfig{})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme", TBA: true, TBAIssueToken: true})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := tokenAuth(fake, cust.ID(), rec)
	if err != nil {
		t.Fatal(err)
	}
	nonce, _ := soap.RandomNonce()
	body, err := (&soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: auth}).Encode(nonce, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+l.Addr().String()+soap.V2025_2.Path(), strings.NewReader(string(body)))
	req.Host = "123456.suitetalk.api.netsuite.com"
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", "getServerTime")
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := soap.DecodeResponse(out); err != nil {
		t.Errorf("getServerTime over TCP: %v\n%s", err, out)
	}
	resp, err = hc.Get("http://" + l.Addr().String() + "/extra")
	if err != nil {
		t.Fatal(err)
	}
	out, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(out) != "extra" {
		t.Errorf("middleware path answered %q", out)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	f.fake.Reset()
	if _, ok := f.fake.Account(string(f.customer.ID())); ok {
		t.Error("account still there after Reset")
	}
	if _, ok := f.fake.Integration(f.rec.ApplicationID); ok {
		t.Error("record still there after Reset")
	}
	// the same ids and credentials can be set up again
	v := f.fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	if _, err := f.fake.CreateIntegration(v.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, ApplicationID: f.rec.ApplicationID, ConsumerKey: f.rec.ConsumerKey}); err != nil {
		t.Errorf("CreateIntegration after Reset: %v", err)
	}
}

func TestCredentialOverrides(t *testing.T) {
	t.Parallel()
	const (
		appID  = "0123456789abcdef0123456789ABCDEF"
		key    = "1111111111111111111111111111111111111111111111111111111111111111"
		secret = "2222222222222222222222222222222222222222222222222222222222222222"
		tokID  = "3333333333333333333333333333333333333333333333333333333333333333"
		tokSec = "4444444444444444444444444444444444444444444444444444444444444444"
	)
	fake := nstest.NewServer()
	t.Cleanup(fake.Close)
	v := fake.MustAddAccount("TSTDRV1", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456", nstest.AccountConfig{RequireApproval: true})
	cust.AddUser(nstest.User{Email: "admin@customer.example", Password: "pw"})
	rec, err := fake.CreateIntegration(v.ID(), nstest.IntegrationSpec{Name: "Acme", TBA: true, TBAIssueToken: true, ApplicationID: appID, ConsumerKey: key, ConsumerSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{rec.ApplicationID, rec.ConsumerKey, rec.ConsumerSecret}
	if diff := cmp.Diff([]string{"01234567-89AB-CDEF-0123-456789ABCDEF", key, secret}, got); diff != "" {
		t.Errorf("CreateIntegration credentials mismatch (-want +got):\n%s", diff)
	}
	tok, err := fake.IssueTokenWith(cust.ID(), "admin@customer.example", "3", key, tokID, tokSec)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ID != tokID || tok.Secret != tokSec {
		t.Errorf("IssueTokenWith = %+v", tok)
	}
	if inst, _ := cust.Install(appID); inst.State != nsdist.StateWaitingForApproval || inst.Channel != nstest.ChannelTBA {
		t.Errorf("install = %+v, want Waiting for Approval by token", inst)
	}
	if _, err := fake.IssueTokenWith(cust.ID(), "admin@customer.example", "3", key, tokID, tokSec); err == nil {
		t.Error("IssueTokenWith accepted a token id in use")
	}

	bad := []struct {
		name string
		spec nstest.IntegrationSpec
	}{
		{"application id in use", nstest.IntegrationSpec{Name: "B", ApplicationID: appID}},
		{"application id not hex", nstest.IntegrationSpec{Name: "B", ApplicationID: "xyz"}},
		{"consumer key in use", nstest.IntegrationSpec{Name: "B", ConsumerKey: key}},
		{"consumer key short", nstest.IntegrationSpec{Name: "B", ConsumerKey: "abc"}},
		{"consumer secret short", nstest.IntegrationSpec{Name: "B", ConsumerSecret: "abc"}},
	}
	for _, tt := range bad {
		if _, err := fake.CreateIntegration(v.ID(), tt.spec); err == nil {
			t.Errorf("%s: CreateIntegration accepted it", tt.name)
		}
	}
}

// On system.netsuite.com the TBA consent page has no account yet: the
// login picks it, and the company input stays hidden.
func TestTBAConsentOnSystemHostPicksAccount(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	f.customer.AddUser(nstest.User{Email: "admin@customer.example", Password: "pw"})
	if err := f.vendor.EditShared(f.rec.ApplicationID, func(in *nstest.Integration) { in.CallbackURL = "https://app.example/cb" }); err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: f.fake.Transport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tok := requestToken(t, f, c, "https://app.example/cb")
	resp, err := c.Get("https://system.netsuite.com/app/login/secure/authorizetoken.nl?oauth_token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `<input type="hidden" name="company" id="company" value="">`) {
		t.Errorf("company is not a hidden input:\n%s", page)
	}
	resp, err = c.PostForm("https://system.netsuite.com/app/login/secure/authorizetoken.nl", url.Values{
		"oauth_token": {tok}, "company": {""}, "email": {"admin@customer.example"}, "password": {"pw"}, "action": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("no redirect: %d %v", resp.StatusCode, err)
	}
	if got := loc.Query().Get("company"); got != "123456_SB1" {
		t.Errorf("redirect company = %q, want 123456_SB1 (%s)", got, loc)
	}
}

// requestToken is step one of the TBA authorization flow, signed by hand.
func requestToken(t *testing.T, f *fixture, c *http.Client, callback string) string {
	t.Helper()
	const endpoint = "https://123456-sb1.restlets.api.netsuite.com/rest/requesttoken"
	params := []oauth1.Param{
		{Name: "oauth_callback", Value: callback}, {Name: "oauth_consumer_key", Value: f.rec.ConsumerKey},
		{Name: "oauth_nonce", Value: "n0nce" + strconv.FormatInt(time.Now().UnixNano(), 36)},
		{Name: "oauth_signature_method", Value: "HMAC-SHA256"},
		{Name: "oauth_timestamp", Value: strconv.FormatInt(time.Now().Unix(), 10)}, {Name: "oauth_version", Value: "1.0"},
	}
	base, err := oauth1.BaseString(http.MethodPost, endpoint, params)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, nil)
	req.Header.Set("Authorization", oauth1.Header("123456_SB1", params, oauth1.Sign(base, f.rec.ConsumerSecret, "")))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	v, _ := url.ParseQuery(string(b))
	if v.Get("oauth_token") == "" {
		t.Fatalf("requesttoken: %d %s", resp.StatusCode, b)
	}
	return v.Get("oauth_token")
}
