package tba

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/nsdist/nsdist/internal/oauth1"
	"github.com/nsdist/nsdist/internal/redact"
	"github.com/nsdist/nsdist/soap"
)

// ErrFlow is wrapped by every error of the token flow.
var ErrFlow = errors.New("tba: token flow failed")

// Codes of the flow. Most are NetSuite's Login Audit Trail Detail values
// for the authorization flow (subsect_156934879823). INVALID_LOGIN_ATTEMPT
// is NetSuite's status code for a refused login (section_N3539978), which
// the NLAuth page names for a badly escaped header (section_4623992425).
// IssueTokenRequired and TWO_FA_REQD are not Oracle's: Oracle documents no
// error codes for the issuetoken endpoint (chapter_157017286140) and says
// only that a 2FA role without nlauth_otp gets an error saying 2FA is
// required (section_1546447142). They are the codes the fake
// (distribution/nstest) answers; NetSuite may send others, which get the generic
// NextStep. The last three are the client's own checks.
const (
	CodeIntegrationBlocked       = "IntegrationBlocked"
	CodeUnknownIntegration       = "UnknownIntegration"
	CodeAuthorizationFlowReq     = "AuthorizationFlowRequired"
	CodeIssueTokenRequired       = "IssueTokenRequired"
	CodeInvalidCallback          = "InvalidCallback"
	CodeMissingRequiredParameter = "MissingRequiredParameter"
	CodeNonceRejected            = "NonceRejected"
	CodeNonceUsed                = "NonceUsed"
	CodeTokenRejected            = "TokenRejected"
	CodeEntityOrRoleDisabled     = "EntityOrRoleDisabled"
	CodeFeatureDisabled          = "FeatureDisabled"
	CodeUnknownAlgorithm         = "UnknownAlgorithm"
	CodeVersionRejected          = "VersionRejected"
	CodeInvalidVerifier          = "InvalidVerifier"
	CodeInvalidTimestamp         = "InvalidTimestamp"
	CodeInvalidSignature         = "InvalidSignature"
	CodeInvalidLogin             = "INVALID_LOGIN_ATTEMPT"
	CodeTwoFactorRequired        = "TWO_FA_REQD"
	CodeDenied                   = "AccessDenied"  // client side: empty verifier
	CodeStateMismatch            = "StateMismatch" // client side: state differs
	CodeRedirect                 = "Redirect"      // client side: a 3xx answer, not followed
)

var nextSteps = map[string]string{
	CodeIntegrationBlocked:       "the integration record is Blocked in the account: an administrator must open Setup > Integration > Manage Integrations, edit it and set State to Enabled",
	CodeUnknownIntegration:       "no integration record has this consumer key: check the key, or whether the owner reset the credentials",
	CodeAuthorizationFlowReq:     "the owner must check TBA: Authorization Flow on the integration record",
	CodeIssueTokenRequired:       "the owner must check TBA: IssueToken Endpoint on the integration record",
	CodeInvalidCallback:          "the callback URL must match the record's Callback URL (http://localhost:* and a leading *. label are allowed)",
	CodeMissingRequiredParameter: "a required parameter is missing: report this to the vendor",
	CodeNonceRejected:            "the nonce must have at least 6 characters",
	CodeNonceUsed:                "the nonce was used before: retry (nsdist makes a new one)",
	CodeTokenRejected:            "the token is unknown, inactive, or belongs to another integration: start the authorization again",
	CodeEntityOrRoleDisabled:     "the user or role is inactive or lacks token-based authentication permissions: an administrator must check the role (Setup > Users/Roles > Manage Roles)",
	CodeFeatureDisabled:          "an administrator must enable Token-Based Authentication at Setup > Company > Enable Features > SuiteCloud",
	CodeUnknownAlgorithm:         "only HMAC-SHA256 is accepted",
	CodeVersionRejected:          "oauth_version must be 1.0",
	CodeInvalidVerifier:          "the verifier does not match: start the authorization again",
	CodeInvalidTimestamp:         "the clock is more than 5 minutes off NetSuite's: fix the time (NTP)",
	CodeInvalidSignature:         "the consumer secret or token secret is wrong",
	CodeInvalidLogin:             "the email, password, role or account is wrong; an administrator can see why in the Login Audit Trail",
	CodeTwoFactorRequired:        "the role requires two-factor authentication: pass the current authenticator code as the OTP",
	CodeDenied:                   "the user chose Deny, or the authorization failed: ask them to try again and choose Allow",
	CodeStateMismatch:            "the callback did not come from this flow: start again",
	CodeRedirect:                 "NetSuite does not redirect these requests, and nsdist does not follow a redirect with credentials: check the account id (the token endpoints are on <accountid>.restlets.api.netsuite.com) and any proxy in between",
}

// FlowError is an error of the token flow with NetSuite's code and the next step.
// Message and Body never hold a credential the request carried, even when
// the server echoes the Authorization header back: they are blanked when
// the answer is read, so every print of the error (%v, %+v, %#v) is safe.
type FlowError struct {
	Code       string
	Message    string // at most 512 bytes
	HTTPStatus int
	Body       string // a short snapshot of the answer, secrets blanked
	// NextStep says what to do about the error (a field, so that printing
	// it never prints a method's address).
	NextStep string
}

// newFlowError returns a FlowError with its NextStep filled.
func newFlowError(code, msg string, status int) *FlowError {
	return (&FlowError{Code: code, Message: msg, HTTPStatus: status}).withNextStep()
}

func (e *FlowError) Error() string {
	s := "tba: " + e.Code
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(" (http %d)", e.HTTPStatus)
	}
	return s
}

// Unwrap returns ErrFlow, and soap.ErrRedirect for CodeRedirect.
func (e *FlowError) Unwrap() []error {
	if e.Code == CodeRedirect {
		return []error{ErrFlow, soap.ErrRedirect}
	}
	return []error{ErrFlow}
}

// NextStep says what to do about the error.
func (e *FlowError) withNextStep() *FlowError {
	e.NextStep = nextStep(e.Code)
	return e
}

func nextStep(code string) string {
	if s, ok := nextSteps[code]; ok {
		return s
	}
	return "look at the account's Login Audit Trail (Setup > Users/Roles > User Management > View Login Audit Trail) for the reason"
}

// redirectError is a 3xx answer: the request was not sent on. Only the
// scheme and host of the Location are kept, never its path or query.
func redirectError(resp *http.Response) *FlowError {
	msg := fmt.Sprintf("http %d redirect not followed (the request carries credentials)", resp.StatusCode)
	if loc, err := resp.Location(); err == nil && loc.Host != "" {
		msg = fmt.Sprintf("http %d redirect to %s not followed (the request carries credentials)", resp.StatusCode, (&url.URL{Scheme: loc.Scheme, Host: loc.Host}).String())
	}
	return newFlowError(CodeRedirect, msg, resp.StatusCode)
}

// sentSecrets returns the credentials an Authorization header carries:
// NLAuth's nlauth_signature (the password) and nlauth_otp, and the OAuth
// signature, so that an answer echoing them can be blanked.
func sentSecrets(authorization string) []string {
	var out []string
	for _, scheme := range []string{"NLAuth", "OAuth"} {
		p, ok := oauth1.ParseParams(scheme, authorization)
		if !ok {
			continue
		}
		for _, k := range []string{"nlauth_signature", "nlauth_otp", "oauth_signature"} {
			if v := p[k]; v != "" {
				out = append(out, v)
			}
		}
	}
	if authorization != "" {
		out = append(out, authorization)
	}
	return out
}

const maxMessage = 512

// flowError reads NetSuite's error body: JSON {"error":{"code","message"}}
// as public clients see it; anything else keeps the status and a snippet.
// secrets are the credentials the request carried, blanked wherever the
// answer repeats them.
func flowError(status int, body []byte, secrets ...string) *FlowError {
	var j struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	clean := func(s string) string { return redact.Params(redact.Values(s, secrets...)) }
	// scrubbed again after Snippet, which drops control characters, invalid
	// UTF-8 and U+FFFD: a secret echoed with one inside comes together there
	e := &FlowError{HTTPStatus: status, Body: redact.Values(redact.Snippet([]byte(redact.Values(string(body), secrets...)), 200), secrets...)}
	if json.Unmarshal(body, &j) == nil && j.Error.Code != "" {
		e.Code, e.Message = clean(j.Error.Code), clean(j.Error.Message)
		if code, _, ok := strings.Cut(e.Code, " "); ok { // "InvalidCallback <url>"
			e.Code = code
		}
		if len(e.Code) > 64 {
			e.Code = "UNEXPECTED_ERROR"
		}
		if len(e.Message) > maxMessage {
			e.Message = strings.ToValidUTF8(e.Message[:maxMessage], "") + "…"
		}
		return e.withNextStep()
	}
	e.Code = "UNEXPECTED_ERROR"
	if status == 405 {
		e.Message = "the account may not be set up for the three-step authorization flow"
	}
	return e.withNextStep()
}
