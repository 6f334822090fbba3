package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// migration is one versioned schema change: migrations/<dialect>/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations(d dialect) ([]migration, error) {
	dir := "migrations/" + d.String()
	files, err := fs.Glob(migrationFS, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, f := range files {
		base := path.Base(f)
		num, name, ok := strings.Cut(strings.TrimSuffix(base, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlstore: migration %s: want NNNN_name.sql", f)
		}
		b, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlstore: migrations of %s are not numbered 1, 2, 3, …: %d at position %d", d, m.version, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this package migrates to.
func SchemaVersion() int {
	ms, _ := migrations(dialectSQLite)
	return len(ms)
}

// ErrSchemaTooNew is returned when the database was migrated by a newer
// nsdist than this one: upgrade every replica before it opens the stores.
var ErrSchemaTooNew = errors.New("sqlstore: the database schema is newer than this nsdist")

// Migrate brings db's schema to [SchemaVersion], in one transaction. The
// stores' constructors call it; call it yourself to migrate at deploy
// time. Replicas may call it at once: PostgreSQL serializes them with an
// advisory lock, SQLite with its write lock. Applied versions are kept in
// the table nsdist_schema_migrations.
func Migrate(ctx context.Context, db *sql.DB) error {
	d, err := dialectOf(db)
	if err != nil {
		return err
	}
	ms, err := migrations(d)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if d == dialectPostgres {
		// one migrator at a time; the lock ends with the transaction
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7208171425561350691)`); err != nil {
			return fmt.Errorf("sqlstore: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS nsdist_schema_migrations (
	version    BIGINT NOT NULL PRIMARY KEY,
	name       TEXT   NOT NULL,
	applied_ms BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM nsdist_schema_migrations`)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	newest := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			_ = rows.Close()
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
		applied[v] = true
		newest = max(newest, v)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	if newest > len(ms) {
		return fmt.Errorf("%w: version %d, this nsdist knows up to %d", ErrSchemaTooNew, newest, len(ms))
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		for _, stmt := range statements(m.sql) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("sqlstore: migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO nsdist_schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)`,
			m.version, m.name, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("sqlstore: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return nil
}

// statements splits a migration file at the semicolons that end a line;
// "--" comment lines are dropped.
func statements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// base is what every store shares.
type base struct {
	db  *sql.DB
	d   dialect
	now func() time.Time
}

func newBase(ctx context.Context, db *sql.DB, opts []Option) (base, options, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		if opt == nil {
			return base{}, o, errors.New("sqlstore: nil Option")
		}
		if err := opt(&o); err != nil {
			return base{}, o, err
		}
	}
	d, err := dialectOf(db)
	if err != nil {
		return base{}, o, err
	}
	if err := Migrate(ctx, db); err != nil {
		return base{}, o, err
	}
	return base{db: db, d: d, now: o.now}, o, nil
}

// Option configures a store. Options a store has no use for are ignored.
type Option func(*options) error

type options struct {
	now      func() time.Time
	ttl      time.Duration
	ahead    time.Duration
	leaseTTL time.Duration
	owner    string
	max      int
}

// WithClock sets the clock the store uses for expiry and timestamps
// (default time.Now). A [Refresher] must use the oauth2.Client's clock.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("sqlstore: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithMaxPending sets how many flows a PendingStore keeps in progress
// (default 10,000); past it, Put refuses with
// distribution.ErrTooManyPending.
func WithMaxPending(n int) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("sqlstore: max pending %d must be positive", n)
		}
		o.max = n
		return nil
	}
}

// WithTTL sets how long a pending authorization may wait for its
// callback (default 15 minutes, as distribution.MemoryPending).
func WithTTL(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("sqlstore: TTL %s must be positive", d)
		}
		o.ttl = d
		return nil
	}
}
