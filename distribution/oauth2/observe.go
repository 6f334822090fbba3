package oauth2

import (
	"errors"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
)

// Observe turns what an OAuth 2.0 or REST request returned (nil for
// success) into approval's neutral observation, which approval.Explain
// reads. Whether the error is worth another attempt is nsdist.Classify's
// answer, the same for every channel.
func Observe(err error) approval.Observed {
	var e *Error
	if err == nil {
		return approval.ObservedSuccess
	}
	if !errors.As(err, &e) {
		return observeClass(nsdist.Classify(err))
	}
	if e.Op == OpClientCredentials {
		switch e.Code {
		case CodeInvalidGrant, CodeUnauthorizedClient, CodeInvalidClient, CodeInvalidScope:
			return approval.ObservedM2MRefused
		}
	}
	if e.Reauthorize() {
		return approval.ObservedReauthorize
	}
	switch code := e.Code; {
	case code == CodeInvalidToken:
		// subsect_158521885412: every refused bearer token is 401 invalid_token, "Invalid login attempt."
		return approval.ObservedInvalidLogin
	case code == CodeTooManyRequests || e.HTTPStatus == 429:
		return approval.ObservedConcurrency
	case e.Temporary():
		return approval.ObservedUnavailable
	case code == CodeInvalidClient || code == CodeUnauthorizedClient || code == CodeInvalidScope || code == CodeUnsupportedGrantType:
		return approval.ObservedClientRefused
	case code == CodeInsufficientScope || e.HTTPStatus == 403:
		return approval.ObservedFeatureOrPerm
	}
	return approval.ObservedOther
}

// observeClass is the observation of an error that carries no answer.
func observeClass(c nsdist.ErrorClass) approval.Observed {
	switch c {
	case nsdist.ClassNone:
		return approval.ObservedSuccess
	case nsdist.ClassConnection, nsdist.ClassTimeout:
		return approval.ObservedTransport
	case nsdist.ClassTemporary:
		return approval.ObservedUnavailable
	}
	return approval.ObservedOther
}
