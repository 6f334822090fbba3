package soap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist/internal/redact"
)

// OpError is the outer error of every failed call: the operation, the
// account and endpoint (without secrets), how many attempts were made, and
// the last attempt's real cause.
type OpError struct {
	Op       Operation
	Account  AccountID
	URL      string
	Attempts int
	Err      error // the last attempt's error
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

// RetryAfter returns the wait the server asked for, or 0.
func (e *HTTPError) RetryAfter(now time.Time) time.Duration {
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

func newHTTPError(resp *http.Response, body []byte, cause error) *HTTPError {
	h := http.Header{}
	for _, k := range []string{"Content-Type", "Retry-After"} {
		if v := resp.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	return &HTTPError{StatusCode: resp.StatusCode, Body: redact.Snippet(body, snippetLen), Header: h, Err: cause}
}

// dnsNotFound reports a host that does not resolve.
func dnsNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func tlsFailure(err error) bool {
	var (
		uae x509.UnknownAuthorityError
		hne x509.HostnameError
		cie x509.CertificateInvalidError
		cve *tls.CertificateVerificationError
		rhe tls.RecordHeaderError
	)
	return errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) || errors.As(err, &cve) || errors.As(err, &rhe)
}

func ctxDone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
