package soap_test

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/soap"
)

// A 3xx from the SOAP endpoint is never followed, whatever http.Client
// the caller gave: the second host receives nothing, the envelope with its
// tokenPassport or password stays with the first, and the error says so
// without printing a secret or the Location's path and query.
func TestClientRefusesRedirects(t *testing.T) {
	t.Parallel()
	tba, pp := tbaAuth("123456"), passportAuth("123456")
	secrets := []string{tba.ConsumerSecret, tba.TokenSecret, "S3cret", "locpw", "LEAKQ", "/moved"}
	auths := []struct {
		name string
		opts []soap.Option
	}{
		{"tba", []soap.Option{soap.WithAuth(tba)}},
		{"passport", []soap.Option{soap.WithVersion(soap.V2020_1), soap.WithAuth(pp)}},
	}
	clients := []struct {
		name string
		opts func(first *httptest.Server) []soap.Option
	}{
		{"default client", func(*httptest.Server) []soap.Option { return nil }},
		{"WithTransport", func(first *httptest.Server) []soap.Option {
			return []soap.Option{soap.WithTransport(first.Client().Transport)}
		}},
		{"WithHTTPClient that follows redirects", func(first *httptest.Server) []soap.Option {
			follow := func(*http.Request, []*http.Request) error { return nil }
			return []soap.Option{soap.WithHTTPClient(&http.Client{Transport: first.Client().Transport, CheckRedirect: follow})}
		}},
	}
	type test struct {
		name     string
		status   int
		auth     []soap.Option
		client   func(*httptest.Server) []soap.Option
		discover bool // send getDataCenterUrls to the redirecting host instead
	}
	var tests []test
	for _, status := range []int{300, 301, 302, 303, 307, 308} {
		for _, a := range auths {
			for _, hc := range clients {
				tests = append(tests, test{fmt.Sprintf("%d %s %s", status, a.name, hc.name), status, a.opts, hc.opts, false})
			}
		}
	}
	tests = append(tests, test{"307 discovery", 307, nil, clients[2].opts, true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var firstCalls, secondCalls atomic.Int32
			second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				secondCalls.Add(1)
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(second.Close)
			su, err := url.Parse(second.URL)
			if err != nil {
				t.Fatal(err)
			}
			loc := "http://user:locpw@" + su.Host + "/moved/services/NetSuitePort_2025_2?token=LEAKQ"
			first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				firstCalls.Add(1)
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Location", loc)
				w.WriteHeader(tt.status)
			}))
			t.Cleanup(first.Close)

			opts := append([]soap.Option{soap.WithRetryPolicy(fastRetry())}, tt.auth...)
			opts = append(opts, tt.client(first)...)
			if tt.discover {
				opts = append(opts, soap.WithDiscoveryURL(first.URL))
			} else {
				opts = append(opts, soap.WithEndpoint(first.URL))
			}
			c, err := soap.NewClient("123456", opts...)
			if err != nil {
				t.Fatal(err)
			}
			if tt.discover {
				_, err = c.DataCenterURLs(t.Context())
			} else {
				_, err = c.Do(t.Context(), soap.OpGetServerTime)
			}

			if !errors.Is(err, soap.ErrRedirect) {
				t.Fatalf("Do error = %v, want ErrRedirect", err)
			}
			var re *soap.RedirectError
			if !errors.As(err, &re) {
				t.Fatalf("Do error = %v, want a *RedirectError", err)
			}
			want := soap.RedirectError{StatusCode: tt.status, Location: "http://" + su.Host}
			if diff := cmp.Diff(want, *re); diff != "" {
				t.Errorf("RedirectError mismatch (-want +got):\n%s", diff)
			}
			if nsdist.Retryable(err) {
				t.Error("Retryable(redirect) = true")
			}
			var op *soap.OpError
			if !errors.As(err, &op) || op.Attempts != 1 {
				t.Errorf("OpError = %+v, want 1 attempt", op)
			}
			got := map[string]int32{"first": firstCalls.Load(), "second": secondCalls.Load()}
			if diff := cmp.Diff(map[string]int32{"first": 1, "second": 0}, got); diff != "" {
				t.Errorf("requests per server mismatch (-want +got):\n%s", diff)
			}
			for _, printed := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", re)} {
				for _, s := range secrets {
					if strings.Contains(printed, s) {
						t.Errorf("printed error contains %q: %s", s, printed)
					}
				}
			}
			if !strings.Contains(err.Error(), "WithEndpoint") {
				t.Errorf("error %q does not say what to check", err)
			}
		})
	}
}

// dataCenterAnswer is the getDataCenterUrls fixture with the domains replaced.
func dataCenterAnswer(t *testing.T, rest, ws, sys string) []byte {
	t.Helper()
	b := readFixture(t, "getDataCenterUrls-return.xml")
	for old, nu := range map[string]string{
		"https://123456-sb1.restlets.api.netsuite.com":  rest,
		"https://123456-sb1.suitetalk.api.netsuite.com": ws,
		"https://123456-sb1.app.netsuite.com":           sys,
	} {
		b = bytes.ReplaceAll(b, []byte(">"+old+"<"), []byte(">"+html.EscapeString(nu)+"<"))
	}
	return b
}

// What a discovery answer names is checked before it is cached; what the
// caller configured (here a discovery URL on another host) is not.
func TestDiscoveryRefusesUntrustedDomains(t *testing.T) {
	t.Parallel()
	const (
		rest    = "https://123456-sb1.restlets.api.netsuite.com"
		sys     = "https://123456-sb1.app.netsuite.com"
		derived = "https://123456-sb1.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2"
	)
	tests := []struct {
		name          string
		rest, ws, sys string
		wantEndpoint  string            // after discovery, when accepted
		wantErr       *soap.DomainError // when refused
	}{
		{name: "account domain", rest: rest, ws: "https://123456-sb1.suitetalk.api.netsuite.com", sys: sys, wantEndpoint: derived},
		{name: "other data center", rest: rest, ws: "https://123456-sb1.suitetalk.eu2.netsuite.com", sys: sys, wantEndpoint: "https://123456-sb1.suitetalk.eu2.netsuite.com/services/NetSuitePort_2025_2"},
		{name: "bare netsuite.com, upper case, 443, slash", rest: rest, ws: "https://WebServices.NetSuite.com:443/", sys: sys, wantEndpoint: "https://WebServices.NetSuite.com:443/services/NetSuitePort_2025_2"},
		{name: "plain http", rest: rest, ws: "http://123456-sb1.suitetalk.api.netsuite.com", sys: sys,
			wantErr: &soap.DomainError{Field: "webservicesDomain", Domain: "http://123456-sb1.suitetalk.api.netsuite.com", Reason: "is not https"}},
		{name: "suffix without label boundary", rest: rest, ws: "https://evilnetsuite.com", sys: sys,
			wantErr: &soap.DomainError{Field: "webservicesDomain", Domain: "https://evilnetsuite.com", Reason: "is not on netsuite.com"}},
		{name: "netsuite.com as a prefix", rest: rest, ws: "https://netsuite.com.evil.example", sys: sys,
			wantErr: &soap.DomainError{Field: "webservicesDomain", Domain: "https://netsuite.com.evil.example", Reason: "is not on netsuite.com"}},
		{name: "empty label", rest: rest, ws: "https://.netsuite.com", sys: sys,
			wantErr: &soap.DomainError{Field: "webservicesDomain", Domain: "https://.netsuite.com", Reason: "is not on netsuite.com"}},
		{name: "ip address", rest: rest, ws: "https://203.0.113.7", sys: sys,
			wantErr: &soap.DomainError{Field: "webservicesDomain", Domain: "https://203.0.113.7", Reason: "is not on netsuite.com"}},
		{name: "userinfo hides the real host", rest: rest, ws: "https://a.netsuite.com:x@evil.example", sys: sys,
			wantErr: &soap.DomainError{Field: "webservicesDomain", Domain: "https://evil.example", Reason: "carries userinfo"}},
		{name: "userinfo on a netsuite host", rest: rest, ws: "https://user:pw@a.netsuite.com", sys: sys,
			wantErr: &soap.DomainError{Field: "webservicesDomain", Domain: "https://a.netsuite.com", Reason: "carries userinfo"}},
		{name: "other port", rest: rest, ws: "https://a.netsuite.com:8443", sys: sys,
			wantErr: &soap.DomainError{Field: "webservicesDomain", Domain: "https://a.netsuite.com:8443", Reason: "names a port other than 443"}},
		{name: "path and query", rest: rest, ws: "https://a.netsuite.com/services/NetSuitePort_2025_2?secretq=1", sys: sys,
			wantErr: &soap.DomainError{Field: "webservicesDomain", Domain: "https://a.netsuite.com/services/NetSuitePort_2025_2", Reason: "is not a bare https://host origin"}},
		{name: "not a url", rest: rest, ws: "suitetalk.api.netsuite.com", sys: sys,
			wantErr: &soap.DomainError{Field: "webservicesDomain", Domain: "suitetalk.api.netsuite.com", Reason: "is not an absolute URL"}},
		{name: "rest domain elsewhere", rest: "https://rest.evil.example", ws: "https://123456-sb1.suitetalk.api.netsuite.com", sys: sys,
			wantErr: &soap.DomainError{Field: "restDomain", Domain: "https://rest.evil.example", Reason: "is not on netsuite.com"}},
		{name: "system domain over http", rest: rest, ws: "https://123456-sb1.suitetalk.eu2.netsuite.com", sys: "http://123456-sb1.app.netsuite.com",
			wantErr: &soap.DomainError{Field: "systemDomain", Domain: "http://123456-sb1.app.netsuite.com", Reason: "is not https"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			mt.RegisterResponder(http.MethodPost, "https://discovery.example.test/services/NetSuitePort_2025_2",
				xmlResponder(200, dataCenterAnswer(t, tt.rest, tt.ws, tt.sys)))
			c := newTestClient(t, mt, soap.WithDiscoveryURL("https://discovery.example.test"))
			_, err := c.DataCenterURLs(t.Context())
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("DataCenterURLs() error = %v", err)
				}
				if diff := cmp.Diff(tt.wantEndpoint, c.Endpoint()); diff != "" {
					t.Errorf("Endpoint() after discovery mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, soap.ErrUntrustedDomain) {
				t.Fatalf("DataCenterURLs() error = %v, want ErrUntrustedDomain", err)
			}
			var de *soap.DomainError
			if !errors.As(err, &de) {
				t.Fatalf("DataCenterURLs() error = %v, want a *DomainError", err)
			}
			if diff := cmp.Diff(*tt.wantErr, *de); diff != "" {
				t.Errorf("DomainError mismatch (-want +got):\n%s", diff)
			}
			if got := c.Endpoint(); got != derived {
				t.Errorf("Endpoint() = %s: the refused answer was cached", got)
			}
			for _, s := range []string{"pw@", "secretq", "a.netsuite.com:x"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows %q", err, s)
				}
			}
		})
	}
}

// When the derived host does not resolve, a refused discovery answer is
// what Do returns, and nothing is sent to the refused host.
func TestDiscoveryFallbackRefusal(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, endpoint2025, httpmock.NewErrorResponder(&net.DNSError{Err: "no such host", Name: "123456-sb1.suitetalk.api.netsuite.com", IsNotFound: true}))
	mt.RegisterResponder(http.MethodPost, "https://webservices.netsuite.com/services/NetSuitePort_2025_2",
		xmlResponder(200, dataCenterAnswer(t, "https://123456-sb1.restlets.api.netsuite.com", "https://eu1.example.test", "https://123456-sb1.app.netsuite.com")))
	mt.RegisterResponder(http.MethodPost, "https://eu1.example.test/services/NetSuitePort_2025_2", xmlResponder(200, readFixture(t, "getServerTime.xml")))
	c := newTestClient(t, mt)
	_, err := c.Do(t.Context(), soap.OpGetServerTime)
	var de *soap.DomainError
	if !errors.As(err, &de) || de.Domain != "https://eu1.example.test" {
		t.Fatalf("Do error = %v, want a *DomainError for https://eu1.example.test", err)
	}
	want := map[string]int{
		"POST " + endpoint2025: 1,
		"POST https://webservices.netsuite.com/services/NetSuitePort_2025_2": 1,
		"POST https://eu1.example.test/services/NetSuitePort_2025_2":         0,
	}
	if diff := cmp.Diff(want, mt.GetCallCountInfo()); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}
