package distribution

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/internal/redact"
	"github.com/nsdist/nsdist/soap"
)

// Credential is what the customer gave for one target: a [TBAToken],
// [UserCredentials], an [OAuth2Token] or an [M2MKey]. The account is the
// Target's; a credential never names it again.
type Credential interface {
	// Channel is the auto-installation channel the credential belongs to.
	Channel() approval.Channel
	// Validate reports a missing or malformed field before anything is sent.
	Validate() error
}

// ErrCredential is wrapped by every error about a target's credential found
// before anything is sent.
var ErrCredential = errors.New("distribution: unusable credential")

// TBAToken is a customer's token-based-auth token with the record's
// consumer key and secret. Issuing it installed the record
// (section_4429293934); a getServerTime with it confirms the State.
type TBAToken struct {
	ConsumerKey    string
	ConsumerSecret string
	TokenID        string
	TokenSecret    string
}

// Channel returns approval.ChannelTBA.
func (TBAToken) Channel() approval.Channel { return approval.ChannelTBA }

// Validate names the first empty field.
func (c TBAToken) Validate() error {
	return missing("TBA token", map[string]string{"consumer key": c.ConsumerKey, "consumer secret": c.ConsumerSecret, "token id": c.TokenID, "token secret": c.TokenSecret},
		"consumer key", "consumer secret", "token id", "token secret")
}

// String never shows the secrets.
func (c TBAToken) String() string {
	return fmt.Sprintf("distribution.TBAToken{ConsumerKey:%s ConsumerSecret:%s TokenID:%s TokenSecret:%s}", abbrev(c.ConsumerKey), redact.Placeholder, abbrev(c.TokenID), redact.Placeholder)
}

// GoString never shows the secrets.
func (c TBAToken) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c TBAToken) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

// LogValue never shows the secrets.
func (c TBAToken) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the redacted form: a Target logged as JSON or
// encoded never carries the secrets along.
func (c TBAToken) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// UserCredentials are a user's email, password and role with the record's
// application id: the legacy trigger, on endpoints 2020.1 and older only.
type UserCredentials struct {
	Email         string
	Password      string
	Role          string // role internal id, e.g. "3"
	ApplicationID string
}

// Channel returns approval.ChannelCredentials.
func (UserCredentials) Channel() approval.Channel { return approval.ChannelCredentials }

// Validate names the first empty field.
func (c UserCredentials) Validate() error {
	return missing("user credentials", map[string]string{"email": c.Email, "password": c.Password, "application id": c.ApplicationID},
		"email", "password", "application id")
}

// String never shows the password.
func (c UserCredentials) String() string {
	return fmt.Sprintf("distribution.UserCredentials{Email:%s Password:%s Role:%s ApplicationID:%s}", c.Email, redact.Placeholder, c.Role, c.ApplicationID)
}

// GoString never shows the password.
func (c UserCredentials) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c UserCredentials) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

// LogValue never shows the password.
func (c UserCredentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the redacted form: a Target logged as JSON or
// encoded never carries the secrets along.
func (c UserCredentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// OAuth2Token is a customer's OAuth 2.0 token from a code grant, which
// installed the record (section_158081952044). REST serverTime with it
// confirms the State; an expired access token is refreshed first, through
// the client's single-flight Credential.
type OAuth2Token struct {
	Token *oauth2.Token
	// Client is the record's OAuth 2.0 client; nil uses the AutoInstaller's
	// (WithOAuth2Client).
	Client *oauth2.Client
	// Save, if set, persists every refreshed token before it is used (a
	// public client's refresh token works once).
	Save oauth2.SaveFunc
}

// Channel returns approval.ChannelOAuth2.
func (OAuth2Token) Channel() approval.Channel { return approval.ChannelOAuth2 }

// Validate checks a token is there.
func (c OAuth2Token) Validate() error {
	if c.Token == nil || (c.Token.AccessToken == "" && c.Token.RefreshToken == "") {
		return fmt.Errorf("%w: the OAuth 2.0 token has no access or refresh token", ErrCredential)
	}
	return nil
}

// String never shows the tokens.
func (c OAuth2Token) String() string { return "distribution.OAuth2Token{" + c.Token.String() + "}" }

// GoString never shows the tokens.
func (c OAuth2Token) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c OAuth2Token) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

// LogValue never shows the tokens.
func (c OAuth2Token) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the redacted form: a Target logged as JSON or
// encoded never carries the secrets along.
func (c OAuth2Token) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// M2MKey is the client credentials (machine to machine) grant: a private
// key whose certificate is mapped in the target. M2M installs nothing: the
// record must already be there (section_162686838198), so a refusal means
// it is not installed, not Enabled, or the mapping is wrong.
type M2MKey struct {
	CertificateID string
	Key           crypto.Signer
	Algorithm     string // default from the key
	// Client is the record's OAuth 2.0 client; nil uses the AutoInstaller's.
	Client *oauth2.Client
}

// Channel returns approval.ChannelOAuth2.
func (M2MKey) Channel() approval.Channel { return approval.ChannelOAuth2 }

// Validate names a missing field.
func (c M2MKey) Validate() error {
	switch {
	case c.CertificateID == "":
		return fmt.Errorf("%w: the M2M key has no certificate id", ErrCredential)
	case c.Key == nil:
		return fmt.Errorf("%w: the M2M key has no private key", ErrCredential)
	}
	return nil
}

// String never shows the key.
func (c M2MKey) String() string {
	return fmt.Sprintf("distribution.M2MKey{CertificateID:%s Key:%s Algorithm:%s}", c.CertificateID, redact.Placeholder, c.Algorithm)
}

// GoString never shows the key.
func (c M2MKey) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c M2MKey) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

// LogValue never shows the key.
func (c M2MKey) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the redacted form: a Target logged as JSON or
// encoded never carries the secrets along.
func (c M2MKey) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

func missing(what string, fields map[string]string, order ...string) error {
	var empty []string
	for _, k := range order {
		if strings.TrimSpace(fields[k]) == "" {
			empty = append(empty, k)
		}
	}
	if len(empty) == 0 {
		return nil
	}
	return fmt.Errorf("%w: the %s has no %s", ErrCredential, what, strings.Join(empty, ", no "))
}

func abbrev(s string) string {
	if len(s) <= 8 {
		return "…"
	}
	return s[:4] + "…"
}

// LogValue shows the target without secrets (slog does not call a nested
// field's LogValue on its own).
func (t Target) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("account", string(t.Account))}
	if t.Label != "" {
		attrs = append(attrs, slog.String("label", t.Label))
	}
	switch {
	case t.Credential != nil:
		attrs = append(attrs, slog.String("channel", string(t.Credential.Channel())), slog.String("credential", fmt.Sprint(t.Credential)))
	case t.Auth != nil:
		attrs = append(attrs, slog.String("credential", fmt.Sprint(t.Auth)))
	}
	return slog.GroupValue(attrs...)
}

// credential returns the target's credential: Credential, or the deprecated
// Auth converted, checked against the target's account.
func (t Target) credential() (Credential, error) {
	switch {
	case t.Credential != nil && t.Auth != nil:
		return nil, fmt.Errorf("%w: target %s sets both Credential and Auth; set Credential only", ErrCredential, t.Account)
	case t.Credential != nil:
		if err := t.Credential.Validate(); err != nil {
			return nil, err
		}
		if c, ok := t.Credential.(OAuth2Token); ok && c.Token.Account != "" && c.Token.Account != t.Account {
			return nil, fmt.Errorf("%w: the OAuth 2.0 token is for account %s, the target is %s", ErrCredential, c.Token.Account, t.Account)
		}
		return t.Credential, nil
	case t.Auth == nil:
		return nil, fmt.Errorf("%w: target %s has no credential", ErrCredential, t.Account)
	}
	if a := t.Auth.AccountID(); a != t.Account {
		return nil, fmt.Errorf("%w: the credentials are for account %s, the target is %s", ErrCredential, a, t.Account)
	}
	var c Credential
	switch a := t.Auth.(type) {
	case *soap.TokenAuth:
		c = TBAToken{ConsumerKey: a.ConsumerKey, ConsumerSecret: a.ConsumerSecret, TokenID: a.TokenID, TokenSecret: a.TokenSecret}
	case *soap.Passport:
		c = UserCredentials{Email: a.Email, Password: a.Password, Role: a.Role, ApplicationID: a.ApplicationID}
	default:
		return nil, fmt.Errorf("%w: unsupported soap.Auth %T", ErrCredential, t.Auth)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// soapAuth builds the SOAP credentials for account.
func soapAuth(c Credential, account nsdist.AccountID) soap.Auth {
	switch c := c.(type) {
	case TBAToken:
		return &soap.TokenAuth{Account: account, ConsumerKey: c.ConsumerKey, ConsumerSecret: c.ConsumerSecret, TokenID: c.TokenID, TokenSecret: c.TokenSecret}
	case UserCredentials:
		return &soap.Passport{Account: account, Email: c.Email, Password: c.Password, Role: c.Role, ApplicationID: c.ApplicationID}
	}
	return nil
}
