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

	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/tba"
)

// PendingStore keeps started Connect flows (state → flow) in the table
// nsdist_pending, for replicas behind a load balancer: the callback may
// reach another replica than the one that started the flow. F is the
// channel's flow: *oauth2.Authorization for oauth2.Connect, tba.Token
// (the request token) for tba.Connect. A state is kept as its SHA-256
// only; the flow (with its PKCE verifier or request token secret) is
// sealed like a token, bound to that hash. Take deletes the row in the
// statement that reads it, so a state is used once across every replica.
// Rows live the TTL (default 15 minutes); Put clears expired ones, and
// refuses with distribution.ErrTooManyPending when 10,000 are in
// progress (WithMaxPending), or 20 from the flow's source (its client
// address, kept hashed), rather than evicting any. Use
// NewPendingStore.
type PendingStore[F any] struct {
	base
	keys      *Keyring
	ttl       time.Duration
	max       int
	perSource int
}

var (
	_ distribution.PendingStore[*oauth2.Authorization] = (*PendingStore[*oauth2.Authorization])(nil)
	_ distribution.PendingStore[tba.Token]             = (*PendingStore[tba.Token])(nil)
)

// NewPendingStore migrates db's schema and returns the store. Options:
// [WithTTL], [WithMaxPending], [WithClock].
func NewPendingStore[F any](ctx context.Context, db *sql.DB, keys *Keyring, opts ...Option) (*PendingStore[F], error) {
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
	limit := o.max
	if limit == 0 {
		limit = 10000
	}
	return &PendingStore[F]{base: b, keys: keys, ttl: ttl, max: limit, perSource: 20}, nil
}

func stateHash(state string) string {
	h := sha256.Sum256([]byte("nsdist oauth2 state\x00" + state))
	return hex.EncodeToString(h[:])
}

type pendingSealed[F any] struct {
	Flow    F         `json:"flow"`
	Session string    `json:"session"`
	Tenant  string    `json:"tenant,omitempty"`
	Source  string    `json:"source,omitempty"`
	Created time.Time `json:"created"`
}

// Put implements distribution.PendingStore. A state already pending is refused.
func (s *PendingStore[F]) Put(ctx context.Context, state string, p distribution.Pending[F]) error {
	if state == "" {
		return errors.New("sqlstore: empty state")
	}
	now := s.now()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM nsdist_pending WHERE expires_ms < $1`, now.UnixMilli()); err != nil {
		return fmt.Errorf("sqlstore: pending: clear expired: %w", err)
	}
	src := stateHash("source\x00" + p.Source)
	var n, fromSource int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN source_hash = $1 THEN 1 ELSE 0 END), 0) FROM nsdist_pending`, src).
		Scan(&n, &fromSource); err != nil {
		return fmt.Errorf("sqlstore: pending: count: %w", err)
	}
	if n >= s.max || fromSource >= s.perSource {
		return distribution.ErrTooManyPending
	}
	b, err := json.Marshal(pendingSealed[F]{Flow: p.Flow, Session: p.Session, Tenant: p.Tenant, Source: p.Source, Created: p.Created})
	if err != nil {
		return fmt.Errorf("sqlstore: pending: %w", err)
	}
	h := stateHash(state)
	keyID, sealed, err := s.keys.seal(b, assocData("nsdist_pending", h))
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO nsdist_pending (state_hash, key_id, sealed, expires_ms, source_hash) VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (state_hash) DO NOTHING`, h, keyID, sealed, now.Add(s.ttl).UnixMilli(), src)
	if err != nil {
		return fmt.Errorf("sqlstore: pending: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errors.New("sqlstore: state already pending")
	}
	return nil
}

// Take implements distribution.PendingStore: the first Take of a state,
// on any replica, gets the flow; every later one, and any after the TTL,
// gets distribution.ErrNoPending.
func (s *PendingStore[F]) Take(ctx context.Context, state string) (distribution.Pending[F], error) {
	h := stateHash(state)
	var keyID string
	var sealed []byte
	var expires int64
	err := s.db.QueryRowContext(ctx, `DELETE FROM nsdist_pending WHERE state_hash = $1 RETURNING key_id, sealed, expires_ms`, h).
		Scan(&keyID, &sealed, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return distribution.Pending[F]{}, distribution.ErrNoPending
	}
	if err != nil {
		return distribution.Pending[F]{}, fmt.Errorf("sqlstore: pending: %w", err)
	}
	if s.now().UnixMilli() > expires {
		return distribution.Pending[F]{}, distribution.ErrNoPending
	}
	pt, err := s.keys.open("nsdist_pending", "state "+h[:12]+"…", keyID, sealed, assocData("nsdist_pending", h))
	if err != nil {
		return distribution.Pending[F]{}, err
	}
	var v pendingSealed[F]
	if err := json.Unmarshal(pt, &v); err != nil {
		return distribution.Pending[F]{}, fmt.Errorf("sqlstore: pending: decrypted but not a flow: %w", err)
	}
	return distribution.Pending[F]{Flow: v.Flow, Session: v.Session, Tenant: v.Tenant, Source: v.Source, Created: v.Created}, nil
}
