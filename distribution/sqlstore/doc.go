// Package sqlstore keeps what a vendor's Connect app and rollouts must not
// lose across restarts, in SQLite or PostgreSQL through database/sql:
// customers' tokens (encrypted), pending authorizations, leases that let
// one replica refresh a credential, and the rollout journal.
//
// # Quick start
//
//	db, err := sqlstore.Open(ctx, "sqlite:nsdist.db") // or "postgres://user:pw@host/db" for several replicas
//	key, err := sqlstore.ParseKey(os.Getenv("NSDIST_STORE_KEY")) // 32 random bytes, base64
//	keys, err := sqlstore.NewKeyring(key)
//
//	tokens, err := sqlstore.NewTokenStore(ctx, db, keys)
//	pending, err := sqlstore.NewPendingStore[*oauth2.Authorization](ctx, db, keys)
//	connect := &oauth2.Connect{Client: client, Pending: pending, StoreFor: func(t string) oauth2.TokenStore { return tokens.OAuth2(t) }}
//
//	leases, err := sqlstore.NewLeases(ctx, db)
//	refresher, err := sqlstore.NewRefresher(client, tokens.OAuth2(tenant), leases)
//	tok, err := refresher.Token(ctx, sqlstore.OAuth2Key{Account: acct, ClientID: id, Role: role, Entity: entity})
//
//	journal, err := sqlstore.NewJournal(ctx, db, "rollouts")
//	r, err := rollout.New(ai, rollout.WithJournal(journal))
//
// Each constructor migrates the schema first (see [Migrate]); every store
// is safe for concurrent use, and for use by many processes at once.
//
// # Databases
//
// [Open] takes "sqlite:PATH" or a plain path (modernc.org/sqlite: pure Go,
// no cgo; WAL, a busy timeout and synchronous FULL, see [SQLitePragmas]),
// or a "postgres://" URL (pgx's database/sql driver). SQLite serves one
// host; give replicas behind a load balancer one PostgreSQL database. A
// *sql.DB opened otherwise works too: the dialect is told from its driver.
// Migrations are embedded SQL files, numbered, applied in one transaction
// and recorded in nsdist_schema_migrations; a database migrated by a newer
// nsdist is refused with [ErrSchemaTooNew]. Tables are prefixed nsdist_.
//
// # Keys
//
// Tokens and pending authorizations are sealed with AES-256-GCM, a random
// 12-byte nonce per row, under the [Keyring]'s current key. The key id
// (derived from the key) is stored with each row and the row's key
// columns (tenant, account, client id, ...) are bound as associated data:
// a row copied to another tenant or account does not open. To rotate, put
// the new key first and the old one after it, call [TokenStore.Reseal],
// then drop the old key. Keys print as their id only.
//
// # Tenants
//
// A tenant is the vendor's own id for its customer. [TokenStore.OAuth2]
// and [TokenStore.TBA] return one tenant's tokens; they satisfy
// oauth2.TokenStore and tba.TokenStore, and
// [OAuth2Tokens.SaveToken] is an oauth2.SaveFunc.
//
// # Refresh across replicas
//
// A public client's refresh token works once: two replicas that spend it
// lose the customer's authorization. [Refresher.Token] takes the
// credential's lease ([Leases]), reads the stored token again, refreshes
// only if it is still due, saves, and then releases. A stale token never
// replaces a newer one in the store ([OAuth2Tokens.SaveToken] compares
// IssuedAt).
//
// # Errors
//
// A row that does not open (a wrong or missing key, a changed row) is a
// *[DecryptError], matched by errors.Is(err, [ErrDecrypt]); no plaintext
// ever comes back with it. A missing token is [ErrNotFound]; a state
// taken already, unknown or expired is oauth2.ErrNoPending. Errors never
// hold a token, a key, a PKCE verifier or a DSN's password.
//
// # Testing
//
// The package's tests run against SQLite and, when NSDIST_TEST_POSTGRES
// holds a PostgreSQL URL, against that server too (each test in a schema
// of its own); NSDIST_REQUIRE_POSTGRES=1 makes a missing server a failure.
package sqlstore
