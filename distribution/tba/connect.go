package tba

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/internal/connectpage"
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

// Connect runs the three-step flow for a vendor's web app: Start sends the
// browser to NetSuite, Callback finishes the flow, stores the token and
// checks the install with the AutoInstaller, and renders the outcome.
type Connect struct {
	Client      *Client
	Consumer    Consumer
	CallbackURL string
	// Account is the customer's account if known; empty uses system.netsuite.com.
	Account   nsdist.AccountID
	Store     TokenStore
	Installer *distribution.AutoInstaller
	// Render writes the outcome page; the default is a small HTML page.
	Render func(w http.ResponseWriter, res distribution.Result, err error)
	// StateTTL bounds how long a started flow may take (default 15 minutes).
	StateTTL time.Duration
	// AuthorizeBase replaces NetSuite's UI domain in the authorize URL
	// (for a fake NetSuite behind the app); empty in production.
	AuthorizeBase string

	mu      sync.Mutex
	pending map[string]pendingFlow
}

type pendingFlow struct {
	request Token
	started time.Time
}

// Start is the handler behind a "Connect NetSuite" button.
func (c *Connect) Start() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, err := c.Client.RequestToken(r.Context(), c.Account, c.Consumer, c.CallbackURL, "")
		if err != nil {
			c.render(w, distribution.Result{Account: c.Account}, err)
			return
		}
		state := newState()
		c.mu.Lock()
		if c.pending == nil {
			c.pending = map[string]pendingFlow{}
		}
		c.gcLocked()
		c.pending[state] = pendingFlow{request: rt, started: time.Now()}
		c.mu.Unlock()
		target := AuthorizeURL(c.Account, rt.ID, state)
		if c.AuthorizeBase != "" {
			target = strings.TrimSuffix(c.AuthorizeBase, "/") + strings.TrimPrefix(target, AppDomain(c.Account))
		}
		http.Redirect(w, r, target, http.StatusFound)
	})
}

// newState is 32 unguessable alphanumerics (the flow allows up to 512).
func newState() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return hex.EncodeToString(b)
}

func (c *Connect) ttl() time.Duration {
	if c.StateTTL > 0 {
		return c.StateTTL
	}
	return 15 * time.Minute
}

func (c *Connect) gcLocked() {
	for k, p := range c.pending {
		if time.Since(p.started) > c.ttl() {
			delete(c.pending, k)
		}
	}
}

// Callback is the handler at the callback URL.
func (c *Connect) Callback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		state := q.Get("state")
		c.mu.Lock()
		p, ok := c.pending[state]
		delete(c.pending, state) // single use, whatever happens next
		c.mu.Unlock()
		if !ok || time.Since(p.started) > c.ttl() {
			c.render(w, distribution.Result{}, newFlowError(CodeStateMismatch, "unknown or expired state", 0))
			return
		}
		cb, err := ParseCallback(q, state)
		if err != nil {
			c.render(w, distribution.Result{}, err)
			return
		}
		access, err := c.Client.AccessToken(r.Context(), c.Consumer, p.request, cb)
		if err != nil {
			c.render(w, distribution.Result{Account: cb.Company}, err)
			return
		}
		issued := time.Now()
		if c.Store != nil {
			if err := c.Store.Save(r.Context(), cb.Company, access); err != nil {
				c.render(w, distribution.Result{Account: cb.Company}, err)
				return
			}
		}
		if c.Installer == nil {
			c.render(w, distribution.Result{Account: cb.Company}, nil)
			return
		}
		res := c.Installer.Distribute(r.Context(), distribution.Target{Account: cb.Company, TokenIssuedAt: issued,
			Credential: Credential{Consumer: c.Consumer, Token: access}})
		c.render(w, res, nil)
	})
}

func (c *Connect) render(w http.ResponseWriter, res distribution.Result, err error) {
	if c.Render != nil {
		c.Render(w, res, err)
		return
	}
	data := connectpage.Data{}
	status := http.StatusOK
	var fe *FlowError
	switch {
	case errors.As(err, &fe):
		status = http.StatusBadGateway
		if fe.Code == CodeDenied || fe.Code == CodeStateMismatch {
			status = http.StatusBadRequest
		}
		data.Headline, data.Detail, data.Next = "Not connected", fe.Error(), fe.NextStep
	case err != nil:
		status = http.StatusBadGateway
		data.Headline, data.Detail = "Not connected", err.Error()
	case res.Outcome == "enabled":
		data.Headline, data.Detail = "Connected: Enabled", res.Explanation.Sentence
	case res.Outcome == "awaiting_approval":
		data.Headline = "Connected: waiting for approval"
		data.Detail, data.Next = res.Explanation.Sentence, "ask your administrator to "+trimAdmin(res.Explanation.NextStep)
	case res.Outcome == "":
		data.Headline, data.Detail = "Connected", "the token is stored"
	default:
		data.Headline, data.Detail, data.Next = "Connected, but NetSuite refused the check: "+string(res.Outcome), res.Explanation.Sentence, res.Explanation.NextStep
	}
	connectpage.Write(w, status, data)
}

// trimAdmin turns "an administrator of X must open …" into "open …".
func trimAdmin(s string) string {
	for i := 0; i+5 < len(s); i++ {
		if s[i:i+5] == "must " {
			return s[i+5:]
		}
	}
	return s
}
