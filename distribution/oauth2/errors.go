package oauth2

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
)

// Sentinels that errors of this package wrap or match with errors.Is.
var (
	// ErrReauthorize matches an error after which only a new authorization
	// by the customer's user helps: an invalid_grant on refresh (the
	// refresh token expired, was spent, revoked, or the rotation window
	// closed), or a denied authorization.
	ErrReauthorize = errors.New("oauth2: the user must authorize the integration again")
	// ErrCallback is wrapped by errors in a redirect that are the app's or
	// an attacker's, not NetSuite's: a wrong or reused state, a missing
	// code, a company that is no account id or another account than the
	// flow's.
	ErrCallback = errors.New("oauth2: bad authorization callback")
	// ErrResponse is wrapped when NetSuite's answer cannot be read: an HTML
	// page, a truncated or oversized body, JSON without an access token.
	ErrResponse = errors.New("oauth2: unexpected response")
	// ErrRedirect is wrapped when a NetSuite endpoint answers with a
	// redirect: nsdist never follows one with credentials.
	ErrRedirect = errors.New("oauth2: refused to follow a redirect")
	// ErrConfig is wrapped by configuration errors found before anything is sent.
	ErrConfig = errors.New("oauth2: bad configuration")
)

// ErrorCode is an OAuth 2.0 error value: RFC 6749 §4.1.2.1 and §5.2, RFC
// 6750 §3.1, as NetSuite documents them (subsect_158521823069,
// subsect_158521832417, subsect_158521885412).
type ErrorCode string

// The error values NetSuite documents, and the standard ones it may send.
const (
	CodeInvalidRequest          ErrorCode = "invalid_request"
	CodeInvalidClient           ErrorCode = "invalid_client"
	CodeInvalidGrant            ErrorCode = "invalid_grant"
	CodeUnauthorizedClient      ErrorCode = "unauthorized_client"
	CodeUnsupportedGrantType    ErrorCode = "unsupported_grant_type"
	CodeUnsupportedResponseType ErrorCode = "unsupported_response_type"
	CodeInvalidScope            ErrorCode = "invalid_scope"
	CodeAccessDenied            ErrorCode = "access_denied"
	CodeInvalidToken            ErrorCode = "invalid_token"
	CodeInsufficientScope       ErrorCode = "insufficient_scope"
	CodeServerError             ErrorCode = "server_error"
	CodeTemporarilyUnavailable  ErrorCode = "temporarily_unavailable"
	// CodeTooManyRequests is nsdist's name for an HTTP 429 with no OAuth
	// error value: the account's concurrency limit (section_0827103226).
	CodeTooManyRequests ErrorCode = "too_many_requests"
)

// String returns the code.
func (c ErrorCode) String() string { return string(c) }

// Operations an *Error names.
const (
	OpAuthorize         = "authorize"
	OpExchange          = "exchange"
	OpRefresh           = "refresh"
	OpRevoke            = "revoke"
	OpClientCredentials = "client_credentials"
	OpServerTime        = "serverTime"
	OpCertificates      = "certificates"
)

// Error is NetSuite's refusal of an OAuth 2.0 request: an error value in
// the authorize redirect, a token-endpoint error body, or a resource's
// WWW-Authenticate challenge. It never holds a secret: Body is a short
// snapshot with every secret of the request blanked, even one the server
// echoed back.
type Error struct {
	Op          string // one of the Op constants
	Account     nsdist.AccountID
	Code        ErrorCode
	Description string // error_description, when NetSuite sends one
	HTTPStatus  int    // 0 for an authorize redirect
	// Challenge is the parsed WWW-Authenticate header: Basic realm="<account>"
	// for invalid_client, Bearer realm=…, error=… on a REST resource.
	Challenge *Challenge
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Body is a short snapshot of the answer, secrets blanked.
	Body string
	// Role, Entity and Company come with an authorize redirect's error.
	Role, Entity string
	Company      nsdist.AccountID
	// NextStep says what the user, the customer's administrator or the
	// vendor should do about the error (a field, so that printing it never
	// prints a method's address).
	NextStep string

	public   bool          // the client is a public client
	rotation time.Duration // public clients: Maximum Time For Token Rotation
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("oauth2: ")
	b.WriteString(e.Op)
	if e.Account != "" {
		b.WriteString(" for account ")
		b.WriteString(string(e.Account))
	}
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(string(e.Code))
	} else {
		b.WriteString("refused")
	}
	if e.Description != "" {
		b.WriteString(" (")
		b.WriteString(e.Description)
		b.WriteString(")")
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ", http %d", e.HTTPStatus)
	}
	if s := e.NextStep; s != "" {
		b.WriteString(": ")
		b.WriteString(s)
	}
	return b.String()
}

// Is reports whether e matches target: ErrReauthorize for a refused
// refresh or a denied authorization, ErrRedirect for a 3xx answer.
func (e *Error) Is(target error) bool {
	if target == ErrRedirect {
		return e.redirect()
	}
	if target != ErrReauthorize {
		return false
	}
	switch {
	case e.Op == OpRefresh && e.Code == CodeInvalidGrant:
		return true
	case e.Op == OpAuthorize && e.Code == CodeAccessDenied:
		return true
	case e.Op == OpExchange && e.Code == CodeInvalidGrant:
		return true
	}
	return false
}

// Temporary reports whether the same request may succeed later unchanged:
// 429, 503, server_error and temporarily_unavailable.
func (e *Error) Temporary() bool {
	switch e.Code {
	case CodeTooManyRequests, CodeServerError, CodeTemporarilyUnavailable:
		return true
	}
	return e.HTTPStatus == 429 || e.HTTPStatus == 502 || e.HTTPStatus == 503 || e.HTTPStatus == 504
}

// HTTPStatusCode returns the HTTP status (0 for an authorize redirect).
func (e *Error) HTTPStatusCode() int { return e.HTTPStatus }

// RetryAfterWait returns the server's Retry-After (0 when it sent none),
// for callers that schedule retries by behaviour (distribution's Rollout).
func (e *Error) RetryAfterWait(time.Time) time.Duration { return e.RetryAfter }

// ErrorCode returns the OAuth 2.0 error value, for callers that classify
// errors by behaviour ([nsdist.WireError]) without importing this package.
func (e *Error) ErrorCode() string { return string(e.Code) }

// ErrorMessage returns the error_description NetSuite sent, or "".
func (e *Error) ErrorMessage() string { return e.Description }

// Cause is "OAuth 2.0 invalid_grant (HTTP 400)", for a report's groups.
func (e *Error) Cause() string {
	s := "OAuth 2.0 " + string(e.Code)
	if e.Code == "" {
		s = "OAuth 2.0 refusal"
	}
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	return s
}

var _ nsdist.WireError = (*Error)(nil)

// Operation returns Op, for callers that classify errors by behaviour.
func (e *Error) Operation() string { return e.Op }

// Reauthorize reports whether only a new authorization helps (see ErrReauthorize).
func (e *Error) Reauthorize() bool { return e.Is(ErrReauthorize) }

const auditTrail = "the customer's Login Audit Trail shows why (Setup > Users/Roles > User Management > View Login Audit Trail, Use Advanced Search, add the Detail column)"

func (e *Error) redirect() bool { return e.HTTPStatus >= 300 && e.HTTPStatus < 400 }

// setNextStep fills NextStep from what e says.
func (e *Error) setNextStep() { e.NextStep = e.nextStep() }

// stepped returns e with its NextStep filled.
func stepped(e *Error) *Error {
	e.setNextStep()
	return e
}

// nextStep says what the user, the customer's administrator or the vendor
// should do about e.
func (e *Error) nextStep() string {
	if e.redirect() {
		return "check the account id and the endpoint (WithBaseURL): NetSuite's own hosts answer these requests without a redirect"
	}
	switch e.Op {
	case OpAuthorize:
		return authorizeStep(e.Code)
	case OpServerTime, OpCertificates:
		return resourceStep(e)
	}
	switch e.Code {
	case CodeInvalidRequest:
		return "NetSuite found the request malformed (a missing parameter, a wrong grant_type, or more than one client authentication method): report this to the vendor"
	case CodeInvalidClient:
		return "the client ID or client secret is wrong: check them against the integration record; if the secret is lost, the record's owner must reset the credentials (they are shown only once)"
	case CodeInvalidGrant:
		switch e.Op {
		case OpExchange:
			return "the authorization code expired, was used already, or its redirect URI or PKCE verifier did not match: start the authorization again"
		case OpRefresh:
			if e.public {
				return fmt.Sprintf("the refresh token was spent, expired or revoked, or the rotation window (%s from the first authorization, the record's Maximum Time For Token Rotation) closed: the user must authorize again", hours(e.rotation))
			}
			return "the refresh token expired (confidential clients' refresh tokens last 7 days), or was revoked: the user must authorize again"
		case OpClientCredentials:
			return "the client assertion was refused (certificate id, key, algorithm, scope or clock): " + auditTrail
		}
		return "NetSuite refused the grant: start the authorization again"
	case CodeUnauthorizedClient:
		return "the integration record does not allow this grant: its owner must check Authorization Code Grant or Client Credentials (Machine to Machine) Grant, and public clients cannot use client credentials"
	case CodeUnsupportedGrantType:
		return "NetSuite does not support this grant type: report this to the vendor"
	case CodeInvalidScope:
		return "a requested scope is not enabled on the integration record: request only the scopes checked there (RESTlets, REST Web Services, SuiteAnalytics Connect)"
	case CodeTooManyRequests, CodeServerError, CodeTemporarilyUnavailable:
		return "NetSuite is busy or unavailable: retry later"
	}
	if e.HTTPStatus >= 500 {
		return "NetSuite is unavailable: retry later"
	}
	return auditTrail
}

func authorizeStep(c ErrorCode) string {
	switch c {
	case CodeAccessDenied:
		return "the user chose Deny, or NetSuite refused the authorization: ask them to authorize again and choose Allow; if it keeps failing, an administrator should check the record's State at Setup > Integration > Manage Integrations"
	case CodeInvalidRequest:
		return "the authorization request was malformed (state, PKCE or prompt): " + auditTrail
	case CodeUnauthorizedClient:
		return "the client ID is unknown or the record does not allow the authorization code grant: its owner must check Authorization Code Grant"
	case CodeUnsupportedResponseType:
		return "NetSuite accepts only response_type=code: report this to the vendor"
	case CodeInvalidScope:
		return "a requested scope is not enabled on the integration record: request only the scopes checked there"
	case CodeServerError, CodeTemporarilyUnavailable:
		return "NetSuite could not complete the authorization: try again later"
	}
	return auditTrail
}

func resourceStep(e *Error) string {
	switch {
	case e.Code == CodeInvalidToken:
		return "NetSuite refused the token. Right after an authorization this most likely means the integration record is Waiting for Approval: an administrator of the customer's account sets its State to Enabled at Setup > Integration > Manage Integrations. Less likely: the record is Blocked, the token was revoked or expired, the role lacks Log in using OAuth 2.0 Access Tokens, or (by Oracle's code-grant page) Require Approval during Auto-Installation of Integration kept the record from installing, so it must be cleared and the user must authorize again; " + auditTrail
	case e.Temporary():
		return "NetSuite refused the request for now (the account's concurrency limit): retry later"
	case e.HTTPStatus == 403 || e.Code == CodeInsufficientScope:
		return "the token's role or scope does not allow this call: authorize with the rest_webservices scope and a role that has the needed permission"
	}
	return auditTrail
}

func hours(d time.Duration) string {
	if d <= 0 {
		return "168 h by default"
	}
	return fmt.Sprintf("%d h", int(d.Hours()))
}
