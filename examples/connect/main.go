// Command connect is a small vendor web app with a "Connect NetSuite"
// button. By default it runs the OAuth 2.0 authorization code grant with
// PKCE, which installs the integration record in the customer's account,
// stores the token for the vendor's tenant, checks the install with REST
// serverTime, and shows the outcome: "Enabled", or "most likely waiting for
// approval: ask your administrator to …". With -auth tba it runs NetSuite's
// TBA three-step flow instead (no new TBA integrations from 2027.1).
//
// It runs against an in-process fake NetSuite, whose login and consent
// page is served through the app, since a browser cannot reach the fake's
// NetSuite host names:
//
//	go run ./examples/connect -addr localhost:8080 -require-approval
//	open http://localhost:8080, click Connect NetSuite, then Allow
//
// -db keeps tokens (encrypted with AES-256-GCM) and pending authorizations
// in a database, so that the app survives restarts and several replicas can
// share one PostgreSQL database: -db sqlite:connect.db, or -db
// postgres://user:pw@host/db. The key is $NSDIST_STORE_KEY, 32 random bytes
// in base64 (openssl rand -base64 32). Without -db, memory.
//
// Exit status: 0 after a clean shutdown (Ctrl-C), 1 when it cannot serve,
// 2 for bad flags.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/sqlstore"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/examples/connect/connectapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "localhost:8080", "listen address (the redirect URI is http://<addr>/netsuite/callback)")
	auth := fs.String("auth", "oauth2", "oauth2 (the authorization code grant with PKCE) or tba (the three-step flow)")
	requireApproval := fs.Bool("require-approval", false, "the fake customer account requires approval of new integrations")
	dsn := fs.String("db", "", "keep tokens and pending authorizations in sqlite:PATH or postgres://…; key from $NSDIST_STORE_KEY")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: connect [-addr HOST:PORT] [-auth oauth2|tba] [-require-approval] [-db sqlite:PATH|postgres://URL]

A "Connect NetSuite" web app on a fake NetSuite: the OAuth 2.0 code grant
(or -auth tba, the TBA three-step flow) installs the integration record,
the token is stored for the vendor's tenant, and the page says Enabled or
waiting for approval. Environment: NSDIST_STORE_KEY (with -db) is 32
random bytes in base64. Exit: 0 after Ctrl-C, 1 when it cannot serve, 2
for bad flags.`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "connect: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *auth != "oauth2" && *auth != "tba" {
		fmt.Fprintf(stderr, "connect: -auth %q: want oauth2 or tba\n", *auth)
		return 2
	}
	cfg := connectapp.Config{Auth: *auth, RequireApproval: *requireApproval}
	if *dsn != "" {
		keyText := os.Getenv("NSDIST_STORE_KEY")
		if keyText == "" {
			fmt.Fprintln(stderr, "connect: -db needs NSDIST_STORE_KEY: 32 random bytes in base64 (openssl rand -base64 32)")
			return 2
		}
		key, err := sqlstore.ParseKey(keyText)
		if err != nil {
			fmt.Fprintln(stderr, "connect: NSDIST_STORE_KEY:", err)
			return 2
		}
		closeDB, err := openStores(ctx, *dsn, key, &cfg)
		if err != nil {
			fmt.Fprintln(stderr, "connect: -db:", err)
			return 1
		}
		defer closeDB()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "connect:", err)
		return 1
	}
	app, err := connectapp.NewApp("http://"+ln.Addr().String(), cfg)
	if err != nil {
		_ = ln.Close()
		fmt.Fprintln(stderr, "connect:", err)
		return 1
	}
	defer app.Close()
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Fprintf(stderr, "open http://%s and click Connect NetSuite (%s on a fake NetSuite; approval required: %v)\n", ln.Addr(), *auth, *requireApproval)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "connect:", err)
		return 1
	}
	return 0
}

// openStores opens the database and points cfg's stores at it.
func openStores(ctx context.Context, dsn string, key sqlstore.Key, cfg *connectapp.Config) (func(), error) {
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	keys, err := sqlstore.NewKeyring(key)
	if err == nil {
		err = sqlStores(ctx, db, keys, cfg)
	}
	if err == nil {
		return func() { _ = db.Close() }, nil
	}
	_ = db.Close()
	return nil, err
}

// sqlStores points cfg's token and pending stores at db.
func sqlStores(ctx context.Context, db *sql.DB, keys *sqlstore.Keyring, cfg *connectapp.Config) error {
	tokens, err := sqlstore.NewTokenStore(ctx, db, keys)
	if err != nil {
		return err
	}
	if cfg.OAuth2Pending, err = sqlstore.NewPendingStore[*oauth2.Authorization](ctx, db, keys); err != nil {
		return err
	}
	if cfg.TBAPending, err = sqlstore.NewPendingStore[tba.Token](ctx, db, keys); err != nil {
		return err
	}
	cfg.OAuth2Tokens = func(tenant string) oauth2.TokenStore { return tokens.OAuth2(tenant) }
	cfg.TBATokens = func(tenant string) tba.TokenStore { return tokens.TBA(tenant) }
	return nil
}
