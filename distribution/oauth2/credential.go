package oauth2

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/internal/redact"
)

// Grant is a customer's token from an authorization code grant, which
// installed the record (section_158081952044): a
// [distribution.Credential] of the OAuth 2.0 channel. REST serverTime
// with it confirms the State; an expired access token is refreshed first,
// through the client's single-flight [Refresher].
type Grant struct {
	Token *Token
	// Client is the record's OAuth 2.0 client; nil uses the prober's.
	Client *Client
	// Save, if set, persists every refreshed token before it is used (a
	// public client's refresh token works once).
	Save SaveFunc
	// Source, if set, hands out the access token instead of the client's
	// Refresher: a store's refresher that takes a lease across processes
	// (distribution/sqlstore), so that a Connect app and a rollout
	// refreshing one public token at once spend it once.
	Source TokenSource
}

// TokenSource hands out a valid access token, refreshing it if needed.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// M2MKey is the client credentials (machine to machine) grant: a private
// key whose certificate is mapped in the target. M2M installs nothing: the
// record must already be there (section_162686838198), so a refusal means
// it is not installed, not Enabled, or the mapping is wrong.
type M2MKey struct {
	CertificateID string
	Key           crypto.Signer
	Algorithm     string // default from the key
	// Client is the record's OAuth 2.0 client; nil uses the prober's.
	Client *Client
	// ClientID, when set and Client is nil, is the record's client ID: the
	// prober's client is used with this ID (client credentials need no
	// secret).
	ClientID string
}

var (
	_ distribution.Authorized = Grant{}
	_ distribution.Identified = Grant{}
	_ distribution.Confirmer  = M2MKey{}
	_ distribution.Identified = M2MKey{}
)

// Identity is the token's account, client ID, role, entity and scopes:
// who authorized which client, for which role and scopes (what
// distribution/sqlstore keys a stored token by, scopes aside). A refreshed
// token, or the same user's new grant for the same role and scopes, is
// the same credential; another user, role, client or scope set is
// another. The tokens and their times are not part of it. Nil without a
// token.
func (g Grant) Identity() []string {
	if g.Token == nil {
		return nil
	}
	client := g.Token.ClientID
	if client == "" && g.Client != nil {
		client = g.Client.cfg.ClientID
	}
	scopes := make([]string, len(g.Token.Scopes))
	for i, sc := range g.Token.Scopes {
		scopes[i] = string(sc)
	}
	sort.Strings(scopes)
	return []string{string(g.Token.Account), client, g.Token.Role, g.Token.Entity, strings.Join(scopes, " ")}
}

// AuthorizedAt is when the customer's authorization produced the token's
// chain (its GrantedAt, else its IssuedAt), or the zero time.
func (g Grant) AuthorizedAt() time.Time {
	if g.Token == nil {
		return time.Time{}
	}
	if !g.Token.GrantedAt.IsZero() {
		return g.Token.GrantedAt
	}
	return g.Token.IssuedAt
}

// Channel returns approval.ChannelOAuth2.
func (Grant) Channel() approval.Channel { return approval.ChannelOAuth2 }

// Validate checks a token is there, for account.
func (g Grant) Validate(account nsdist.AccountID) error {
	switch {
	case g.Token == nil || (g.Token.AccessToken == "" && g.Token.RefreshToken == ""):
		return fmt.Errorf("%w: the OAuth 2.0 token has no access or refresh token", distribution.ErrCredential)
	case g.Token.Account != "" && account != "" && g.Token.Account != account:
		return fmt.Errorf("%w: the OAuth 2.0 token is for account %s, the target is %s", distribution.ErrCredential, g.Token.Account, account)
	}
	return nil
}

// String never shows the tokens.
func (g Grant) String() string {
	if g.Token == nil {
		return "oauth2.Grant{no token}"
	}
	return "oauth2.Grant{" + g.Token.String() + "}"
}

// GoString never shows the tokens.
func (g Grant) GoString() string { return g.String() }

// Format prints the redacted form for every verb.
func (g Grant) Format(f fmt.State, _ rune) { io.WriteString(f, g.String()) } //nolint:errcheck

// LogValue never shows the tokens.
func (g Grant) LogValue() slog.Value { return slog.StringValue(g.String()) }

// MarshalJSON writes the redacted form: a Target logged as JSON or
// encoded never carries the secrets along.
func (g Grant) MarshalJSON() ([]byte, error) { return json.Marshal(g.String()) }

// Channel returns approval.ChannelOAuth2.
func (M2MKey) Channel() approval.Channel { return approval.ChannelOAuth2 }

// InstallsNothing returns true: client credentials only confirm a record
// already in the target.
func (M2MKey) InstallsNothing() bool { return true }

// Validate names a missing field.
func (k M2MKey) Validate(nsdist.AccountID) error {
	switch {
	case k.CertificateID == "":
		return fmt.Errorf("%w: the M2M key has no certificate id", distribution.ErrCredential)
	case k.Key == nil:
		return fmt.Errorf("%w: the M2M key has no private key", distribution.ErrCredential)
	}
	return nil
}

// Identity is the client ID, the certificate id and the public half of
// the key (its PKIX DER): another certificate, or another key under the
// same id, is another credential. The private key is not part of it.
func (k M2MKey) Identity() []string {
	client := k.ClientID // as the prober: Client, if set, wins
	if k.Client != nil {
		client = k.Client.cfg.ClientID
	}
	var pub []byte
	if k.Key != nil {
		pub, _ = x509.MarshalPKIXPublicKey(k.Key.Public()) // an unknown key type: nil, the id still tells
	}
	return []string{client, k.CertificateID, string(pub)}
}

// String never shows the key.
func (k M2MKey) String() string {
	return fmt.Sprintf("oauth2.M2MKey{CertificateID:%s Key:%s Algorithm:%s}", k.CertificateID, redact.Placeholder, k.Algorithm)
}

// GoString never shows the key.
func (k M2MKey) GoString() string { return k.String() }

// Format prints the redacted form for every verb.
func (k M2MKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) } //nolint:errcheck

// LogValue never shows the key.
func (k M2MKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON writes the redacted form.
func (k M2MKey) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

var _ distribution.CredentialBuilder = BuildM2MKey

// BuildM2MKey is the OAuth 2.0 channel's distribution.CredentialBuilder for
// targets-file rows with auth m2m: the secrets client_id, certificate_id
// and private_key_file (a PEM private key: PKCS#8, PKCS#1 RSA or SEC 1 EC)
// make an [M2MKey].
func BuildM2MKey(ref distribution.CredentialRef, s distribution.Secrets) (distribution.Credential, error) {
	if ref.Auth != "m2m" {
		return nil, &distribution.FieldError{Field: "auth", Err: fmt.Errorf("%q: the M2M builder reads m2m rows", ref.Auth)}
	}
	if err := s.Missing("client_id", "certificate_id", "private_key_file"); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.Get("private_key_file"))
	if err != nil {
		return nil, fmt.Errorf("%w for %q: private_key_file: %w", distribution.ErrCredential, ref.Ref, err)
	}
	key, err := ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w for %q: private_key_file: %w", distribution.ErrCredential, ref.Ref, err)
	}
	return M2MKey{CertificateID: s.Get("certificate_id"), Key: key, ClientID: s.Get("client_id")}, nil
}
