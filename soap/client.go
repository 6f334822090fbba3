package soap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/internal/redact"
)

// DefaultDiscoveryURL is the generic host getDataCenterUrls is sent to.
const DefaultDiscoveryURL = "https://webservices.netsuite.com"

// Client sends SuiteTalk requests to one account. It is immutable and safe
// for concurrent use; derive variants with [Client.Clone].
type Client struct {
	account nsdist.AccountID
	cfg     config
}

type config struct {
	version      Version
	auth         Auth
	endpoint     *url.URL // explicit endpoint, or nil for the derived host
	discoveryURL *url.URL
	discovery    *DiscoveryCache
	httpClient   *http.Client  // the client the options chose, redirects off
	sender       *http.Client  // httpClient without its Timeout, which is timeout
	timeout      time.Duration // each attempt's: httpClient's Timeout as a context deadline
	retry        RetryPolicy
	logger       *slog.Logger
	maxResponse  int64
	clock        Clock
	nonce        NonceSource
	sleep        func(context.Context, time.Duration) error
	userAgent    string
}

// Option configures a Client. Options are validated by NewClient.
type Option func(*config) error

// WithVersion sets the endpoint version (default 2025_2).
func WithVersion(v Version) Option {
	return func(c *config) error {
		if v.IsZero() {
			return fmt.Errorf("%w: zero Version", ErrInvalidVersion)
		}
		c.version = v
		return nil
	}
}

// WithAuth sets the credentials for every request.
func WithAuth(a Auth) Option {
	return func(c *config) error {
		if a == nil {
			return fmt.Errorf("%w: nil Auth", ErrCredentials)
		}
		c.auth = a
		return nil
	}
}

// WithEndpoint sets the endpoint explicitly, e.g. the "SuiteTalk SOAP URL"
// of Setup > Company > Company Information. A URL without a /services/
// path gets the version's path appended. It disables discovery.
func WithEndpoint(raw string) Option {
	return func(c *config) error {
		u, err := parseBaseURL(raw)
		if err != nil {
			return err
		}
		c.endpoint = u
		return nil
	}
}

// WithDiscoveryURL sets the host getDataCenterUrls is sent to (default https://webservices.netsuite.com).
func WithDiscoveryURL(raw string) Option {
	return func(c *config) error {
		u, err := parseBaseURL(raw)
		if err != nil {
			return err
		}
		c.discoveryURL = u
		return nil
	}
}

// WithDiscoveryCache shares discovered domains between clients.
func WithDiscoveryCache(d *DiscoveryCache) Option {
	return func(c *config) error {
		if d == nil {
			return errors.New("soap: nil DiscoveryCache")
		}
		c.discovery = d
		return nil
	}
}

// WithHTTPClient uses a copy of hc. Its cookie jar, if any, is dropped:
// a session cookie next to token-based auth is ambiguous authentication.
// Its CheckRedirect is replaced: the client follows no redirect (see
// [RedirectError]).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("soap: nil http.Client")
		}
		cp := *hc
		cp.Jar = nil
		c.httpClient = &cp
		return nil
	}
}

// WithTransport uses rt under the default client's timeout. The client
// follows no redirect.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		if rt == nil {
			return errors.New("soap: nil RoundTripper")
		}
		c.httpClient = &http.Client{Transport: rt, Timeout: defaultTimeout}
		return nil
	}
}

// noRedirect hands a 3xx answer back instead of following it: a SOAP
// envelope carries credentials, and a 307 or 308 would resend it, body and
// all, to whatever host the Location names. NetSuite never redirects a
// SOAP POST.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithLogger logs attempts and retries at Debug. The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("soap: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithMaxResponseSize caps response bodies (default 10 MiB).
func WithMaxResponseSize(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return errors.New("soap: response cap must be positive")
		}
		c.maxResponse = n
		return nil
	}
}

// WithClock sets the clock tokenPassport timestamps and backoff use.
func WithClock(clock Clock) Option {
	return func(c *config) error {
		if clock == nil {
			return errors.New("soap: nil clock")
		}
		c.clock = clock
		return nil
	}
}

// WithNonceSource sets the nonce source (default RandomNonce).
func WithNonceSource(n NonceSource) Option {
	return func(c *config) error {
		if n == nil {
			return errors.New("soap: nil nonce source")
		}
		c.nonce = n
		return nil
	}
}

// WithUserAgent sets the User-Agent (default nsdist/<version>).
func WithUserAgent(ua string) Option {
	return func(c *config) error { c.userAgent = ua; return nil }
}

const defaultTimeout = 60 * time.Second

var (
	defaultHTTPOnce sync.Once
	defaultHTTP     *http.Client
)

// DefaultHTTPClient is the client nsdist uses when given none: one shared
// transport whose idle connections are capped, since every target of a
// rollout is a different host (DESIGN.md, "Connections"). It follows no
// redirect: a 3xx answer is returned as it is.
func DefaultHTTPClient() *http.Client {
	defaultHTTPOnce.Do(func() {
		defaultHTTP = &http.Client{Transport: NewTransport(), Timeout: defaultTimeout, CheckRedirect: noRedirect}
	})
	return defaultHTTP
}

// NewTransport returns an http.Transport with bounded idle connections.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: defaultTimeout,
		ForceAttemptHTTP2:     true,
	}
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("soap: invalid endpoint URL %q: want https://host[/services/NetSuitePort_YYYY_N]", raw)
	}
	return u, nil
}

// NewClient returns a client for account (canonical or host form). The
// credentials, if any, must belong to the same account.
func NewClient(account string, opts ...Option) (*Client, error) {
	id, err := nsdist.ParseAccountID(account)
	if err != nil {
		return nil, err
	}
	cfg := config{
		version:     DefaultVersion,
		retry:       DefaultRetryPolicy(),
		maxResponse: DefaultMaxResponseSize,
		clock:       time.Now,
		nonce:       RandomNonce,
		sleep:       sleepCtx,
		userAgent:   "nsdist/" + nsdist.Version,
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return newClient(id, cfg)
}

func newClient(id nsdist.AccountID, cfg config) (*Client, error) {
	if cfg.auth != nil {
		if err := cfg.auth.Check(cfg.version); err != nil {
			return nil, err
		}
		if cfg.auth.AccountID() != id {
			return nil, fmt.Errorf("%w: credentials are for account %s, client is for %s", ErrCredentials, cfg.auth.AccountID(), id)
		}
	}
	if cfg.httpClient == nil {
		cfg.httpClient = DefaultHTTPClient()
	}
	// The one place redirects are turned off, whatever client the options
	// chose (a caller may also have changed DefaultHTTPClient's field). The
	// copy shares the Transport, so connections are still reused.
	hc := *cfg.httpClient
	hc.CheckRedirect = noRedirect
	cfg.httpClient = &hc
	// The client's Timeout becomes each attempt's context deadline: the
	// same bound on the whole exchange, without the watcher goroutine
	// net/http starts per request for a Timeout. httpClient keeps it, so a
	// clone given another client takes that one's.
	sender := hc
	cfg.timeout, sender.Timeout = hc.Timeout, 0
	cfg.sender = &sender
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	if p, ok := cfg.auth.(*Passport); ok && p != nil {
		if err := CheckApplicationID(p.ApplicationID); errors.Is(err, ErrUnusualApplicationID) {
			cfg.logger.Warn("soap: unusual application id", "account", string(id), "reason", err.Error())
		}
	}
	if cfg.discovery == nil {
		cfg.discovery = NewDiscoveryCache()
	}
	if cfg.discoveryURL == nil {
		cfg.discoveryURL, _ = url.Parse(DefaultDiscoveryURL)
	}
	return &Client{account: id, cfg: cfg}, nil
}

// Clone returns a copy of the client with more options applied.
func (c *Client) Clone(opts ...Option) (*Client, error) {
	cfg := c.cfg
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return newClient(c.account, cfg)
}

// CloneFor returns a copy of the client for another account, with more
// options applied (its credentials, say). A caller that talks to many
// accounts builds one client and clones it per account: the HTTP client,
// transport, discovery cache and logger are shared.
func (c *Client) CloneFor(account nsdist.AccountID, opts ...Option) (*Client, error) {
	if err := account.Validate(); err != nil {
		return nil, err
	}
	cfg := c.cfg
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return newClient(account, cfg)
}

// Account returns the client's account.
func (c *Client) Account() nsdist.AccountID { return c.account }

// Version returns the endpoint version.
func (c *Client) Version() Version { return c.cfg.version }

// String describes the client without secrets.
func (c *Client) String() string {
	mode := AuthNone
	if c.cfg.auth != nil {
		mode = c.cfg.auth.Mode()
	}
	return fmt.Sprintf("soap.Client{account:%s version:%s auth:%s}", c.account, c.cfg.version, mode)
}

// GoString implements fmt.GoStringer without secrets.
func (c *Client) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// Endpoint returns the URL requests go to: the explicit one, a discovered
// one, or the account-specific domain derived from the account id.
func (c *Client) Endpoint() string { return c.endpointURL().String() }

func (c *Client) endpointURL() *url.URL {
	if c.cfg.endpoint != nil {
		return withPath(c.cfg.endpoint, c.cfg.version)
	}
	if d, ok := c.cfg.discovery.get(c.account); ok {
		return withPath(d, c.cfg.version)
	}
	return &url.URL{Scheme: "https", Host: c.account.SuiteTalkHost(), Path: c.cfg.version.Path()}
}

func withPath(base *url.URL, v Version) *url.URL {
	u := *base
	if !strings.Contains(u.Path, "/services/") {
		u.Path = strings.TrimSuffix(u.Path, "/") + v.Path()
	}
	return &u
}

// Do sends op with the client's credentials and returns the decoded
// response. Faults come back as errors that errors.As turns into *Fault,
// wrapped in an *OpError that counts the attempts.
func (c *Client) Do(ctx context.Context, op Operation) (*Response, error) {
	if op == OpGetDataCenterUrls {
		return c.discover(ctx, c.account)
	}
	req := &Request{Operation: op, Version: c.cfg.version, Auth: c.cfg.auth}
	resp, _, err := c.call(ctx, req, "", true)
	return resp, err
}

// DataCenterURLs asks NetSuite's discovery service for the account's domains.
func (c *Client) DataCenterURLs(ctx context.Context) (*DataCenterURLs, error) {
	resp, err := c.discover(ctx, c.account)
	if err != nil {
		return nil, err
	}
	if resp.DataCenterURLs == nil {
		return nil, &OpError{Op: OpGetDataCenterUrls, Account: c.account, Attempts: 1, Err: fmt.Errorf("%w: no dataCenterUrls in the answer", ErrMalformed)}
	}
	return resp.DataCenterURLs, nil
}

// discover asks for the account's domains and caches the webservices
// domain. An answer that names a domain outside https://*.netsuite.com
// (see [checkDomain]) is refused with a [*DomainError] and not cached: the
// check is on what a server tells us, while the URLs a caller chose with
// WithEndpoint and WithDiscoveryURL stay as they are.
func (c *Client) discover(ctx context.Context, account nsdist.AccountID) (*Response, error) {
	req := &Request{Operation: OpGetDataCenterUrls, Version: c.cfg.version, Account: account}
	u := withPath(c.cfg.discoveryURL, c.cfg.version)
	resp, _, err := c.send(ctx, req, u, "")
	if err != nil || resp.DataCenterURLs == nil {
		return resp, err
	}
	d := resp.DataCenterURLs
	var wsURL *url.URL
	for _, f := range []struct{ name, raw string }{
		{"webservicesDomain", d.WebservicesDomain}, {"restDomain", d.RESTDomain}, {"systemDomain", d.SystemDomain},
	} {
		if f.raw == "" {
			continue
		}
		du, derr := checkDomain(f.name, f.raw)
		if derr != nil {
			return nil, &OpError{Op: req.Operation, Account: c.account, URL: redact.URL(u), Attempts: resp.Attempts, Err: derr}
		}
		if f.name == "webservicesDomain" {
			wsURL = du
		}
	}
	if wsURL != nil {
		c.cfg.discovery.put(account, wsURL)
	}
	return resp, nil
}

// checkDomain accepts a discovered domain only as an origin on NetSuite:
// scheme https; host netsuite.com or a subdomain of it (the suffix
// ".netsuite.com" on a label boundary, compared without case, so neither
// evilnetsuite.com nor netsuite.com.evil.example); no userinfo; no port
// but 443; no path beyond "/", no query, no fragment. NetSuite names
// every domain as https://host, so anything more is refused rather than
// guessed at.
func checkDomain(field, raw string) (*url.URL, error) {
	refuse := func(domain, reason string) error {
		return &DomainError{Field: field, Domain: domain, Reason: reason}
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, refuse(truncate(raw, 100), "is not an absolute URL")
	}
	shown := redact.URL(u)
	host := strings.ToLower(u.Hostname())
	switch {
	case u.Scheme != "https":
		return nil, refuse(shown, "is not https")
	case u.User != nil:
		return nil, refuse(shown, "carries userinfo")
	case host != "netsuite.com" && (!strings.HasSuffix(host, ".netsuite.com") || strings.HasPrefix(host, ".") || strings.Contains(host, "..")):
		return nil, refuse(shown, "is not on netsuite.com")
	case u.Port() != "" && u.Port() != "443":
		return nil, refuse(shown, "names a port other than 443")
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "":
		return nil, refuse(shown, "is not a bare https://host origin")
	}
	return &url.URL{Scheme: "https", Host: u.Host}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// call sends req to the endpoint, falling back once to discovery when the
// derived host does not resolve or NetSuite says the account is not here.
// If discovery names a domain nsdist refuses, that refusal is returned:
// it, not the unresolved host, is what the caller has to look at.
func (c *Client) call(ctx context.Context, req *Request, cookie string, fallback bool) (*Response, http.Header, error) {
	u := c.endpointURL()
	resp, hdr, err := c.send(ctx, req, u, cookie)
	if err == nil || !fallback || c.cfg.endpoint != nil || !(nsdist.Classify(err) == nsdist.ClassDNSNotFound || errors.Is(err, ErrInvalidAccount)) {
		return resp, hdr, err
	}
	if _, derr := c.discover(ctx, c.account); derr != nil {
		if errors.Is(derr, ErrUntrustedDomain) {
			return nil, hdr, derr
		}
		return resp, hdr, err
	}
	if nu := c.endpointURL(); nu.Host != u.Host {
		c.cfg.logger.Debug("soap: using discovered domain", "account", string(c.account), "host", nu.Host)
		return c.send(ctx, req, nu, cookie)
	}
	return resp, hdr, err
}

// send runs the attempt loop for one request.
func (c *Client) send(ctx context.Context, req *Request, u *url.URL, cookie string) (*Response, http.Header, error) {
	if err := req.Validate(); err != nil {
		return nil, nil, &OpError{Op: req.Operation, Account: c.account, URL: redact.URL(u), Err: err}
	}
	bo := c.cfg.retry.backOff(c.cfg.clock)
	opErr := &OpError{Op: req.Operation, Account: c.account, URL: redact.URL(u)}
	unexpected := 0
	for {
		opErr.Attempts++
		start := c.cfg.clock()
		resp, hdr, err := c.attempt(ctx, req, u, cookie)
		c.cfg.logger.LogAttrs(ctx, slog.LevelDebug, "soap attempt",
			slog.String("op", string(req.Operation)), slog.String("account", string(c.account)),
			slog.Int("attempt", opErr.Attempts), slog.Duration("duration", c.cfg.clock().Sub(start)),
			slog.Any("error", err))
		if err == nil {
			resp.Attempts = opErr.Attempts
			return resp, hdr, nil
		}
		if ctx.Err() != nil {
			// An attempt the context cut short has no cause of its own:
			// the previous attempt's stays the last real one.
			if !(errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) || opErr.Err == nil {
				opErr.Err = err
			}
			opErr.ctxErr = ctx.Err()
			return nil, hdr, opErr
		}
		opErr.Err = err
		if !nsdist.Retryable(err) || opErr.Attempts >= c.cfg.retry.MaxAttempts {
			return nil, hdr, opErr
		}
		if errors.Is(err, ErrUnexpected) {
			if unexpected >= c.cfg.retry.MaxUnexpectedRetries {
				return nil, hdr, opErr
			}
			unexpected++
		}
		wait := bo.NextBackOff()
		if wait == -1 { // backoff.Stop: elapsed time used up
			return nil, hdr, opErr
		}
		if d := nsdist.RetryAfter(err, c.cfg.clock()); d > wait {
			wait = min(d, c.cfg.retry.MaxElapsedTime)
		}
		c.cfg.logger.LogAttrs(ctx, slog.LevelDebug, "soap retry", slog.String("op", string(req.Operation)),
			slog.String("account", string(c.account)), slog.Duration("wait", wait))
		if err := c.cfg.sleep(ctx, wait); err != nil {
			opErr.ctxErr = err
			return nil, hdr, opErr
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt sends one request with a fresh tokenPassport, within the
// client's timeout. ctx is the caller's: its end is not a transport error.
func (c *Client) attempt(ctx context.Context, req *Request, u *url.URL, cookie string) (*Response, http.Header, error) {
	actx := ctx
	if c.cfg.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, c.cfg.timeout)
		defer cancel()
	}
	var nonce string
	if req.Auth != nil && req.Auth.Mode() == AuthTBA {
		n, err := c.cfg.nonce()
		if err != nil {
			return nil, nil, err
		}
		nonce = n
	}
	body, vals, err := req.encode(nonce, c.cfg.clock())
	if err != nil {
		return nil, nil, err
	}
	// What the answer says is scrubbed of every secret this request
	// carried, before any of it is kept on an error.
	sc := newScrubber(requestSecrets(req.Auth, vals, cookie)...)
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("soap: build request: %w", err)
	}
	hreq.Header.Set("Content-Type", ContentType)
	hreq.Header.Set("SOAPAction", `"`+string(req.Operation)+`"`)
	if c.cfg.userAgent != "" {
		hreq.Header.Set("User-Agent", c.cfg.userAgent)
	}
	if cookie != "" {
		hreq.Header.Set("Cookie", cookie)
	}
	hresp, err := c.cfg.sender.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is on the OpError already
		}
		return nil, nil, &TransportError{Err: err}
	}
	defer func() { _ = hresp.Body.Close() }() // read to the end or drained: nothing to report
	if hresp.StatusCode/100 == 3 {
		_, _ = io.Copy(io.Discard, io.LimitReader(hresp.Body, 64<<10)) // let the connection be reused
		return nil, hresp.Header, newRedirectError(hresp)
	}
	buf, rerr := readBody(hresp.Body, c.cfg.maxResponse)
	defer releaseBody(buf) // every text kept from the answer is a copy
	data := buf.Bytes()
	if rerr != nil {
		if ctx.Err() != nil {
			return nil, hresp.Header, ctx.Err()
		}
		return nil, hresp.Header, &TransportError{Err: fmt.Errorf("reading body: %w", rerr)}
	}
	if int64(len(data)) > c.cfg.maxResponse {
		_, _ = io.Copy(io.Discard, io.LimitReader(hresp.Body, 1<<20))
	}
	resp, derr := decodeResponse(data, c.cfg.maxResponse, sc)
	var f *Fault
	if errors.As(derr, &f) {
		f.HTTPStatus = hresp.StatusCode
		return nil, hresp.Header, f
	}
	if hresp.StatusCode != http.StatusOK {
		return nil, hresp.Header, newHTTPError(hresp, data, derr, sc)
	}
	if derr != nil {
		return nil, hresp.Header, derr
	}
	return resp, hresp.Header, nil
}

// bodyBufs holds the buffers answers are read into, for reuse.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads at most limit+1 bytes of r into a buffer from bodyBufs.
func readBody(r io.Reader, limit int64) (*bytes.Buffer, error) {
	b := bodyBufs.Get().(*bytes.Buffer) //nolint:forcetypeassert // the pool holds only these
	b.Reset()
	_, err := b.ReadFrom(io.LimitReader(r, limit+1))
	return b, err
}

// releaseBody gives b back to bodyBufs, unless it grew past 256 KiB: one
// large answer must not keep its memory for every later one.
func releaseBody(b *bytes.Buffer) {
	if b.Cap() <= 256<<10 {
		bodyBufs.Put(b)
	}
}

// DiscoveryCache remembers each account's discovered webservices domain.
type DiscoveryCache struct {
	mu sync.RWMutex
	m  map[nsdist.AccountID]*url.URL
}

// NewDiscoveryCache returns an empty cache, safe for concurrent use. The
// zero DiscoveryCache{} works too.
func NewDiscoveryCache() *DiscoveryCache { return &DiscoveryCache{m: map[nsdist.AccountID]*url.URL{}} }

func (d *DiscoveryCache) get(a nsdist.AccountID) (*url.URL, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	u, ok := d.m[a]
	return u, ok
}

func (d *DiscoveryCache) put(a nsdist.AccountID, u *url.URL) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil { // the zero value works
		d.m = map[nsdist.AccountID]*url.URL{}
	}
	d.m[a] = u
}
