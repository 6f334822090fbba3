package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/internal/redact"
)

const kindM2M = "m2m"

// M2MCredential is a customer's client-credentials (M2M) authorization
// after a hand-off (oauth2.Client.HandOffToM2M): the certificate
// registered in the account, and the vendor's private key that signs the
// assertions. It needs no re-consent; the certificate expires at
// ValidUntil. The key is sealed like a token.
type M2MCredential struct {
	Account       nsdist.AccountID `json:"account"`
	ClientID      string           `json:"client_id"`
	CertificateID string           `json:"certificate_id"`
	Role          string           `json:"role"`
	Entity        string           `json:"entity"`
	// KeyPEM is the private key (PKCS#8 PEM) that matches the certificate.
	KeyPEM       []byte    `json:"key_pem"`
	Algorithm    string    `json:"algorithm,omitempty"`
	RegisteredAt time.Time `json:"registered_at"`
	ValidUntil   time.Time `json:"valid_until"`
}

// String never shows the key.
func (c M2MCredential) String() string {
	return fmt.Sprintf("sqlstore.M2MCredential{Account:%s CertificateID:%s Role:%s Entity:%s KeyPEM:%s ValidUntil:%s}",
		c.Account, c.CertificateID, c.Role, c.Entity, redact.Placeholder, c.ValidUntil.UTC().Format(time.RFC3339))
}

// GoString never shows the key.
func (c M2MCredential) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c M2MCredential) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

// LogValue never shows the key.
func (c M2MCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the credential with its key replaced; the store
// seals the whole form.
func (c M2MCredential) MarshalJSON() ([]byte, error) {
	c.KeyPEM = []byte(redact.Placeholder)
	return json.Marshal(m2mSealed(c))
}

// m2mSealed is M2MCredential's JSON form with the key, as the store seals it.
type m2mSealed M2MCredential

// Key returns the credential as the rollout's M2M credential.
func (c M2MCredential) Key() (oauth2.M2MKey, error) {
	k, err := oauth2.ParsePrivateKey(c.KeyPEM)
	if err != nil {
		return oauth2.M2MKey{}, err
	}
	return oauth2.M2MKey{CertificateID: c.CertificateID, Key: k, Algorithm: c.Algorithm, ClientID: c.ClientID}, nil
}

// M2MCredentials is one tenant's M2M credentials, one per (account,
// client). Get one from [TokenStore.M2M].
type M2MCredentials struct {
	s      *TokenStore
	tenant string
}

// M2M returns tenant's M2M credentials.
func (s *TokenStore) M2M(tenant string) *M2MCredentials { return &M2MCredentials{s: s, tenant: tenant} }

func (m *M2MCredentials) row(account nsdist.AccountID, clientID string) rowKey {
	return rowKey{tenant: m.tenant, kind: kindM2M, account: string(account), clientID: clientID}
}

// Save stores c, replacing the tenant's M2M credential for its account
// and client.
func (m *M2MCredentials) Save(ctx context.Context, c M2MCredential) error {
	if err := c.Account.Validate(); err != nil {
		return fmt.Errorf("sqlstore: save M2M credential: %w", err)
	}
	if c.ClientID == "" || c.CertificateID == "" || len(c.KeyPEM) == 0 {
		return errors.New("sqlstore: save M2M credential: it needs a client id, a certificate id and the key")
	}
	b, err := json.Marshal(m2mSealed(c)) // the key is sealed with AES-GCM right below, never stored or logged in clear
	if err != nil {
		return fmt.Errorf("sqlstore: save M2M credential: %w", err)
	}
	_, err = m.s.save(ctx, m.row(c.Account, c.ClientID), b, c.RegisteredAt)
	return err
}

// Load returns the tenant's M2M credential for account and client;
// ErrNotFound when there is none.
func (m *M2MCredentials) Load(ctx context.Context, account nsdist.AccountID, clientID string) (M2MCredential, error) {
	pt, err := m.s.load(ctx, m.row(account, clientID))
	if err != nil {
		return M2MCredential{}, err
	}
	var c m2mSealed
	if err := json.Unmarshal(pt, &c); err != nil {
		return M2MCredential{}, fmt.Errorf("sqlstore: M2M credential %s: decrypted but not a credential: %w", m.row(account, clientID), err)
	}
	return M2MCredential(c), nil
}

// Clients lists the client ids of the tenant's M2M credentials for account.
func (m *M2MCredentials) Clients(ctx context.Context, account nsdist.AccountID) ([]string, error) {
	rows, err := m.s.db.QueryContext(ctx, `SELECT client_id FROM nsdist_tokens WHERE tenant = $1 AND kind = $2 AND account = $3 ORDER BY client_id`,
		m.tenant, kindM2M, string(account))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: M2M credentials of %s: %w", account, err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlstore: M2M credentials of %s: %w", account, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
