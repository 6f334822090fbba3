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
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/signal"
	"strings"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap/soaptest"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "listen address (the callback is http://<addr>/netsuite/callback)")
	requireApproval := flag.Bool("require-approval", false, "the fake customer account requires approval")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	app, err := NewApp("http://"+ln.Addr().String(), *requireApproval)
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

// App is the example web app with its fake NetSuite.
type App struct {
	http.Handler
	Fake  *soaptest.Server
	Store *tba.MemoryStore
}

// NewApp builds the app for its public base URL (scheme://host:port).
func NewApp(base string, requireApproval bool) (*App, error) {
	fake := soaptest.NewServer()
	vendor := fake.MustAddAccount("TSTDRV1234567", soaptest.AccountConfig{})
	cust := fake.MustAddAccount("123456", soaptest.AccountConfig{RequireApproval: requireApproval})
	cust.AddUser(soaptest.User{Email: "admin@customer.example", Password: "demo-password"})
	cust.SetConsentUser("admin@customer.example") // the fake's stand-in for a logged-in browser
	rec, err := fake.CreateIntegration(vendor.ID(), soaptest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true,
		CallbackURL: "http://localhost:*/netsuite/callback"})
	if err != nil {
		fake.Close()
		return nil, err
	}
	ai, err := distribution.NewAutoInstaller(approval.Record{Name: rec.Name, Owner: vendor.ID(), TBA: true, TBAAuthFlow: true},
		distribution.WithSOAPOptions(fake.ClientOptions()...))
	if err != nil {
		fake.Close()
		return nil, err
	}
	callback := strings.Replace(base, "127.0.0.1", "localhost", 1) + "/netsuite/callback"
	store := &tba.MemoryStore{}
	conn := &tba.Connect{
		Client:        tba.NewClient(tba.WithTransport(fake.Transport())),
		Consumer:      tba.Consumer{Key: rec.ConsumerKey, Secret: rec.ConsumerSecret},
		CallbackURL:   callback,
		Store:         store,
		Installer:     ai,
		AuthorizeBase: strings.Replace(base, "127.0.0.1", "localhost", 1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!DOCTYPE html><html><head><title>Acme Sync</title></head><body>
<h1>Acme Sync</h1><p>Connect your NetSuite account to start syncing.</p>
<p><a id="connect" href="/connect">Connect NetSuite</a></p></body></html>`) //nolint:errcheck
	})
	mux.Handle("GET /connect", conn.Start())
	mux.Handle("GET /netsuite/callback", conn.Callback())
	// The fake's consent page, reached through the app: the fake customer
	// account's UI host, where it plays a browser already logged in.
	uiHost := cust.ID().HostID() + ".app.netsuite.com"
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host, r.Out.Host = "https", uiHost, uiHost
		},
		Transport: fake.Transport(),
	}
	mux.Handle("/app/login/secure/authorizetoken.nl", proxy)
	return &App{Handler: mux, Fake: fake, Store: store}, nil
}

// Close stops the fake.
func (a *App) Close() { a.Fake.Close() }
