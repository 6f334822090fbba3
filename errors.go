package nsdist

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// WireError is implemented by every error that carries NetSuite's answer,
// whatever the channel: a SOAP fault, an HTTP error, an OAuth 2.0 error.
// Code that classifies errors reaches it with errors.As and never imports
// the package that made it. It is modelled on smithy-go's APIError.
type WireError interface {
	error
	// ErrorCode is the answer's code: NetSuite's fault code
	// (WS_REQUEST_BLOCKED), the OAuth 2.0 error (invalid_token), or "".
	ErrorCode() string
	// ErrorMessage is the server's text, capped and scrubbed of the
	// request's secrets, or "".
	ErrorMessage() string
	// HTTPStatusCode is the HTTP status that carried the answer, or 0.
	HTTPStatusCode() int
	// RetryAfterWait is how long the server asked to wait (Retry-After),
	// or 0.
	RetryAfterWait(now time.Time) time.Duration
	// Temporary reports whether the same request may succeed later
	// unchanged: a concurrency limit, 429, temporary unavailability.
	Temporary() bool
	// Cause is a short label that groups like failures in a report, such
	// as "SOAP fault WS_REQUEST_BLOCKED: …" or "HTTP 503 service
	// unavailable"; it holds no secret.
	Cause() string
}

// ErrorClass is what the one retry classifier, [Classify], makes of an
// error. Every channel and the rollout decide retries with it, so a single
// Distribute and a rollout decide the same way.
type ErrorClass string

// The classes, in the order Classify tests them: the first that matches
// wins.
const (
	ClassNone        ErrorClass = "none"          // no error
	ClassCanceled    ErrorClass = "canceled"      // the caller's context ended
	ClassTLS         ErrorClass = "tls"           // a TLS or certificate failure
	ClassDNSNotFound ErrorClass = "dns_not_found" // the host does not exist
	ClassRedirect    ErrorClass = "redirect"      // an HTTP redirect, never followed with credentials
	ClassTemporary   ErrorClass = "temporary"     // NetSuite said: wait and try again
	ClassRefused     ErrorClass = "refused"       // NetSuite answered with a lasting refusal
	ClassTimeout     ErrorClass = "timeout"       // no answer in time (a retry loop stops at the caller's own deadline anyway)
	ClassConnection  ErrorClass = "connection"    // no answer: connect failed, reset, cut short
	ClassUnknown     ErrorClass = "unknown"       // nothing known about it
)

// Retryable reports whether another attempt may succeed. Why each class
// is or is not retried:
//   - none, canceled: nothing to retry, or the caller stopped.
//   - tls: a certificate does not fix itself; retrying only delays the
//     message that says what to check.
//   - dns_not_found: the account's host does not exist; NXDOMAIN is an
//     answer, not a failure to get one.
//   - redirect: the request carries credentials, so it is never sent on to
//     another host, and the same request will be redirected again.
//   - temporary: concurrency faults (bridgehead_1525252812), 429, 502,
//     503, 504, ACCT_TEMP_UNAVAILABLE: NetSuite asks for another try.
//   - refused: credentials, permissions, versions, a plain HTTP 500 (the
//     server may have processed the request; an error it calls permanent
//     repeats): the same request gets the same answer.
//   - connection, timeout: the request got no answer (reset, refused,
//     cut short), so nothing was processed or, for the operations nsdist
//     sends, processing again changes nothing.
//   - unknown: never repeated blindly.
func (c ErrorClass) Retryable() bool {
	return c == ClassTemporary || c == ClassConnection || c == ClassTimeout
}

// String returns the class's name.
func (c ErrorClass) String() string { return string(c) }

// Classify returns err's class by what the error says about itself,
// testing the classes in their declared order. It reads errors through
// [WireError] and the standard library's types only.
func Classify(err error) ErrorClass {
	var (
		we   WireError
		conn interface{ ConnectionError() bool }
		ne   net.Error
		op   *net.OpError
	)
	switch {
	case err == nil:
		return ClassNone
	case errors.Is(err, context.Canceled):
		return ClassCanceled
	case tlsFailure(err):
		return ClassTLS
	case dnsNotFound(err):
		return ClassDNSNotFound
	case errors.As(err, &we):
		return wireClass(we)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ClassTimeout
	case errors.As(err, &conn) && conn.ConnectionError(),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF):
		return ClassConnection
	case errors.As(err, &op):
		return ClassConnection // a network operation failed below HTTP: no answer came
	}
	return ClassUnknown
}

func wireClass(we WireError) ErrorClass {
	s := we.HTTPStatusCode()
	switch {
	case s >= 300 && s < 400:
		return ClassRedirect
	case we.Temporary():
		return ClassTemporary
	}
	return ClassRefused
}

// Retryable reports whether another attempt at the request that failed
// with err may succeed: Classify(err).Retryable().
func Retryable(err error) bool { return Classify(err).Retryable() }

// RetryAfter returns the wait the server asked for in err (Retry-After),
// or 0.
func RetryAfter(err error, now time.Time) time.Duration {
	var we WireError
	if errors.As(err, &we) {
		return we.RetryAfterWait(now)
	}
	return 0
}

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
		ae  tls.AlertError
	)
	return errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) || errors.As(err, &cve) ||
		errors.As(err, &rhe) || errors.As(err, &ae)
}
