package soap_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/soap"
)

const endpoint2025 = "https://123456-sb1.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2"

// fastRetry keeps the default policy's shape with microsecond waits.
func fastRetry() soap.RetryPolicy {
	p := soap.DefaultRetryPolicy()
	p.InitialInterval, p.MaxInterval = time.Microsecond, 10*time.Microsecond
	return p
}

func newTestClient(t *testing.T, mt *httpmock.MockTransport, opts ...soap.Option) *soap.Client {
	t.Helper()
	base := []soap.Option{soap.WithAuth(tbaAuth("123456_SB1")), soap.WithTransport(mt), soap.WithRetryPolicy(fastRetry())}
	c, err := soap.NewClient("123456-sb1", append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func xmlResponder(status int, body []byte) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewBytesResponse(status, body)
		r.Header.Set("Content-Type", "text/xml;charset=utf-8")
		return r, nil
	}
}

func TestClientGetServerTime(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterMatcherResponder(http.MethodPost, endpoint2025,
		httpmock.HeaderIs("SOAPAction", `"getServerTime"`).
			And(httpmock.HeaderIs("Content-Type", "text/xml; charset=utf-8")).
			And(httpmock.BodyContainsString("<core:account>123456_SB1</core:account>")).
			And(httpmock.BodyContainsString(`<core:signature algorithm="HMAC-SHA256">`)),
		xmlResponder(200, readFixture(t, "getServerTime.xml")))
	c := newTestClient(t, mt)
	resp, err := c.Do(t.Context(), soap.OpGetServerTime)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.ServerTime.IsZero() || !resp.Status.Success || resp.NSID == "" {
		t.Errorf("response = %+v", resp)
	}
	if n := mt.GetTotalCallCount(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

// The User-Agent is nsdist/<version> unless WithUserAgent names another,
// and a client cloned for another account keeps it.
func TestClientUserAgent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		opts []soap.Option
		want string
	}{
		{nil, "nsdist/" + nsdist.Version},
		{[]soap.Option{soap.WithUserAgent("acme-sync/2.1 nsdist")}, "acme-sync/2.1 nsdist"},
	} {
		mt := httpmock.NewMockTransport()
		mt.RegisterMatcherResponder(http.MethodPost, endpoint2025, httpmock.HeaderIs("User-Agent", tt.want),
			xmlResponder(200, readFixture(t, "getServerTime.xml")))
		c := newTestClient(t, mt, tt.opts...)
		if _, err := c.Do(t.Context(), soap.OpGetServerTime); err != nil {
			t.Errorf("User-Agent %q: %v", tt.want, err)
		}
		other, err := c.CloneFor("654321", soap.WithAuth(tbaAuth("654321")))
		if err != nil {
			t.Fatal(err)
		}
		mt.RegisterMatcherResponder(http.MethodPost, "https://654321.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2", httpmock.HeaderIs("User-Agent", tt.want),
			xmlResponder(200, readFixture(t, "getServerTime.xml")))
		if _, err := other.Do(t.Context(), soap.OpGetServerTime); err != nil || other.Account() != "654321" {
			t.Errorf("CloneFor: account %s, %v", other.Account(), err)
		}
	}
	c := newTestClient(t, httpmock.NewMockTransport())
	if _, err := c.CloneFor("not an account"); err == nil {
		t.Error("CloneFor(not an account) accepted")
	}
}

func TestClientRetries(t *testing.T) {
	t.Parallel()
	concurrency := fault("exceededConcurrentRequestLimitFault", "WS_REQUEST_BLOCKED", "SuiteTalk concurrent request limit exceeded. Request blocked.")
	unexpected := fault("unexpectedErrorFault", "UNEXPECTED_ERROR", "An unexpected error occurred.")
	ok := readFixture(t, "getServerTime.xml")
	html := []byte("<html><body>Service Unavailable</body></html>")
	tests := []struct {
		name      string
		responder httpmock.Responder
		calls     int
		wantErr   error
	}{
		{"503 503 200", xmlResponder(503, html).Then(xmlResponder(503, html)).Then(xmlResponder(200, ok)), 3, nil},
		{"502 504 429 200", xmlResponder(502, html).Then(xmlResponder(504, html)).Then(xmlResponder(429, html)).Then(xmlResponder(200, ok)), 4, nil},
		{"concurrency fault then ok", xmlResponder(500, concurrency).Then(xmlResponder(500, concurrency)).Then(xmlResponder(200, ok)), 3, nil},
		{"connection refused then ok", httpmock.NewErrorResponder(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}).Then(xmlResponder(200, ok)), 2, nil},
		{"truncated then ok", xmlResponder(200, ok[:200]).Then(xmlResponder(200, ok)), 2, nil},
		{"concurrency fault forever", xmlResponder(500, concurrency), 10, soap.ErrConcurrencyLimited},
		{"unexpected error twice at most", xmlResponder(500, unexpected), 3, soap.ErrUnexpected},
		{"auth fault not retried", xmlResponder(500, fault("invalidCredentialsFault", "USER_ERROR", "Invalid login attempt.")), 1, soap.ErrAuthRejected},
		{"permission fault not retried", xmlResponder(500, fault("insufficientPermissionFault", "WS_PERMISSION_REQD", "no")), 1, soap.ErrFeatureOrPermission},
		{"version fault not retried", xmlResponder(500, fault("invalidVersionFault", "UNSUPPORTED_WS_VERSION", "no")), 1, soap.ErrUnsupportedVersion},
		{"account fault not retried", xmlResponder(500, fault("invalidAccountFault", "INVALID_ACCT", "no")), 1, soap.ErrInvalidAccount},
		{"404 html not retried", xmlResponder(404, html), 1, soap.ErrNotSOAP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			mt.RegisterResponder(http.MethodPost, endpoint2025, tt.responder)
			c := newTestClient(t, mt, soap.WithEndpoint("https://123456-sb1.suitetalk.api.netsuite.com"))
			_, err := c.Do(t.Context(), soap.OpGetServerTime)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Do error = %v, want %v", err, tt.wantErr)
			}
			if n := mt.GetTotalCallCount(); n != tt.calls {
				t.Errorf("calls = %d, want %d", n, tt.calls)
			}
			var op *soap.OpError
			if err != nil && (!errors.As(err, &op) || op.Attempts != tt.calls) {
				t.Errorf("OpError attempts = %+v, want %d", op, tt.calls)
			}
		})
	}
}

// Every attempt carries a new tokenPassport: a new nonce and a valid signature.
func TestClientFreshPassportPerAttempt(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	concurrency := fault("exceededConcurrentRequestLimitFault", "WS_REQUEST_BLOCKED", "blocked")
	mt := httpmock.NewMockTransport()
	n := 0
	mt.RegisterResponder(http.MethodPost, endpoint2025, func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, string(b))
		n++
		if n < 5 {
			return httpmock.NewBytesResponse(500, concurrency), nil
		}
		return httpmock.NewBytesResponse(200, readFixture(t, "getServerTime.xml")), nil
	})
	c := newTestClient(t, mt)
	if _, err := c.Do(t.Context(), soap.OpGetServerTime); err != nil {
		t.Fatal(err)
	}
	nonceRE := regexp.MustCompile(`<core:nonce>([A-Za-z0-9]+)</core:nonce><core:timestamp>(\d+)</core:timestamp><core:signature algorithm="HMAC-SHA256">([^<]+)<`)
	seen := map[string]bool{}
	a := tbaAuth("123456_SB1")
	for _, b := range bodies {
		m := nonceRE.FindStringSubmatch(b)
		if m == nil {
			t.Fatalf("no tokenPassport in %s", b)
		}
		if len(m[1]) != 20 || seen[m[1]] {
			t.Errorf("nonce %q reused or not 20 characters", m[1])
		}
		seen[m[1]] = true
		mac := hmac.New(sha256.New, []byte(a.ConsumerSecret+"&"+a.TokenSecret))
		fmt.Fprintf(mac, "%s&%s&%s&%s&%s", a.Account, a.ConsumerKey, a.TokenID, m[1], m[2])
		if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); m[3] != want {
			t.Errorf("signature %s, want %s", m[3], want)
		}
		if strings.Contains(b, "applicationInfo") {
			t.Error("TBA request carries applicationInfo")
		}
	}
	if len(bodies) != 5 {
		t.Errorf("attempts = %d, want 5", len(bodies))
	}
}

// cancelOnClose cancels a context when the client closes the body, that
// is once the whole answer has been read.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error { b.cancel(); return b.ReadCloser.Close() }

// When ctx ends during the second attempt, the error is context.Canceled
// and still the last real cause: the second attempt's fault if its answer
// came, else the first's. The mock transport races a done ctx against the
// responder, so each case ends ctx at a point that leaves no race.
func TestClientContextCancelKeepsCause(t *testing.T) {
	t.Parallel()
	blocked := func() *http.Response {
		return httpmock.NewBytesResponse(500, fault("exceededConcurrentRequestLimitFault", "WS_REQUEST_BLOCKED", "blocked"))
	}
	tests := []struct {
		name   string
		second func(*http.Request, context.CancelFunc) (*http.Response, error)
	}{
		{"cancelled once the answer is read", func(_ *http.Request, cancel context.CancelFunc) (*http.Response, error) {
			r := blocked()
			r.Body = cancelOnClose{r.Body, cancel}
			return r, nil
		}},
		{"cancelled in flight", func(req *http.Request, cancel context.CancelFunc) (*http.Response, error) {
			cancel()
			return nil, req.Context().Err()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			first := httpmock.Responder(func(*http.Request) (*http.Response, error) { return blocked(), nil })
			mt.RegisterResponder(http.MethodPost, endpoint2025, first.Then(func(req *http.Request) (*http.Response, error) {
				return tt.second(req, cancel)
			}))
			_, err := newTestClient(t, mt).Do(ctx, soap.OpGetServerTime)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v does not satisfy errors.Is(context.Canceled)", err)
			}
			if !errors.Is(err, soap.ErrConcurrencyLimited) {
				t.Errorf("error %v lost the last real cause", err)
			}
			var op *soap.OpError
			if !errors.As(err, &op) || op.Attempts != 2 || mt.GetTotalCallCount() != 2 {
				t.Errorf("attempts = %+v, calls = %d, want 2 and 2", op, mt.GetTotalCallCount())
			}
		})
	}
}

func TestClientDiscoveryFallback(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, endpoint2025, httpmock.NewErrorResponder(&net.DNSError{Err: "no such host", Name: "123456-sb1.suitetalk.api.netsuite.com", IsNotFound: true}))
	dc := bytes.ReplaceAll(readFixture(t, "getDataCenterUrls-return.xml"), []byte("https://123456-sb1.suitetalk.api.netsuite.com"), []byte("https://123456-sb1.suitetalk.eu1.netsuite.com"))
	mt.RegisterMatcherResponder(http.MethodPost, "https://webservices.netsuite.com/services/NetSuitePort_2025_2",
		httpmock.HeaderIs("SOAPAction", `"getDataCenterUrls"`).And(httpmock.BodyContainsString("<msg:account>123456_SB1</msg:account>")),
		xmlResponder(200, dc))
	mt.RegisterResponder(http.MethodPost, "https://123456-sb1.suitetalk.eu1.netsuite.com/services/NetSuitePort_2025_2", xmlResponder(200, readFixture(t, "getServerTime.xml")))
	cache := soap.NewDiscoveryCache()
	c := newTestClient(t, mt, soap.WithDiscoveryCache(cache))
	if _, err := c.Do(t.Context(), soap.OpGetServerTime); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if got := c.Endpoint(); got != "https://123456-sb1.suitetalk.eu1.netsuite.com/services/NetSuitePort_2025_2" {
		t.Errorf("Endpoint() = %s after discovery", got)
	}
	// A second client sharing the cache goes straight to the discovered host.
	c2 := newTestClient(t, mt, soap.WithDiscoveryCache(cache))
	if _, err := c2.Do(t.Context(), soap.OpGetServerTime); err != nil {
		t.Fatal(err)
	}
	info := mt.GetCallCountInfo()
	if mt.GetTotalCallCount() != 4 || info["POST "+endpoint2025] != 1 {
		t.Errorf("calls = %v, want one discovery and one failed derived-host attempt", info)
	}
}

func TestNewClientRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		account string
		opts    []soap.Option
		want    error
	}{
		{"bad account", "not an account", nil, nsdist.ErrInvalidAccountID},
		{"credentials for another account", "654321", []soap.Option{soap.WithAuth(tbaAuth("123456"))}, soap.ErrCredentials},
		{"passport on 2025_2", "123456", []soap.Option{soap.WithAuth(passportAuth("123456"))}, soap.ErrAuthNotSupported},
		{"zero version", "123456", []soap.Option{soap.WithVersion(soap.Version{})}, soap.ErrInvalidVersion},
		{"nil auth", "123456", []soap.Option{soap.WithAuth(nil)}, soap.ErrCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := soap.NewClient(tt.account, tt.opts...); !errors.Is(err, tt.want) {
				t.Errorf("NewClient error = %v, want %v", err, tt.want)
			}
		})
	}
	for _, o := range []soap.Option{soap.WithEndpoint("ftp://x"), soap.WithRetryPolicy(soap.RetryPolicy{}), soap.WithHTTPClient(nil), soap.WithTransport(nil), soap.WithLogger(nil), soap.WithMaxResponseSize(0), soap.WithClock(nil), soap.WithNonceSource(nil)} {
		if _, err := soap.NewClient("123456", o); err == nil {
			t.Errorf("NewClient accepted an invalid option %p", o)
		}
	}
}

func TestClientLoginSession(t *testing.T) {
	t.Parallel()
	ep := "https://123456.suitetalk.api.netsuite.com/services/NetSuitePort_2020_1"
	mt := httpmock.NewMockTransport()
	mt.RegisterMatcherResponder(http.MethodPost, ep, httpmock.HeaderIs("SOAPAction", `"login"`).
		And(httpmock.BodyContainsString("<msg:applicationId>C4A2541D-16FB-4845-B8A2-8B8A34BDBB61</msg:applicationId>")),
		func(*http.Request) (*http.Response, error) {
			r := httpmock.NewBytesResponse(200, readFixture(t, "login.xml"))
			r.Header.Add("Set-Cookie", "JSESSIONID=abc123; Path=/; Secure")
			return r, nil
		})
	logout := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><logoutResponse xmlns="urn:messages_2020_1.platform.webservices.netsuite.com"><sessionResponse><c:status xmlns:c="urn:core_2020_1.platform.webservices.netsuite.com" isSuccess="true"/></sessionResponse></logoutResponse></s:Body></s:Envelope>`
	mt.RegisterMatcherResponder(http.MethodPost, ep, httpmock.HeaderIs("SOAPAction", `"logout"`).And(httpmock.HeaderIs("Cookie", "JSESSIONID=abc123")),
		xmlResponder(200, []byte(logout)))
	c, err := soap.NewClient("123456", soap.WithVersion(soap.V2020_1), soap.WithAuth(passportAuth("123456")), soap.WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Login(t.Context())
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if s.Session.UserID != "42" || len(s.Session.Roles) != 2 {
		t.Errorf("session = %+v", s.Session)
	}
	if err := s.Logout(t.Context()); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if n := mt.GetTotalCallCount(); n != 2 {
		t.Errorf("calls = %d, want 2", n)
	}
}

// A known secret never appears in Debug logs, in err.Error(), or in any
// printed form of a credential or client.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	tba := tbaAuth("123456_SB1")
	pp := passportAuth("123456")
	secrets := []string{tba.ConsumerSecret, tba.TokenSecret, pp.Password, "S3cret"}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mt := httpmock.NewMockTransport()
	var sigs []string
	mt.RegisterResponder(http.MethodPost, endpoint2025, func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		if m := regexp.MustCompile(`algorithm="HMAC-SHA256">([^<]+)<`).FindSubmatch(b); m != nil {
			sigs = append(sigs, string(m[1]))
		}
		// echo the request back inside an error page, as a broken proxy might
		return httpmock.NewBytesResponse(502, append([]byte("<html>bad gateway "), b...)), nil
	})
	c := newTestClient(t, mt, soap.WithLogger(logger))
	_, err := c.Do(t.Context(), soap.OpGetServerTime)
	if err == nil {
		t.Fatal("want an error")
	}
	c.DataCenterURLs(t.Context()) //nolint:errcheck // only the logs matter
	logger.Debug("auth", "tba", tba, "passport", pp)
	tp := tba.Sign("nonceNONCEnonce12345", 1)
	secrets = append(secrets, tp.Signature, "nonceNONCEnonce12345")
	secrets = append(secrets, sigs...)
	printed := []string{logs.String(), err.Error(),
		fmt.Sprintf("%v %+v %#v %s %q %x", tba, tba, tba, tba, tba, tba),
		fmt.Sprintf("%v %+v %#v %s", *tba, *tba, *tba, *tba),
		fmt.Sprintf("%v %+v %#v %s", pp, pp, pp, *pp),
		fmt.Sprintf("%v %+v %#v %s", tp, tp, tp, &tp),
		fmt.Sprintf("%v %+v %#v %s", c, c, c, c),
		fmt.Sprintf("%#v", []any{tba, pp, c, struct{ A *soap.TokenAuth }{tba}}),
	}
	if len(sigs) == 0 {
		t.Fatal("no signature captured")
	}
	for _, s := range secrets {
		for i, p := range printed {
			if strings.Contains(p, s) {
				t.Errorf("printed form %d contains secret %q: %s", i, s, p)
			}
		}
	}
	if !strings.Contains(logs.String(), "soap attempt") {
		t.Error("no Debug log of the attempts")
	}
}

func TestDiscoveryCacheZeroValue(t *testing.T) {
	t.Parallel()
	fake := nstest.NewServer()
	t.Cleanup(fake.Close)
	fake.MustAddAccount("777777", nstest.AccountConfig{DataCenterHost: "777777.suitetalk.eu2.netsuite.com"})
	var cache soap.DiscoveryCache // zero value
	c, err := soap.NewClient("777777", append(fake.ClientOptions(), soap.WithDiscoveryCache(&cache))...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DataCenterURLs(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Endpoint(), "777777.suitetalk.eu2.netsuite.com") {
		t.Errorf("Endpoint() = %s: the zero-value cache did not keep the discovered domain", c.Endpoint())
	}
}

// TestClientTimeout: the http.Client's Timeout bounds each attempt (the
// client makes it a context deadline), a timed-out attempt is a
// transport timeout and is retried, and the caller's context is not
// taken for cancelled.
func TestClientTimeout(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	hang := hangFor(5 * time.Second)
	slow := &http.Client{Timeout: 50 * time.Millisecond, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return hang(r)
	})}
	p := fastRetry()
	p.MaxAttempts = 3
	c, err := soap.NewClient("123456-sb1", soap.WithAuth(tbaAuth("123456_SB1")), soap.WithHTTPClient(slow), soap.WithRetryPolicy(p))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Do(t.Context(), soap.OpGetServerTime)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %v: the timeout did not bound the attempts", took)
	}
	if nsdist.Classify(err) != nsdist.ClassTimeout || t.Context().Err() != nil || calls.Load() != 3 {
		t.Fatalf("err %v (class %v) after %d calls; want a timeout, retried to 3 attempts", err, nsdist.Classify(err), calls.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

// hangFor is a transport that answers nothing: it fails when the
// request's context ends, or after d.
func hangFor(d time.Duration) roundTripFunc {
	return func(r *http.Request) (*http.Response, error) {
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(d):
			return nil, fmt.Errorf("no answer in %v", d)
		}
	}
}

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestCloneTakesItsOwnTimeout: a clone given another http.Client takes
// that client's Timeout (none at all included), and one given none keeps
// its parent's.
func TestCloneTakesItsOwnTimeout(t *testing.T) {
	t.Parallel()
	hang := hangFor(300 * time.Millisecond)
	p := fastRetry()
	p.MaxAttempts = 1
	parent, err := soap.NewClient("123456-sb1", soap.WithAuth(tbaAuth("123456_SB1")), soap.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond, Transport: hang}), soap.WithRetryPolicy(p))
	if err != nil {
		t.Fatal(err)
	}
	keeps, err := parent.CloneFor("123456_SB1")
	if err != nil {
		t.Fatal(err)
	}
	untimed, err := parent.CloneFor("123456_SB1", soap.WithHTTPClient(&http.Client{Transport: hang}))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		c       *soap.Client
		timeout bool
	}{"parent": {parent, true}, "clone": {keeps, true}, "clone with a client without Timeout": {untimed, false}} {
		_, err := c.c.Do(t.Context(), soap.OpGetServerTime)
		if got := nsdist.Classify(err) == nsdist.ClassTimeout; got != c.timeout {
			t.Errorf("%s: err %v, timed out %v, want %v", name, err, got, c.timeout)
		}
	}
}
