package oauth2

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sync"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/internal/connectflow"
)

// TokenStore keeps customers' tokens; a vendor plugs in its vault.
type TokenStore interface {
	SaveToken(ctx context.Context, tok *Token) error
}

// Connect is a "Connect NetSuite" button for a vendor's web app, with the
// design tba.Connect shares: Start sends the browser to NetSuite's
// authorize page, Callback finishes the code grant (which installs the
// record), stores the token for the vendor's tenant and checks it with
// REST serverTime, and the page explains the State in approval's words.
// Start refuses a request another site made the browser send (403), and
// answers 429 when the browser, its source or the store has too many
// flows in progress. The state is unguessable and single use, and each
// flow is bound to the browser that started it by its own HttpOnly
// cookie: a callback from another browser takes nothing and is refused
// (RFC 6749 §10.12).
type Connect struct {
	Client *Client
	// Options tune the authorize request (Account empty: system.netsuite.com).
	Options AuthorizeOptions
	// Installer checks the token and explains the outcome; nil builds one
	// for a code-grant record named RecordName, probing with Client, on
	// Client's clock.
	Installer *distribution.AutoInstaller
	// Pending defaults to a distribution.MemoryPending; use a shared store
	// (distribution/sqlstore) with several replicas.
	Pending distribution.PendingStore[*Authorization]
	// Store keeps the tokens. StoreFor, when set, gives the store of the
	// tenant that started the flow, so that two of the vendor's customers
	// connecting the same NetSuite account never overwrite each other's
	// token.
	Store    TokenStore
	StoreFor func(tenant string) TokenStore
	// Tenant names the vendor's customer behind a request to Start, from the
	// vendor's own session; an error refuses the request (401). Nil: one tenant.
	Tenant func(r *http.Request) (string, error)
	// Source keys the per-source limit; nil uses the client's address.
	// Behind a proxy, return the address the proxy vouches for.
	Source func(r *http.Request) string
	// CookieName prefixes the binding cookies (default "nsdist_oauth2").
	// They are Secure when the request came over TLS or SecureCookie is set.
	CookieName   string
	SecureCookie bool
	// RecordName names the integration record in the explanations.
	RecordName string
	// Render writes the outcome page; the default is a small HTML page.
	Render func(w http.ResponseWriter, r *http.Request, o distribution.ConnectOutcome)
	// HandOffKey, when set, hands each Enabled grant off to M2M
	// (Client.HandOffToM2M) with this key, a file or KMS crypto.Signer,
	// and OnHandOff stores the result for the tenant (the key's
	// certificate id, role and entity): from then on the customer never
	// re-consents. A refused hand-off keeps the token and is said in the
	// result's Note.
	HandOffKey crypto.Signer
	OnHandOff  func(ctx context.Context, tenant string, tok *Token, h *HandOff) error

	once      sync.Once
	installer *distribution.AutoInstaller
	setupErr  error
	mem       distribution.MemoryPending[*Authorization]
}

// String never shows the flows in progress or the client's secret.
func (c *Connect) String() string { return "oauth2.Connect" }

// GoString never shows the flows in progress.
func (c *Connect) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c *Connect) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

func (c *Connect) setup() error {
	c.once.Do(func() {
		c.installer = c.Installer
		if c.installer == nil {
			c.installer, c.setupErr = distribution.NewAutoInstaller(approval.Record{Name: c.RecordName, OAuth2: true, OAuth2CodeGrant: true},
				distribution.WithProber(NewProber(c.Client)), distribution.WithClock(c.Client.now))
		}
	})
	return c.setupErr
}

func (c *Connect) pending() distribution.PendingStore[*Authorization] {
	if c.Pending != nil {
		return c.Pending
	}
	return &c.mem
}

func (c *Connect) binding() connectflow.Binding {
	return connectflow.NewBinding(c.CookieName, "nsdist_oauth2", c.SecureCookie)
}

func (c *Connect) source(r *http.Request) string { return connectflow.SourceOf(r, c.Source) }

// Start is the handler behind the button.
func (c *Connect) Start() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if connectflow.Refuse(w, r) {
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
		c.start(w, r, tenant, c.Options)
	})
}

// Invite is the handler behind a migration invitation's link (the last
// path segment, or the "invitation" query parameter, is its token):
// redeem takes the invitation once and names its tenant and account, and
// the code grant starts for them, as Start does for a signed-in user. A
// customer still on TBA follows it to authorize with OAuth 2.0.
// distribution/sqlstore's Invitations.Redeem fits redeem.
func (c *Connect) Invite(redeem func(ctx context.Context, token string) (tenant string, account nsdist.AccountID, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if connectflow.Refuse(w, r) {
			return
		}
		token := r.URL.Query().Get("invitation")
		if token == "" {
			token = path.Base(r.URL.Path)
		}
		tenant, account, err := redeem(r.Context(), token)
		if err != nil {
			connectflow.Write(w, http.StatusBadRequest, connectflow.Data{Headline: "Not started", Detail: err.Error()})
			return
		}
		opts := c.Options
		opts.Account = account
		c.start(w, r, tenant, opts)
	})
}

// start sends the browser to the authorize page for tenant.
func (c *Connect) start(w http.ResponseWriter, r *http.Request, tenant string, opts AuthorizeOptions) {
	b := c.binding()
	if b.Full(r) {
		connectflow.TooMany(w)
		return
	}
	a, err := c.Client.Authorize(opts)
	if err != nil {
		c.render(w, r, distribution.ConnectOutcome{Tenant: tenant, Err: err})
		return
	}
	cookie, session := b.Cookie(r, a.State)
	p := distribution.Pending[*Authorization]{Flow: a, Session: session, Tenant: tenant, Source: c.source(r), Created: time.Now()}
	if err := c.pending().Put(r.Context(), connectflow.PutKey(a.State, session), p); err != nil {
		if errors.Is(err, distribution.ErrTooManyPending) {
			connectflow.TooMany(w)
			return
		}
		c.render(w, r, distribution.ConnectOutcome{Tenant: tenant, Err: err})
		return
	}
	http.SetCookie(w, cookie)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, a.URL, http.StatusFound)
}

// take finds the flow of the callback's state for this browser. A
// callback without the flow's cookie takes nothing.
func (c *Connect) take(w http.ResponseWriter, r *http.Request) (distribution.Pending[*Authorization], error) {
	state := r.URL.Query().Get("state")
	b := c.binding()
	key, session, ok := b.Key(r, state)
	if state == "" || !ok {
		return distribution.Pending[*Authorization]{}, fmt.Errorf("%w: this authorization was not started in this browser, or took over 15 minutes: start again from this browser", ErrCallback)
	}
	p, err := c.pending().Take(r.Context(), key)
	b.Clear(w, state)
	if err != nil {
		return p, fmt.Errorf("%w: %w", ErrCallback, err)
	}
	if !connectflow.Matches(p.Session, session) {
		return distribution.Pending[*Authorization]{}, fmt.Errorf("%w: %w", ErrCallback, distribution.ErrNoPending)
	}
	return p, nil
}

// Callback is the handler at the redirect URI.
func (c *Connect) Callback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cb, err := ParseCallbackRequest(r)
		p, terr := c.take(w, r) // taken even on an error redirect: a state is used once
		if err == nil {
			err = terr
		}
		if err == nil {
			err = c.setup()
		}
		if err != nil {
			c.render(w, r, distribution.ConnectOutcome{Tenant: p.Tenant, Err: err})
			return
		}
		// the code is spent once sent: finish even if the browser goes away
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
		defer cancel()
		tok, err := c.Client.Exchange(ctx, p.Flow, cb)
		if err != nil {
			c.render(w, r, distribution.ConnectOutcome{Tenant: p.Tenant, Err: err})
			return
		}
		c.render(w, r, c.finish(ctx, p.Tenant, tok))
	})
}

// finish stores the token for the tenant and checks it.
func (c *Connect) finish(ctx context.Context, tenant string, tok *Token) distribution.ConnectOutcome {
	store := c.Store
	if c.StoreFor != nil {
		store = c.StoreFor(tenant)
	}
	var saveErr error
	g := Grant{Token: tok, Client: c.Client}
	if store != nil {
		g.Save = store.SaveToken
		if err := store.SaveToken(ctx, tok); err != nil {
			saveErr = fmt.Errorf("oauth2: the record is installed but the token could not be stored: %w", err)
		}
	}
	res := c.installer.Distribute(ctx, distribution.Target{Account: tok.Account, Credential: g, TokenIssuedAt: tok.IssuedAt})
	if c.HandOffKey != nil && res.Outcome == distribution.OutcomeEnabled {
		res.Note = c.handOff(ctx, tenant, tok)
	}
	return distribution.ConnectOutcome{Connected: true, Result: res, Tenant: tenant, Err: saveErr}
}

// handOff hands tok off to M2M and says how it went.
func (c *Connect) handOff(ctx context.Context, tenant string, tok *Token) string {
	h, err := c.Client.HandOffToM2M(ctx, tok, c.HandOffKey)
	if err != nil {
		note := "not handed off to M2M: " + err.Error()
		var oe *Error
		if errors.As(err, &oe) && oe.NextStep != "" {
			note += "; " + oe.NextStep
		}
		return note
	}
	if c.OnHandOff != nil {
		if err := c.OnHandOff(ctx, tenant, tok, h); err != nil {
			return "certificate " + h.CertificateID + " registered, but not stored: " + err.Error()
		}
	}
	return "handed off to M2M: certificate " + h.CertificateID + " registered"
}

func (c *Connect) render(w http.ResponseWriter, r *http.Request, o distribution.ConnectOutcome) {
	if c.Render != nil {
		c.Render(w, r, o)
		return
	}
	ref := connectflow.Refusal{Status: http.StatusBadRequest}
	var oe *Error
	if errors.As(o.Err, &oe) {
		ref.Next = oe.NextStep
		if oe.Op != OpAuthorize {
			ref.Status = http.StatusBadGateway
		}
	}
	status, d := connectflow.Outcome(o, ref)
	connectflow.Write(w, status, d)
}
