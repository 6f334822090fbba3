package tba_test

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"
)

func TestObserve(t *testing.T) {
	t.Parallel()
	f := func(kind, code, msg string) error {
		return &soap.OpError{Op: soap.OpGetServerTime, Err: &soap.Fault{Kind: kind, NSCode: code, String: msg}}
	}
	tests := []struct {
		err  error
		want approval.Observed
	}{
		{nil, approval.ObservedSuccess},
		{f("invalidCredentialsFault", "USER_ERROR", "Invalid login attempt."), approval.ObservedInvalidLogin},
		{f("invalidCredentialsFault", "USER_ERROR", "Ambiguous authentication"), approval.ObservedAmbiguousAuth},
		// section_N3539978: an auth fault that names its cause is not the generic refusal
		{f("invalidCredentialsFault", "USER_ERROR", "Application ID mandatory but missing."), approval.ObservedMissingApplicationID},
		{f("invalidCredentialsFault", "INVALID_APP_ID", "Invalid application id: 1234"), approval.ObservedInvalidApplicationID},
		{f("invalidCredentialsFault", "USER_ERROR", "Invalid application id: 1234"), approval.ObservedInvalidApplicationID},
		{f("invalidCredentialsFault", "INVALID_LOGIN_CREDENTIALS", "You have entered an invalid e-mail address or account number. Please try again."), approval.ObservedCredentialsRefused},
		{f("invalidCredentialsFault", "INVALID_ROLE", "Your role does not give you permission to view this page."), approval.ObservedCredentialsRefused},
		{f("invalidCredentialsFault", "INVALID_LOGIN_ATTEMPT", ""), approval.ObservedInvalidLogin},
		{f("invalidCredentialsFault", "USER_ERROR", "invalid login attempt"), approval.ObservedInvalidLogin},
		{f("invalidCredentialsFault", "USER_ERROR", ""), approval.ObservedInvalidLogin},
		{f("invalidCredentialsFault", "", ""), approval.ObservedInvalidLogin},
		// the code alone decides when the text says nothing of it
		{f("invalidCredentialsFault", "INVALID_APP_ID", "The application id sent is not valid."), approval.ObservedInvalidApplicationID},
		{f("invalidCredentialsFault", "INVALID_APP_ID", ""), approval.ObservedInvalidApplicationID},
		{f("invalidCredentialsFault", "INVALID_LOGIN_CREDENTIALS", ""), approval.ObservedCredentialsRefused},
		{&soap.OpError{Err: &soap.Fault{Kind: "invalidCredentialsFault", NSCode: "USER_ERROR", NSMessage: "Application ID mandatory but missing."}}, approval.ObservedMissingApplicationID},
		{f("exceededConcurrentRequestLimitFault", "WS_REQUEST_BLOCKED", ""), approval.ObservedConcurrency},
		{f("unexpectedErrorFault", "ACCT_TEMP_UNAVAILABLE", ""), approval.ObservedUnavailable},
		{f("invalidVersionFault", "", ""), approval.ObservedUnsupportedVersion},
		{f("insufficientPermissionFault", "WS_FEATURE_REQD", ""), approval.ObservedFeatureOrPerm},
		{f("invalidAccountFault", "", ""), approval.ObservedInvalidAccount},
		{&soap.OpError{Err: &soap.HTTPError{StatusCode: 503}}, approval.ObservedUnavailable},
		{&soap.OpError{Err: &soap.HTTPError{StatusCode: 500}}, approval.ObservedOther}, // not retried: nsdist.Classify
		{&soap.OpError{Err: &soap.HTTPError{StatusCode: 429}}, approval.ObservedUnavailable},
		{&soap.OpError{Err: &soap.HTTPError{StatusCode: 499}}, approval.ObservedOther},
		{&soap.OpError{Err: &soap.HTTPError{StatusCode: 404}}, approval.ObservedOther},
		{&soap.OpError{Err: &soap.TransportError{Err: &net.OpError{Op: "dial", Err: errors.New("refused")}}}, approval.ObservedTransport},
		{errors.New("something else"), approval.ObservedOther},
		{fmt.Errorf("oauth2: serverTime: %w", &net.OpError{Op: "dial", Err: errors.New("refused")}), approval.ObservedTransport},
	}
	for _, tt := range tests {
		if got := tba.Observe(tt.err); got != tt.want {
			t.Errorf("Observe(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}
