// Command connect is a small vendor web app with a "Connect NetSuite"
// button. It runs NetSuite's three-step authorization flow, which issues
// the customer's token and so installs the integration record, stores the
// token, checks the install with a getServerTime, and shows the outcome:
// "Enabled", or "waiting for approval: ask your administrator to …".
//
// By default it runs against an in-process fake NetSuite (whose consent
// page is served through the app, since a browser cannot reach the fake's
// NetSuite host names):
//
//	go run ./examples/connect -addr localhost:8080 -require-approval
//	open http://localhost:8080, click Connect NetSuite, then Allow
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/nsdist/nsdist/examples/connect/connectapp"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "listen address (the callback is http://<addr>/netsuite/callback)")
	requireApproval := flag.Bool("require-approval", false, "the fake customer account requires approval")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	app, err := connectapp.NewApp("http://"+ln.Addr().String(), *requireApproval)
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
	srv := &http.Server{Handler: app}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); srv.Close() }()
	fmt.Fprintf(os.Stderr, "open http://%s and click Connect NetSuite (fake NetSuite, approval required: %v)\n", ln.Addr(), *requireApproval)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
