package tba

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/soap"
)

// Credential is a customer's access token with the record's consumer key
// and secret: issuing the token installed the record (section_4429293934),
// and a getServerTime with it confirms the State. It is a
// [distribution.Credential] of the TBA channel.
type Credential struct {
	Consumer Consumer
	Token    Token
	// Version is the SOAP endpoint for this target; zero uses the
	// prober's (2025_2 by default).
	Version soap.Version
}

var (
	_ distribution.Identified = Credential{}
	_ distribution.Identified = UserCredentials{}
)

// Channel returns approval.ChannelTBA.
func (Credential) Channel() approval.Channel { return approval.ChannelTBA }

// Validate names every empty field.
func (c Credential) Validate(nsdist.AccountID) error {
	return missing("TBA token", map[string]string{"consumer key": c.Consumer.Key, "consumer secret": c.Consumer.Secret, "token id": c.Token.ID, "token secret": c.Token.Secret},
		"consumer key", "consumer secret", "token id", "token secret")
}

// Identity is the consumer key and the token id: a token the customer
// issued anew is another credential. The secrets are not part of it.
func (c Credential) Identity() []string { return []string{c.Consumer.Key, c.Token.ID} }

// String never shows the secrets.
func (c Credential) String() string {
	return "tba.Credential{Consumer:" + c.Consumer.String() + " Token:" + c.Token.String() + "}"
}

// GoString never shows the secrets.
func (c Credential) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c Credential) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

// LogValue never shows the secrets.
func (c Credential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the redacted form: a Target logged as JSON or
// encoded never carries the secrets along.
func (c Credential) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// TokenAuth returns the credential as the SOAP wire layer takes it, for
// account (soap.WithAuth).
func (c Credential) TokenAuth(a nsdist.AccountID) *soap.TokenAuth {
	return &soap.TokenAuth{Account: a, ConsumerKey: c.Consumer.Key, ConsumerSecret: c.Consumer.Secret, TokenID: c.Token.ID, TokenSecret: c.Token.Secret}
}

// Channel returns approval.ChannelCredentials: user credentials with the
// record's application id, the legacy trigger on endpoints up to 2020.1.
func (UserCredentials) Channel() approval.Channel { return approval.ChannelCredentials }

// Validate names every empty field the legacy login needs, and refuses
// credentials for another account.
func (u UserCredentials) Validate(account nsdist.AccountID) error {
	if u.Account != "" && account != "" && u.Account != account {
		return fmt.Errorf("%w: the user credentials are for account %s, the target is %s", distribution.ErrCredential, u.Account, account)
	}
	return missing("user credentials", map[string]string{"email": u.Email, "password": u.Password, "application id": u.ApplicationID},
		"email", "password", "application id")
}

// Identity is the account, the user's email, the role and the record's
// application id; the password and OTP are not part of it.
func (u UserCredentials) Identity() []string {
	return []string{string(u.Account), u.Email, u.Role, u.ApplicationID}
}

// LogValue never shows the password.
func (u UserCredentials) LogValue() slog.Value { return slog.StringValue(u.String()) }

// MarshalJSON writes the redacted form.
func (u UserCredentials) MarshalJSON() ([]byte, error) { return json.Marshal(u.String()) }

// Passport returns the user credentials as the SOAP wire layer takes them,
// for account (soap.WithAuth).
func (u UserCredentials) Passport(a nsdist.AccountID) *soap.Passport {
	return &soap.Passport{Account: a, Email: u.Email, Password: u.Password, Role: u.Role, ApplicationID: u.ApplicationID}
}

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
	return fmt.Errorf("%w: the %s has no %s", distribution.ErrCredential, what, strings.Join(empty, ", no "))
}
