package soap

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FaultClass says whose side a SOAP fault blames, from its faultcode.
type FaultClass int

// Fault classes.
const (
	FaultUnknown FaultClass = iota
	FaultClient
	FaultServer
)

func (c FaultClass) String() string {
	switch c {
	case FaultClient:
		return "client"
	case FaultServer:
		return "server"
	}
	return "unknown"
}

// Classes of SuiteTalk faults. A *Fault matches the class it belongs to
// with errors.Is; the class comes from the fault element and its code,
// never from English text, except ErrAmbiguousAuth, which has no code of
// its own (section_1509544929, section_N3539978).
var (
	ErrAuthRejected           = errors.New("soap: authentication rejected")
	ErrConcurrencyLimited     = errors.New("soap: concurrency limit exceeded")
	ErrSessionInvalid         = errors.New("soap: session invalid or timed out")
	ErrUnsupportedVersion     = errors.New("soap: endpoint version not supported")
	ErrFeatureOrPermission    = errors.New("soap: feature or permission missing")
	ErrInvalidAccount         = errors.New("soap: invalid account")
	ErrTemporarilyUnavailable = errors.New("soap: account temporarily unavailable")
	ErrUnexpected             = errors.New("soap: unexpected error at NetSuite")
)

// Fault is a SOAP fault from NetSuite. Reach it with errors.As.
type Fault struct {
	Code      string     // faultcode text, e.g. "soapenv:Server.userException"
	Class     FaultClass // from the faultcode
	String    string     // faultstring
	Actor     string     // faultactor, rarely present
	Kind      string     // local name of the detail element, e.g. "invalidCredentialsFault"
	NSCode    string     // that element's code, e.g. "USER_ERROR" (free text: NetSuite uses codes outside the enum)
	NSMessage string     // that element's message
	Hostname  string     // the Axis hostname NetSuite adds to the detail
	Detail    string     // the raw detail XML, bounded
	// HTTPStatus is the status of the response that carried the fault (0 when decoded from bytes alone).
	HTTPStatus int
}

// Error returns one lowercase line.
func (f *Fault) Error() string {
	var b strings.Builder
	b.WriteString("soap: fault")
	if f.Kind != "" {
		b.WriteString(" " + f.Kind)
	}
	if f.NSCode != "" {
		b.WriteString(" " + f.NSCode)
	}
	msg := f.String
	if msg == "" {
		msg = f.NSMessage
	}
	if msg != "" {
		b.WriteString(": " + msg)
	}
	if f.HTTPStatus != 0 {
		b.WriteString(" (http " + strconv.Itoa(f.HTTPStatus) + ")")
	}
	return b.String()
}

// Category returns the class sentinel the fault belongs to, or nil.
func (f *Fault) Category() error {
	if f.ambiguous() {
		return ErrAmbiguousAuth
	}
	if c := codeCategory(f.NSCode); c != nil {
		return c
	}
	return kindCategory(f.Kind)
}

// codeCategory is the class sentinel of a detail code, or nil.
func codeCategory(code string) error {
	switch code { // the code is the most specific (an UNEXPECTED_ERROR inside invalidCredentialsFault is transient: nsdist's reading of public reports such as NetSweet/netsuite#410 and #566)
	case "UNEXPECTED_ERROR":
		return ErrUnexpected
	case "WS_REQUEST_BLOCKED", "WS_CONCUR_SESSION_DISALLWD":
		return ErrConcurrencyLimited
	case "ACCT_TEMP_UNAVAILABLE":
		return ErrTemporarilyUnavailable
	case "UNSUPPORTED_WS_VERSION", "INVALID_WS_VERSION":
		return ErrUnsupportedVersion
	case "WS_FEATURE_REQD", "WS_PERMISSION_REQD", "INSUFFICIENT_PERMISSION", "OI_FEATURE_REQD", "OI_PERMISSION_REQD":
		return ErrFeatureOrPermission
	case "INVALID_ACCT":
		return ErrInvalidAccount
	case "SESSION_TIMED_OUT", "WS_LOG_IN_REQD", "INVALID_SESSION":
		return ErrSessionInvalid
	case "INVALID_LOGIN_CREDENTIALS", "INVALID_LOGIN_ATTEMPT", "LOGIN_DISABLED", "INVALID_ROLE", "ROLE_REQUIRED", "PSWD_REQD", "INVALID_APP_ID":
		return ErrAuthRejected
	}
	return nil
}

// kindCategory is the class sentinel of a detail element's name, or nil.
func kindCategory(kind string) error {
	switch kind {
	case "invalidCredentialsFault":
		return ErrAuthRejected
	case "exceededConcurrentRequestLimitFault", "exceededRequestLimitFault":
		return ErrConcurrencyLimited
	case "invalidSessionFault":
		return ErrSessionInvalid
	case "invalidVersionFault":
		return ErrUnsupportedVersion
	case "insufficientPermissionFault":
		return ErrFeatureOrPermission
	case "invalidAccountFault":
		return ErrInvalidAccount
	case "unexpectedErrorFault":
		return ErrUnexpected
	}
	return nil
}

// ambiguous: "Ambiguous authentication" has no code of its own, so this is
// the one class read from the text (section_1509544929).
func (f *Fault) ambiguous() bool {
	return strings.HasPrefix(f.String, ambiguousPrefix) || strings.HasPrefix(f.NSMessage, ambiguousPrefix)
}

const ambiguousPrefix = "Ambiguous authentication"

// Is reports whether target is the fault's class.
func (f *Fault) Is(target error) bool {
	c := f.Category()
	return c != nil && c == target // comparing sentinels
}

// Temporary reports whether waiting and trying again may succeed.
func (f *Fault) Temporary() bool {
	switch f.Category() {
	case ErrConcurrencyLimited, ErrTemporarilyUnavailable, ErrUnexpected: //nolint:errorlint
		return true
	}
	return false
}

// ErrorCode returns NetSuite's code: the detail's code (USER_ERROR), else
// the detail element (invalidCredentialsFault), else the faultcode.
func (f *Fault) ErrorCode() string {
	switch {
	case f.NSCode != "":
		return f.NSCode
	case f.Kind != "":
		return f.Kind
	}
	return f.Code
}

// ErrorMessage returns the faultstring, else the detail's message.
func (f *Fault) ErrorMessage() string {
	if f.String != "" {
		return f.String
	}
	return f.NSMessage
}

// HTTPStatusCode returns the HTTP status that carried the fault.
func (f *Fault) HTTPStatusCode() int { return f.HTTPStatus }

// RetryAfterWait returns 0: a fault carries no Retry-After.
func (f *Fault) RetryAfterWait(time.Time) time.Duration { return 0 }

// Cause is "SOAP fault CODE: the faultstring's first 60 bytes".
func (f *Fault) Cause() string {
	s := "SOAP fault " + f.ErrorCode()
	if msg := strings.TrimSpace(f.String); msg != "" {
		s += ": " + cut(msg, 60)
	}
	return s
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// ServerFault reports whether the faultcode blames the server.
func (f *Fault) ServerFault() bool { return f.Class == FaultServer }

func faultClass(code string) FaultClass {
	_, local, _ := strings.Cut(code, ":")
	if local == "" {
		local = code
	}
	switch {
	case strings.HasPrefix(local, "Server"), strings.HasPrefix(local, "Receiver"):
		return FaultServer
	case strings.HasPrefix(local, "Client"), strings.HasPrefix(local, "Sender"):
		return FaultClient
	}
	return FaultUnknown
}
