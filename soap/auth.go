package soap

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/internal/redact"
)

// AuthMode names how a request authenticates.
type AuthMode string

// Authentication modes.
const (
	AuthNone     AuthMode = "none"     // getDataCenterUrls only
	AuthTBA      AuthMode = "tba"      // tokenPassport header
	AuthPassport AuthMode = "passport" // user credentials + applicationInfo (endpoints up to 2020_1)
)

// Auth is the authentication a [Client] puts on each request: a
// [*TokenAuth] or a [*Passport]. It is sealed: nsdist defines every mode,
// so that two modes can never be mixed in one request.
type Auth interface {
	// Mode names the authentication.
	Mode() AuthMode
	// Check reports why the credentials cannot be used on endpoint v.
	Check(v Version) error
	// AccountID is the account the credentials belong to.
	AccountID() nsdist.AccountID
	sealed()
}

// ErrCredentials is wrapped by every refusal of incomplete or unusable credentials.
var ErrCredentials = errors.New("soap: unusable credentials")

// ErrAuthNotSupported is wrapped when an endpoint does not accept an auth mode.
var ErrAuthNotSupported = errors.New("soap: authentication mode not supported by this endpoint")

// TokenAuth holds token-based authentication credentials: the integration
// record's consumer key and secret, and a token issued in the target
// account for a user, role and that record. Its String, GoString, Format
// and LogValue never show the secrets.
type TokenAuth struct {
	Account        nsdist.AccountID
	ConsumerKey    string
	ConsumerSecret string
	TokenID        string
	TokenSecret    string
}

var _ Auth = (*TokenAuth)(nil)

// Mode returns AuthTBA.
func (t *TokenAuth) Mode() AuthMode { return AuthTBA }

// AccountID returns the account the token belongs to.
func (t *TokenAuth) AccountID() nsdist.AccountID { return t.Account }

func (t *TokenAuth) sealed() {}

// Check refuses empty fields, a non-canonical account id, and endpoints
// older than 2015_2.
func (t *TokenAuth) Check(v Version) error {
	if t == nil {
		return fmt.Errorf("%w: nil TokenAuth", ErrCredentials)
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"Account", string(t.Account)}, {"ConsumerKey", t.ConsumerKey}, {"ConsumerSecret", t.ConsumerSecret},
		{"TokenID", t.TokenID}, {"TokenSecret", t.TokenSecret},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: token-based auth is missing %s", ErrCredentials, strings.Join(missing, ", "))
	}
	if err := t.Account.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	if !v.IsZero() && !v.SupportsTBA() {
		return fmt.Errorf("%w: token-based auth needs endpoint 2015_2 or newer, not %s", ErrAuthNotSupported, v)
	}
	return nil
}

// Sign returns the tokenPassport for one attempt. Oracle's rule
// (section_4395630653): base string
// account&consumerKey&token&nonce&timestamp, key consumerSecret&tokenSecret,
// HMAC-SHA256, Base64.
func (t *TokenAuth) Sign(nonce string, timestamp int64) TokenPassport {
	ts := strconv.FormatInt(timestamp, 10)
	mac := hmac.New(sha256.New, []byte(t.ConsumerSecret+"&"+t.TokenSecret))
	_, _ = io.WriteString(mac, string(t.Account)+"&"+t.ConsumerKey+"&"+t.TokenID+"&"+nonce+"&"+ts)
	return TokenPassport{
		Account:     t.Account,
		ConsumerKey: t.ConsumerKey,
		Token:       t.TokenID,
		Nonce:       nonce,
		Timestamp:   timestamp,
		Signature:   base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		Algorithm:   SignatureHMACSHA256,
	}
}

// String implements fmt.Stringer without secrets.
func (t TokenAuth) String() string {
	return fmt.Sprintf("soap.TokenAuth{Account:%s ConsumerKey:%s ConsumerSecret:%s TokenID:%s TokenSecret:%s}",
		t.Account, abbrev(t.ConsumerKey), redact.Placeholder, abbrev(t.TokenID), redact.Placeholder)
}

// GoString implements fmt.GoStringer without secrets.
func (t TokenAuth) GoString() string { return t.String() }

// Format prints the redacted form for every verb.
func (t TokenAuth) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue implements slog.LogValuer without secrets.
func (t TokenAuth) LogValue() slog.Value {
	return slog.GroupValue(slog.String("mode", string(AuthTBA)), slog.String("account", string(t.Account)),
		slog.String("consumer_key", abbrev(t.ConsumerKey)), slog.String("token", abbrev(t.TokenID)))
}

// MarshalJSON writes the redacted form: a TokenAuth inside a struct that is
// logged as JSON or encoded must not carry its secrets along.
func (t TokenAuth) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// abbrev shows the first four characters of an identifier (never of a secret).
func abbrev(s string) string {
	if s == "" {
		return `""`
	}
	if len(s) <= 8 {
		return "…"
	}
	return s[:4] + "…"
}

// SignatureHMACSHA256 is the only algorithm NetSuite accepts since 2023.1.
const SignatureHMACSHA256 = "HMAC-SHA256"

// TokenPassport is one signed, single-use tokenPassport header. A new one
// is built for every attempt. Its printed forms hide the nonce and signature.
type TokenPassport struct {
	Account     nsdist.AccountID
	ConsumerKey string
	Token       string
	Nonce       string
	Timestamp   int64
	Signature   string
	Algorithm   string
}

// String implements fmt.Stringer without the nonce and signature.
func (p TokenPassport) String() string {
	return fmt.Sprintf("soap.TokenPassport{Account:%s ConsumerKey:%s Token:%s Nonce:%s Timestamp:%d Signature:%s}",
		p.Account, abbrev(p.ConsumerKey), abbrev(p.Token), redact.Placeholder, p.Timestamp, redact.Placeholder)
}

// GoString implements fmt.GoStringer.
func (p TokenPassport) GoString() string { return p.String() }

// Format prints the redacted form for every verb.
func (p TokenPassport) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, p.String()) }

// LogValue implements slog.LogValuer.
func (p TokenPassport) LogValue() slog.Value {
	return slog.GroupValue(slog.String("account", string(p.Account)), slog.Int64("timestamp", p.Timestamp))
}

// Passport holds user credentials for the legacy path: email, password,
// account, role and the integration record's application id. NetSuite
// accepts them only on endpoints up to 2020_1 (section_4389727047,
// section_4399767175). Its
// printed forms never show the password.
type Passport struct {
	Email         string
	Password      string
	Account       nsdist.AccountID
	Role          string // role internal id, e.g. "3" for Administrator
	ApplicationID string // with or without hyphens, any case
}

var _ Auth = (*Passport)(nil)

// Mode returns AuthPassport.
func (p *Passport) Mode() AuthMode { return AuthPassport }

// AccountID returns the account the user logs in to.
func (p *Passport) AccountID() nsdist.AccountID { return p.Account }

func (p *Passport) sealed() {}

// Check refuses empty fields and endpoints newer than 2020_1.
func (p *Passport) Check(v Version) error {
	if p == nil {
		return fmt.Errorf("%w: nil Passport", ErrCredentials)
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"Email", p.Email}, {"Password", p.Password}, {"Account", string(p.Account)}, {"Role", p.Role}, {"ApplicationID", p.ApplicationID},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: user credentials are missing %s", ErrCredentials, strings.Join(missing, ", "))
	}
	if err := p.Account.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	if _, err := NormalizeApplicationID(p.ApplicationID); err != nil {
		return fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	if !v.IsZero() && !v.SupportsPassport() {
		return fmt.Errorf("%w: user credentials (passport) work only on endpoints up to 2020_1, not %s; use token-based auth", ErrAuthNotSupported, v)
	}
	return nil
}

// String implements fmt.Stringer without the password.
func (p Passport) String() string {
	return fmt.Sprintf("soap.Passport{Email:%s Password:%s Account:%s Role:%s ApplicationID:%s}",
		p.Email, redact.Placeholder, p.Account, p.Role, abbrev(p.ApplicationID))
}

// GoString implements fmt.GoStringer.
func (p Passport) GoString() string { return p.String() }

// Format prints the redacted form for every verb.
func (p Passport) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, p.String()) }

// LogValue implements slog.LogValuer without the password.
func (p Passport) LogValue() slog.Value {
	return slog.GroupValue(slog.String("mode", string(AuthPassport)), slog.String("account", string(p.Account)),
		slog.String("email", p.Email), slog.String("role", p.Role))
}

// MarshalJSON writes the redacted form, without the password.
func (p Passport) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// ErrInvalidApplicationID is returned for an application id that cannot
// be sent: empty, or holding control characters.
var ErrInvalidApplicationID = errors.New("soap: invalid application id")

// ErrUnusualApplicationID is what [CheckApplicationID] reports for an id
// that is not 32 hex digits: a warning, not a refusal.
var ErrUnusualApplicationID = errors.New("soap: application id is not 32 hex digits")

// NormalizeApplicationID returns the id to send. Oracle says an
// application id has 32 characters and its samples show an upper-case GUID
// (section_4389727047, section_4399767063), but it publishes no format, so
// nsdist warns rather than refuses: 32 hex digits, with or without
// hyphens, in any case, become the upper-case GUID; any other value is sent
// as given (trimmed), and [CheckApplicationID] says why it looks wrong.
// That includes a value with spaces inside: it travels as the text of the
// applicationId element, where a space is sent and read back unchanged, so
// it is NetSuite's to refuse, not nsdist's. Only an empty value, one that is
// not valid UTF-8, or one with control characters (tab, newline, NUL, DEL,
// the C1 range...) or U+FFFE/U+FFFF inside, is an error: XML 1.0 cannot carry most of them at all, and the others are a
// paste gone wrong rather than an id.
func NormalizeApplicationID(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", fmt.Errorf("%w: empty (copy the Application ID field of the integration record in its owner account)", ErrInvalidApplicationID)
	}
	if !utf8.ValidString(t) {
		return "", fmt.Errorf("%w: it is not valid UTF-8", ErrInvalidApplicationID)
	}
	if strings.IndexFunc(t, badIDRune) >= 0 {
		return "", fmt.Errorf("%w: it holds control characters or characters XML 1.0 cannot carry", ErrInvalidApplicationID)
	}
	h := strings.ToUpper(strings.ReplaceAll(t, "-", ""))
	if len(h) != 32 || strings.Trim(h, "0123456789ABCDEF") != "" {
		return t, nil
	}
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// badIDRune reports a rune an application id must not hold: C0 and C1
// controls and DEL (a paste gone wrong; U+0085 is a line break to an XML
// 1.1 reader), and what XML 1.0 cannot carry at all (surrogates, U+FFFE,
// U+FFFF): an envelope holding one would not be well-formed.
func badIDRune(r rune) bool {
	return r < ' ' || (r >= 0x7f && r <= 0x9f) || (r >= 0xd800 && r <= 0xdfff) || r == 0xfffe || r == 0xffff
}

// CheckApplicationID returns ErrUnusualApplicationID (wrapped) when s,
// trimmed, is not 32 hex digits with or without hyphens, and the error of
// [NormalizeApplicationID] when s cannot be sent at all. The client logs
// the warning once, at Warn, when it is built with such an id.
func CheckApplicationID(s string) error {
	id, err := NormalizeApplicationID(s)
	if err != nil {
		return err
	}
	if id == strings.TrimSpace(s) && (len(id) != 36 || strings.Trim(strings.ReplaceAll(id, "-", ""), "0123456789ABCDEF") != "") {
		what := strconv.Itoa(utf8.RuneCountInString(id)) + " characters"
		if strings.Contains(id, " ") {
			what += " with spaces inside"
		}
		return fmt.Errorf("%w: %s; NetSuite's Application ID field shows 32 hex digits, usually as a GUID: check the value (nsdist sends it as given)", ErrUnusualApplicationID, what)
	}
	return nil
}

// NonceSource returns a fresh nonce for each attempt.
type NonceSource func() (string, error)

const nonceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomNonce returns 20 crypto-random alphanumeric characters, the length
// Oracle calls ideal (section_4395630653, section_156338994830).
func RandomNonce() (string, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("soap: nonce: %w", err)
	}
	for i := range b {
		// 248 = 4*62 keeps the distribution almost uniform; re-draw the rest.
		for b[i] >= 248 {
			var c [1]byte
			if _, err := rand.Read(c[:]); err != nil {
				return "", fmt.Errorf("soap: nonce: %w", err)
			}
			b[i] = c[0]
		}
		b[i] = nonceAlphabet[int(b[i])%len(nonceAlphabet)]
	}
	return string(b[:]), nil
}

// Clock returns the current time; tests inject a fixed one.
type Clock func() time.Time
