package tba

import (
	"errors"
	"strings"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/soap"
)

// Observe turns what a SOAP request returned (nil for success) into
// approval's neutral observation. Whether the error is worth another
// attempt is nsdist.Classify's answer, the same for every channel.
func Observe(err error) approval.Observed {
	switch {
	case err == nil:
		return approval.ObservedSuccess
	case errors.Is(err, soap.ErrAmbiguousAuth):
		return approval.ObservedAmbiguousAuth
	case errors.Is(err, soap.ErrAuthRejected):
		return observeAuthFault(err)
	case errors.Is(err, soap.ErrConcurrencyLimited):
		return approval.ObservedConcurrency
	case errors.Is(err, soap.ErrTemporarilyUnavailable), errors.Is(err, soap.ErrUnexpected):
		return approval.ObservedUnavailable
	case errors.Is(err, soap.ErrUnsupportedVersion):
		return approval.ObservedUnsupportedVersion
	case errors.Is(err, soap.ErrFeatureOrPermission):
		return approval.ObservedFeatureOrPerm
	case errors.Is(err, soap.ErrInvalidAccount):
		return approval.ObservedInvalidAccount
	}
	switch nsdist.Classify(err) {
	case nsdist.ClassTemporary:
		return approval.ObservedUnavailable
	case nsdist.ClassConnection, nsdist.ClassTimeout:
		return approval.ObservedTransport
	}
	return approval.ObservedOther
}

// observeAuthFault reads an authentication fault by its code and text:
// only the generic "Invalid login attempt." (INVALID_LOGIN_ATTEMPT, or
// USER_ERROR with that text) can hide a record Waiting for Approval; the
// other answers name a cause of their own (section_N3539978).
func observeAuthFault(err error) approval.Observed {
	var f *soap.Fault
	if !errors.As(err, &f) {
		return approval.ObservedInvalidLogin
	}
	text := strings.TrimSpace(f.ErrorMessage())
	switch {
	case f.NSCode == "INVALID_APP_ID" || hasPrefixFold(text, "Invalid application id"):
		return approval.ObservedInvalidApplicationID
	case hasPrefixFold(text, "Application ID mandatory"):
		return approval.ObservedMissingApplicationID
	case f.NSCode == "INVALID_LOGIN_ATTEMPT" || hasPrefixFold(text, "Invalid login attempt"):
		return approval.ObservedInvalidLogin
	case text == "" && (f.NSCode == "" || f.NSCode == "USER_ERROR"):
		return approval.ObservedInvalidLogin // nothing more specific to go on
	}
	return approval.ObservedCredentialsRefused
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
