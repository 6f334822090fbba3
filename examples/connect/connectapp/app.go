// Package connectapp is the web app behind examples/connect: a "Connect
// NetSuite" button that runs the three-step authorization flow on a fake
// NetSuite and shows the outcome. It is an example, not part of the SDK.
package connectapp

import (
	"io"
	"net/http"
	"net/http/httputil"
	"strings"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap/soaptest"
)

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
