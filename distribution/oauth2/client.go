package oauth2

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/internal/redact"
)

// Paths of NetSuite's OAuth 2.0 and REST endpoints.
const (
	AuthorizePath    = "/app/login/oauth2/authorize.nl"                        // section_158081944642
	TokenPath        = "/services/rest/auth/oauth2/v1/token"                   // section_158081952044
	RevokePath       = "/services/rest/auth/oauth2/v1/revoke"                  // section_161071224088
	ServerTimePath   = "/services/rest/system/v1/serverTime"                   // article_0528010158
	certificatesPath = "/services/rest/auth/oauth2/v1/clients/%s/certificates" // article_92130837826
	// SystemHost serves the authorize page when the account is not known
	// yet; the redirect's company then names it (section_158081944642).
	SystemHost = "system.netsuite.com"
)

// Default lifetimes NetSuite documents (section_158081952044,
// section_157771733782). A record installed from another source may have
// other values; set them in [Config].
const (
	AccessTokenLifetime         = time.Hour
	ConfidentialRefreshLifetime = 7 * 24 * time.Hour
	DefaultPublicRefreshLife    = 48 * time.Hour
	DefaultMaxTokenRotation     = 168 * time.Hour
)

// maxBody caps every response body nsdist reads from the OAuth 2.0 and REST
// endpoints; a token response is a few KiB.
const maxBody = 1 << 20

// Config is the integration record's OAuth 2.0 client, as its owner set
// it up (Setup > Integration > Manage Integrations, section_157771733782).
type Config struct {
	// ClientID is the record's client ID.
	ClientID string
	// ClientSecret is the record's client secret. Leave it empty for a
	// Public Client: Oracle advises public clients for any integration
	// distributed outside its owner's account, because its secret cannot
	// be kept confidential there (section_157771733782).
	ClientSecret string
	// RedirectURL is one of the record's Redirect URIs, exactly. Needed for
	// the authorization code grant only.
	RedirectURL string
	// Scopes requested; default rest_webservices.
	Scopes []Scope
	// RefreshTokenValidity and MaxTokenRotation are the record's settings
	// for public clients (defaults 48 h and 168 h; 1–720 h). nsdist uses
	// them to say when a token chain ends; NetSuite enforces them.
	RefreshTokenValidity time.Duration
	MaxTokenRotation     time.Duration
}

// Public reports whether the client is a public client (no secret).
func (c Config) Public() bool { return c.ClientSecret == "" }

// String never shows the secret.
func (c Config) String() string {
	kind := "confidential"
	if c.Public() {
		kind = "public"
	}
	return fmt.Sprintf("oauth2.Config{ClientID:%s %s RedirectURL:%s Scopes:%s}", abbrev(c.ClientID), kind, c.RedirectURL, joinScopes(c.Scopes, " "))
}

// GoString never shows the secret.
func (c Config) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c Config) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

// LogValue never shows the secret.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Client runs the OAuth 2.0 flows of one integration record against
// customers' accounts. It is immutable after NewClient and safe for
// concurrent use; one Client serves every account.
type Client struct {
	cfg     Config
	http    *http.Client  // its Timeout moved to timeout
	timeout time.Duration // each request's, the http.Client's Timeout as a context deadline
	base    *url.URL      // WithBaseURL, or nil
	now     func() time.Time
	logger  *slog.Logger
	ahead   time.Duration
	probe   probeRetry // the REST prober's retries

	creds      sync.Map     // credential key → *credState
	credCount  atomic.Int64 // states in creds
	sinceSweep atomic.Int64 // states stored since the last sweep
}

// Option configures a Client; options are validated by NewClient.
type Option func(*Client) error

// WithHTTPClient uses a copy of hc. nsdist sets CheckRedirect on the copy
// so that no redirect is ever followed, and never uses a cookie jar.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return fmt.Errorf("%w: nil *http.Client", ErrConfig)
		}
		cp := *hc
		c.http = &cp
		return nil
	}
}

// WithTransport sends requests through rt (nstest's transport, for example).
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) error {
		if rt == nil {
			return fmt.Errorf("%w: nil RoundTripper", ErrConfig)
		}
		c.http = &http.Client{Transport: rt, Timeout: 60 * time.Second}
		return nil
	}
}

// WithBaseURL sends every request to base's scheme, host and port,
// keeping NetSuite's path and query, with the Host header set to the
// NetSuite host it would have used. It exists for the fake NetSuite server
// and for tests; the authorize URL uses base too.
func WithBaseURL(base string) Option {
	return func(c *Client) error {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return fmt.Errorf("%w: base URL %q: want http(s)://host[:port]", ErrConfig, redact.URL(u))
		}
		c.base = &url.URL{Scheme: u.Scheme, Host: u.Host}
		return nil
	}
}

// WithClock sets the clock (token expiry, assertion iat/exp).
func WithClock(now func() time.Time) Option {
	return func(c *Client) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithLogger logs requests at Debug, without secrets. Default: silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}

// WithProbeRetry bounds the REST prober's own retries of what may work
// later (429, 502-504, no answer): attempts in all, the first wait and the
// longest (defaults: 4 attempts, 200 ms doubling to 2 s, ±50% jitter).
func WithProbeRetry(attempts int, initial, longest time.Duration) Option {
	return func(c *Client) error {
		if attempts < 1 || initial <= 0 || longest < initial {
			return fmt.Errorf("%w: probe retry wants at least 1 attempt and 0 < initial <= longest", ErrConfig)
		}
		c.probe = probeRetry{attempts: attempts, initial: initial, longest: longest}
		return nil
	}
}

// WithRefreshAhead refreshes an access token this long before it expires
// (default 2 minutes).
func WithRefreshAhead(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 || d >= AccessTokenLifetime {
			return fmt.Errorf("%w: refresh-ahead %s must be between 0 and 1h", ErrConfig, d)
		}
		c.ahead = d
		return nil
	}
}

// withClientID returns c, or a client like c for another record's client
// ID, without a secret (client credentials need none); nil for a nil c.
func (c *Client) withClientID(id string) *Client {
	if c == nil || id == "" || id == c.cfg.ClientID {
		return c
	}
	cfg := c.cfg
	cfg.ClientID, cfg.ClientSecret = id, ""
	return &Client{cfg: cfg, http: c.http, timeout: c.timeout, base: c.base, now: c.now, logger: c.logger, ahead: c.ahead, probe: c.probe}
}

// NewClient checks cfg and returns a client. Nothing is sent.
func NewClient(cfg Config, opts ...Option) (*Client, error) {
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("%w: ClientID is empty; it is shown on the integration record when it is first saved", ErrConfig)
	}
	if !printable(cfg.ClientID) || !printable(cfg.ClientSecret) || strings.Contains(cfg.ClientID, ":") {
		return nil, fmt.Errorf("%w: ClientID and ClientSecret must be printable ASCII, and the ClientID has no colon (RFC 7617)", ErrConfig)
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []Scope{ScopeRESTWebServices}
	}
	cfg.Scopes = append([]Scope(nil), cfg.Scopes...)
	if err := ValidateScopes(cfg.Scopes); err != nil {
		return nil, err
	}
	if cfg.RedirectURL != "" {
		if err := checkRedirectURL(cfg.RedirectURL); err != nil {
			return nil, err
		}
	}
	for _, d := range []*time.Duration{&cfg.RefreshTokenValidity, &cfg.MaxTokenRotation} {
		if *d != 0 && (*d < time.Hour || *d > 720*time.Hour) {
			return nil, fmt.Errorf("%w: RefreshTokenValidity and MaxTokenRotation range from 1 to 720 hours, not %s", ErrConfig, *d)
		}
	}
	if cfg.RefreshTokenValidity == 0 {
		cfg.RefreshTokenValidity = DefaultPublicRefreshLife
	}
	if cfg.MaxTokenRotation == 0 {
		cfg.MaxTokenRotation = DefaultMaxTokenRotation
	}
	c := &Client{cfg: cfg, now: time.Now, ahead: 2 * time.Minute, probe: defaultProbeRetry}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second, Transport: defaultTransport}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http.Jar = nil
	// The Timeout becomes each request's context deadline: the same bound
	// on the whole exchange, without net/http's watcher goroutine per
	// request.
	c.timeout, c.http.Timeout = c.http.Timeout, 0
	return c, nil
}

// defaultTransport is shared by clients built without a transport: a cap
// on idle connections, since every account is another host.
var defaultTransport = &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	ForceAttemptHTTP2:     true,
	MaxIdleConns:          100,
	MaxIdleConnsPerHost:   4,
	IdleConnTimeout:       90 * time.Second,
	TLSHandshakeTimeout:   10 * time.Second,
	ExpectContinueTimeout: time.Second,
}

// Config returns the client's configuration (the secret included: it is
// the caller's own).
func (c *Client) Config() Config {
	cfg := c.cfg
	cfg.Scopes = append([]Scope(nil), cfg.Scopes...)
	return cfg
}

// String describes the client without secrets.
func (c *Client) String() string { return "oauth2.Client{" + c.cfg.String() + "}" }

// GoString describes the client without secrets.
func (c *Client) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c *Client) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

// checkRedirectURL accepts https, a custom scheme (myapp://callback), and
// http only on a loopback address, for tests against a fake: a real
// NetSuite record refuses every http:// redirect URI (section_157771733782),
// loopback included, although RFC 8252 §7.3 would allow one.
func checkRedirectURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("%w: RedirectURL %q is no absolute URL", ErrConfig, truncate(s, 80))
	}
	if u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%w: RedirectURL must have no fragment or user info (RFC 6749 §3.1.2)", ErrConfig)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("%w: RedirectURL %q has no host", ErrConfig, truncate(s, 80))
		}
	case "http":
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("%w: RedirectURL %q: NetSuite refuses http:// redirect URIs (section_157771733782); use https:// or a custom scheme such as myapp://callback", ErrConfig, redact.URL(u))
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// target is where a request goes: the URL sent and the Host header.
func (c *Client) target(host, path, rawQuery string) (*url.URL, string) {
	u := &url.URL{Scheme: "https", Host: host, Path: path, RawQuery: rawQuery}
	if c.base != nil {
		u.Scheme, u.Host = c.base.Scheme, c.base.Host
	}
	return u, host
}

// basic is the RFC 7617 header: standard base64 of id:secret.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// request is one call to NetSuite, with the secrets it carries so that no
// error or log can show them.
type request struct {
	op      string
	account nsdist.AccountID
	method  string
	host    string
	path    string
	form    url.Values // POST body, form-encoded
	json    []byte     // POST body, JSON
	auth    string     // Authorization header
	secrets []string
}

// response is a read answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) do(ctx context.Context, r *request) (*response, error) {
	rctx := ctx // ctx is the caller's: its end is not a transport error
	if c.timeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	u, host := c.target(r.host, r.path, "")
	var body io.Reader
	ctype := ""
	switch {
	case r.form != nil:
		body, ctype = strings.NewReader(r.form.Encode()), "application/x-www-form-urlencoded"
	case r.json != nil:
		body, ctype = bytes.NewReader(r.json), "application/json"
	}
	req, err := http.NewRequestWithContext(rctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("oauth2: %s: %w", r.op, err)
	}
	req.Host = host
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "nsdist/"+nsdist.Version)
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	start := c.now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("oauth2: %s for account %s: %w", r.op, r.account, ctx.Err())
		}
		return nil, fmt.Errorf("oauth2: %s for account %s at %s: %w", r.op, r.account, host, scrubErr(err, r.secrets))
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "oauth2 request", slog.String("op", r.op), slog.String("host", host),
			slog.String("path", r.path), slog.Int("status", resp.StatusCode), slog.Duration("took", c.now().Sub(start)))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s for account %s: reading the answer (http %d): %w", ErrResponse, r.op, r.account, resp.StatusCode, scrubErr(err, r.secrets))
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("%w: %s for account %s: the answer is over %d bytes", ErrResponse, r.op, r.account, maxBody)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc, _ := url.Parse(resp.Header.Get("Location"))
		return nil, stepped(&Error{Op: r.op, Account: r.account, HTTPStatus: resp.StatusCode,
			Description: "NetSuite answered with a redirect to " + redact.URL(loc) + ", which nsdist never follows with credentials"})
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// scrubErr keeps err's chain but blanks secrets from its text.
func scrubErr(err error, secrets []string) error {
	msg := err.Error()
	clean := scrub(msg, secrets)
	if clean == msg {
		return err
	}
	return &scrubbed{msg: clean, err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// scrub replaces every secret (and its URL-encoded and base64 forms) in s.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) < 4 || !redact.MayHold(s, sec) {
			continue
		}
		for _, form := range []string{sec, url.QueryEscape(sec), base64.StdEncoding.EncodeToString([]byte(sec))} {
			s = strings.ReplaceAll(s, form, redact.Placeholder)
		}
	}
	return s
}

// snippet is a short, single-line, secret-free view of a body. It scrubs
// before cutting, so that a secret cut in half cannot survive, and again
// after: Snippet drops control characters, invalid UTF-8 and U+FFFD, and
// a secret echoed with one of them inside comes together there.
func snippet(body []byte, secrets []string) string {
	return scrub(redact.Snippet([]byte(scrub(string(body), secrets)), 200), secrets)
}

func abbrev(s string) string {
	if len(s) <= 8 {
		return "…"
	}
	return s[:4] + "…"
}
