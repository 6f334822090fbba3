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
// Exit status: 0 after a clean shutdown (Ctrl-C), 1 when it cannot serve,
// 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

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
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: connect [-addr HOST:PORT] [-auth oauth2|tba] [-require-approval]")
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
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "connect:", err)
		return 1
	}
	app, err := connectapp.NewApp("http://"+ln.Addr().String(), connectapp.Config{Auth: *auth, RequireApproval: *requireApproval})
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "connect:", err)
		return 1
	}
	defer app.Close()
	srv := &http.Server{Handler: app}
	go func() { <-ctx.Done(); srv.Close() }()
	fmt.Fprintf(stderr, "open http://%s and click Connect NetSuite (%s on a fake NetSuite; approval required: %v)\n", ln.Addr(), *auth, *requireApproval)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "connect:", err)
		return 1
	}
	return 0
}
