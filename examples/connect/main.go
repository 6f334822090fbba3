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
//	open http://localhost:8080, sign in (demo / demo), click Connect NetSuite, then Allow
//
// -netsuite-base URL runs it against a NetSuite at URL instead, such as
// examples/fakenetsuite: every request goes there with NetSuite's host in
// the Host header, and the browser is sent there for NetSuite's pages.
// The record is then the server's: -client-id ($NETSUITE_CLIENT_ID, with
// $NETSUITE_CLIENT_SECRET for a confidential client), or for -auth tba
// $NETSUITE_CONSUMER_KEY and $NETSUITE_CONSUMER_SECRET; -account names the
// customer ($NETSUITE_ACCOUNT; empty lets the user choose). Its redirect
// URI (callback URL) must be http://<addr>/netsuite/callback.
//
// The app's own sign-in (demo / demo) stands in for the vendor's login:
// the tokens are stored for its tenant, "demo-tenant".
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

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/sqlstore"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/examples/connect/connectapp"
	"github.com/nsdist/nsdist/internal/nsbase"
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
	base := fs.String("netsuite-base", "", "talk to the NetSuite at this scheme://host:port (examples/fakenetsuite) instead of the in-process fake")
	clientID := fs.String("client-id", os.Getenv("NETSUITE_CLIENT_ID"), "with -netsuite-base: the record's client ID ($NETSUITE_CLIENT_ID)")
	account := fs.String("account", os.Getenv("NETSUITE_ACCOUNT"), "with -netsuite-base: the customer's account id ($NETSUITE_ACCOUNT); empty: the user chooses")
	recordName := fs.String("record-name", "", "with -netsuite-base: the record's name, for the explanations")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: connect [-addr HOST:PORT] [-auth oauth2|tba] [-require-approval] [-db sqlite:PATH|postgres://URL]
               [-netsuite-base URL [-client-id ID] [-account ID] [-record-name NAME]]

A "Connect NetSuite" web app on a fake NetSuite: the OAuth 2.0 code grant
(or -auth tba, the TBA three-step flow) installs the integration record,
the token is stored for the vendor's tenant, and the page says Enabled or
waiting for approval. Sign in as demo / demo (the vendor's login stand-in).
With -netsuite-base it talks to that NetSuite (examples/fakenetsuite)
instead; the record's redirect URI must be http://<addr>/netsuite/callback.
Environment: NSDIST_STORE_KEY (with -db) is 32 random bytes in base64;
NETSUITE_CLIENT_SECRET, NETSUITE_CONSUMER_KEY and NETSUITE_CONSUMER_SECRET
(with -netsuite-base) are the record's secrets, never flags. Exit: 0 after
Ctrl-C, 1 when it cannot serve, 2 for bad flags.`)
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
	if *base != "" {
		if err := externalRecord(&cfg, *base, *clientID, *account, *recordName); err != nil {
			fmt.Fprintln(stderr, "connect:", err)
			return 2
		}
	}
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
	where := fmt.Sprintf("on a fake NetSuite; approval required: %v", *requireApproval)
	if *base != "" {
		where = "on the NetSuite at " + *base
	}
	fmt.Fprintf(stderr, "open http://%s, sign in as demo / demo and click Connect NetSuite (%s %s)\n", ln.Addr(), *auth, where)
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

// externalRecord points cfg at the NetSuite at base and the record the
// flags and environment name.
func externalRecord(cfg *connectapp.Config, base, clientID, account, name string) error {
	if _, err := nsbase.Transport(base, http.DefaultTransport); err != nil {
		return err
	}
	cfg.NetSuiteBase, cfg.ClientID, cfg.RecordName = base, clientID, name
	cfg.ClientSecret = os.Getenv("NETSUITE_CLIENT_SECRET")
	cfg.ConsumerKey, cfg.ConsumerSecret = os.Getenv("NETSUITE_CONSUMER_KEY"), os.Getenv("NETSUITE_CONSUMER_SECRET")
	if account != "" {
		id, err := nsdist.ParseAccountID(account)
		if err != nil {
			return fmt.Errorf("-account: %w", err)
		}
		cfg.Account = id
	}
	switch {
	case cfg.Auth == "oauth2" && clientID == "":
		return errors.New("-netsuite-base needs the record's -client-id (or $NETSUITE_CLIENT_ID)")
	case cfg.Auth == "tba" && (cfg.ConsumerKey == "" || cfg.ConsumerSecret == ""):
		return errors.New("-netsuite-base -auth tba needs $NETSUITE_CONSUMER_KEY and $NETSUITE_CONSUMER_SECRET")
	}
	return nil
}
