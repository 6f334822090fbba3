package tba

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/internal/connectflow"
)

// TokenStore keeps customers' access tokens; a vendor plugs in its vault.
type TokenStore interface {
	Save(ctx context.Context, account nsdist.AccountID, t Token) error
}

// MemoryStore is a TokenStore in memory, for examples and tests.
type MemoryStore struct {
	mu sync.Mutex
	m  map[nsdist.AccountID]Token
}

// Save implements TokenStore.
func (s *MemoryStore) Save(_ context.Context, a nsdist.AccountID, t Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[nsdist.AccountID]Token{}
	}
	s.m[a] = t
	return nil
}

// Get returns a stored token.
func (s *MemoryStore) Get(a nsdist.AccountID) (Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[a]
	return t, ok
}

// String never shows the tokens.
func (s *MemoryStore) String() string { return "tba.MemoryStore" }

// GoString never shows the tokens.
func (s *MemoryStore) GoString() string { return s.String() }

// Format prints the redacted form for every verb.
func (s *MemoryStore) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) } //nolint:errcheck

// Connect runs the three-step flow for a vendor's web app, with the design
// oauth2.Connect shares: Start sends the browser to NetSuite, Callback
// finishes the flow (issuing the token installs the record), stores the
// token for the vendor's tenant and checks the install with the
// Installer, and the page explains the State in approval's words. Start
// refuses a request another site made the browser send (403), and answers
// 429, before any request to NetSuite, when the browser, its source or
// the store has too many flows in progress. Each flow is bound to the
// browser that started it by its own HttpOnly cookie: a callback opened
// in another browser (login CSRF) takes nothing and stores nothing.
type Connect struct {
	Client      *Client
	Consumer    Consumer
	CallbackURL string
	// Account is the customer's account if known; empty uses system.netsuite.com.
	Account nsdist.AccountID
	// Installer checks the access token and explains the outcome; nil
	// stores the token without a check.
	Installer *distribution.AutoInstaller
	// Pending defaults to a distribution.MemoryPending; use a shared store
	// (distribution/sqlstore) with several replicas.
	Pending distribution.PendingStore[Token]
	// Store keeps the tokens. StoreFor, when set, gives the store of the
	// tenant that started the flow.
	Store    TokenStore
	StoreFor func(tenant string) TokenStore
	// Tenant names the vendor's customer behind a request to Start, from the
	// vendor's own session; an error refuses the request (401). Nil: one tenant.
	Tenant func(r *http.Request) (string, error)
	// Source keys the per-source limit; nil uses the client's address.
	Source func(r *http.Request) string
	// CookieName prefixes the binding cookies (default "nsdist_tba").
	CookieName   string
	SecureCookie bool
	// Render writes the outcome page; the default is a small HTML page.
	Render func(w http.ResponseWriter, r *http.Request, o distribution.ConnectOutcome)
	// AuthorizeBase replaces NetSuite's UI domain in the authorize URL
	// (for a fake NetSuite behind the app); empty in production.
	AuthorizeBase string

	mem distribution.MemoryPending[Token]
}

// String never shows the consumer secret or the flows in progress.
func (c *Connect) String() string { return "tba.Connect{Consumer:" + c.Consumer.String() + "}" }

// GoString never shows the secrets.
func (c *Connect) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c *Connect) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

func (c *Connect) pending() distribution.PendingStore[Token] {
	if c.Pending != nil {
		return c.Pending
	}
	return &c.mem
}

func (c *Connect) binding() connectflow.Binding {
	return connectflow.NewBinding(c.CookieName, "nsdist_tba", c.SecureCookie)
}

// newState is 32 unguessable alphanumerics (the flow allows up to 512).
func newState() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return hex.EncodeToString(b)
}

// Start is the handler behind a "Connect NetSuite" button.
func (c *Connect) Start() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if connectflow.Refuse(w, r) {
			return
		}
		p := distribution.Pending[Token]{Created: time.Now(), Source: connectflow.SourceOf(r, c.Source)}
		if c.Tenant != nil {
			t, err := c.Tenant(r)
			if err != nil {
				http.Error(w, "sign in to the app first", http.StatusUnauthorized)
				return
			}
			p.Tenant = t
		}
		b, state := c.binding(), newState()
		if b.Full(r) {
			connectflow.TooMany(w)
			return
		}
		cookie, session := b.Cookie(r, state)
		p.Session = session
		rt, err := c.requestToken(r.Context(), connectflow.PutKey(state, session), p)
		if errors.Is(err, distribution.ErrTooManyPending) {
			connectflow.TooMany(w)
			return
		}
		if err != nil {
			c.render(w, r, distribution.ConnectOutcome{Result: distribution.Result{Account: c.Account}, Tenant: p.Tenant, Err: err})
			return
		}
		http.SetCookie(w, cookie)
		target := AuthorizeURL(c.Account, rt.ID, state)
		if c.AuthorizeBase != "" {
			target = strings.TrimSuffix(c.AuthorizeBase, "/") + strings.TrimPrefix(target, AppDomain(c.Account))
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, target, http.StatusFound)
	})
}

// requestToken reserves the flow's place in the store first, so that a
// start the limits refuse sends nothing to NetSuite, then gets the
// request token and keeps it under key.
func (c *Connect) requestToken(ctx context.Context, key string, p distribution.Pending[Token]) (Token, error) {
	if err := c.pending().Put(ctx, key, p); err != nil {
		return Token{}, err
	}
	rt, err := c.Client.RequestToken(ctx, c.Account, c.Consumer, c.CallbackURL, "")
	if _, terr := c.pending().Take(ctx, key); err == nil && terr != nil {
		err = terr
	}
	if err != nil {
		return Token{}, err
	}
	p.Flow = rt
	return rt, c.pending().Put(ctx, key, p)
}

// take finds the flow of the callback's state for this browser. A
// callback without the flow's cookie takes nothing.
func (c *Connect) take(w http.ResponseWriter, r *http.Request, state string) (distribution.Pending[Token], error) {
	b := c.binding()
	key, session, ok := b.Key(r, state)
	if state == "" || !ok {
		return distribution.Pending[Token]{}, newFlowError(CodeStateMismatch, "this authorization was not started in this browser, or took over 15 minutes", 0)
	}
	p, err := c.pending().Take(r.Context(), key)
	b.Clear(w, state)
	if err != nil || !connectflow.Matches(p.Session, session) || p.Flow.ID == "" {
		return distribution.Pending[Token]{}, newFlowError(CodeStateMismatch, "unknown, expired or used state", 0)
	}
	return p, nil
}

// Callback is the handler at the callback URL.
func (c *Connect) Callback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p, err := c.take(w, r, q.Get("state"))
		if err != nil {
			c.render(w, r, distribution.ConnectOutcome{Err: err})
			return
		}
		cb, err := ParseCallback(q, q.Get("state"))
		if err != nil {
			c.render(w, r, distribution.ConnectOutcome{Tenant: p.Tenant, Err: err})
			return
		}
		// the verifier is spent once sent: finish even if the browser goes away
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
		defer cancel()
		access, err := c.Client.AccessToken(ctx, c.Consumer, p.Flow, cb)
		if err != nil {
			c.render(w, r, distribution.ConnectOutcome{Result: distribution.Result{Account: cb.Company}, Tenant: p.Tenant, Err: err})
			return
		}
		c.render(w, r, c.finish(ctx, p.Tenant, cb.Company, access))
	})
}

// finish stores the token for the tenant and checks the install.
func (c *Connect) finish(ctx context.Context, tenant string, account nsdist.AccountID, access Token) distribution.ConnectOutcome {
	issued := time.Now()
	store := c.Store
	if c.StoreFor != nil {
		store = c.StoreFor(tenant)
	}
	o := distribution.ConnectOutcome{Connected: true, Result: distribution.Result{Account: account}, Tenant: tenant}
	if store != nil {
		if err := store.Save(ctx, account, access); err != nil {
			o.Err = fmt.Errorf("tba: the record is installed but the token could not be stored: %w", err)
		}
	}
	if c.Installer != nil {
		o.Result = c.Installer.Distribute(ctx, distribution.Target{Account: account, TokenIssuedAt: issued,
			Credential: Credential{Consumer: c.Consumer, Token: access}})
	}
	return o
}

func (c *Connect) render(w http.ResponseWriter, r *http.Request, o distribution.ConnectOutcome) {
	if c.Render != nil {
		c.Render(w, r, o)
		return
	}
	ref := connectflow.Refusal{Status: http.StatusBadGateway}
	var fe *FlowError
	if errors.As(o.Err, &fe) {
		ref.Next = fe.NextStep
		if fe.Code == CodeDenied || fe.Code == CodeStateMismatch {
			ref.Status = http.StatusBadRequest
		}
	}
	status, d := connectflow.Outcome(o, ref)
	connectflow.Write(w, status, d)
}
