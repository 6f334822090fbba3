package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nsdist/nsdist/distribution/sqlstore"
)

// The behaviour tests run against every backend: SQLite always, and
// PostgreSQL when NSDIST_TEST_POSTGRES holds a URL (.ci/run starts a
// server and sets it, with NSDIST_REQUIRE_POSTGRES=1 so that CI fails
// instead of skipping).
const (
	postgresEnv        = "NSDIST_TEST_POSTGRES"
	requirePostgresEnv = "NSDIST_REQUIRE_POSTGRES"
)

// backend opens databases that share one store: each call of open is
// another "replica" of the same database.
type backend struct {
	name string
	dsn  string // what sqlstore.Open takes
	// raw returns every byte the database keeps about the stores' rows
	// as the server or file holds them, to look for secrets in clear.
	raw func(t *testing.T) []byte
}

func (b backend) open(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), b.dsn)
	if err != nil {
		t.Fatalf("Open(%s): %v", b.name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// forEachBackend runs f as a parallel subtest per backend, each with a
// database of its own.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, newBackend(t, name))
		})
	}
}

func newBackend(t testing.TB, name string) backend {
	t.Helper()
	if name == "sqlite" {
		path := filepath.Join(t.TempDir(), "store.db")
		return backend{name: name, dsn: "sqlite:" + path, raw: func(t *testing.T) []byte {
			t.Helper()
			var all []byte
			for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
				b, err := os.ReadFile(path + suffix)
				if err == nil {
					all = append(all, b...)
				}
			}
			return all
		}}
	}
	base := postgresURL(t)
	schema := "nsdist_test_" + randomHex(6)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) //nolint:errcheck
		admin.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return backend{name: name, dsn: u.String(), raw: func(t *testing.T) []byte {
		t.Helper()
		// every row of every table of the schema, as PostgreSQL prints it
		// (bytea in hex, so the test also looks for the hex of a secret)
		var all []byte
		for _, table := range []string{"nsdist_tokens", "nsdist_pending", "nsdist_leases", "nsdist_journal"} {
			rows, err := admin.Query(`SELECT row_to_json(t)::text FROM ` + schema + `.` + table + ` t`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				all = append(all, s...)
			}
			rows.Close()
		}
		return all
	}}
}

var (
	pgOnce sync.Once
	pgErr  error
)

// postgresURL returns the test server's URL, or skips (fails where
// NSDIST_REQUIRE_POSTGRES=1) when there is none or it does not answer.
func postgresURL(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	require := os.Getenv(requirePostgresEnv) == "1"
	if dsn == "" {
		if require {
			t.Fatalf("%s=1 but %s is not set", requirePostgresEnv, postgresEnv)
		}
		t.Skipf("no PostgreSQL: set %s=postgres://user:pw@host/db to run these tests against one (.ci/run does)", postgresEnv)
	}
	pgOnce.Do(func() {
		db, err := sqlstore.Open(context.Background(), dsn)
		if err == nil {
			db.Close()
		}
		pgErr = err
	})
	if pgErr != nil {
		if require {
			t.Fatalf("PostgreSQL at %s does not answer: %v", postgresEnv, pgErr)
		}
		t.Skipf("PostgreSQL at %s does not answer: %v", postgresEnv, pgErr)
	}
	return dsn
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck
	return hex.EncodeToString(b)
}

func mustKey(t testing.TB) sqlstore.Key {
	t.Helper()
	k, err := sqlstore.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustKeyring(t testing.TB, current sqlstore.Key, older ...sqlstore.Key) *sqlstore.Keyring {
	t.Helper()
	kr, err := sqlstore.NewKeyring(current, older...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// clock is a settable clock shared by the fake, the client and the stores.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func containsAny(hay []byte, needles ...string) string {
	for _, n := range needles {
		if n != "" && (strings.Contains(string(hay), n) || strings.Contains(strings.ToLower(string(hay)), hex.EncodeToString([]byte(n)))) {
			return n
		}
	}
	return ""
}
