package approval

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nsdist/nsdist/soap"
)

// Observed is what one request saw.
type Observed string

// Observations.
const (
	ObservedSuccess            Observed = "success"
	ObservedInvalidLogin       Observed = "invalid_login"         // invalidCredentialsFault "Invalid login attempt."
	ObservedAmbiguousAuth      Observed = "ambiguous_auth"        // "Ambiguous authentication"
	ObservedConcurrency        Observed = "concurrency"           // WS_REQUEST_BLOCKED, WS_CONCUR_SESSION_DISALLWD
	ObservedUnavailable        Observed = "unavailable"           // ACCT_TEMP_UNAVAILABLE, UNEXPECTED_ERROR, HTTP 5xx
	ObservedUnsupportedVersion Observed = "unsupported_version"   // invalidVersionFault
	ObservedFeatureOrPerm      Observed = "feature_or_permission" // WS_FEATURE_REQD, WS_PERMISSION_REQD, ...
	ObservedInvalidAccount     Observed = "invalid_account"
	ObservedTransport          Observed = "transport" // no answer
	ObservedOther              Observed = "other"
)

// Observe classifies what a request returned (nil for success).
func Observe(err error) Observed {
	var (
		h  *soap.HTTPError
		te *soap.TransportError
	)
	switch {
	case err == nil:
		return ObservedSuccess
	case errors.Is(err, soap.ErrAmbiguousAuth):
		return ObservedAmbiguousAuth
	case errors.Is(err, soap.ErrAuthRejected):
		return ObservedInvalidLogin
	case errors.Is(err, soap.ErrConcurrencyLimited):
		return ObservedConcurrency
	case errors.Is(err, soap.ErrTemporarilyUnavailable), errors.Is(err, soap.ErrUnexpected):
		return ObservedUnavailable
	case errors.Is(err, soap.ErrUnsupportedVersion):
		return ObservedUnsupportedVersion
	case errors.Is(err, soap.ErrFeatureOrPermission):
		return ObservedFeatureOrPerm
	case errors.Is(err, soap.ErrInvalidAccount):
		return ObservedInvalidAccount
	case errors.As(err, &h):
		if h.StatusCode >= 500 || h.StatusCode == 429 {
			return ObservedUnavailable
		}
		return ObservedOther
	case errors.As(err, &te), errors.Is(err, soap.ErrTruncated), errors.Is(err, context.DeadlineExceeded):
		return ObservedTransport
	}
	return ObservedOther
}

// Kind is the verdict on one target.
type Kind string

// Outcome kinds.
const (
	Enabled           Kind = "Enabled"
	AwaitingApproval  Kind = "AwaitingApproval"
	BlockedOrRejected Kind = "BlockedOrRejected"
	Misconfigured     Kind = "Misconfigured"
	Retryable         Kind = "Retryable"
	UnknownOutcome    Kind = "Unknown"
)

// Report returns the report's name for the kind: enabled,
// awaiting_approval, rejected, misconfigured, or failed (Retryable and
// Unknown: a retryable error that outlived its retries is a failure).
func (k Kind) Report() string {
	switch k {
	case Enabled:
		return "enabled"
	case AwaitingApproval:
		return "awaiting_approval"
	case BlockedOrRejected:
		return "rejected"
	case Misconfigured:
		return "misconfigured"
	}
	return "failed"
}

// Observation is what a caller saw, with what it knows about timing.
type Observation struct {
	Observed Observed
	// TokenIssuedAt is when the customer's token was issued, if known.
	TokenIssuedAt time.Time
	// At is when the request was answered (default: now).
	At time.Time
}

// RecentToken is how old a token may be for an "Invalid login attempt." to
// point at a fresh install waiting for approval rather than a revoked token.
const RecentToken = 15 * time.Minute

// Outcome explains what happened in one target.
type Outcome struct {
	Kind     Kind     `json:"kind"`
	Report   string   `json:"outcome"`
	Sentence string   `json:"sentence"`
	NextStep string   `json:"next_step"`
	Observed Observed `json:"observed"`
	// LessLikely names other causes that fit the observation.
	LessLikely []string `json:"less_likely"`
}

// Explain turns an observation into an outcome, using the decision's
// prediction: NetSuite answers a record Waiting for Approval or Blocked with
// the same "Invalid login attempt." as a bad credential (NETSUITE.md §2.4).
func Explain(d Decision, o Observation) Outcome {
	if o.At.IsZero() {
		o.At = time.Now()
	}
	acct := string(d.Input.Target.Account)
	if acct == "" {
		acct = "the target account"
	}
	name := d.Input.Record.Name
	if name == "" {
		name = "the integration record"
	}
	approve := fmt.Sprintf("an administrator of %s must open %s, edit %s, and set State to Enabled", acct, MenuManageIntegrations, name)
	out := Outcome{Observed: o.Observed, LessLikely: []string{}}
	set := func(k Kind, sentence, next string) {
		out.Kind, out.Sentence, out.NextStep = k, sentence, next
	}
	switch o.Observed {
	case ObservedSuccess:
		set(Enabled, fmt.Sprintf("installed and enabled in %s: requests are accepted", acct), "")
	case ObservedInvalidLogin:
		recent := !o.TokenIssuedAt.IsZero() && o.At.Sub(o.TokenIssuedAt) >= -time.Minute && o.At.Sub(o.TokenIssuedAt) <= RecentToken
		switch {
		case d.InitialState == StateWaitingForApproval:
			set(AwaitingApproval, "installed, waiting for approval: "+approve, approve)
			out.LessLikely = []string{"the record was Blocked after the install", "the token was revoked"}
		case d.InitialState == StateUnknown && recent && d.Input.Channel.AutoInstall():
			set(AwaitingApproval, "most likely waiting for approval: the token was issued moments ago, which installed the record, and NetSuite refuses requests from a record Waiting for Approval with \"Invalid login attempt.\"; "+approve, approve)
			out.LessLikely = []string{"the record is Blocked in " + acct, "the token was revoked", "the role lost its web services permission"}
		case d.InitialState == StateUnknown:
			set(BlockedOrRejected, fmt.Sprintf("NetSuite refused the request (\"Invalid login attempt.\"): the record may be Waiting for Approval or Blocked, or the token revoked; an administrator of %s can see the reason in %s (Detail column)", acct, MenuLoginAuditTrail),
				fmt.Sprintf("ask an administrator of %s to check %s's State in %s and the Login Audit Trail", acct, name, MenuManageIntegrations))
			out.LessLikely = []string{"waiting for approval"}
		default:
			set(BlockedOrRejected, fmt.Sprintf("NetSuite refused the request (\"Invalid login attempt.\"); approval is not required in %s, so the suspects are the credentials (token revoked or issued for another record, account id, signature, clock) or the record's State (Blocked); the Login Audit Trail at %s shows the reason in its Detail column", acct, MenuLoginAuditTrail),
				fmt.Sprintf("ask an administrator of %s to read the Login Audit Trail and check %s's State in %s", acct, name, MenuManageIntegrations))
		}
	case ObservedAmbiguousAuth:
		set(Misconfigured, "NetSuite saw two kinds of authentication in one request (\"Ambiguous authentication\")", "send token-based requests without an application id or session cookie")
	case ObservedConcurrency:
		set(Retryable, fmt.Sprintf("%s's concurrency limit was reached", acct), "try again later; lower the rollout's concurrency for this account")
	case ObservedUnavailable:
		set(Retryable, fmt.Sprintf("%s was temporarily unavailable or answered with an unexpected error", acct), "try again later")
	case ObservedUnsupportedVersion:
		set(Misconfigured, fmt.Sprintf("endpoint %s is not accepted for this request", d.Input.Version.Release()), "use the 2025.2 endpoint with token-based authentication")
	case ObservedFeatureOrPerm:
		set(Misconfigured, fmt.Sprintf("%s lacks the SOAP Web Services feature, or the token's role lacks the web services permission", acct),
			fmt.Sprintf("an administrator of %s must enable SOAP Web Services at %s and give the role the SOAP Web Services permission", acct, MenuEnableFeatures))
	case ObservedInvalidAccount:
		set(Misconfigured, fmt.Sprintf("NetSuite does not know account %s at this address", acct), "check the account id (Setup > Company > Company Information) and the endpoint")
	case ObservedTransport:
		set(Retryable, fmt.Sprintf("no answer from %s", acct), "check the network and try again")
	default:
		set(UnknownOutcome, "NetSuite's answer did not say what happened", "look at the error and try again")
	}
	out.Report = out.Kind.Report()
	return out
}
