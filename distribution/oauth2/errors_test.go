package oauth2

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// An *Error's text names the operation, the account, the code (or
// "refused"), the description, the HTTP status and the next step, each
// only when there is one.
func TestErrorText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		e    *Error
		want string
	}{
		{&Error{Op: OpRefresh, Account: "123456_SB1", Code: CodeInvalidGrant, Description: "expired", HTTPStatus: 400, NextStep: "authorize again"},
			"oauth2: refresh for account 123456_SB1: invalid_grant (expired), http 400: authorize again"},
		{&Error{Op: OpAuthorize}, "oauth2: authorize: refused"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// ErrRedirect matches a 3xx answer only; ErrReauthorize a refused refresh
// or code exchange (invalid_grant) or a denied authorization, nothing else.
func TestErrorIs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		e      *Error
		target error
		want   bool
	}{
		{&Error{HTTPStatus: 299}, ErrRedirect, false},
		{&Error{HTTPStatus: 300}, ErrRedirect, true},
		{&Error{HTTPStatus: 399}, ErrRedirect, true},
		{&Error{HTTPStatus: 400}, ErrRedirect, false},
		{&Error{Op: OpRefresh, Code: CodeInvalidGrant}, ErrReauthorize, true},
		{&Error{Op: OpRefresh, Code: CodeInvalidClient}, ErrReauthorize, false},
		{&Error{Op: OpAuthorize, Code: CodeAccessDenied}, ErrReauthorize, true},
		{&Error{Op: OpAuthorize, Code: CodeInvalidGrant}, ErrReauthorize, false},
		{&Error{Op: OpExchange, Code: CodeInvalidGrant}, ErrReauthorize, true},
		{&Error{Op: OpExchange, Code: CodeAccessDenied}, ErrReauthorize, false},
		{&Error{Op: OpClientCredentials, Code: CodeInvalidGrant}, ErrReauthorize, false},
		{&Error{Op: OpRefresh, Code: CodeInvalidGrant}, ErrResponse, false},
	} {
		if got := errors.Is(tt.e, tt.target); got != tt.want {
			t.Errorf("errors.Is(%s/%s/%d, %v) = %v, want %v", tt.e.Op, tt.e.Code, tt.e.HTTPStatus, tt.target, got, tt.want)
		}
	}
}

// Temporary: 429, 502, 503, 504 and the busy codes; Cause names the code
// (or a refusal) and the status when there is one.
func TestErrorTemporaryAndCause(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]bool{400: false, 429: true, 500: false, 502: true, 503: true, 504: true} {
		if got := (&Error{HTTPStatus: status}).Temporary(); got != want {
			t.Errorf("http %d: Temporary() = %v, want %v", status, got, want)
		}
	}
	for _, c := range []ErrorCode{CodeTooManyRequests, CodeServerError, CodeTemporarilyUnavailable} {
		if !(&Error{Code: c, HTTPStatus: 400}).Temporary() {
			t.Errorf("%s: not Temporary", c)
		}
	}
	for e, want := range map[*Error]string{
		{Code: CodeInvalidGrant, HTTPStatus: 400}: "OAuth 2.0 invalid_grant (HTTP 400)",
		{Code: CodeAccessDenied}:                  "OAuth 2.0 access_denied",
		{HTTPStatus: 500}:                         "OAuth 2.0 refusal (HTTP 500)",
	} {
		if got := e.Cause(); got != want {
			t.Errorf("Cause() = %q, want %q", got, want)
		}
	}
}

// The next step follows the operation, the code and the status.
func TestErrorNextStep(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		e    *Error
		want string
	}{
		{&Error{Op: OpRefresh, Code: CodeInvalidGrant, HTTPStatus: 302}, "check the account id"},
		{&Error{Op: OpRefresh, Code: CodeInvalidGrant, public: true}, "(168 h by default from the first authorization"},
		{&Error{Op: OpRefresh, Code: CodeInvalidGrant, public: true, rotation: 48 * time.Hour}, "(48 h from the first authorization"},
		{&Error{Op: OpRefresh, Code: CodeInvalidGrant}, "7 days"},
		{&Error{Op: OpExchange, HTTPStatus: 500}, "NetSuite is unavailable"},
		{&Error{Op: OpExchange, HTTPStatus: 499}, auditTrail},
		{&Error{Op: OpServerTime, HTTPStatus: 403}, "role or scope"},
		{&Error{Op: OpServerTime, HTTPStatus: 429}, "concurrency limit"},
		{&Error{Op: OpServerTime, HTTPStatus: 401, Code: CodeInvalidToken}, "Waiting for Approval"},
		{&Error{Op: OpServerTime, HTTPStatus: 401}, auditTrail},
	} {
		if got := tt.e.nextStep(); !strings.Contains(got, tt.want) {
			t.Errorf("%s/%s/%d: next step %q, want it to say %q", tt.e.Op, tt.e.Code, tt.e.HTTPStatus, got, tt.want)
		}
	}
}
