package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nsdist/nsdist/distribution/oauth2"
)

// PendingStore keeps started OAuth 2.0 authorizations (state → flow) in
// the table nsdist_pending, for replicas behind a load balancer: the
// callback may reach another replica than the one that started the flow.
// A state is kept as its SHA-256 only; the flow (with its PKCE verifier)
// is sealed like a token, bound to that hash. Take deletes the row in the
// statement that reads it, so a state is used once across every replica.
// Rows live the TTL (default 15 minutes); Put clears expired ones. Use
// NewPendingStore.
type PendingStore struct {
	base
	keys *Keyring
	ttl  time.Duration
}

var _ oauth2.PendingStore = (*PendingStore)(nil)

// NewPendingStore migrates db's schema and returns the store. Options:
// [WithTTL], [WithClock].
func NewPendingStore(ctx context.Context, db *sql.DB, keys *Keyring, opts ...Option) (*PendingStore, error) {
	if keys == nil {
		return nil, errors.New("sqlstore: nil Keyring: use NewKeyring(ParseKey(NSDIST_STORE_KEY))")
	}
	b, o, err := newBase(ctx, db, opts)
	if err != nil {
		return nil, err
	}
	ttl := o.ttl
	if ttl == 0 {
		ttl = 15 * time.Minute
	}
	return &PendingStore{base: b, keys: keys, ttl: ttl}, nil
}

func stateHash(state string) string {
	h := sha256.Sum256([]byte("nsdist oauth2 state\x00" + state))
	return hex.EncodeToString(h[:])
}

type pendingSealed struct {
	Authorization *oauth2.Authorization `json:"authorization"`
	Session       string                `json:"session"`
	Tenant        string                `json:"tenant,omitempty"`
	Created       time.Time             `json:"created"`
}

// Put implements oauth2.PendingStore. A state already pending is refused.
func (s *PendingStore) Put(ctx context.Context, state string, p oauth2.Pending) error {
	if state == "" {
		return errors.New("sqlstore: empty state")
	}
	now := s.now()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM nsdist_pending WHERE expires_ms < $1`, now.UnixMilli()); err != nil {
		return fmt.Errorf("sqlstore: pending: clear expired: %w", err)
	}
	b, err := json.Marshal(pendingSealed{Authorization: p.Authorization, Session: p.Session, Tenant: p.Tenant, Created: p.Created})
	if err != nil {
		return fmt.Errorf("sqlstore: pending: %w", err)
	}
	h := stateHash(state)
	keyID, sealed, err := s.keys.seal(b, assocData("nsdist_pending", h))
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO nsdist_pending (state_hash, key_id, sealed, expires_ms) VALUES ($1, $2, $3, $4)
	ON CONFLICT (state_hash) DO NOTHING`, h, keyID, sealed, now.Add(s.ttl).UnixMilli())
	if err != nil {
		return fmt.Errorf("sqlstore: pending: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errors.New("sqlstore: state already pending")
	}
	return nil
}

// Take implements oauth2.PendingStore: the first Take of a state, on any
// replica, gets the flow; every later one, and any after the TTL, gets
// oauth2.ErrNoPending.
func (s *PendingStore) Take(ctx context.Context, state string) (oauth2.Pending, error) {
	h := stateHash(state)
	var keyID string
	var sealed []byte
	var expires int64
	err := s.db.QueryRowContext(ctx, `DELETE FROM nsdist_pending WHERE state_hash = $1 RETURNING key_id, sealed, expires_ms`, h).
		Scan(&keyID, &sealed, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return oauth2.Pending{}, oauth2.ErrNoPending
	}
	if err != nil {
		return oauth2.Pending{}, fmt.Errorf("sqlstore: pending: %w", err)
	}
	if s.now().UnixMilli() > expires {
		return oauth2.Pending{}, oauth2.ErrNoPending
	}
	pt, err := s.keys.open("nsdist_pending", "state "+h[:12]+"…", keyID, sealed, assocData("nsdist_pending", h))
	if err != nil {
		return oauth2.Pending{}, err
	}
	var v pendingSealed
	if err := json.Unmarshal(pt, &v); err != nil {
		return oauth2.Pending{}, fmt.Errorf("sqlstore: pending: decrypted but not a flow: %w", err)
	}
	return oauth2.Pending{Authorization: v.Authorization, Session: v.Session, Tenant: v.Tenant, Created: v.Created}, nil
}
