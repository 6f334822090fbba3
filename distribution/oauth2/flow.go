package oauth2

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/internal/redact"
)

// AuthorizeOptions tune one authorization request.
type AuthorizeOptions struct {
	// Account is the customer's account if the app knows it: the authorize
	// page is then on its domain. Empty uses system.netsuite.com, and the
	// redirect's company names the account (section_158081944642).
	Account nsdist.AccountID
	// Prompt is sent as the prompt parameter when set.
	Prompt Prompt
	// Scopes override the client's scopes for this request.
	Scopes []Scope
}

// Authorization is one authorization code grant in progress: the URL to
// send the user's browser to, and what finishing it needs. It works once.
// Verifier is a secret: keep an Authorization server-side (never in the
// browser), bound to the browser session that started it, and encrypted
// if it is stored.
type Authorization struct {
	URL         string           `json:"url"`
	State       string           `json:"state"`
	Verifier    string           `json:"verifier"`
	Account     nsdist.AccountID `json:"account,omitempty"`
	RedirectURL string           `json:"redirect_url"`
	Scopes      []Scope          `json:"scopes"`
	Created     time.Time        `json:"created"`

	spent atomic.Bool
}

// String never shows the verifier.
func (a *Authorization) String() string {
	if a == nil {
		return "oauth2.Authorization(nil)"
	}
	acct := string(a.Account)
	if acct == "" {
		acct = "unknown"
	}
	return fmt.Sprintf("oauth2.Authorization{Account:%s State:%s Verifier:%s Scopes:%s}", acct, abbrev(a.State), redact.Placeholder, joinScopes(a.Scopes, " "))
}

// GoString never shows the verifier.
func (a *Authorization) GoString() string { return a.String() }

// Format prints the redacted form for every verb.
func (a *Authorization) Format(f fmt.State, _ rune) { io.WriteString(f, a.String()) } //nolint:errcheck

// LogValue never shows the verifier or the state.
func (a *Authorization) LogValue() slog.Value {
	if a == nil {
		return slog.StringValue("nil")
	}
	return slog.GroupValue(slog.String("account", string(a.Account)), slog.Time("created", a.Created))
}

// NewState returns an unguessable state: 32 random bytes, base64url (43
// characters, inside NetSuite's 22–1024 printable ASCII, section_158081944642).
func NewState() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("oauth2: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidState reports whether s is a state NetSuite accepts: 22 to 1024
// printable ASCII characters (section_158081944642).
func ValidState(s string) bool {
	return len(s) >= 22 && len(s) <= 1024 && printable(s)
}

// Authorize starts an authorization code grant with PKCE S256 (never
// plain: NetSuite refuses it since 2020.2, and from 2027.1 a code challenge
// is required for every new integration, section_158081944642). Nothing is
// sent: the caller redirects the user's browser to the returned URL.
func (c *Client) Authorize(opts AuthorizeOptions) (*Authorization, error) {
	if c.cfg.RedirectURL == "" {
		return nil, fmt.Errorf("%w: Config.RedirectURL is empty; set it to one of the integration record's Redirect URIs", ErrConfig)
	}
	scopes := c.cfg.Scopes
	if len(opts.Scopes) > 0 {
		if err := ValidateScopes(opts.Scopes); err != nil {
			return nil, err
		}
		scopes = append([]Scope(nil), opts.Scopes...)
	}
	prompt, err := opts.Prompt.normalize()
	if err != nil {
		return nil, err
	}
	host := SystemHost
	if opts.Account != "" {
		if err := opts.Account.Validate(); err != nil {
			return nil, err
		}
		host = opts.Account.AppHost()
	}
	if prompt.hasLogin() && opts.Account == "" {
		return nil, fmt.Errorf("%w: prompt=login works only on the account-specific domain: set AuthorizeOptions.Account", ErrPrompt)
	}
	if prompt == PromptNone && hasScope(scopes, ScopeMCP) {
		return nil, fmt.Errorf("%w: prompt=none is not allowed with the mcp scope", ErrPrompt)
	}
	a := &Authorization{State: NewState(), Verifier: xoauth2.GenerateVerifier(), Account: opts.Account,
		RedirectURL: c.cfg.RedirectURL, Scopes: scopes, Created: c.now()}
	u, _ := c.target(host, AuthorizePath, "")
	cfg := xoauth2.Config{ClientID: c.cfg.ClientID, RedirectURL: c.cfg.RedirectURL, Endpoint: xoauth2.Endpoint{AuthURL: u.String()}}
	cfg.Scopes = strings.Fields(joinScopes(scopes, " "))
	extra := []xoauth2.AuthCodeOption{xoauth2.S256ChallengeOption(a.Verifier)}
	if prompt != "" {
		extra = append(extra, xoauth2.SetAuthURLParam("prompt", string(prompt)))
	}
	a.URL = cfg.AuthCodeURL(a.State, extra...)
	return a, nil
}

// Callback is what NetSuite's redirect back to the app carries
// (section_158081944642 §Redirect Parameters).
type Callback struct {
	Code    string // a secret; present only when the user allowed
	State   string
	Role    string // the role the tokens are granted for
	Entity  string // the user who authorized
	Company nsdist.AccountID
}

// String never shows the code.
func (cb *Callback) String() string {
	return fmt.Sprintf("oauth2.Callback{Company:%s Role:%s Entity:%s Code:%s}", cb.Company, cb.Role, cb.Entity, redact.Placeholder)
}

// GoString never shows the code.
func (cb *Callback) GoString() string { return cb.String() }

// Format prints the redacted form for every verb.
func (cb *Callback) Format(f fmt.State, _ rune) { io.WriteString(f, cb.String()) } //nolint:errcheck

// LogValue never shows the code (slog's JSON handler would otherwise
// marshal the fields).
func (cb *Callback) LogValue() slog.Value {
	return slog.GroupValue(slog.String("company", string(cb.Company)), slog.String("role", cb.Role), slog.String("entity", cb.Entity))
}

// maxCallback caps the redirect URL or query nsdist parses.
const maxCallback = 16 << 10

// ParseCallback reads the redirect NetSuite sent the browser to: a whole
// URL, or its query string. An error value in it comes back as an *Error
// (Op "authorize") with the user's or administrator's next step; anything
// malformed wraps ErrCallback. Company is parsed as an account id (a
// sandbox id like 123456_SB1, or a test-drive id like TSTDRV1234567).
func ParseCallback(redirect string) (*Callback, error) {
	if len(redirect) > maxCallback {
		return nil, fmt.Errorf("%w: over %d bytes", ErrCallback, maxCallback)
	}
	raw, _, _ := strings.Cut(redirect, "#") // a query inside the fragment is no query
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[i+1:]
	} else if strings.Contains(raw, "://") {
		raw = "" // a URL without a query
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: the query does not parse", ErrCallback)
	}
	return callbackFrom(q)
}

// ParseCallbackRequest reads the redirect from the request a web app's
// callback handler received.
func ParseCallbackRequest(r *http.Request) (*Callback, error) {
	if r.URL == nil || len(r.URL.RawQuery) > maxCallback {
		return nil, fmt.Errorf("%w: no query, or over %d bytes", ErrCallback, maxCallback)
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: the query does not parse", ErrCallback)
	}
	return callbackFrom(q)
}

func callbackFrom(q url.Values) (*Callback, error) {
	for _, k := range []string{"code", "state", "role", "entity", "company", "error"} {
		if len(q[k]) > 1 {
			return nil, fmt.Errorf("%w: %s appears %d times", ErrCallback, k, len(q[k]))
		}
	}
	cb := &Callback{Code: q.Get("code"), State: q.Get("state"), Role: q.Get("role"), Entity: q.Get("entity")}
	if !printable(cb.Role) || !printable(cb.Entity) || len(cb.Role) > 64 || len(cb.Entity) > 64 {
		return nil, fmt.Errorf("%w: role or entity is not a short printable value", ErrCallback)
	}
	if c := q.Get("company"); c != "" {
		id, err := nsdist.ParseAccountID(c)
		if err != nil {
			return nil, fmt.Errorf("%w: company: %w", ErrCallback, err)
		}
		cb.Company = id
	}
	if e := q.Get("error"); e != "" {
		return nil, stepped(&Error{Op: OpAuthorize, Account: cb.Company, Code: errorCode(e, nil), Description: clean(q.Get("error_description"), nil),
			Role: cb.Role, Entity: cb.Entity, Company: cb.Company})
	}
	if cb.State == "" {
		return nil, fmt.Errorf("%w: no state: this redirect did not come from an authorization this app started", ErrCallback)
	}
	if cb.Code == "" {
		return nil, fmt.Errorf("%w: no code and no error", ErrCallback)
	}
	if len(cb.Code) > 4096 || !printable(cb.Code) {
		return nil, fmt.Errorf("%w: the code is not printable ASCII of a sane length", ErrCallback)
	}
	return cb, nil
}

// Check verifies that cb belongs to a: same state (compared in constant
// time) and, when a named the account, the same company. It does not
// spend a; Exchange does.
func (a *Authorization) Check(cb *Callback) error {
	if subtle.ConstantTimeCompare([]byte(a.State), []byte(cb.State)) != 1 {
		return fmt.Errorf("%w: the state does not match this authorization: start again", ErrCallback)
	}
	if cb.Company == "" {
		return fmt.Errorf("%w: the redirect names no company (account)", ErrCallback)
	}
	if a.Account != "" && cb.Company != a.Account {
		return fmt.Errorf("%w: the user authorized account %s, but this authorization is for %s: start again and log in to %s", ErrCallback, cb.Company, a.Account, a.Account)
	}
	return nil
}

// Exchange finishes the grant (Step Two, section_158081952044): it checks
// cb against a, posts the code with the PKCE verifier to the token
// endpoint of the account the redirect names, and returns the tokens.
// Receiving them is what installs the integration record in the customer's
// account, Enabled or Waiting for Approval by the account's preference
// (section_4429293934). An Authorization can be exchanged once.
func (c *Client) Exchange(ctx context.Context, a *Authorization, cb *Callback) (*Token, error) {
	if a == nil || cb == nil {
		return nil, fmt.Errorf("%w: nil Authorization or Callback", ErrCallback)
	}
	if err := a.Check(cb); err != nil {
		return nil, err
	}
	if !a.spent.CompareAndSwap(false, true) {
		return nil, fmt.Errorf("%w: this authorization was used already: start again", ErrCallback)
	}
	if a.RedirectURL != c.cfg.RedirectURL {
		return nil, fmt.Errorf("%w: the authorization was started with another redirect URL", ErrCallback)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Code}, "redirect_uri": {a.RedirectURL}, "code_verifier": {a.Verifier}}
	tr, life, err := c.tokenCall(ctx, OpExchange, cb.Company, form, cb.Code, a.Verifier)
	if err != nil {
		return nil, err
	}
	now := c.now()
	t := &Token{Account: cb.Company, ClientID: c.cfg.ClientID, AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken,
		TokenType: "bearer", Expiry: now.Add(life), Scopes: append([]Scope(nil), a.Scopes...), Role: cb.Role, Entity: cb.Entity,
		Public: c.cfg.Public(), IssuedAt: now, GrantedAt: now}
	c.setRefreshExpiry(t, now)
	if c.cfg.Public() {
		t.RotationDeadline = now.Add(c.cfg.MaxTokenRotation)
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "oauth2 code exchanged", slog.String("account", string(t.Account)), slog.Bool("public", t.Public))
	return t, nil
}

// Complete is ParseCallback, then Exchange: for a command-line tool that
// has the whole redirect URL.
func (c *Client) Complete(ctx context.Context, a *Authorization, redirect string) (*Token, error) {
	cb, err := ParseCallback(redirect)
	if err != nil {
		return nil, err
	}
	return c.Exchange(ctx, a, cb)
}

func (c *Client) setRefreshExpiry(t *Token, now time.Time) {
	if t.RefreshToken == "" {
		return
	}
	if t.Public {
		t.RefreshExpiry = now.Add(c.cfg.RefreshTokenValidity)
	} else {
		t.RefreshExpiry = now.Add(ConfidentialRefreshLifetime)
	}
}

// clientAuth adds the client authentication to a token-endpoint request:
// HTTP Basic with standard base64 for a confidential client (RFC 7617;
// Oracle's sample decodes with standard base64), client_id in the body
// for a public client. Never both: NetSuite answers invalid_request to
// more than one method (subsect_158521832417).
func (c *Client) clientAuth(form url.Values) (header string, secrets []string) {
	if c.cfg.Public() {
		form.Set("client_id", c.cfg.ClientID)
		return "", nil
	}
	h := basic(c.cfg.ClientID, c.cfg.ClientSecret)
	return h, []string{c.cfg.ClientSecret, strings.TrimPrefix(h, "Basic ")}
}

// tokenCall posts form to the account's token endpoint.
func (c *Client) tokenCall(ctx context.Context, op string, account nsdist.AccountID, form url.Values, secrets ...string) (*tokenResponse, time.Duration, error) {
	if err := account.Validate(); err != nil {
		return nil, 0, fmt.Errorf("oauth2: %s: %w", op, err)
	}
	auth, s := c.clientAuth(form)
	secrets = append(secrets, s...)
	resp, err := c.do(ctx, &request{op: op, account: account, method: http.MethodPost, host: account.SuiteTalkHost(), path: TokenPath, form: form, auth: auth, secrets: secrets})
	if err != nil {
		return nil, 0, err
	}
	tr, life, err := decodeTokenResponse(op, account, resp, secrets)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.public, e.rotation = c.cfg.Public(), c.cfg.MaxTokenRotation
			e.setNextStep()
		}
		return nil, 0, err
	}
	return tr, life, nil
}
