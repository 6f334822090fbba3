package approval

import (
	"fmt"
	"time"
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
	// ObservedReauthorize: OAuth 2.0 refused the refresh token (invalid_grant):
	// it expired, was spent or revoked; only a new authorization helps
	// (section_158082518856).
	ObservedReauthorize Observed = "reauthorize"
	// ObservedM2MRefused: the token endpoint refused a client-credentials
	// assertion. M2M installs nothing (section_162686838198): the record is
	// not in the account, not Enabled, or the certificate mapping is wrong;
	// only the Login Audit Trail says which (subsect_158324637123).
	ObservedM2MRefused Observed = "m2m_refused"
	// ObservedClientRefused: the OAuth 2.0 token endpoint refused the client
	// or the grant (invalid_client, unauthorized_client, invalid_scope,
	// subsect_158521832417).
	ObservedClientRefused Observed = "client_refused"
	// ObservedMissingApplicationID: user credentials without an application
	// id, USER_ERROR "Application ID mandatory but missing." (section_N3539978).
	ObservedMissingApplicationID Observed = "missing_application_id"
	// ObservedInvalidApplicationID: INVALID_APP_ID, "Invalid application id"
	// (section_N3539978): no record has the id the request carried.
	ObservedInvalidApplicationID Observed = "invalid_application_id"
	// ObservedCredentialsRefused: an invalidCredentialsFault that names its
	// cause (INVALID_LOGIN_CREDENTIALS, INVALID_ROLE, ...), unlike the
	// generic "Invalid login attempt.": the credentials themselves are wrong.
	ObservedCredentialsRefused Observed = "credentials_refused"
)

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

// Explanation explains what happened in one target.
type Explanation struct {
	Kind     Kind     `json:"kind"`
	Report   string   `json:"outcome"`
	Sentence string   `json:"sentence"`
	NextStep string   `json:"next_step"`
	Observed Observed `json:"observed"`
	// LessLikely names other causes that fit the observation.
	LessLikely []string `json:"less_likely"`
}

// Explain turns an observation into an outcome, using the decision's
// prediction. Oracle documents that a record Waiting for Approval or
// Blocked has its requests refused (section_4429293934, section_4431175537)
// but no SOAP fault for it; nsdist reads the generic "Invalid login
// attempt." as that refusal, as public client code shows it. On REST every
// refused token is 401 invalid_token (subsect_158521885412).
func Explain(d Decision, o Observation) Explanation {
	if o.At.IsZero() {
		o.At = time.Now()
	}
	acct := string(d.Input.Target.Account)
	if acct == "" {
		acct = "the target account"
	}
	name := recordName(d.Input.Record)
	approve := fmt.Sprintf("an administrator of %s must open %s, edit %s, and set State to Enabled", acct, MenuManageIntegrations, name)
	out := Explanation{Observed: o.Observed, LessLikely: []string{}}
	switch o.Observed {
	case ObservedSuccess:
		out.set(Enabled, fmt.Sprintf("installed and enabled in %s: requests are accepted", acct), "")
	case ObservedInvalidLogin:
		out.explainInvalidLogin(d, o, acct, name, approve)
	case ObservedReauthorize:
		out.set(BlockedOrRejected, fmt.Sprintf("the customer's OAuth 2.0 authorization for %s ended: the refresh token expired, was spent or revoked", acct),
			fmt.Sprintf("ask a user of %s to authorize the integration again", acct))
	case ObservedM2MRefused:
		out.set(BlockedOrRejected, fmt.Sprintf("NetSuite refused the client-credentials assertion for %s: client credentials install nothing, so %s is not installed there, not Enabled, or the certificate mapping (certificate id, key, entity, role) is wrong; the Login Audit Trail at %s shows which (Detail column)", acct, name, MenuLoginAuditTrail),
			fmt.Sprintf("have a user of %s authorize the integration once with the authorization code grant (or install it with a bundle or SuiteApp), check that %s is Enabled in %s, then map the certificate at Setup > Integration > Manage Authentication > OAuth 2.0 Client Credentials (M2M) Setup", acct, name, MenuManageIntegrations))
	case ObservedClientRefused:
		out.set(Misconfigured, "NetSuite's token endpoint refused the client or the grant", "check the client id and secret, and the integration record's grant and scope boxes (Authorization Code Grant, Client Credentials, REST Web Services)")
	case ObservedMissingApplicationID:
		out.set(Misconfigured, "NetSuite refused user credentials sent without an application id (\"Application ID mandatory but missing.\")",
			"send the integration record's application id with user credentials, or use token-based authentication")
	case ObservedInvalidApplicationID:
		out.set(Misconfigured, "NetSuite does not know the application id the request carried",
			"copy the Application ID from the integration record in its owner account ("+MenuManageIntegrations+")")
	case ObservedCredentialsRefused:
		out.set(BlockedOrRejected, fmt.Sprintf("NetSuite refused the credentials themselves (email, password, role or account) in %s, not the integration record", acct),
			fmt.Sprintf("check the credentials for %s; an administrator can see the reason in %s (Detail column)", acct, MenuLoginAuditTrail))
	case ObservedAmbiguousAuth:
		out.set(Misconfigured, "NetSuite saw two kinds of authentication in one request (\"Ambiguous authentication\")", "send token-based requests without an application id or session cookie")
	case ObservedConcurrency:
		out.set(Retryable, fmt.Sprintf("%s's concurrency limit was reached", acct), "try again later; lower the rollout's concurrency for this account")
	case ObservedUnavailable:
		out.set(Retryable, fmt.Sprintf("%s was temporarily unavailable or answered with an unexpected error", acct), "try again later")
	case ObservedUnsupportedVersion:
		out.set(Misconfigured, fmt.Sprintf("endpoint %s is not accepted for this request", d.Input.Version), "use the 2025.2 endpoint with token-based authentication")
	case ObservedFeatureOrPerm:
		out.set(Misconfigured, fmt.Sprintf("%s lacks the SOAP Web Services feature, or the token's role lacks the web services permission", acct),
			fmt.Sprintf("an administrator of %s must enable SOAP Web Services at %s and give the role the SOAP Web Services permission", acct, MenuEnableFeatures))
	case ObservedInvalidAccount:
		out.set(Misconfigured, fmt.Sprintf("NetSuite does not know account %s at this address", acct), "check the account id (Setup > Company > Company Information) and the endpoint")
	case ObservedTransport:
		out.set(Retryable, fmt.Sprintf("no answer from %s", acct), "check the network and try again")
	default:
		out.set(UnknownOutcome, "NetSuite's answer did not say what happened", "look at the error and try again")
	}
	out.Report = out.Kind.Report()
	return out
}

// set fills in the outcome's verdict.
func (o *Explanation) set(k Kind, sentence, next string) {
	o.Kind, o.Sentence, o.NextStep = k, sentence, next
}

// explainInvalidLogin fills in out for an "Invalid login attempt." (401
// invalid_token on OAuth 2.0), from the decision's prediction and the
// token's age. approve is the administrator's approval step.
func (o *Explanation) explainInvalidLogin(d Decision, obs Observation, acct, name, approve string) {
	oauth := d.Input.Channel == ChannelOAuth2
	// section_158081952044 says a code grant with Require Approval checked does not install the record.
	notInstalled := "by Oracle's code-grant page, the record was not installed because Require Approval during Auto-Installation of Integration is checked: clear it and have the user authorize again"
	// NetSuite answers a record Waiting for Approval or Blocked like a bad
	// credential: "Invalid login attempt." on SOAP, 401 invalid_token on
	// REST (subsect_158521885412). That a Waiting record gets this answer
	// is inferred from public code; Oracle documents no fault for it.
	refusal := `"Invalid login attempt."`
	caveat := " (nsdist's reading: Oracle documents that such a record's requests are refused, not the fault)"
	issued := "the token was issued moments ago, which installed the record"
	if oauth {
		refusal, caveat = `401 invalid_token ("Invalid login attempt.")`, ""
		issued = "the user authorized moments ago, which installed the record"
	}
	recent := !obs.TokenIssuedAt.IsZero() && obs.At.Sub(obs.TokenIssuedAt) >= -time.Minute && obs.At.Sub(obs.TokenIssuedAt) <= RecentToken
	switch {
	case d.InitialState == StateWaitingForApproval:
		o.set(AwaitingApproval, "installed, waiting for approval: "+approve, approve)
		o.LessLikely = []string{"the record was Blocked after the install", "the token was revoked"}
		if oauth {
			o.LessLikely = append(o.LessLikely, notInstalled)
		}
	case d.InitialState == StateUnknown && recent && d.Input.Channel.AutoInstall():
		o.set(AwaitingApproval, "most likely waiting for approval: "+issued+", and NetSuite refuses requests from a record Waiting for Approval with "+refusal+caveat+"; "+approve, approve)
		o.LessLikely = []string{"the record is Blocked in " + acct, "the token was revoked", "the role lost its web services permission"}
		if oauth {
			o.LessLikely = append(o.LessLikely, notInstalled)
		}
	case d.InitialState == StateUnknown && obs.TokenIssuedAt.IsZero() && d.Input.Channel.AutoInstall():
		// the token's age is unknown: the causes in order, and the one step that resolves the first two
		o.set(BlockedOrRejected, fmt.Sprintf("NetSuite refused the request (%s); the token's age is unknown, so the likely causes are, in order: %s is Waiting for Approval, it is Blocked, or the token was revoked; the Login Audit Trail at %s shows which (Detail column)", refusal, name, MenuLoginAuditTrail),
			approve+" (this resolves both Waiting for Approval and Blocked); if it is already Enabled, the token was revoked and the customer must authorize again")
		o.LessLikely = []string{"the record is Blocked in " + acct, "the token was revoked"}
	case d.InitialState == StateUnknown:
		o.set(BlockedOrRejected, fmt.Sprintf("NetSuite refused the request (%s) although the token is not new: the record may be Blocked or Waiting for Approval, or the token revoked; an administrator of %s can see the reason in %s (Detail column)", refusal, acct, MenuLoginAuditTrail),
			fmt.Sprintf("ask an administrator of %s to check %s's State in %s (set it to Enabled) and the Login Audit Trail", acct, name, MenuManageIntegrations))
		o.LessLikely = []string{"waiting for approval"}
	default:
		o.set(BlockedOrRejected, fmt.Sprintf("NetSuite refused the request (%s); approval is not required in %s, so the suspects are the credentials (token revoked or issued for another record, account id, signature, clock) or the record's State (Blocked); the Login Audit Trail at %s shows the reason in its Detail column", refusal, acct, MenuLoginAuditTrail),
			fmt.Sprintf("ask an administrator of %s to read the Login Audit Trail and check %s's State in %s", acct, name, MenuManageIntegrations))
	}
}
