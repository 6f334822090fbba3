// Package connectapp is the web app behind examples/connect: a "Connect
// NetSuite" button that runs the OAuth 2.0 authorization code grant (or,
// with Auth "tba", the TBA three-step flow) on a fake NetSuite and shows the
// outcome. It is an example, not part of the SDK.
package connectapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/internal/connectflow"
	"github.com/nsdist/nsdist/internal/nsbase"
	"github.com/nsdist/nsdist/soap"
)

// Config chooses the channel and the stores.
type Config struct {
	// Auth is "oauth2" (the default: the only trigger for new integrations
	// from 2027.1) or "tba".
	Auth            string
	RequireApproval bool
	// OAuth2Tokens gives the token store of a vendor tenant; nil keeps
	// tokens in memory. The pending stores are shared by replicas; nil
	// keeps flows in memory.
	OAuth2Tokens  func(tenant string) oauth2.TokenStore
	OAuth2Pending distribution.PendingStore[*oauth2.Authorization]
	// TBATokens gives the TBA token store of a vendor tenant; nil keeps
	// them in memory (App.TBAStore, one tenant's).
	TBATokens  func(tenant string) tba.TokenStore
	TBAPending distribution.PendingStore[tba.Token]
	// NetSuiteBase, when set, is a NetSuite (examples/fakenetsuite) the app
	// talks to instead of its own in-process fake: every request goes to
	// its scheme, host and port with NetSuite's host in the Host header,
	// and the browser is sent there for NetSuite's pages. The record is
	// then the one these fields name.
	NetSuiteBase string
	// Account is the customer's account; empty lets the user choose it on
	// system.netsuite.com.
	Account nsdist.AccountID
	// ClientID and ClientSecret (empty: a public client) are the OAuth 2.0
	// record's client; ConsumerKey and ConsumerSecret the TBA record's.
	ClientID, ClientSecret      string
	ConsumerKey, ConsumerSecret string
	RecordName                  string
}

// App is the example web app with its fake NetSuite.
type App struct {
	http.Handler
	Fake *nstest.Server
	// Tokens are the OAuth 2.0 tokens kept in memory, per tenant (when
	// Config.OAuth2Tokens is nil).
	Tokens *TenantTokens
	// TBAStore holds the TBA tokens (Auth "tba").
	TBAStore *tba.MemoryStore
}

// TenantTokens is an in-memory token store per vendor tenant.
type TenantTokens struct {
	mu sync.Mutex
	m  map[string][]*oauth2.Token
}

// For returns tenant's store.
func (t *TenantTokens) For(tenant string) oauth2.TokenStore { return tenantStore{t, tenant} }

// Get returns tenant's tokens.
func (t *TenantTokens) Get(tenant string) []*oauth2.Token {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*oauth2.Token(nil), t.m[tenant]...)
}

type tenantStore struct {
	t      *TenantTokens
	tenant string
}

func (s tenantStore) SaveToken(_ context.Context, tok *oauth2.Token) error {
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	if s.t.m == nil {
		s.t.m = map[string][]*oauth2.Token{}
	}
	s.t.m[s.tenant] = append(s.t.m[s.tenant], tok)
	return nil
}

// String never shows the record's secrets.
func (c Config) String() string {
	return fmt.Sprintf("connectapp.Config{Auth:%s NetSuiteBase:%s Account:%s RecordName:%q}", c.Auth, c.NetSuiteBase, c.Account, c.RecordName)
}

// GoString never shows the record's secrets.
func (c Config) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c Config) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

// LogValue never shows the record's secrets.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// SessionCookie is the vendor app's own sign-in session. Its value is a
// random id the app maps to the tenant: the browser cannot choose its
// tenant. The demo has one user, "demo" with password "demo", of the
// tenant "demo-tenant"; a real app has its own login here.
const SessionCookie = "acme_session"

// logins stands in for the vendor's own login: session id → tenant.
type logins struct {
	mu sync.Mutex
	m  map[string]string
}

func (l *logins) tenant(r *http.Request) (string, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", errors.New("not signed in")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.m[c.Value]
	if !ok {
		return "", errors.New("not signed in")
	}
	return t, nil
}

func (l *logins) login(w http.ResponseWriter, r *http.Request) {
	if connectflow.CrossSite(r) {
		http.Error(w, "refused: sign in from this app's own page", http.StatusForbidden)
		return
	}
	if r.PostFormValue("user") != "demo" || r.PostFormValue("password") != "demo" {
		http.Error(w, "unknown user or wrong password (the demo user is demo / demo)", http.StatusUnauthorized)
		return
	}
	id := oauth2.NewState()
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]string{}
	}
	l.m[id] = "demo-tenant"
	l.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, //nolint:gosec // G124: the demo serves plain http on localhost; a real app sets Secure
		Secure: r.TLS != nil})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (l *logins) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if _, err := l.tenant(r); err != nil {
		_, _ = io.WriteString(w, `<!DOCTYPE html><html><head><title>Acme Sync</title></head><body>
<h1>Acme Sync</h1><p>Sign in (demo / demo) to connect your NetSuite account.</p>
<form method="post" action="/login" id="login"><input name="user" value="demo"> <input type="password" name="password" value="demo">
<button id="signin" type="submit">Sign in</button></form></body></html>`)
		return
	}
	_, _ = io.WriteString(w, `<!DOCTYPE html><html><head><title>Acme Sync</title></head><body>
<h1>Acme Sync</h1><p>Connect your NetSuite account to start syncing.</p>
<p><a id="connect" href="/connect">Connect NetSuite</a></p></body></html>`)
}

// NewApp builds the app for its public base URL (scheme://host:port).
func NewApp(base string, cfg Config) (*App, error) {
	if cfg.Auth == "" {
		cfg.Auth = "oauth2"
	}
	if cfg.Auth != "oauth2" && cfg.Auth != "tba" {
		return nil, fmt.Errorf("connectapp: auth %q: want oauth2 or tba", cfg.Auth)
	}
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)
	callback := base + "/netsuite/callback"
	app := &App{Tokens: &TenantTokens{}, TBAStore: &tba.MemoryStore{}}
	ns, err := external(cfg)
	if cfg.NetSuiteBase == "" {
		ns, err = inProcess(app, cfg, base, callback)
	}
	if err != nil {
		return nil, err
	}
	users := &logins{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", users.home)
	mux.HandleFunc("POST /login", users.login)
	if ns.pages != nil {
		// a browser cannot reach the in-process fake's NetSuite host names:
		// its pages are served through the app
		mux.Handle("/app/login/", ns.pages)
	}
	if cfg.Auth == "oauth2" {
		err = mountOAuth2(mux, ns, cfg, app, users, callback)
	} else {
		err = mountTBA(mux, ns, cfg, app, users, callback)
	}
	if err != nil {
		app.Close()
		return nil, err
	}
	app.Handler = mux
	return app, nil
}

// netsuite is the NetSuite the app talks to: its in-process fake, or a
// server at Config.NetSuiteBase (examples/fakenetsuite).
type netsuite struct {
	transport http.RoundTripper
	pageBase  string       // where the browser reaches NetSuite's pages
	pages     http.Handler // the in-process fake's pages, served by the app
	account   nsdist.AccountID
	clientID  string
	secret    string
	consumer  tba.Consumer
	record    approval.Record
}

// external is the NetSuite at cfg.NetSuiteBase, with the record cfg names.
func external(cfg Config) (*netsuite, error) {
	if cfg.NetSuiteBase == "" {
		return nil, nil
	}
	rt, err := nsbase.Transport(cfg.NetSuiteBase, http.DefaultTransport)
	if err != nil {
		return nil, err
	}
	name := cfg.RecordName
	if name == "" {
		name = "the integration record"
	}
	ns := &netsuite{transport: rt, pageBase: strings.TrimSuffix(cfg.NetSuiteBase, "/"), account: cfg.Account, clientID: cfg.ClientID, secret: cfg.ClientSecret,
		consumer: tba.Consumer{Key: cfg.ConsumerKey, Secret: cfg.ConsumerSecret}, record: approval.Record{Name: name, TBA: true, TBAAuthFlow: true}}
	if cfg.Auth == "oauth2" && ns.clientID == "" {
		return nil, errors.New("connectapp: with a NetSuite base, the record's client ID is required")
	}
	if cfg.Auth == "tba" && (ns.consumer.Key == "" || ns.consumer.Secret == "") {
		return nil, errors.New("connectapp: with a NetSuite base, the record's consumer key and secret are required")
	}
	return ns, nil
}

// inProcess starts the app's own fake with one customer and the record.
func inProcess(app *App, cfg Config, base, callback string) (*netsuite, error) {
	fake := nstest.NewServer()
	app.Fake = fake
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456", nstest.AccountConfig{RequireApproval: cfg.RequireApproval})
	cust.AddUser(nstest.User{Email: "admin@customer.example", Password: "demo-password"})
	cust.SetConsentUser("admin@customer.example") // the fake's stand-in for a logged-in browser
	spec := nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true, CallbackURL: "http://localhost:*/netsuite/callback"}
	if cfg.Auth == "oauth2" {
		spec = nstest.IntegrationSpec{Name: "Acme Sync", OAuth2CodeGrant: true, PublicClient: true, RedirectURIs: []string{callback}, Scopes: []string{"rest_webservices"}}
	}
	rec, err := fake.CreateIntegration(vendor.ID(), spec)
	if err != nil {
		fake.Close()
		return nil, err
	}
	uiHost := cust.ID().AppHost()
	pages := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host, r.Out.Host = "https", uiHost, uiHost
		},
		Transport: fake.Transport(),
	}
	return &netsuite{transport: fake.Transport(), pageBase: base, pages: pages, account: cust.ID(), clientID: rec.ClientID,
		consumer: tba.Consumer{Key: rec.ConsumerKey, Secret: rec.ConsumerSecret},
		record:   approval.Record{Name: rec.Name, Owner: vendor.ID(), TBA: true, TBAAuthFlow: true}}, nil
}

func mountOAuth2(mux *http.ServeMux, ns *netsuite, cfg Config, app *App, users *logins, callback string) error {
	client, err := oauth2.NewClient(oauth2.Config{ClientID: ns.clientID, ClientSecret: ns.secret, RedirectURL: callback}, oauth2.WithTransport(ns.transport))
	if err != nil {
		return err
	}
	storeFor := cfg.OAuth2Tokens
	if storeFor == nil {
		storeFor = app.Tokens.For
	}
	conn := &oauth2.Connect{Client: client, Options: oauth2.AuthorizeOptions{Account: ns.account}, Pending: cfg.OAuth2Pending, StoreFor: storeFor,
		RecordName: ns.record.Name, Tenant: users.tenant}
	mux.Handle("GET /connect", rewriteLocation(conn.Start(), ns.pageBase))
	mux.Handle("GET /netsuite/callback", conn.Callback())
	return nil
}

func mountTBA(mux *http.ServeMux, ns *netsuite, cfg Config, app *App, users *logins, callback string) error {
	ai, err := distribution.NewAutoInstaller(ns.record, tba.WithProber(soap.WithTransport(ns.transport)))
	if err != nil {
		return err
	}
	tc, err := tba.NewClient(tba.WithTransport(ns.transport))
	if err != nil {
		return err
	}
	storeFor := cfg.TBATokens
	if storeFor == nil {
		storeFor = func(string) tba.TokenStore { return app.TBAStore }
	}
	conn := &tba.Connect{Client: tc, Consumer: ns.consumer, CallbackURL: callback, Account: ns.account, StoreFor: storeFor, Pending: cfg.TBAPending,
		Tenant: users.tenant, Installer: ai, AuthorizeBase: ns.pageBase}
	mux.Handle("GET /connect", conn.Start())
	mux.Handle("GET /netsuite/callback", conn.Callback())
	return nil
}

// rewriteLocation sends a redirect to NetSuite's UI host to the same path
// on the app instead.
func rewriteLocation(h http.Handler, base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&locationWriter{ResponseWriter: w, base: base}, r)
	})
}

type locationWriter struct {
	http.ResponseWriter
	base string
}

func (l *locationWriter) WriteHeader(code int) {
	if loc, err := url.Parse(l.Header().Get("Location")); err == nil && strings.HasSuffix(loc.Host, ".netsuite.com") {
		l.Header().Set("Location", l.base+loc.RequestURI())
	}
	l.ResponseWriter.WriteHeader(code)
}

// Close stops the in-process fake, if any.
func (a *App) Close() {
	if a.Fake != nil {
		a.Fake.Close()
	}
}
