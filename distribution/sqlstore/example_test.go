package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/sqlstore"
)

// A vendor's app keeps a customer's OAuth 2.0 token encrypted in SQLite;
// opening it with another key is a DecryptError, never garbage.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "sqlstore-example")
	defer os.RemoveAll(dir)

	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "nsdist.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	// In production: sqlstore.ParseKey(os.Getenv("NSDIST_STORE_KEY")).
	key, _ := sqlstore.ParseKey("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=")
	keys, _ := sqlstore.NewKeyring(key)
	store, err := sqlstore.NewTokenStore(ctx, db, keys)
	if err != nil {
		fmt.Println(err)
		return
	}
	tokens := store.OAuth2("customer-42")
	issued := time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)
	err = tokens.SaveToken(ctx, &oauth2.Token{Account: "123456", ClientID: "acme-client", AccessToken: "eyJ…", RefreshToken: "eyJ…",
		Expiry: issued.Add(time.Hour), IssuedAt: issued, Role: "3", Entity: "-5", Public: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	k := sqlstore.OAuth2Key{Account: "123456", ClientID: "acme-client", Role: "3", Entity: "-5"}
	tok, err := tokens.Load(ctx, k)
	fmt.Println(tok.Account, tok.Expiry.Format(time.RFC3339), err)

	other, _ := sqlstore.GenerateKey()
	wrong, _ := sqlstore.NewKeyring(other)
	store2, _ := sqlstore.NewTokenStore(ctx, db, wrong)
	_, err = store2.OAuth2("customer-42").Load(ctx, k)
	var de *sqlstore.DecryptError
	fmt.Println(errors.As(err, &de), de.UnknownKey, de.KeyID == key.ID())
	// Output:
	// 123456 2027-03-02T10:00:00Z <nil>
	// true true true
}

// Several processes record one rollout's results in one SQL journal; a
// re-run reads the latest result per account of its record.
func ExampleJournal() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "sqlstore-example")
	defer os.RemoveAll(dir)
	db, err := sqlstore.Open(ctx, filepath.Join(dir, "journal.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	j, err := sqlstore.NewJournal(ctx, db, "rollouts")
	if err != nil {
		fmt.Println(err)
		return
	}
	j.Begin(ctx, "run-1", "Acme Sync")                                                                               //nolint:errcheck
	j.Record(ctx, rollout.Entry{Run: "run-1", Record: "Acme Sync", Account: "123456", Outcome: "awaiting_approval"}) //nolint:errcheck
	j.Record(ctx, rollout.Entry{Run: "run-1", Record: "Acme Sync", Account: "123456", Outcome: "enabled"})           //nolint:errcheck
	j.Record(ctx, rollout.Entry{Run: "run-1", Record: "Other App", Account: "654321", Outcome: "enabled"})           //nolint:errcheck
	latest, _ := j.Latest(ctx, "Acme Sync")
	fmt.Println(len(latest), latest["123456"].Outcome)
	// Output: 1 enabled
}
