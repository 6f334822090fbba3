package sqlstore_test

import (
	"os"
	"strings"
	"testing"

	"github.com/nsdist/nsdist/distribution/sqlstore"
)

func TestOpenRefusesOtherDSNs(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{"host=127.0.0.1 user=u password=pw-SECRET dbname=db", "pgx://u:pw-SECRET@h/db", "mysql://u:pw-SECRET@h/db"} {
		db, err := sqlstore.Open(t.Context(), dsn)
		if err == nil {
			db.Close()
			t.Errorf("Open(%.20q…) succeeded", dsn)
			continue
		}
		if strings.Contains(err.Error(), "pw-SECRET") {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
	if k := sqlstore.DSNKind("Postgres://u:pw@h/db"); k != "postgres" {
		t.Errorf("DSNKind(Postgres://…) = %q", k)
	}
	if _, err := os.Stat("host=127.0.0.1 user=u password=pw-SECRET dbname=db"); err == nil {
		t.Error("a key=value DSN created a file")
	}
}

// A postgres:// URL in another case reaches PostgreSQL, not a parse error.
func TestOpenPostgresSchemeAnyCase(t *testing.T) {
	dsn := os.Getenv("NSDIST_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("NSDIST_TEST_POSTGRES is not set; .ci/run sets it")
	}
	db, err := sqlstore.Open(t.Context(), "POSTGRES"+strings.TrimPrefix(strings.TrimPrefix(dsn, "postgresql"), "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}
