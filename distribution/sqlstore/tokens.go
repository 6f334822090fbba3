package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/tba"
)

// ErrNotFound is returned for a token the store does not hold.
var ErrNotFound = errors.New("sqlstore: not found")

// TokenStore keeps customers' TBA and OAuth 2.0 tokens in the table
// nsdist_tokens, each sealed with AES-256-GCM under the keyring's current
// key. The key id is stored beside the ciphertext; the row's tenant (the
// vendor's own id for its customer), kind, account, client id, role and
// entity are bound to it as associated data, so a row copied to another
// tenant or account does not decrypt. Use NewTokenStore; it is safe for
// concurrent use and across processes.
type TokenStore struct {
	base
	keys *Keyring
}

// NewTokenStore migrates db's schema and returns the store.
func NewTokenStore(ctx context.Context, db *sql.DB, keys *Keyring, opts ...Option) (*TokenStore, error) {
	if keys == nil {
		return nil, errors.New("sqlstore: nil Keyring: use NewKeyring(ParseKey(NSDIST_STORE_KEY))")
	}
	b, _, err := newBase(ctx, db, opts)
	if err != nil {
		return nil, err
	}
	return &TokenStore{base: b, keys: keys}, nil
}

// OAuth2 returns tenant's OAuth 2.0 tokens; it satisfies oauth2.TokenStore,
// and its SaveToken method is an oauth2.SaveFunc (give it to
// oauth2.Client.Refresher).
func (s *TokenStore) OAuth2(tenant string) *OAuth2Tokens { return &OAuth2Tokens{s: s, tenant: tenant} }

// TBA returns tenant's TBA access tokens; it satisfies tba.TokenStore.
func (s *TokenStore) TBA(tenant string) *TBATokens { return &TBATokens{s: s, tenant: tenant} }

const (
	kindOAuth2 = "oauth2"
	kindTBA    = "tba"
)

// rowKey names one row of nsdist_tokens.
type rowKey struct {
	tenant, kind, account, clientID, role, entity string
}

// ad is the associated data of the row's ciphertext at version: the key
// columns and the row's version, so that a ciphertext opens only in its
// own row, and an older one put back after a later save does not open.
func (k rowKey) ad(version int64) []byte {
	return assocData("nsdist_tokens", k.tenant, k.kind, k.account, k.clientID, k.role, k.entity, strconv.FormatInt(version, 10))
}

// check refuses a key PostgreSQL cannot store (a NUL in a text column) on
// every backend alike.
func (k rowKey) check() error {
	for _, f := range []string{k.tenant, k.account, k.clientID, k.role, k.entity} {
		if strings.ContainsRune(f, 0) {
			return fmt.Errorf("sqlstore: token %s: a NUL character in the tenant, account, client id, role or entity: remove it", k)
		}
	}
	return nil
}

func (k rowKey) String() string {
	s := fmt.Sprintf("tenant=%q %s account=%s", k.tenant, k.kind, k.account)
	if k.kind == kindOAuth2 {
		s += fmt.Sprintf(" client=%s role=%q entity=%q", abbrev(k.clientID), k.role, k.entity)
	}
	return s
}

func abbrev(s string) string {
	if len(s) <= 8 {
		return s
	}
	return s[:8] + "…"
}

// save seals plaintext and writes it, unless the row holds a value issued
// later (issued); it reports whether the row was written. The ciphertext
// is bound to the version it is written at: the row is read, then
// updated only if its version has not moved, else read again.
func (s *TokenStore) save(ctx context.Context, k rowKey, plaintext []byte, issued time.Time) (bool, error) {
	if err := k.check(); err != nil {
		return false, err
	}
	for range 8 {
		var version, issuedMS int64
		err := s.db.QueryRowContext(ctx, `SELECT version, issued_ms FROM nsdist_tokens
		WHERE tenant = $1 AND kind = $2 AND account = $3 AND client_id = $4 AND role = $5 AND entity = $6`,
			k.tenant, k.kind, k.account, k.clientID, k.role, k.entity).Scan(&version, &issuedMS)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			version = 0
		case err != nil:
			return false, fmt.Errorf("sqlstore: save token %s: %w", k, err)
		case issuedMS > issued.UnixMilli():
			return false, nil // a token issued later is stored
		}
		written, err := s.write(ctx, k, plaintext, issued, version)
		if err != nil || written {
			return written, err
		}
	}
	return false, fmt.Errorf("sqlstore: save token %s: other saves kept changing the row; try again", k)
}

// write puts the row at version+1 if it is still at version (0: absent).
func (s *TokenStore) write(ctx context.Context, k rowKey, plaintext []byte, issued time.Time, version int64) (bool, error) {
	keyID, sealed, err := s.keys.seal(plaintext, k.ad(version+1))
	if err != nil {
		return false, err
	}
	var res sql.Result
	if version == 0 {
		res, err = s.db.ExecContext(ctx, `INSERT INTO nsdist_tokens
		(tenant, kind, account, client_id, role, entity, key_id, sealed, issued_ms, version, updated_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10)
		ON CONFLICT (tenant, kind, account, client_id, role, entity) DO NOTHING`,
			k.tenant, k.kind, k.account, k.clientID, k.role, k.entity, keyID, sealed, issued.UnixMilli(), s.now().UnixMilli())
	} else {
		res, err = s.db.ExecContext(ctx, `UPDATE nsdist_tokens SET key_id = $1, sealed = $2, issued_ms = $3, version = version + 1, updated_ms = $4
		WHERE tenant = $5 AND kind = $6 AND account = $7 AND client_id = $8 AND role = $9 AND entity = $10 AND version = $11`,
			keyID, sealed, issued.UnixMilli(), s.now().UnixMilli(), k.tenant, k.kind, k.account, k.clientID, k.role, k.entity, version)
	}
	if err != nil {
		return false, fmt.Errorf("sqlstore: save token %s: %w", k, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// load reads and opens one row.
func (s *TokenStore) load(ctx context.Context, k rowKey) ([]byte, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	var keyID string
	var sealed []byte
	var version int64
	err := s.db.QueryRowContext(ctx, `SELECT key_id, sealed, version FROM nsdist_tokens
	WHERE tenant = $1 AND kind = $2 AND account = $3 AND client_id = $4 AND role = $5 AND entity = $6`,
		k.tenant, k.kind, k.account, k.clientID, k.role, k.entity).Scan(&keyID, &sealed, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: token %s", ErrNotFound, k)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: load token %s: %w", k, err)
	}
	return s.keys.open("nsdist_tokens", k.String(), keyID, sealed, k.ad(version))
}

func (s *TokenStore) delete(ctx context.Context, k rowKey) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM nsdist_tokens
	WHERE tenant = $1 AND kind = $2 AND account = $3 AND client_id = $4 AND role = $5 AND entity = $6`,
		k.tenant, k.kind, k.account, k.clientID, k.role, k.entity)
	if err != nil {
		return fmt.Errorf("sqlstore: delete token %s: %w", k, err)
	}
	return nil
}

// Reseal seals again, under the keyring's current key, every row sealed
// with another key, and returns how many it moved. Run it after putting a
// new key first in the keyring; once it returns, the old key can go. A row
// no key of the keyring opens stops it with a *DecryptError. A row saved
// meanwhile by another replica is left as that replica wrote it.
func (s *TokenStore) Reseal(ctx context.Context) (int, error) {
	type row struct {
		k       rowKey
		keyID   string
		sealed  []byte
		version int64
	}
	rows, err := s.db.QueryContext(ctx, `SELECT tenant, kind, account, client_id, role, entity, key_id, sealed, version
	FROM nsdist_tokens WHERE key_id <> $1`, s.keys.CurrentID())
	if err != nil {
		return 0, fmt.Errorf("sqlstore: reseal: %w", err)
	}
	var old []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.k.tenant, &r.k.kind, &r.k.account, &r.k.clientID, &r.k.role, &r.k.entity, &r.keyID, &r.sealed, &r.version); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("sqlstore: reseal: %w", err)
		}
		old = append(old, r)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("sqlstore: reseal: %w", err)
	}
	n := 0
	for _, r := range old {
		pt, err := s.keys.open("nsdist_tokens", r.k.String(), r.keyID, r.sealed, r.k.ad(r.version))
		if err != nil {
			return n, err
		}
		keyID, sealed, err := s.keys.seal(pt, r.k.ad(r.version+1))
		if err != nil {
			return n, err
		}
		res, err := s.db.ExecContext(ctx, `UPDATE nsdist_tokens SET key_id = $1, sealed = $2, version = version + 1
		WHERE tenant = $3 AND kind = $4 AND account = $5 AND client_id = $6 AND role = $7 AND entity = $8 AND version = $9`,
			keyID, sealed, r.k.tenant, r.k.kind, r.k.account, r.k.clientID, r.k.role, r.k.entity, r.version)
		if err != nil {
			return n, fmt.Errorf("sqlstore: reseal %s: %w", r.k, err)
		}
		if c, _ := res.RowsAffected(); c > 0 {
			n++
		}
	}
	return n, nil
}

// OAuth2Key names one OAuth 2.0 credential of a tenant: the account, the
// integration record's client id, and the role and entity the user
// authorized with (the same key oauth2.Client.Refresher shares a refresh by).
type OAuth2Key struct {
	Account  nsdist.AccountID
	ClientID string
	Role     string
	Entity   string
}

// KeyOf returns the key tok is stored under.
func KeyOf(tok *oauth2.Token) OAuth2Key {
	return OAuth2Key{Account: tok.Account, ClientID: tok.ClientID, Role: tok.Role, Entity: tok.Entity}
}

// OAuth2Tokens is one tenant's OAuth 2.0 tokens. Get one from
// [TokenStore.OAuth2].
type OAuth2Tokens struct {
	s      *TokenStore
	tenant string
}

var _ oauth2.TokenStore = (*OAuth2Tokens)(nil)

// Tenant returns the tenant these tokens belong to.
func (t *OAuth2Tokens) Tenant() string { return t.tenant }

func (t *OAuth2Tokens) row(k OAuth2Key) rowKey {
	return rowKey{tenant: t.tenant, kind: kindOAuth2, account: string(k.Account), clientID: k.ClientID, role: k.Role, entity: k.Entity}
}

// SaveToken stores tok under [KeyOf](tok), replacing the stored token
// unless that one was issued later (IssuedAt): a replica holding a stale
// token never overwrites a refreshed one, whose predecessor is spent.
func (t *OAuth2Tokens) SaveToken(ctx context.Context, tok *oauth2.Token) error {
	if tok == nil {
		return errors.New("sqlstore: nil token")
	}
	if err := tok.Account.Validate(); err != nil {
		return fmt.Errorf("sqlstore: save token: %w", err)
	}
	if tok.ClientID == "" {
		return errors.New("sqlstore: save token: the token has no ClientID")
	}
	b, err := tok.JSON() // the plaintext is sealed with AES-GCM right below, never stored or logged
	if err != nil {
		return fmt.Errorf("sqlstore: save token: %w", err)
	}
	_, err = t.s.save(ctx, t.row(KeyOf(tok)), b, tok.IssuedAt)
	return err
}

// Load returns the token stored under k; ErrNotFound when there is none,
// a *DecryptError when it cannot be opened.
func (t *OAuth2Tokens) Load(ctx context.Context, k OAuth2Key) (*oauth2.Token, error) {
	pt, err := t.s.load(ctx, t.row(k))
	if err != nil {
		return nil, err
	}
	var tok oauth2.Token
	if err := json.Unmarshal(pt, &tok); err != nil {
		return nil, fmt.Errorf("sqlstore: token %s: decrypted but not a token: %w", t.row(k), err)
	}
	return &tok, nil
}

// Delete removes the token stored under k (nothing when there is none).
func (t *OAuth2Tokens) Delete(ctx context.Context, k OAuth2Key) error {
	return t.s.delete(ctx, t.row(k))
}

// Keys lists the tenant's OAuth 2.0 credentials.
func (t *OAuth2Tokens) Keys(ctx context.Context) ([]OAuth2Key, error) {
	rows, err := t.s.db.QueryContext(ctx, `SELECT account, client_id, role, entity FROM nsdist_tokens
	WHERE tenant = $1 AND kind = $2 ORDER BY account, client_id, role, entity`, t.tenant, kindOAuth2)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list tokens: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []OAuth2Key
	for rows.Next() {
		var k OAuth2Key
		if err := rows.Scan(&k.Account, &k.ClientID, &k.Role, &k.Entity); err != nil {
			return nil, fmt.Errorf("sqlstore: list tokens: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list tokens: %w", err)
	}
	return out, nil
}

// TBATokens is one tenant's TBA access tokens, one per account. Get one
// from [TokenStore.TBA].
type TBATokens struct {
	s      *TokenStore
	tenant string
}

var _ tba.TokenStore = (*TBATokens)(nil)

// Tenant returns the tenant these tokens belong to.
func (t *TBATokens) Tenant() string { return t.tenant }

func (t *TBATokens) row(a nsdist.AccountID) rowKey {
	return rowKey{tenant: t.tenant, kind: kindTBA, account: string(a)}
}

type tbaSealed struct {
	Token  string `json:"token"`
	Secret string `json:"secret"`
}

// Save stores the account's access token, replacing the previous one.
func (t *TBATokens) Save(ctx context.Context, account nsdist.AccountID, tok tba.Token) error {
	if err := account.Validate(); err != nil {
		return fmt.Errorf("sqlstore: save token: %w", err)
	}
	b, err := json.Marshal(tbaSealed{Token: tok.ID, Secret: tok.Secret}) //nolint:gosec // G117: sealed with AES-GCM right below
	if err != nil {
		return fmt.Errorf("sqlstore: save token: %w", err)
	}
	_, err = t.s.save(ctx, t.row(account), b, t.s.now())
	return err
}

// Get returns the account's access token; ErrNotFound when there is none,
// a *DecryptError when it cannot be opened.
func (t *TBATokens) Get(ctx context.Context, account nsdist.AccountID) (tba.Token, error) {
	pt, err := t.s.load(ctx, t.row(account))
	if err != nil {
		return tba.Token{}, err
	}
	var v tbaSealed
	if err := json.Unmarshal(pt, &v); err != nil {
		return tba.Token{}, fmt.Errorf("sqlstore: token %s: decrypted but not a token: %w", t.row(account), err)
	}
	return tba.Token{ID: v.Token, Secret: v.Secret}, nil
}

// Delete removes the account's access token (nothing when there is none).
func (t *TBATokens) Delete(ctx context.Context, account nsdist.AccountID) error {
	return t.s.delete(ctx, t.row(account))
}
