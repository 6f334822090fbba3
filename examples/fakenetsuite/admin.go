package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/internal/text"
)

// world is the fake and the config it was built from. The admin API reads
// and changes it; reset builds the config's world again.
type world struct {
	cfg     *config
	log     *slog.Logger
	maxBody int64           // request body cap (413 beyond)
	own     map[string]bool // the Host values that name this server (host:port, lower case)

	mu   sync.RWMutex
	fake *nstest.Server // set once, before the ready line
	ids  map[string]string
}

func (w *world) server() *nstest.Server {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.fake
}

// load forgets everything and applies the config again.
func (w *world) load() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fake.Reset()
	ids, err := w.cfg.apply(w.fake)
	if err != nil {
		return err
	}
	w.ids = ids
	return nil
}

// appID returns the application id of the record named name.
func (w *world) appID(name string) (string, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	id, ok := w.ids[name]
	return id, ok
}

// UI pages: a browser may reach them with any Host (DESIGN.md).
var uiPages = map[string]bool{
	"/app/login/oauth2/authorize.nl":      true,
	"/app/login/secure/authorizetoken.nl": true,
}

// netSuiteHost reports whether host (lower case, no port) is one of the
// host forms the fake serves: webservices.netsuite.com (getDataCenterUrls),
// system.netsuite.com, and <host id>.suitetalk.api.netsuite.com,
// <host id>.restlets.api.netsuite.com and <host id>.app.netsuite.com.
func netSuiteHost(host string) bool {
	if host == nstest.GenericHost || host == "system.netsuite.com" {
		return true
	}
	for _, suffix := range []string{".suitetalk.api.netsuite.com", ".restlets.api.netsuite.com", ".app.netsuite.com"} {
		if id, ok := strings.CutSuffix(host, suffix); ok && id != "" && !strings.Contains(id, ".") {
			return true
		}
	}
	return false
}

func stripPort(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		return h[:i]
	}
	return h
}

// front is what the listener serves: a body over the cap gets 413; the
// admin API under /_fake/ answers requests that name the server's own
// address and do not come from a web page; then the fake for NetSuite
// hosts; a Host that names no NetSuite host gets the UI pages as
// system.netsuite.com and 421 elsewhere.
func (w *world) front(next http.Handler) http.Handler {
	admin := w.adminMux()
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		isAdmin := r.URL.Path == "/_fake" || strings.HasPrefix(r.URL.Path, "/_fake/")
		if !w.limitBody(rw, r, isAdmin) {
			return
		}
		if isAdmin {
			if why := w.adminRefusal(r); why != "" {
				adminError(rw, http.StatusForbidden, "%s", why)
				return
			}
			admin.ServeHTTP(rw, r)
			return
		}
		host := strings.ToLower(stripPort(r.Host))
		switch {
		case netSuiteHost(host):
			r.Host = host
		case uiPages[r.URL.Path]:
			r.Host = "system.netsuite.com" // the user's login picks the account
		default:
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rw.WriteHeader(http.StatusMisdirectedRequest)
			fmt.Fprintf(rw, "421 Misdirected Request: Host %q names no NetSuite host; send the NetSuite host in the Host header (e.g. 1234567.suitetalk.api.netsuite.com)\n", r.Host)
			return
		}
		if w.server() == nil {
			http.Error(rw, "starting", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// ownHosts returns the Host values that name a server listening on addr:
// 127.0.0.1, localhost and [::1] with its port, and the address itself
// when it names one interface (not 0.0.0.0 or [::]). Port 80 may also go
// without it.
func ownHosts(addr net.Addr) map[string]bool {
	own := map[string]bool{}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return own
	}
	names := []string{"127.0.0.1", "localhost", "::1"}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		names = append(names, ip.String())
	}
	for _, n := range names {
		own[strings.ToLower(net.JoinHostPort(n, port))] = true
		if port == "80" {
			if strings.Contains(n, ":") {
				n = "[" + n + "]"
			}
			own[n] = true
		}
	}
	return own
}

// adminRefusal says why the admin API refuses r, or returns "" to serve
// it. The admin API changes the fake's accounts and hands out every
// record's secrets, so a web page must not reach it: not through a name
// rebound to this server (DNS rebinding: the Host is then the attacker's
// domain name), and not through a request the browser sends from another
// site (CSRF: browsers mark those with Sec-Fetch-Site and Origin). It
// answers any other Host, as its contract says: the server's own address,
// an IP literal, a name without a dot (localhost, a container's name) and
// NetSuite's host names, none of which a rebinding attacker can serve.
// Tools (curl, python-requests, Go) send no Sec-Fetch-Site or Origin.
func (w *world) adminRefusal(r *http.Request) string {
	if !w.own[strings.ToLower(r.Host)] && !unrebindable(r.Host) {
		return fmt.Sprintf("the admin API does not answer at Host %q: a web page may have rebound that name to this server; use the server's address (127.0.0.1:PORT)", text.Truncate(r.Host, 100))
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "none", "same-origin":
	default:
		return fmt.Sprintf("the admin API does not answer requests a browser sends from another site (Sec-Fetch-Site: %s)", text.Truncate(site, 40))
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, r.Host) || !unrebindable(u.Host) && !w.own[strings.ToLower(u.Host)] {
			return fmt.Sprintf("the admin API does not answer requests a browser sends from another site (Origin %q)", text.Truncate(o, 100))
		}
	}
	return ""
}

// unrebindable reports a Host no DNS rebinding can produce: an IP
// literal, a name without a dot, or a NetSuite host name.
func unrebindable(hostport string) bool {
	h := strings.ToLower(stripPort(hostport))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return net.ParseIP(h) != nil || (h != "" && !strings.Contains(h, ".")) || h == "netsuite.com" || strings.HasSuffix(h, ".netsuite.com")
}

// limitBody answers 413 for a body larger than w.maxBody and returns false;
// otherwise it lets handlers read at most that much. A body sent with its
// length is refused unread; a chunked one is read here, up to the cap.
func (w *world) limitBody(rw http.ResponseWriter, r *http.Request, isAdmin bool) bool {
	tooLarge := func() bool {
		rw.Header().Set("Connection", "close")
		why := fmt.Sprintf("the request body is larger than the fake's cap of %d bytes (SOAP envelopes, token requests and admin bodies are a few KiB)", w.maxBody)
		if isAdmin {
			adminError(rw, http.StatusRequestEntityTooLarge, "%s", why)
		} else {
			http.Error(rw, "413 Request Entity Too Large: "+why, http.StatusRequestEntityTooLarge)
		}
		return false
	}
	if r.ContentLength > w.maxBody {
		return tooLarge()
	}
	if r.ContentLength < 0 {
		b, err := readChunked(r.Body, w.maxBody)
		if int64(len(b)) > w.maxBody {
			return tooLarge()
		}
		if err != nil {
			http.Error(rw, "400 Bad Request: the request body could not be read", http.StatusBadRequest)
			return false
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	}
	r.Body = http.MaxBytesReader(rw, r.Body, w.maxBody)
	return true
}

// readChunked reads a body of unknown length, up to max+1 bytes: a small
// one into a small buffer, a larger one into one buffer of max+1 bytes,
// so that refusing an upload costs one allocation of the cap, not the
// doublings of io.ReadAll.
func readChunked(body io.Reader, max int64) ([]byte, error) {
	small := make([]byte, min(32<<10, max+1))
	n, err := io.ReadFull(body, small)
	if err != nil { // io.EOF or io.ErrUnexpectedEOF: all of it
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = nil
		}
		return small[:n], err
	}
	big := make([]byte, max+1)
	copy(big, small)
	m, err := io.ReadFull(body, big[n:])
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return big[:n+m], err
}

// integrationJSON is one record as an account has it.
type integrationJSON struct {
	Name          string `json:"name"`
	State         string `json:"state"`
	InstalledBy   string `json:"installed_by"`
	ApplicationID string `json:"application_id"`
}

type auditJSON struct {
	Time        string `json:"time"`
	User        string `json:"user"`
	Status      string `json:"status"`
	Detail      string `json:"detail"`
	Application string `json:"application"`
	// Origin says how far Oracle documents the Detail for its cause:
	// documented, inferred or fake ("" for a success).
	Origin string `json:"origin"`
}

// recordJSON is a record with its credentials (GET /_fake/integrations).
type recordJSON struct {
	Name           string `json:"name"`
	Owner          string `json:"owner"`
	ApplicationID  string `json:"application_id"`
	ConsumerKey    string `json:"consumer_key"`
	ConsumerSecret string `json:"consumer_secret"`
	ClientID       string `json:"client_id"`
	ClientSecret   string `json:"client_secret"`
}

func installedBy(c nstest.Channel) string {
	switch c {
	case nstest.ChannelCreated:
		return "created"
	case nstest.ChannelBundle:
		return "bundle"
	}
	return "auto" // credentials, TBA, OAuth 2.0: auto-installation
}

func writeAdmin(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	json.NewEncoder(rw).Encode(v) //nolint:errcheck
}

func adminError(rw http.ResponseWriter, status int, format string, args ...any) {
	writeAdmin(rw, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// readBody decodes a small JSON object strictly into v.
func readBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

func (w *world) adminMux() *http.ServeMux {
	mux := http.NewServeMux()
	account := func(rw http.ResponseWriter, r *http.Request) (*nstest.Account, bool) {
		a, ok := w.server().Account(r.PathValue("id"))
		if !ok {
			adminError(rw, http.StatusNotFound, "no account %q", r.PathValue("id"))
		}
		return a, ok
	}
	record := func(rw http.ResponseWriter, r *http.Request) (string, bool) {
		id, ok := w.appID(r.PathValue("name"))
		if !ok {
			adminError(rw, http.StatusNotFound, "no integration record named %q", r.PathValue("name"))
		}
		return id, ok
	}
	mux.HandleFunc("GET /_fake/accounts/{id}/integrations", func(rw http.ResponseWriter, r *http.Request) {
		a, ok := account(rw, r)
		if !ok {
			return
		}
		out := []integrationJSON{}
		for _, in := range a.Installs() {
			out = append(out, integrationJSON{Name: in.Name, State: string(in.State), InstalledBy: installedBy(in.Channel), ApplicationID: in.ApplicationID})
		}
		writeAdmin(rw, http.StatusOK, out)
	})
	mux.HandleFunc("POST /_fake/accounts/{id}/integrations/{name}/state", func(rw http.ResponseWriter, r *http.Request) {
		a, ok := account(rw, r)
		if !ok {
			return
		}
		appID, ok := record(rw, r)
		if !ok {
			return
		}
		var body struct {
			State string `json:"state"`
		}
		if err := readBody(r, &body); err != nil {
			adminError(rw, http.StatusBadRequest, "%v", err)
			return
		}
		st := nsdist.State(body.State)
		if st != nsdist.StateEnabled && st != nsdist.StateBlocked {
			adminError(rw, http.StatusBadRequest, "state: want \"Enabled\" or \"Blocked\" (an administrator can set only these), not %q", body.State)
			return
		}
		if err := a.SetState(appID, st); err != nil {
			adminError(rw, http.StatusNotFound, "%s", trim(err))
			return
		}
		w.log.Info("admin: state", "account", a.ID(), "integration", r.PathValue("name"), "state", st)
		rw.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_fake/accounts/{id}/audit", func(rw http.ResponseWriter, r *http.Request) {
		a, ok := account(rw, r)
		if !ok {
			return
		}
		fake := w.server()
		out := []auditJSON{}
		for _, e := range a.LoginAudit() {
			status := "Failure"
			if e.Success {
				status = "Success"
			}
			app := ""
			if in, ok := fake.Integration(e.ApplicationID); ok {
				app = in.Name
			}
			out = append(out, auditJSON{Time: e.Time.UTC().Format(time.RFC3339Nano), User: e.Email, Status: status, Detail: e.Detail, Application: app,
				Origin: string(e.Origin)})
		}
		writeAdmin(rw, http.StatusOK, out)
	})
	// Beyond the contract: what else a test needs.
	mux.HandleFunc("POST /_fake/accounts/{id}/preferences", func(rw http.ResponseWriter, r *http.Request) {
		a, ok := account(rw, r)
		if !ok {
			return
		}
		var body struct {
			RequireApproval *bool `json:"require_approval"`
		}
		if err := readBody(r, &body); err != nil {
			adminError(rw, http.StatusBadRequest, "%v", err)
			return
		}
		if body.RequireApproval == nil {
			adminError(rw, http.StatusBadRequest, "body: want {\"require_approval\": true|false}")
			return
		}
		a.SetRequireApproval(*body.RequireApproval)
		w.log.Info("admin: preference", "account", a.ID(), "require_approval", *body.RequireApproval)
		rw.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/accounts/{id}/integrations/{name}/bundle", func(rw http.ResponseWriter, r *http.Request) {
		a, ok := account(rw, r)
		if !ok {
			return
		}
		appID, ok := record(rw, r)
		if !ok {
			return
		}
		if err := a.InstallBundle(appID, "bundle"); err != nil {
			status := http.StatusNotFound
			if errors.Is(err, nstest.ErrAlreadyInstalled) {
				status = http.StatusConflict // the record is left as it was
			}
			adminError(rw, status, "%s", trim(err))
			return
		}
		w.log.Info("admin: bundle install", "account", a.ID(), "integration", r.PathValue("name"))
		rw.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_fake/integrations", func(rw http.ResponseWriter, _ *http.Request) {
		fake := w.server()
		out := []recordJSON{}
		for _, in := range w.cfg.Integrations {
			id, _ := w.appID(in.Name)
			rec, ok := fake.Integration(id)
			if !ok {
				continue
			}
			out = append(out, recordJSON{Name: rec.Name, Owner: string(rec.Owner), ApplicationID: rec.ApplicationID,
				ConsumerKey: rec.ConsumerKey, ConsumerSecret: rec.ConsumerSecret, ClientID: rec.ClientID, ClientSecret: rec.ClientSecret})
		}
		writeAdmin(rw, http.StatusOK, out)
	})
	mux.HandleFunc("POST /_fake/reset", func(rw http.ResponseWriter, _ *http.Request) {
		if err := w.load(); err != nil {
			adminError(rw, http.StatusInternalServerError, "%v", err)
			return
		}
		w.log.Info("admin: reset")
		rw.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/_fake/", func(rw http.ResponseWriter, r *http.Request) {
		adminError(rw, http.StatusNotFound, "no admin endpoint %s %s", r.Method, r.URL.Path)
	})
	return mux
}
