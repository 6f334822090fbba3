package sqlstore

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
)

// Invitation asks a customer still on TBA to authorize the integration
// with OAuth 2.0: redeemed in the vendor's Connect app, it starts the code
// grant for its tenant and account.
type Invitation struct {
	Tenant  string           `json:"tenant"`
	Account nsdist.AccountID `json:"account"`
	Expires time.Time        `json:"expires"`
}

// ErrInvitation is returned by Redeem for an invitation that is unknown,
// expired, used already, or not the store's own.
var ErrInvitation = errors.New("sqlstore: this invitation is unknown, expired or used already: ask the vendor for a new one")

// Invitations issues and redeems migration invitations (TBA to OAuth 2.0).
// Each is single use, expires (WithTTL, default 14 days), and is bound to
// its tenant and account by an HMAC whose key the store keeps, sealed.
// They are kept in nsdist_tokens (kind "invitation"), sealed, apart from
// the Connect flows in progress, whose limit they do not count against.
// Use NewInvitations.
type Invitations struct {
	tokens *TokenStore
	ttl    time.Duration
}

const kindInvitation = "invitation"

// NewInvitations migrates db's schema and returns the invitations.
// Options: [WithTTL] (default 14 days), [WithClock].
func NewInvitations(ctx context.Context, db *sql.DB, keys *Keyring, opts ...Option) (*Invitations, error) {
	t, err := NewTokenStore(ctx, db, keys, opts...)
	if err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		if opt != nil {
			_ = opt(&o) // NewTokenStore has checked them
		}
	}
	ttl := o.ttl
	if ttl == 0 {
		ttl = 14 * 24 * time.Hour
	}
	return &Invitations{tokens: t, ttl: ttl}, nil
}

// Issue returns a new invitation's token for tenant and account: put it
// in a link to the Connect app's invitation handler.
func (i *Invitations) Issue(ctx context.Context, tenant string, account nsdist.AccountID) (string, error) {
	if err := account.Validate(); err != nil {
		return "", fmt.Errorf("sqlstore: invitation: %w", err)
	}
	id := make([]byte, 18)
	_, _ = rand.Read(id) // crypto/rand does not fail
	idText := base64.RawURLEncoding.EncodeToString(id)
	now := i.tokens.now()
	inv := Invitation{Tenant: tenant, Account: account, Expires: now.Add(i.ttl).Truncate(time.Second)}
	key, err := i.key(ctx)
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(inv)
	if _, err := i.tokens.write(ctx, rowKey{tenant: tenant, kind: kindInvitation, account: string(account), clientID: idText}, b, now, 0); err != nil {
		return "", fmt.Errorf("sqlstore: invitation: %w", err)
	}
	return idText + "." + base64.RawURLEncoding.EncodeToString(inviteMAC(key, idText, inv)), nil
}

// Redeem takes the invitation of token, once: a second Redeem, an expired
// or a forged one gets ErrInvitation.
func (i *Invitations) Redeem(ctx context.Context, token string) (Invitation, error) {
	idText, macText, ok := strings.Cut(token, ".")
	mac, err := base64.RawURLEncoding.DecodeString(macText)
	if !ok || err != nil || len(idText) > 64 {
		return Invitation{}, ErrInvitation
	}
	inv, err := i.take(ctx, idText)
	if err != nil {
		return Invitation{}, err
	}
	key, err := i.key(ctx)
	if err != nil {
		return Invitation{}, err
	}
	if !hmac.Equal(mac, inviteMAC(key, idText, inv)) || !i.tokens.now().Before(inv.Expires) {
		return Invitation{}, ErrInvitation
	}
	return inv, nil
}

// take reads the invitation of id and deletes it in one step that only one
// replica can win.
func (i *Invitations) take(ctx context.Context, id string) (Invitation, error) {
	var k rowKey
	var keyID string
	var sealed []byte
	var version int64
	err := i.tokens.db.QueryRowContext(ctx, `SELECT tenant, kind, account, client_id, role, entity, key_id, sealed, version FROM nsdist_tokens
	WHERE kind = $1 AND client_id = $2`, kindInvitation, id).Scan(&k.tenant, &k.kind, &k.account, &k.clientID, &k.role, &k.entity, &keyID, &sealed, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return Invitation{}, ErrInvitation
	}
	if err != nil {
		return Invitation{}, fmt.Errorf("sqlstore: invitation: %w", err)
	}
	res, err := i.tokens.db.ExecContext(ctx, `DELETE FROM nsdist_tokens WHERE tenant = $1 AND kind = $2 AND account = $3 AND client_id = $4 AND version = $5`,
		k.tenant, k.kind, k.account, k.clientID, version)
	if err != nil {
		return Invitation{}, fmt.Errorf("sqlstore: invitation: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Invitation{}, ErrInvitation // taken by another replica meanwhile
	}
	pt, err := i.tokens.keys.open("nsdist_tokens", k.String(), keyID, sealed, k.ad(version))
	if err != nil {
		return Invitation{}, err
	}
	var inv Invitation
	if err := json.Unmarshal(pt, &inv); err != nil {
		return Invitation{}, fmt.Errorf("sqlstore: invitation: decrypted but not an invitation: %w", err)
	}
	return inv, nil
}

func inviteMAC(key []byte, id string, inv Invitation) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(assocData("nsdist invitation", id, inv.Tenant, string(inv.Account), strconv.FormatInt(inv.Expires.Unix(), 10)))
	return m.Sum(nil)[:16]
}

// key is the invitations' HMAC key, made on first use and kept sealed in
// nsdist_tokens.
func (i *Invitations) key(ctx context.Context) ([]byte, error) {
	row := rowKey{kind: "invitation-key", account: "invitations"}
	k, err := i.tokens.load(ctx, row)
	if errors.Is(err, ErrNotFound) {
		fresh := make([]byte, 32)
		_, _ = rand.Read(fresh) // crypto/rand does not fail
		// insert only: a key another replica made first is kept
		if _, err := i.tokens.write(ctx, row, fresh, time.Unix(0, 0), 0); err != nil {
			return nil, err
		}
		k, err = i.tokens.load(ctx, row)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: invitation key: %w", err)
	}
	return k, nil
}

// Moved reports whether the tenant's customer account has authorized with
// OAuth 2.0: a code-grant token or an M2M credential is stored for it.
func (s *TokenStore) Moved(ctx context.Context, tenant string, account nsdist.AccountID) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM nsdist_tokens WHERE tenant = $1 AND account = $2 AND kind IN ($3, $4)`,
		tenant, string(account), kindOAuth2, kindM2M).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlstore: moved: %w", err)
	}
	return n > 0, nil
}
