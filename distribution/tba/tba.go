package tba

import (
	"context"
	"encoding/json"
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
	"github.com/nsdist/nsdist/internal/oauth1"
	"github.com/nsdist/nsdist/internal/redact"
	"github.com/nsdist/nsdist/soap"
)

// Consumer is the integration record's client credentials.
type Consumer struct {
	Key    string
	Secret string
}

// String never shows the secret.
func (c Consumer) String() string {
	return fmt.Sprintf("tba.Consumer{Key:%s Secret:%s}", abbrev(c.Key), redact.Placeholder)
}

// GoString never shows the secret.
func (c Consumer) GoString() string { return c.String() }

// Format prints the redacted form for every verb.
func (c Consumer) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) } //nolint:errcheck

// LogValue never shows the secret (slog's JSON handler would marshal it).
func (c Consumer) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Token is a token and its secret (a request token or an access token).
type Token struct {
	ID     string
	Secret string
}

// String never shows the secret.
func (t Token) String() string {
	return fmt.Sprintf("tba.Token{ID:%s Secret:%s}", abbrev(t.ID), redact.Placeholder)
}

// GoString never shows the secret.
func (t Token) GoString() string { return t.String() }

// Format prints the redacted form for every verb.
func (t Token) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) } //nolint:errcheck

// LogValue never shows the secret (slog's JSON handler would marshal it).
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

func abbrev(s string) string {
	if len(s) <= 8 {
		return "…"
	}
	return s[:4] + "…"
}

// Client talks to NetSuite's token endpoints.
type Client struct {
	http  *http.Client
	now   func() time.Time
	nonce soap.NonceSource
	mu    sync.Mutex
	last  int64
}

// Option configures a Client; NewClient refuses a bad one.
type Option func(*Client) error

// WithTransport uses rt (nstest's transport, for example).
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) error {
		if rt == nil {
			return errors.New("tba: nil RoundTripper")
		}
		c.http = &http.Client{Transport: rt, Timeout: 60 * time.Second}
		return nil
	}
}

// WithClock sets the clock for timestamps.
func WithClock(now func() time.Time) Option {
	return func(c *Client) error {
		if now == nil {
			return errors.New("tba: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithNonceSource sets the nonce source (default 20 random alphanumerics).
func WithNonceSource(n soap.NonceSource) Option {
	return func(c *Client) error {
		if n == nil {
			return errors.New("tba: nil nonce source")
		}
		c.nonce = n
		return nil
	}
}

// NewClient returns a token client, or the first bad option's error.
func NewClient(opts ...Option) (*Client, error) {
	c := &Client{http: soap.DefaultHTTPClient(), now: time.Now, nonce: soap.RandomNonce}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("tba: nil Option")
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	// NetSuite follows no redirects for these POSTs; neither do we.
	cp := *c.http
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &cp
	return c, nil
}

// timestamp never goes backwards (step one's rule, applied to every request).
func (c *Client) timestamp() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.now().Unix()
	if ts < c.last {
		ts = c.last
	}
	c.last = ts
	return ts
}

// RESTDomain is the token endpoints' host for an account, or
// system.netsuite.com when the account is not known yet.
func RESTDomain(account nsdist.AccountID) string {
	if account == "" {
		return "https://system.netsuite.com"
	}
	return "https://" + account.HostID() + ".restlets.api.netsuite.com"
}

// AppDomain is the UI host for an account, or system.netsuite.com.
func AppDomain(account nsdist.AccountID) string {
	if account == "" {
		return "https://system.netsuite.com"
	}
	return "https://" + account.HostID() + ".app.netsuite.com"
}

func (c *Client) oauthParams(consumerKey string) ([]oauth1.Param, error) {
	n, err := c.nonce()
	if err != nil {
		return nil, err
	}
	return []oauth1.Param{
		{Name: "oauth_consumer_key", Value: consumerKey},
		{Name: "oauth_nonce", Value: n},
		{Name: "oauth_timestamp", Value: fmt.Sprint(c.timestamp())},
		{Name: "oauth_signature_method", Value: "HMAC-SHA256"},
		{Name: "oauth_version", Value: "1.0"},
	}, nil
}

// post signs and sends one request; a non-2xx answer becomes a *FlowError.
func (c *Client) send(ctx context.Context, method, rawURL string, realm nsdist.AccountID, params []oauth1.Param, consumerSecret, tokenSecret string) ([]byte, error) {
	base, err := oauth1.BaseString(method, rawURL, params)
	if err != nil {
		return nil, err
	}
	sig := oauth1.Sign(base, consumerSecret, tokenSecret)
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", oauth1.Header(string(realm), params, sig))
	return c.do(req)
}

const maxBody = 1 << 20

func (c *Client) do(req *http.Request) ([]byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		if req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &soap.TransportError{Err: err}
	}
	defer func() { _ = resp.Body.Close() }() // drained or read: nothing to report
	if resp.StatusCode/100 == 3 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return nil, redirectError(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, &soap.TransportError{Err: err}
	}
	if resp.StatusCode/100 != 2 {
		return nil, flowError(resp.StatusCode, body, sentSecrets(req.Header.Get("Authorization"))...)
	}
	return body, nil
}

// RequestToken is step one: an unauthorized request token for the
// callback. account may be empty when it is not known yet.
func (c *Client) RequestToken(ctx context.Context, account nsdist.AccountID, consumer Consumer, callback, role string) (Token, error) {
	if consumer.Key == "" || consumer.Secret == "" {
		return Token{}, fmt.Errorf("%w: consumer key and secret are required", ErrFlow)
	}
	if u, err := url.Parse(callback); err != nil || !u.IsAbs() {
		return Token{}, fmt.Errorf("%w: oauth_callback %q must be an absolute URL", ErrFlow, callback)
	}
	params, err := c.oauthParams(consumer.Key)
	if err != nil {
		return Token{}, err
	}
	params = append(params, oauth1.Param{Name: "oauth_callback", Value: callback})
	if role != "" {
		params = append(params, oauth1.Param{Name: "role", Value: role})
	}
	body, err := c.send(ctx, http.MethodPost, RESTDomain(account)+"/rest/requesttoken", account, params, consumer.Secret, "")
	if err != nil {
		return Token{}, err
	}
	v, err := url.ParseQuery(strings.TrimSpace(string(body)))
	if err != nil || v.Get("oauth_token") == "" || v.Get("oauth_token_secret") == "" {
		return Token{}, fmt.Errorf("%w: step one answered without a request token", ErrFlow)
	}
	if v.Get("oauth_callback_confirmed") != "true" {
		return Token{}, fmt.Errorf("%w: NetSuite did not confirm the callback", ErrFlow)
	}
	return Token{ID: v.Get("oauth_token"), Secret: v.Get("oauth_token_secret")}, nil
}

// AuthorizeURL is step two: where to send the user's browser.
func AuthorizeURL(account nsdist.AccountID, requestToken, state string) string {
	q := url.Values{"oauth_token": {requestToken}}
	if state != "" {
		q.Set("state", state)
	}
	return AppDomain(account) + "/app/login/secure/authorizetoken.nl?" + q.Encode()
}

// Callback is what NetSuite sends back to the callback URL. The verifier
// is a secret (with the request token's secret it gets the access token),
// so its printed forms show neither it nor more of the request token than
// its start.
type Callback struct {
	Token    string
	Verifier string
	Company  nsdist.AccountID
	Role     string
	Entity   string
}

// String never shows the verifier.
func (cb Callback) String() string {
	return fmt.Sprintf("tba.Callback{Token:%s Verifier:%s Company:%s Role:%s Entity:%s}", abbrev(cb.Token), redact.Placeholder, cb.Company, cb.Role, cb.Entity)
}

// GoString never shows the verifier.
func (cb Callback) GoString() string { return cb.String() }

// Format prints the redacted form for every verb.
func (cb Callback) Format(f fmt.State, _ rune) { io.WriteString(f, cb.String()) } //nolint:errcheck

// LogValue never shows the verifier.
func (cb Callback) LogValue() slog.Value {
	return slog.GroupValue(slog.String("company", string(cb.Company)), slog.String("role", cb.Role), slog.String("entity", cb.Entity))
}

// ParseCallback checks the callback's parameters: the state must match,
// and an empty verifier means the user denied access (among other causes).
func ParseCallback(q url.Values, wantState string) (Callback, error) {
	if wantState != "" && q.Get("state") != wantState {
		return Callback{}, newFlowError(CodeStateMismatch, "the callback's state does not match the one sent: do not trust it", 0)
	}
	if q.Get("oauth_verifier") == "" {
		return Callback{}, newFlowError(CodeDenied, "no oauth_verifier: the user denied access, or the authorization failed", 0)
	}
	acct, err := nsdist.ParseAccountID(q.Get("company"))
	if err != nil {
		return Callback{}, newFlowError(CodeMissingRequiredParameter, "the callback has no valid company (account id)", 0)
	}
	if q.Get("oauth_token") == "" {
		return Callback{}, newFlowError(CodeMissingRequiredParameter, "the callback has no oauth_token", 0)
	}
	return Callback{Token: q.Get("oauth_token"), Verifier: q.Get("oauth_verifier"), Company: acct, Role: q.Get("role"), Entity: q.Get("entity")}, nil
}

// AccessToken is step three: exchanges the authorized request token for
// the access token. NetSuite installs the integration record in
// cb.Company as it issues the token.
func (c *Client) AccessToken(ctx context.Context, consumer Consumer, request Token, cb Callback) (Token, error) {
	if cb.Token != request.ID {
		return Token{}, newFlowError(CodeTokenRejected, "the callback's token is not the request token of this flow", 0)
	}
	params, err := c.oauthParams(consumer.Key)
	if err != nil {
		return Token{}, err
	}
	params = append(params, oauth1.Param{Name: "oauth_token", Value: request.ID}, oauth1.Param{Name: "oauth_verifier", Value: cb.Verifier})
	body, err := c.send(ctx, http.MethodPost, RESTDomain(cb.Company)+"/rest/accesstoken", cb.Company, params, consumer.Secret, request.Secret)
	if err != nil {
		return Token{}, err
	}
	v, err := url.ParseQuery(strings.TrimSpace(string(body)))
	if err != nil || v.Get("oauth_token") == "" || v.Get("oauth_token_secret") == "" {
		return Token{}, fmt.Errorf("%w: step three answered without an access token", ErrFlow)
	}
	return Token{ID: v.Get("oauth_token"), Secret: v.Get("oauth_token_secret")}, nil
}

// UserCredentials are a user's email, password and role: what the
// issuetoken endpoint authenticates with, and, with the record's
// application id, the legacy auto-installation trigger on SOAP endpoints
// 2020.1 and older (a [distribution.Credential] of ChannelCredentials).
type UserCredentials struct {
	Account  nsdist.AccountID // optional as a Target's credential: the Target names the account
	Email    string
	Password string
	Role     string // role internal id, e.g. "3"
	OTP      string // the current TOTP code, when the role requires 2FA
	// ApplicationID is the record's application id, which the legacy
	// login sends (the issuetoken endpoint needs none).
	ApplicationID string
	// Version is the SOAP endpoint for the legacy login (2020_1 or older);
	// zero uses the prober's.
	Version soap.Version
}

// String never shows the password or OTP.
func (u UserCredentials) String() string {
	return fmt.Sprintf("tba.UserCredentials{Account:%s Email:%s Password:%s Role:%s ApplicationID:%s}", u.Account, u.Email, redact.Placeholder, u.Role, u.ApplicationID)
}

// GoString never shows the password.
func (u UserCredentials) GoString() string { return u.String() }

// Format prints the redacted form for every verb.
func (u UserCredentials) Format(f fmt.State, _ rune) { io.WriteString(f, u.String()) } //nolint:errcheck

func nlauth(u UserCredentials) string {
	parts := []string{"nlauth_account=" + oauth1.Encode(string(u.Account)), "nlauth_email=" + oauth1.Encode(u.Email), "nlauth_signature=" + oauth1.Encode(u.Password)}
	if u.Role != "" {
		parts = append(parts, "nlauth_role="+oauth1.Encode(u.Role))
	}
	if u.OTP != "" {
		parts = append(parts, "nlauth_otp="+oauth1.Encode(u.OTP))
	}
	return "NLAuth " + strings.Join(parts, ", ")
}

// IssueToken calls the issuetoken endpoint (for integrations that cannot
// open a browser; the record needs "TBA: IssueToken Endpoint"). Like the
// flow, it installs the record in the account.
func (c *Client) IssueToken(ctx context.Context, u UserCredentials, consumerKey, name string) (Token, error) {
	if err := u.Account.Validate(); err != nil {
		return Token{}, err
	}
	q := url.Values{"consumerKey": {consumerKey}}
	if name != "" {
		q.Set("name", name)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, RESTDomain(u.Account)+"/rest/issuetoken?"+q.Encode(), nil)
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Authorization", nlauth(u))
	body, err := c.do(req)
	if err != nil {
		return Token{}, err
	}
	var out struct {
		TokenID     string `json:"tokenId"`
		TokenSecret string `json:"tokenSecret"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.TokenID == "" || out.TokenSecret == "" {
		return Token{}, fmt.Errorf("%w: issuetoken answered without tokenId and tokenSecret", ErrFlow)
	}
	return Token{ID: out.TokenID, Secret: out.TokenSecret}, nil
}

// RevokeToken revokes an access token, signing with the token itself.
func (c *Client) RevokeToken(ctx context.Context, account nsdist.AccountID, consumer Consumer, access Token) error {
	q := url.Values{"consumerKey": {consumer.Key}, "token": {access.ID}}
	params, err := c.oauthParams(consumer.Key)
	if err != nil {
		return err
	}
	params = append(params, oauth1.Param{Name: "oauth_token", Value: access.ID})
	_, err = c.send(ctx, http.MethodGet, RESTDomain(account)+"/rest/revoketoken?"+q.Encode(), account, params, consumer.Secret, access.Secret)
	return err
}

// TokenInfo describes the account, role and entity a token belongs to.
// NetSuite does not document the JSON keys; the map holds what it sent.
func (c *Client) TokenInfo(ctx context.Context, account nsdist.AccountID, consumer Consumer, access Token) (map[string]any, error) {
	params, err := c.oauthParams(consumer.Key)
	if err != nil {
		return nil, err
	}
	params = append(params, oauth1.Param{Name: "oauth_token", Value: access.ID})
	body, err := c.send(ctx, http.MethodGet, RESTDomain(account)+"/rest/tokeninfo", account, params, consumer.Secret, access.Secret)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: tokeninfo is not JSON", ErrFlow)
	}
	return m, nil
}
