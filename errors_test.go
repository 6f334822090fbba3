package nsdist_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"

	"crypto/tls"
	"errors"
	"io"
	"net/url"
)

// classifierCases holds one error of every kind the channels produce,
// wrapped as the channels wrap them, with the class the one classifier
// must give it.
func classifierCases() []struct {
	name string
	err  error
	want nsdist.ErrorClass
} {
	fault := func(kind, code string) error {
		return &soap.OpError{Op: soap.OpGetServerTime, Err: &soap.Fault{Kind: kind, NSCode: code, HTTPStatus: 500}}
	}
	transport := func(err error) error { return &soap.OpError{Err: &soap.TransportError{Err: err}} }
	urlErr := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://1.suitetalk.api.netsuite.com", Err: err}
	}
	return []struct {
		name string
		err  error
		want nsdist.ErrorClass
	}{
		{"nil", nil, nsdist.ClassNone},
		{"canceled", fmt.Errorf("soap: %w", context.Canceled), nsdist.ClassCanceled},
		{"x509 unknown authority", transport(urlErr(x509.UnknownAuthorityError{})), nsdist.ClassTLS},
		{"x509 hostname", urlErr(x509.HostnameError{Host: "x"}), nsdist.ClassTLS},
		{"tls verification", urlErr(&tls.CertificateVerificationError{Err: errors.New("expired")}), nsdist.ClassTLS},
		{"tls alert", urlErr(tls.AlertError(42)), nsdist.ClassTLS},
		{"dns no such host", transport(urlErr(&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true})), nsdist.ClassDNSNotFound},
		{"dns timeout", urlErr(&net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}), nsdist.ClassTimeout},
		{"soap redirect", &soap.OpError{Err: &soap.RedirectError{StatusCode: 302}}, nsdist.ClassRedirect},
		{"WS_REQUEST_BLOCKED", fault("exceededConcurrentRequestLimitFault", "WS_REQUEST_BLOCKED"), nsdist.ClassTemporary},
		{"WS_CONCUR_SESSION_DISALLWD", fault("", "WS_CONCUR_SESSION_DISALLWD"), nsdist.ClassTemporary},
		{"ACCT_TEMP_UNAVAILABLE", fault("", "ACCT_TEMP_UNAVAILABLE"), nsdist.ClassTemporary},
		{"UNEXPECTED_ERROR", fault("unexpectedErrorFault", "UNEXPECTED_ERROR"), nsdist.ClassTemporary},
		{"Invalid login attempt", fault("invalidCredentialsFault", "USER_ERROR"), nsdist.ClassRefused},
		{"permission", fault("insufficientPermissionFault", "WS_PERMISSION_REQD"), nsdist.ClassRefused},
		{"version", fault("invalidVersionFault", ""), nsdist.ClassRefused},
		{"soap http 429", &soap.OpError{Err: &soap.HTTPError{StatusCode: 429}}, nsdist.ClassTemporary},
		{"soap http 500", &soap.OpError{Err: &soap.HTTPError{StatusCode: 500}}, nsdist.ClassRefused},
		{"soap http 502", &soap.OpError{Err: &soap.HTTPError{StatusCode: 502}}, nsdist.ClassTemporary},
		{"soap http 503", &soap.OpError{Err: &soap.HTTPError{StatusCode: 503}}, nsdist.ClassTemporary},
		{"soap http 504", &soap.OpError{Err: &soap.HTTPError{StatusCode: 504}}, nsdist.ClassTemporary},
		{"soap http 404", &soap.OpError{Err: &soap.HTTPError{StatusCode: 404}}, nsdist.ClassRefused},
		{"soap truncated", &soap.OpError{Err: &soap.DecodeError{Err: soap.ErrTruncated}}, nsdist.ClassConnection},
		{"oauth2 invalid_token", &oauth2.Error{Op: oauth2.OpServerTime, Code: oauth2.CodeInvalidToken, HTTPStatus: 401}, nsdist.ClassRefused},
		{"oauth2 invalid_grant", &oauth2.Error{Op: oauth2.OpRefresh, Code: oauth2.CodeInvalidGrant, HTTPStatus: 400}, nsdist.ClassRefused},
		{"oauth2 403", &oauth2.Error{Op: oauth2.OpServerTime, HTTPStatus: 403}, nsdist.ClassRefused},
		{"oauth2 429", &oauth2.Error{Op: oauth2.OpServerTime, Code: oauth2.CodeTooManyRequests, HTTPStatus: 429}, nsdist.ClassTemporary},
		{"oauth2 500", &oauth2.Error{Op: oauth2.OpServerTime, HTTPStatus: 500}, nsdist.ClassRefused},
		{"oauth2 503", &oauth2.Error{Op: oauth2.OpServerTime, HTTPStatus: 503}, nsdist.ClassTemporary},
		{"oauth2 temporarily_unavailable", &oauth2.Error{Op: oauth2.OpRefresh, Code: oauth2.CodeTemporarilyUnavailable, HTTPStatus: 400}, nsdist.ClassTemporary},
		{"connection refused", transport(urlErr(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})), nsdist.ClassConnection},
		{"connection reset", urlErr(&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), nsdist.ClassConnection},
		{"unexpected EOF", fmt.Errorf("oauth2: serverTime: %w", urlErr(io.ErrUnexpectedEOF)), nsdist.ClassConnection},
		{"client timeout", urlErr(timeoutError{}), nsdist.ClassTimeout},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), nsdist.ClassTimeout},
		{"dial failed", fmt.Errorf("oauth2: serverTime: %w", &net.OpError{Op: "dial", Err: errors.New("refused")}), nsdist.ClassConnection},
		{"other", errors.New("something else"), nsdist.ClassUnknown},
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	t.Parallel()
	retried := map[nsdist.ErrorClass]bool{nsdist.ClassTemporary: true, nsdist.ClassConnection: true, nsdist.ClassTimeout: true}
	for _, tt := range classifierCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := nsdist.Classify(tt.err)
			if got != tt.want {
				t.Errorf("Classify(%v) = %s, want %s", tt.err, got, tt.want)
			}
			if nsdist.Retryable(tt.err) != retried[tt.want] {
				t.Errorf("Retryable(%v) = %v, want %v", tt.err, nsdist.Retryable(tt.err), retried[tt.want])
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	h := &soap.HTTPError{StatusCode: 503, Header: map[string][]string{"Retry-After": {"7"}}}
	tests := []struct {
		name string
		err  error
		want time.Duration
	}{
		{"soap 503", &soap.OpError{Err: h}, 7 * time.Second},
		{"oauth2 429", fmt.Errorf("probe: %w", &oauth2.Error{HTTPStatus: 429, RetryAfter: 3 * time.Second}), 3 * time.Second},
		{"fault", &soap.Fault{NSCode: "WS_REQUEST_BLOCKED"}, 0},
		{"none", errors.New("x"), 0},
	}
	for _, tt := range tests {
		if got := nsdist.RetryAfter(tt.err, now); got != tt.want {
			t.Errorf("RetryAfter(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestWireErrorCause: each wire error names its own group for a report.
func TestWireErrorCause(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  nsdist.WireError
		want string
	}{
		{&soap.Fault{Kind: "invalidCredentialsFault", NSCode: "USER_ERROR", String: "Invalid login attempt."}, "SOAP fault USER_ERROR: Invalid login attempt."},
		{&soap.Fault{Kind: "exceededConcurrentRequestLimitFault"}, "SOAP fault exceededConcurrentRequestLimitFault"},
		{&soap.HTTPError{StatusCode: 503}, "HTTP 503 service unavailable"},
		{&soap.RedirectError{StatusCode: 301}, "HTTP 301 redirect"},
		{&oauth2.Error{Code: oauth2.CodeInvalidGrant, HTTPStatus: 400}, "OAuth 2.0 invalid_grant (HTTP 400)"},
		{&oauth2.Error{}, "OAuth 2.0 refusal"},
	}
	for _, tt := range tests {
		if got := tt.err.Cause(); got != tt.want {
			t.Errorf("%T.Cause() = %q, want %q", tt.err, got, tt.want)
		}
	}
}

const (
	pathsSOAPURL = "https://123456.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2"
	pathsRESTURL = "https://123456.suitetalk.api.netsuite.com/services/rest/system/v1/serverTime"
	pathsTries   = 3
)

// answer is one kind of answer (or no answer) from NetSuite, as each
// channel gets it.
type answer struct {
	name  string
	retry bool // what the one classifier says, on every path
	soap  httpmock.Responder
	rest  httpmock.Responder
}

func pathAnswers(t *testing.T) []answer {
	fault, err := os.ReadFile("soap/testdata/responses/fault-invalid-credentials.xml")
	if err != nil {
		t.Fatal(err)
	}
	status := func(code int, hdr ...string) httpmock.Responder {
		return func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(code, "<html>busy</html>")
			r.Header.Set("Content-Type", "text/html")
			for i := 0; i+1 < len(hdr); i += 2 {
				r.Header.Set(hdr[i], hdr[i+1])
			}
			return r, nil
		}
	}
	same := func(name string, retry bool, r httpmock.Responder) answer { return answer{name, retry, r, r} }
	concurrency := strings.Replace(strings.Replace(string(fault), "invalidCredentialsFault", "exceededConcurrentRequestLimitFault", 2), "USER_ERROR", "WS_CONCUR_SESSION_DISALLWD", 1)
	soapFault := func(body string) httpmock.Responder {
		return func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(500, body)
			r.Header.Set("Content-Type", "text/xml; charset=utf-8")
			return r, nil
		}
	}
	return []answer{
		same("HTTP 429", true, status(429)),
		same("HTTP 502", true, status(502)),
		same("HTTP 503", true, status(503)),
		same("HTTP 504", true, status(504)),
		same("HTTP 500", false, status(500)),
		same("HTTP 404", false, status(404)),
		same("HTTP 302 redirect", false, status(302, "Location", "https://elsewhere.example/")),
		{"concurrency limit", true, soapFault(concurrency), status(429)},
		{"refused credentials", false, soapFault(string(fault)), status(401, "WWW-Authenticate", `Bearer error="invalid_token"`)},
		same("connection refused", true, httpmock.NewErrorResponder(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})),
		same("connection reset", true, httpmock.NewErrorResponder(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)})),
		same("timeout", true, httpmock.NewErrorResponder(timeoutError{})),
		same("TLS unknown authority", false, httpmock.NewErrorResponder(x509.UnknownAuthorityError{})),
	}
}

// pathInstallers returns an AutoInstaller whose SOAP and REST probers
// retry fast, over mt.
func pathInstaller(t *testing.T, mt http.RoundTripper) *distribution.AutoInstaller {
	t.Helper()
	client, err := oauth2.NewClient(oauth2.Config{ClientID: "client"}, oauth2.WithTransport(mt), oauth2.WithProbeRetry(pathsTries, time.Microsecond, time.Microsecond))
	if err != nil {
		t.Fatal(err)
	}
	fast := soap.RetryPolicy{MaxAttempts: pathsTries, InitialInterval: time.Microsecond, Multiplier: 1, MaxInterval: time.Microsecond,
		MaxElapsedTime: time.Minute, MaxUnexpectedRetries: 2}
	ai, err := distribution.NewAutoInstaller(approval.Record{Name: "Acme Sync", TBA: true, TBAAuthFlow: true, OAuth2CodeGrant: true},
		tba.WithProber(soap.WithTransport(mt), soap.WithRetryPolicy(fast)), distribution.WithProber(oauth2.NewProber(client)))
	if err != nil {
		t.Fatal(err)
	}
	return ai
}

// TestClassifierOnEveryPath: every kind of answer, on both channels (SOAP
// and REST), through a single Distribute and through a rollout, is retried
// exactly when nsdist.Retryable says so, and the four paths agree.
func TestClassifierOnEveryPath(t *testing.T) {
	t.Parallel()
	targets := map[string]distribution.Target{
		"soap": {Account: "123456", Credential: tba.Credential{Consumer: tba.Consumer{Key: strings.Repeat("c", 64), Secret: "cs"}, Token: tba.Token{ID: strings.Repeat("t", 64), Secret: "ts"}}},
		"rest": {Account: "123456", Credential: oauth2.Grant{Token: &oauth2.Token{Account: "123456", AccessToken: "at", Expiry: time.Now().Add(time.Hour)}}},
	}
	for _, a := range pathAnswers(t) {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			row := []string{a.name}
			classes := map[nsdist.ErrorClass]bool{}
			for _, ch := range []string{"soap", "rest"} {
				for _, path := range []string{"direct", "rollout"} {
					mt := httpmock.NewMockTransport()
					mt.RegisterResponder(http.MethodPost, pathsSOAPURL, a.soap)
					mt.RegisterResponder(http.MethodGet, pathsRESTURL, a.rest)
					ai := pathInstaller(t, mt)
					var res distribution.Result
					if path == "direct" {
						res = ai.Distribute(t.Context(), targets[ch])
					} else {
						r, err := rollout.New(ai, rollout.WithMaxAttempts(pathsTries), rollout.WithBackoff(time.Microsecond, time.Microsecond))
						if err != nil {
							t.Fatal(err)
						}
						rep, err := r.Run(context.Background(), []distribution.Target{targets[ch]})
						if err != nil || len(rep.Results) != 1 {
							t.Fatalf("%s %s: Run: %v", ch, path, err)
						}
						res = rep.Results[0]
					}
					sent := mt.GetTotalCallCount()
					want := 1
					if a.retry {
						want = pathsTries
					}
					if res.Err == nil || nsdist.Retryable(res.Err) != a.retry || sent != want {
						t.Errorf("%s %s: %d requests, Retryable(%v) = %v; want %d requests, %v", ch, path, sent, res.Err, nsdist.Retryable(res.Err), want, a.retry)
					}
					row = append(row, fmt.Sprintf("%s/%s %s %d", ch, path, nsdist.Classify(res.Err), sent))
					classes[nsdist.Classify(res.Err)] = true
				}
			}
			t.Log(strings.Join(row, " | "))
			if len(classes) != 1 {
				t.Errorf("the paths classify %s differently: %s", a.name, strings.Join(row, " | "))
			}
		})
	}
}
