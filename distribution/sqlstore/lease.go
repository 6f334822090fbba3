package sqlstore

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

// Leases are named, expiring locks in the table nsdist_leases, shared by
// every process that uses the database: the holder of "refresh credential
// X" is the only replica that refreshes X. A lease that expires (its
// holder died or stalled) can be taken over, so choose a TTL longer than
// the work it guards. Expiry is compared with the acquiring process's
// clock: keep replicas' clocks in sync (NTP) to well within the TTL. Use
// NewLeases.
type Leases struct {
	base
}

// NewLeases migrates db's schema and returns the leases. Option: [WithClock].
func NewLeases(ctx context.Context, db *sql.DB, opts ...Option) (*Leases, error) {
	b, _, err := newBase(ctx, db, opts)
	if err != nil {
		return nil, err
	}
	return &Leases{base: b}, nil
}

// NewOwner returns an owner id for one acquisition: host, process id and
// random bytes, so that it says where the holder runs.
func NewOwner() string {
	host, _ := os.Hostname()
	var b [6]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read does not fail
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// TryAcquire takes the lease name for owner until ttl from now, when it is
// free, expired, or already owner's (then it is extended). It reports
// whether owner holds it; it never waits.
func (l *Leases) TryAcquire(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if name == "" || owner == "" || ttl <= 0 {
		return false, errors.New("sqlstore: lease: want a name, an owner and a positive TTL")
	}
	now := l.now()
	res, err := l.db.ExecContext(ctx, `INSERT INTO nsdist_leases (name, owner, expires_ms) VALUES ($1, $2, $3)
	ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms
	WHERE nsdist_leases.expires_ms <= $4 OR nsdist_leases.owner = excluded.owner`,
		name, owner, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("sqlstore: lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: lease %s: %w", name, err)
	}
	return n > 0, nil
}

// Acquire waits until owner holds the lease name (see TryAcquire) or ctx
// ends; it polls with a jittered wait from 5 ms up to 200 ms.
func (l *Leases) Acquire(ctx context.Context, name, owner string, ttl time.Duration) error {
	wait := 5 * time.Millisecond
	for {
		ok, err := l.TryAcquire(ctx, name, owner, ttl)
		if err == nil && ok {
			return nil
		}
		if ctx.Err() != nil {
			return l.waitedTooLong(ctx, name)
		}
		if err != nil {
			return err
		}
		t := time.NewTimer(wait/2 + rand.N(wait)) //nolint:gosec // G404: jitter between lease attempts, not a secret
		select {
		case <-ctx.Done():
			t.Stop()
			return l.waitedTooLong(ctx, name)
		case <-t.C:
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

func (l *Leases) waitedTooLong(ctx context.Context, name string) error {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	holder, until, _ := l.Holder(hctx, name)
	return fmt.Errorf("sqlstore: lease %s held by %s until %s: %w", name, holder, until.Format(time.RFC3339), ctx.Err())
}

// Release gives the lease up if owner holds it.
func (l *Leases) Release(ctx context.Context, name, owner string) error {
	if _, err := l.db.ExecContext(ctx, `DELETE FROM nsdist_leases WHERE name = $1 AND owner = $2`, name, owner); err != nil {
		return fmt.Errorf("sqlstore: release lease %s: %w", name, err)
	}
	return nil
}

// Holder returns who holds the lease name and until when; an empty owner
// when nobody does (an expired lease is reported with its past expiry).
func (l *Leases) Holder(ctx context.Context, name string) (owner string, expires time.Time, err error) {
	var ms int64
	err = l.db.QueryRowContext(ctx, `SELECT owner, expires_ms FROM nsdist_leases WHERE name = $1`, name).Scan(&owner, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sqlstore: lease %s: %w", name, err)
	}
	return owner, time.UnixMilli(ms).UTC(), nil
}
