package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
)

// SQLitePragmas is the query string Open adds to a SQLite path: WAL (one
// writer and many readers at once, across processes), a 10 s busy timeout
// so that concurrent writers wait instead of failing with SQLITE_BUSY,
// synchronous FULL (a committed row survives a power loss, not only a
// crash), and write transactions that take the lock when they begin. Give
// the same settings to a *sql.DB you open yourself.
const SQLitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate"

// Open opens the database a DSN names and checks that it answers:
//
//   - "postgres://…" or "postgresql://…": PostgreSQL through pgx's
//     database/sql driver (any pgx connection URL);
//   - "sqlite:PATH", or a plain PATH: an embedded SQLite file (pure Go, no
//     cgo), created if missing, with [SQLitePragmas].
//
// The stores migrate the schema themselves; Open does not. Errors never
// show a password from the DSN.
func Open(ctx context.Context, dsn string) (*sql.DB, error) {
	var db *sql.DB
	switch kind := DSNKind(dsn); {
	case dsn == "":
		return nil, errors.New("sqlstore: empty DSN: want sqlite:PATH, a file path, or postgres://")
	case kind == "":
		// never quote it: a key=value DSN or another scheme may hold a password
		return nil, errors.New("sqlstore: unsupported DSN: want sqlite:PATH, a file path, or a postgres:// URL (key=value connection strings and other schemes are refused)")
	case kind == "postgres":
		var err error
		// pgx reads only a lower-case scheme; URL schemes are case-insensitive
		scheme, rest, _ := strings.Cut(dsn, "://")
		if db, err = sql.Open("pgx", strings.ToLower(scheme)+"://"+rest); err != nil {
			return nil, fmt.Errorf("sqlstore: open %s: %w", redactDSN(dsn), scrubDSN(err, dsn))
		}
	default:
		path := dsn
		if len(path) >= 7 && strings.EqualFold(path[:7], "sqlite:") {
			path = path[7:]
		}
		if path == "" || strings.ContainsAny(path, "?#") {
			return nil, fmt.Errorf("sqlstore: sqlite path %q: want a file path without ? or #", path)
		}
		var err error
		if db, err = sql.Open("sqlite", path+"?"+SQLitePragmas); err != nil {
			return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
		}
		if path == ":memory:" {
			db.SetMaxOpenConns(1) // every connection would be a database of its own
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := ping(pctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", redactDSN(dsn), scrubDSN(err, dsn))
	}
	return db, nil
}

// ping connects, waiting while another process holds an SQLite file's
// lock: switching a file to WAL (the first connection's pragma) can answer
// SQLITE_BUSY at once, without the busy timeout's wait, when another
// process opens the same file at that moment.
func ping(ctx context.Context, db *sql.DB) error {
	wait := 10 * time.Millisecond
	for {
		err := db.PingContext(ctx)
		var coded interface{ Code() int }
		if err == nil || !errors.As(err, &coded) || coded.Code()&0xff != 5 { // SQLITE_BUSY, with or without an extended code
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// DSNKind tells what a DSN names: "postgres" for a postgres:// or
// postgresql:// URL (any case), "sqlite" for sqlite:PATH or a plain file
// path, and "" for anything else (another scheme, a key=value connection
// string), which Open refuses.
func DSNKind(dsn string) string {
	lower := strings.ToLower(dsn)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return "postgres"
	case strings.HasPrefix(lower, "sqlite:"):
		return "sqlite"
	case strings.Contains(dsn, "://"), keyValueDSN(dsn):
		return ""
	}
	return "sqlite"
}

// keyValueDSN spots "host=… password=…" connection strings.
func keyValueDSN(s string) bool {
	for _, f := range strings.Fields(s) {
		if k, _, ok := strings.Cut(f, "="); ok && k != "" && strings.Trim(k, "abcdefghijklmnopqrstuvwxyz_") == "" {
			return true
		}
	}
	return false
}

// redactDSN returns dsn without userinfo and query (a password may be in either).
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		if strings.Contains(dsn, "://") {
			return "a PostgreSQL URL"
		}
		return dsn
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// scrubDSN removes the DSN's password from a driver's error text.
func scrubDSN(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return &scrubbed{msg: strings.ReplaceAll(err.Error(), pw, "[REDACTED]"), err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// dialect is the one place SQLite and PostgreSQL differ at run time: the
// migrations directory and the migration lock. Every statement the stores
// run is written once, with $N placeholders, for both.
type dialect int

const (
	dialectSQLite dialect = iota + 1
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// dialectOf tells the database behind db from its driver.
func dialectOf(db *sql.DB) (dialect, error) {
	if db == nil {
		return 0, errors.New("sqlstore: nil *sql.DB")
	}
	switch drv := db.Driver().(type) {
	case *sqlite.Driver:
		return dialectSQLite, nil
	case *stdlib.Driver:
		return dialectPostgres, nil
	default:
		name := strings.ToLower(fmt.Sprintf("%T", drv))
		switch {
		case strings.Contains(name, "sqlite"):
			return dialectSQLite, nil
		case strings.Contains(name, "pgx"), strings.Contains(name, "pq."), strings.Contains(name, "postgres"):
			return dialectPostgres, nil
		}
		return 0, fmt.Errorf("sqlstore: driver %T is neither SQLite nor PostgreSQL", drv)
	}
}
