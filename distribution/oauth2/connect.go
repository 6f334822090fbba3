package oauth2

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/nsdist/nsdist/internal/connectpage"
)

// Pending is a started authorization waiting for its callback, bound to
// the browser session that started it.
type Pending struct {
	Authorization *Authorization
	// Session is a hash of the browser's binding cookie, never the cookie.
	Session string
	// Tenant is the vendor's own customer that started the flow.
	Tenant  string
	Created time.Time
}

// LogValue never shows the verifier: slog's JSON handler would otherwise
// marshal the Authorization, whose JSON form (for a PendingStore to seal)
// carries it.
func (p Pending) LogValue() slog.Value {
	return slog.GroupValue(slog.String("tenant", p.Tenant), slog.Time("created", p.Created), slog.Any("authorization", p.Authorization))
}

// ErrNoPending is returned by a PendingStore for a state it does not hold
// (unknown, expired, or already taken).
var ErrNoPending = errors.New("oauth2: no pending authorization for this state (unknown, expired, or used already)")

// PendingStore keeps started authorizations by state. Take must be single
// use across every replica that shares the store: the first Take of a state
// gets it, every later one gets ErrNoPending. distribution/sqlstore has a
// database-backed one; MemoryPending serves one process.
type PendingStore interface {
	Put(ctx context.Context, state string, p Pending) error
	Take(ctx context.Context, state string) (Pending, error)
}

// TokenStore keeps customers' tokens; a vendor plugs in its vault.
type TokenStore interface {
	SaveToken(ctx context.Context, tok *Token) error
}

// MemoryPending is a PendingStore in memory, for one process. The zero
// value is ready to use: entries live 15 minutes (TTL), at most 10,000 are
// kept (Max), and the oldest go first.
type MemoryPending struct {
	TTL time.Duration
	Max int

	mu    sync.Mutex
	m     map[string]Pending
	order []string
}

func (s *MemoryPending) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return 15 * time.Minute
}

// Put implements PendingStore.
func (s *MemoryPending) Put(_ context.Context, state string, p Pending) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]Pending{}
	}
	limit := s.Max
	if limit <= 0 {
		limit = 10000
	}
	for len(s.order) > 0 && (len(s.m) >= limit || time.Since(s.m[s.order[0]].Created) > s.ttl()) {
		delete(s.m, s.order[0])
		s.order = s.order[1:]
	}
	if _, dup := s.m[state]; dup {
		return fmt.Errorf("oauth2: state already pending")
	}
	s.m[state] = p
	s.order = append(s.order, state)
	return nil
}

// Take implements PendingStore.
func (s *MemoryPending) Take(_ context.Context, state string) (Pending, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[state]
	delete(s.m, state) // single use, whatever happens next
	if !ok || time.Since(p.Created) > s.ttl() {
		return Pending{}, ErrNoPending
	}
	return p, nil
}

// Connect is a "Connect NetSuite" button for a vendor's web app: Start
// sends the browser to NetSuite's authorize page, Callback finishes the
// code grant (which installs the record), stores the token and checks it
// with REST serverTime. The state is unguessable, single use, and bound to
// the browser that started the flow by an HttpOnly cookie; a callback from
// another browser is refused (RFC 6749 §10.12).
type Connect struct {
	Client *Client
	// Options tune the authorize request (Account empty: system.netsuite.com).
	Options AuthorizeOptions
	// Pending defaults to a MemoryPending; use a shared store with several replicas.
	Pending PendingStore
	// Store keeps the tokens. With Tenant set, StoreFor (when set) gives the
	// store of the tenant that started the flow, so that two of the vendor's
	// customers connecting the same NetSuite account never overwrite each
	// other's token.
	Store    TokenStore
	StoreFor func(tenant string) TokenStore
	// Tenant names the vendor's customer behind a request to Start, from the
	// vendor's own session; an error refuses the request (401). Nil: one tenant.
	Tenant func(r *http.Request) (string, error)
	// CookieName defaults to "nsdist_oauth2". The cookie is Secure when the
	// request came over TLS or SecureCookie is set.
	CookieName   string
	SecureCookie bool
	// RecordName names the integration record on the default page.
	RecordName string
	// Render writes the outcome page; the default is a small HTML page.
	Render func(w http.ResponseWriter, r *http.Request, o ConnectOutcome)

	mem MemoryPending
}

// ConnectOutcome is what Callback learned.
type ConnectOutcome struct {
	Token *Token // nil when no token was obtained
	// Enabled is true when serverTime answered: the record is installed and Enabled.
	Enabled bool
	Err     error // the refusal, or the serverTime error when Token is set
}

func (c *Connect) pending() PendingStore {
	if c.Pending != nil {
		return c.Pending
	}
	return &c.mem
}

func (c *Connect) cookie() string {
	if c.CookieName != "" {
		return c.CookieName
	}
	return "nsdist_oauth2"
}

func sessionHash(v string) string {
	h := sha256.Sum256([]byte("nsdist-oauth2-session\x00" + v))
	return hex.EncodeToString(h[:])
}

// crossSite reports a request another site made the browser send: the
// Fetch Metadata header says so, or an Origin that is not the request's own.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err != nil || u.Host != r.Host
	}
	return false
}

// Start is the handler behind the button. It refuses a request another
// site made the browser send (403): only the vendor's own page, or the user
// typing the address, starts a flow.
func (c *Connect) Start() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if crossSite(r) {
			http.Error(w, "refused: a connection to NetSuite starts from this app's own page", http.StatusForbidden)
			return
		}
		tenant := ""
		if c.Tenant != nil {
			t, err := c.Tenant(r)
			if err != nil {
				http.Error(w, "sign in to the app first", http.StatusUnauthorized)
				return
			}
			tenant = t
		}
		a, err := c.Client.Authorize(c.Options)
		if err != nil {
			c.render(w, r, ConnectOutcome{Err: err})
			return
		}
		// one session per browser: a second tab or a double click keeps the
		// cookie, so the first flow still finishes
		session := NewState()
		if ck, err := r.Cookie(c.cookie()); err == nil && ValidState(ck.Value) && len(ck.Value) <= 64 {
			session = ck.Value
		}
		if err := c.pending().Put(r.Context(), a.State, Pending{Authorization: a, Session: sessionHash(session), Tenant: tenant, Created: time.Now()}); err != nil {
			c.render(w, r, ConnectOutcome{Err: err})
			return
		}
		// Secure whenever the app is served over TLS; a local http:// app
		// (the examples) needs the cookie without it.
		http.SetCookie(w, &http.Cookie{Name: c.cookie(), Value: session, Path: "/", MaxAge: 900, HttpOnly: true, //nolint:gosec // G124: Secure is set below whenever the request came over TLS or SecureCookie says so
			Secure: c.SecureCookie || r.TLS != nil, SameSite: http.SameSiteLaxMode})
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, a.URL, http.StatusFound)
	})
}

// Callback is the handler at the redirect URI.
func (c *Connect) Callback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		cb, err := ParseCallbackRequest(r)
		state := r.URL.Query().Get("state")
		var p Pending
		if state != "" {
			// take it even on an error redirect: a state is used once
			var terr error
			p, terr = c.pending().Take(r.Context(), state)
			if err == nil && terr != nil {
				err = fmt.Errorf("%w: %w: start again", ErrCallback, terr)
			}
		}
		if err != nil {
			c.render(w, r, ConnectOutcome{Err: err})
			return
		}
		ck, cerr := r.Cookie(c.cookie())
		if cerr != nil || subtle.ConstantTimeCompare([]byte(sessionHash(ck.Value)), []byte(p.Session)) != 1 {
			c.render(w, r, ConnectOutcome{Err: fmt.Errorf("%w: this authorization was started in another browser session: start again from this browser", ErrCallback)})
			return
		}
		// the code is spent once sent: finish even if the browser goes away
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
		defer cancel()
		tok, err := c.Client.Exchange(ctx, p.Authorization, cb)
		if err != nil {
			c.render(w, r, ConnectOutcome{Err: err})
			return
		}
		store := c.Store
		if c.StoreFor != nil {
			store = c.StoreFor(p.Tenant)
		}
		if store != nil {
			if err := store.SaveToken(ctx, tok); err != nil {
				c.render(w, r, ConnectOutcome{Token: tok, Err: fmt.Errorf("oauth2: the record is installed but the token could not be stored: %w", err)})
				return
			}
		}
		_, err = c.Client.ServerTime(ctx, tok)
		c.render(w, r, ConnectOutcome{Token: tok, Enabled: err == nil, Err: err})
	})
}

func (c *Connect) render(w http.ResponseWriter, r *http.Request, o ConnectOutcome) {
	if c.Render != nil {
		c.Render(w, r, o)
		return
	}
	data := connectpage.Data{}
	status := http.StatusOK
	var oe *Error
	switch {
	case o.Token != nil && o.Enabled:
		data.Headline, data.Detail = "Connected: Enabled", fmt.Sprintf("NetSuite account %s accepted the token", o.Token.Account)
	case o.Token != nil && errors.As(o.Err, &oe) && oe.Code == CodeInvalidToken:
		name := c.RecordName
		if name == "" {
			name = "the integration record"
		}
		data.Headline = "Connected: most likely waiting for approval"
		data.Detail = fmt.Sprintf("authorizing installed the integration in %s, but NetSuite does not accept its token yet: an account that requires approval of new integrations installs them Waiting for Approval", o.Token.Account)
		// section_4429293934; section_158081952044 for the not-installed reading
		data.Next = fmt.Sprintf("ask your administrator to open Setup > Integration > Manage Integrations, edit %s, and set State to Enabled; if it is not listed, to clear Require Approval during Auto-Installation of Integration (Setup > Integration > SOAP Web Services Preferences), then connect again", name)
	case o.Token != nil:
		data.Headline, data.Detail = "Connected, but the check failed", o.Err.Error()
	case errors.As(o.Err, &oe):
		status = http.StatusBadGateway
		if oe.Op == OpAuthorize {
			status = http.StatusBadRequest
		}
		data.Headline, data.Detail, data.Next = "Not connected", oe.Error(), oe.NextStep
	default:
		status = http.StatusBadRequest
		data.Headline, data.Detail = "Not connected", fmt.Sprint(o.Err)
	}
	connectpage.Write(w, status, data)
}
