package soap

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
)

// OpError is the outer error of every failed call: the operation, the
// account and endpoint (without secrets), how many attempts were made, and
// the last attempt's real cause.
type OpError struct {
	Op       Operation
	Account  nsdist.AccountID
	URL      string
	Attempts int
	Err      error // the last attempt's error, or the one before's if ctx cut the last short
	ctxErr   error // set when the call ended because ctx was done
}

func (e *OpError) Error() string {
	s := "soap: " + string(e.Op)
	if e.Account != "" {
		s += " " + string(e.Account)
	}
	if e.Attempts > 1 {
		s += " after " + strconv.Itoa(e.Attempts) + " attempts"
	}
	if e.ctxErr != nil {
		s += " (" + e.ctxErr.Error() + ")"
	}
	if e.Err != nil {
		s += ": " + strings.TrimPrefix(e.Err.Error(), "soap: ")
	}
	return s
}

// Unwrap returns the last cause and, if the context ended the call, its error.
func (e *OpError) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.ctxErr != nil {
		errs = append(errs, e.ctxErr)
	}
	return errs
}

// HTTPError is an HTTP response that carried no SOAP answer nsdist could
// use: an HTML error page, a proxy's 503, a 404 from a wrong host.
type HTTPError struct {
	StatusCode int
	Body       string      // a short snapshot, secrets blanked
	Header     http.Header // Content-Type and Retry-After only
	Err        error       // why the body did not decode, if it was read
}

func (e *HTTPError) Error() string {
	s := "soap: http " + strconv.Itoa(e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		s += " " + strings.ToLower(t)
	}
	if e.Body != "" {
		s += ": " + strconv.Quote(e.Body)
	}
	return s
}

// Unwrap returns the decode error.
func (e *HTTPError) Unwrap() error { return e.Err }

// HTTPStatusCode returns the status code.
func (e *HTTPError) HTTPStatusCode() int { return e.StatusCode }

// RetryAfterWait returns the wait the server asked for (Retry-After), or 0.
func (e *HTTPError) RetryAfterWait(now time.Time) time.Duration {
	return parseRetryAfter(e.Header.Get("Retry-After"), now)
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// TransportError is a request that got no HTTP response.
type TransportError struct {
	Err error
}

func (e *TransportError) Error() string { return "soap: transport: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// ConnectionError reports that no response was received.
func (e *TransportError) ConnectionError() bool { return true }

var (
	_ nsdist.WireError = (*HTTPError)(nil)
	_ nsdist.WireError = (*RedirectError)(nil)
	_ nsdist.WireError = (*Fault)(nil)
)

// ErrorCode returns "": an HTTP error carries no NetSuite code.
func (e *HTTPError) ErrorCode() string { return "" }

// ErrorMessage returns "": the body snapshot is in Body.
func (e *HTTPError) ErrorMessage() string { return "" }

// Temporary reports 429, 502, 503 and 504: statuses sent before the request
// was processed (RFC 6585 §4, RFC 9110 §15.6). A plain 500 is not: the
// server may have processed the request, and NetSuite sends its lasting
// refusals as 500 faults.
func (e *HTTPError) Temporary() bool {
	switch e.StatusCode {
	case 429, 502, 503, 504:
		return true
	}
	return false
}

// Cause is "HTTP 503 service unavailable".
func (e *HTTPError) Cause() string {
	return strings.TrimSpace("HTTP " + strconv.Itoa(e.StatusCode) + " " + strings.ToLower(http.StatusText(e.StatusCode)))
}

func newHTTPError(resp *http.Response, body []byte, cause error, sc *scrubber) *HTTPError {
	h := http.Header{}
	for _, k := range []string{"Content-Type", "Retry-After"} {
		if v := resp.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	return &HTTPError{StatusCode: resp.StatusCode, Body: sc.snippet(body), Header: h, Err: cause}
}

// ErrRedirect is wrapped by every [*RedirectError].
var ErrRedirect = errors.New("soap: endpoint answered with a redirect")

// RedirectError is a 3xx answer to a SOAP request. NetSuite never
// redirects a SOAP POST, and the envelope carries credentials (a
// tokenPassport, or a password in clear text), so nsdist follows no
// redirect: the request went to the first host only. It is not retried.
type RedirectError struct {
	StatusCode int
	// Location is the scheme and host the answer pointed to, without
	// userinfo, path or query; empty if there was no usable Location.
	Location string
}

func (e *RedirectError) Error() string {
	s := "soap: http " + strconv.Itoa(e.StatusCode) + " redirect"
	if e.Location != "" {
		s += " to " + e.Location
	}
	return s + " not followed (the request carries credentials): the endpoint has moved or is wrong;" +
		" leave WithEndpoint unset so getDataCenterUrls finds the account's domain, or check the WithEndpoint/WithDiscoveryURL URL"
}

// Unwrap returns ErrRedirect.
func (e *RedirectError) Unwrap() error { return ErrRedirect }

// ErrorCode returns "".
func (e *RedirectError) ErrorCode() string { return "" }

// ErrorMessage returns "".
func (e *RedirectError) ErrorMessage() string { return "" }

// RetryAfterWait returns 0.
func (e *RedirectError) RetryAfterWait(time.Time) time.Duration { return 0 }

// Temporary returns false: the same request is redirected again.
func (e *RedirectError) Temporary() bool { return false }

// Cause is "HTTP 302 redirect".
func (e *RedirectError) Cause() string { return "HTTP " + strconv.Itoa(e.StatusCode) + " redirect" }

// HTTPStatusCode returns the status code.
func (e *RedirectError) HTTPStatusCode() int { return e.StatusCode }

func newRedirectError(resp *http.Response) *RedirectError {
	e := &RedirectError{StatusCode: resp.StatusCode}
	if loc, err := resp.Location(); err == nil && loc.Host != "" {
		e.Location = (&url.URL{Scheme: loc.Scheme, Host: loc.Host}).String()
	}
	return e
}

// ErrUntrustedDomain is wrapped by every [*DomainError].
var ErrUntrustedDomain = errors.New("soap: discovery named a domain outside https://*.netsuite.com")

// DomainError is a getDataCenterUrls answer that named a domain nsdist
// will not send credentials to: not https, or a host that is not
// netsuite.com or one of its subdomains. The answer is not cached.
type DomainError struct {
	Field  string // webservicesDomain, restDomain or systemDomain
	Domain string // the domain as answered, without userinfo or query
	Reason string
}

func (e *DomainError) Error() string {
	return "soap: discovery answer refused: " + e.Field + " " + strconv.Quote(e.Domain) + " " + e.Reason +
		"; check WithDiscoveryURL, or set the account's SuiteTalk URL with WithEndpoint"
}

// Unwrap returns ErrUntrustedDomain.
func (e *DomainError) Unwrap() error { return ErrUntrustedDomain }
