package oauth2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	xoauth2 "golang.org/x/oauth2"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/internal/redact"
)

// Token is a customer's OAuth 2.0 authorization: the access token, the
// refresh token (none for client credentials), and what nsdist knows of
// where it works and how long. Every string but Account, ClientID, Role
// and Entity is a secret: String, GoString, Format and LogValue hide them.
// Store a Token encrypted.
//
// Its JSON form ([Token.JSON]) is the one examples/oauth2 prints and the
// stores keep (json.Marshal writes it with the tokens replaced):
// account, client_id, access_token, refresh_token, token_type, expires_at
// (RFC 3339), scope (space-separated), role, entity, issued_at, and where
// known refresh_expires_at, rotation_deadline, granted_at, client_type
// ("public") and grant ("client_credentials"). Every value is a string.
type Token struct {
	Account     nsdist.AccountID
	ClientID    string
	AccessToken string
	// RefreshToken is empty for client credentials. Public clients get a
	// new one on every refresh, and each works once.
	RefreshToken string
	TokenType    string
	Expiry       time.Time
	// RefreshExpiry is when the refresh token stops working, as NetSuite
	// documents it: 7 days for confidential clients, the record's Refresh
	// Token Validity (48 h by default) for public ones.
	RefreshExpiry time.Time
	// RotationDeadline (public clients) is when the token chain ends and
	// the user must authorize again: the first grant plus the record's
	// Maximum Time For Token Rotation (168 h by default).
	RotationDeadline time.Time
	Scopes           []Scope
	// Role and Entity come from the authorize redirect: the role the
	// tokens were granted for and the user who authorized.
	Role   string
	Entity string
	// Public is true for a public client's token (one-time refresh tokens).
	Public bool
	// M2M is true for a client-credentials token: it installs nothing and
	// has no refresh token.
	M2M bool
	// IssuedAt is when nsdist received the access token; GrantedAt when
	// the chain's first token was granted (the code exchange).
	IssuedAt  time.Time
	GrantedAt time.Time
}

// ReauthorizeBy is when the customer must authorize again, unless an
// administrator hands the integration off to M2M first: for a public
// client, the end of its token chain (RotationDeadline: the first grant's
// oit plus Maximum Time For Token Rotation, at most 720 h,
// section_157771733782), provided each refresh token is used within its
// validity, as a Refresher does; for a confidential client, when its
// refresh token expires (7 days, section_158081952044). Client
// credentials (M2M) need no consent: the zero time.
func (t *Token) ReauthorizeBy() time.Time {
	switch {
	case t == nil || t.M2M:
		return time.Time{}
	case t.RefreshToken == "":
		return t.Expiry // nothing to refresh with: a new grant when it expires
	case t.Public && !t.RotationDeadline.IsZero():
		return t.RotationDeadline
	}
	return t.RefreshExpiry
}

// tokenJSON is Token's JSON form.
type tokenJSON struct {
	Account          nsdist.AccountID `json:"account"`
	ClientID         string           `json:"client_id"`
	AccessToken      string           `json:"access_token"`
	RefreshToken     string           `json:"refresh_token"`
	TokenType        string           `json:"token_type"`
	ExpiresAt        string           `json:"expires_at"`
	Scope            string           `json:"scope"`
	Role             string           `json:"role"`
	Entity           string           `json:"entity"`
	IssuedAt         string           `json:"issued_at"`
	RefreshExpiresAt string           `json:"refresh_expires_at,omitempty"`
	RotationDeadline string           `json:"rotation_deadline,omitempty"`
	GrantedAt        string           `json:"granted_at,omitempty"`
	ClientType       string           `json:"client_type,omitempty"` // "public"
	Grant            string           `json:"grant,omitempty"`       // "client_credentials"
}

// JSON writes the token's JSON form, secrets included: what a store seals
// and what examples/oauth2 prints. UnmarshalJSON reads it back.
func (t Token) JSON() ([]byte, error) {
	return json.Marshal(t.form()) //nolint:gosec // G117: the secret form on purpose; MarshalJSON is the redacted one
}

// MarshalJSON writes the JSON form with the access and refresh tokens
// replaced, so that a Token logged or encoded by accident (inside a struct
// that a JSON log handler encodes, say) never carries them; [Token.JSON]
// writes them.
func (t Token) MarshalJSON() ([]byte, error) {
	f := t.form()
	f.AccessToken, f.RefreshToken = redactIf(f.AccessToken), redactIf(f.RefreshToken)
	return json.Marshal(f)
}

func ifTrue(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

func redactIf(s string) string {
	if s == "" {
		return ""
	}
	return redact.Placeholder
}

func (t Token) form() tokenJSON {
	return tokenJSON{Account: t.Account, ClientID: t.ClientID, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		TokenType: t.TokenType, ExpiresAt: rfc3339(t.Expiry), Scope: joinScopes(t.Scopes, " "), Role: t.Role, Entity: t.Entity,
		IssuedAt: rfc3339(t.IssuedAt), RefreshExpiresAt: rfc3339(t.RefreshExpiry), RotationDeadline: rfc3339(t.RotationDeadline),
		GrantedAt: rfc3339(t.GrantedAt), ClientType: ifTrue(t.Public, "public"), Grant: ifTrue(t.M2M, "client_credentials")}
}

// UnmarshalJSON reads the token's JSON form; a time that is no RFC 3339
// time is an error naming the key.
func (t *Token) UnmarshalJSON(b []byte) error {
	var j tokenJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := Token{Account: j.Account, ClientID: j.ClientID, AccessToken: j.AccessToken, RefreshToken: j.RefreshToken, TokenType: j.TokenType,
		Role: j.Role, Entity: j.Entity, Public: j.ClientType == "public", M2M: j.Grant == "client_credentials"}
	for _, f := range []struct {
		key, v string
		to     *time.Time
	}{{"expires_at", j.ExpiresAt, &out.Expiry}, {"issued_at", j.IssuedAt, &out.IssuedAt}, {"refresh_expires_at", j.RefreshExpiresAt, &out.RefreshExpiry},
		{"rotation_deadline", j.RotationDeadline, &out.RotationDeadline}, {"granted_at", j.GrantedAt, &out.GrantedAt}} {
		if f.v == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return fmt.Errorf("%w: %s %q is no RFC 3339 time", ErrResponse, f.key, truncate(f.v, 40))
		}
		*f.to = v
	}
	for _, sc := range strings.Fields(j.Scope) {
		out.Scopes = append(out.Scopes, Scope(sc))
	}
	*t = out
	return nil
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Valid reports whether the access token is present and not expired at now.
func (t *Token) Valid(now time.Time) bool {
	return t != nil && t.AccessToken != "" && (t.Expiry.IsZero() || now.Before(t.Expiry))
}

// OAuth2 returns the token as golang.org/x/oauth2 uses it.
func (t *Token) OAuth2() *xoauth2.Token {
	return &xoauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer", RefreshToken: t.RefreshToken, Expiry: t.Expiry}
}

// clone returns a deep copy.
func (t *Token) clone() *Token {
	cp := *t
	cp.Scopes = append([]Scope(nil), t.Scopes...)
	return &cp
}

// String never shows the tokens. The methods that print a Token are on
// the value, so a Token printed by value or inside a struct hides them too.
func (t Token) String() string {
	kind := "code grant"
	switch {
	case t.M2M:
		kind = "client credentials"
	case t.Public:
		kind = "code grant, public client"
	}
	refresh := ""
	if t.RefreshToken != "" {
		refresh = " RefreshToken:" + redact.Placeholder
	}
	return fmt.Sprintf("oauth2.Token{Account:%s %s AccessToken:%s%s Expiry:%s Scopes:%s Role:%s Entity:%s}",
		t.Account, kind, redact.Placeholder, refresh, t.Expiry.UTC().Format(time.RFC3339), joinScopes(t.Scopes, ","), t.Role, t.Entity)
}

// GoString never shows the tokens.
func (t Token) GoString() string { return t.String() }

// Format prints the redacted form for every verb.
func (t Token) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) } //nolint:errcheck

// LogValue never shows the tokens.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("account", string(t.Account)), slog.Time("expiry", t.Expiry), slog.Bool("public", t.Public), slog.Bool("m2m", t.M2M))
}

// tokenResponse is RFC 6749 §5.1 / §5.2 as NetSuite sends it.
type tokenResponse struct {
	AccessToken      string          `json:"access_token"`
	RefreshToken     string          `json:"refresh_token"`
	TokenType        string          `json:"token_type"`
	ExpiresIn        json.RawMessage `json:"expires_in"`
	Scope            json.RawMessage `json:"scope"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

// decodeTokenResponse reads a token endpoint answer. An "error" field is
// an error whatever the status (NetSuite has been seen to send one with a
// 200); anything but JSON with an access token is ErrResponse.
func decodeTokenResponse(op string, account nsdist.AccountID, resp *response, secrets []string) (*tokenResponse, time.Duration, error) {
	var tr tokenResponse
	jsonErr := json.Unmarshal(bytes.TrimSpace(resp.body), &tr)
	if jsonErr == nil && tr.Error != "" {
		return nil, 0, stepped(newError(op, account, resp, errorCode(tr.Error, secrets), tr.ErrorDescription, secrets))
	}
	if resp.status != http.StatusOK {
		e := newError(op, account, resp, "", "", secrets)
		if resp.status == http.StatusTooManyRequests {
			e.Code = CodeTooManyRequests
		}
		if ch := e.Challenge; ch != nil && ch.Params["error"] != "" {
			e.Code, e.Description = errorCode(ch.Params["error"], secrets), clean(ch.Params["error_description"], secrets)
		}
		e.setNextStep()
		if e.Code == "" {
			return nil, 0, fmt.Errorf("%w: %w", ErrResponse, e)
		}
		return nil, 0, e
	}
	if jsonErr != nil {
		return nil, 0, fmt.Errorf("%w: %s for account %s: http 200 but not a JSON token (%s): %q", ErrResponse, op, account, describeBody(resp), snippet(resp.body, secrets))
	}
	if tr.AccessToken == "" {
		return nil, 0, fmt.Errorf("%w: %s for account %s: the answer has no access_token", ErrResponse, op, account)
	}
	if len(tr.AccessToken) > MaxTokenBytes || len(tr.RefreshToken) > MaxTokenBytes {
		return nil, 0, fmt.Errorf("%w: %s for account %s: a token of %d bytes is over the %d a NetSuite token fits in: not kept", ErrResponse, op, account,
			max(len(tr.AccessToken), len(tr.RefreshToken)), MaxTokenBytes)
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return nil, 0, fmt.Errorf("%w: %s for account %s: token_type %q, want bearer", ErrResponse, op, account, clean(tr.TokenType, secrets))
	}
	life, err := parseExpiresIn(tr.ExpiresIn)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %s for account %s: expires_in %q %w", ErrResponse, op, account, clean(truncate(string(tr.ExpiresIn), 24), secrets), err)
	}
	return &tr, life, nil
}

// MaxTokenBytes is the longest access or refresh token nsdist keeps.
// NetSuite's are JWTs of one to two kilobytes.
const MaxTokenBytes = 16 << 10

// An access token's lifetime must be between MinAccessLifetime and
// MaxAccessLifetime: NetSuite documents 3600 seconds, always
// (section_158081952044). A shorter one would make every call refresh (a
// public client spends its refresh token each time); a longer one would
// keep a revoked token in use.
const (
	MinAccessLifetime = time.Minute
	MaxAccessLifetime = 24 * time.Hour
)

var errLifetime = errors.New("is no number of seconds from 60 (a minute) to 86400 (a day); NetSuite sends 3600")

// parseExpiresIn accepts a number or a numeric string: NetSuite documents
// "always 3600" and its OIDC sample sends the string "3600"
// (section_160855590788). Absent means the documented 3600.
func parseExpiresIn(raw json.RawMessage) (time.Duration, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return AccessTokenLifetime, nil
	}
	s = strings.Trim(s, `"`)
	// RFC 6749 §5.1: a number of seconds. Only plain decimals are read:
	// ParseFloat would also take NaN, Inf, hex floats and exponents.
	n, err := strconv.ParseFloat(s, 64)
	if !plainDecimal(s) || err != nil || n < MinAccessLifetime.Seconds() || n > MaxAccessLifetime.Seconds() {
		return 0, errLifetime
	}
	return time.Duration(n * float64(time.Second)), nil
}

// plainDecimal reports whether s is digits with at most one fraction part.
func plainDecimal(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	return whole != "" && len(s) <= 20 && strings.Trim(whole, "0123456789") == "" && (!dot || (frac != "" && strings.Trim(frac, "0123456789") == ""))
}

func describeBody(resp *response) string {
	ct := resp.header.Get("Content-Type")
	b := bytes.TrimSpace(resp.body)
	switch {
	case len(b) == 0:
		return "empty body"
	case bytes.HasPrefix(bytes.ToLower(b), []byte("<!doctype html")) || bytes.HasPrefix(bytes.ToLower(b), []byte("<html")):
		return "an HTML page, " + ct
	case b[0] == '{' && !json.Valid(b):
		return "truncated or malformed JSON"
	}
	if ct == "" {
		ct = "no Content-Type"
	}
	return ct
}

// errorCode keeps a server's error value only when it looks like one: a
// short [A-Za-z0-9_.-] token with no secret in it.
func errorCode(s string, secrets []string) ErrorCode {
	if len(s) == 0 || len(s) > 64 || scrub(s, secrets) != s {
		return "unrecognized_error"
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.' || b == '-') {
			return "unrecognized_error"
		}
	}
	return ErrorCode(s)
}

// clean makes a server-sent string safe to print: secrets blanked, control
// characters dropped, at most 80 bytes.
func clean(s string, secrets []string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, scrub(strings.ToValidUTF8(s, ""), secrets))
	// dropping characters may join a secret echoed with one inside
	return truncate(scrub(s, secrets), 80)
}

func newError(op string, account nsdist.AccountID, resp *response, code ErrorCode, desc string, secrets []string) *Error {
	e := &Error{Op: op, Account: account, Code: code, Description: truncate(clean(desc, secrets), 200), HTTPStatus: resp.status, Body: snippet(resp.body, secrets)}
	if h := resp.header.Get("WWW-Authenticate"); h != "" {
		e.Challenge = ParseChallenge(scrub(h, secrets))
		if e.Challenge != nil { // unescaping a quoted-string may join a secret
			for k, v := range e.Challenge.Params {
				e.Challenge.Params[k] = scrub(v, secrets)
			}
		}
	}
	if ra := resp.header.Get("Retry-After"); ra != "" {
		if n, err := strconv.Atoi(ra); err == nil && n >= 0 && n < 3600 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return e
}

// Challenge is a WWW-Authenticate challenge (RFC 9110 §11.6.1): NetSuite
// sends `Basic realm="<account>"` with invalid_client and
// `Bearer realm="<account>", error="invalid_token", error_description=…`
// from a REST resource (subsect_158521832417, subsect_158521885412).
type Challenge struct {
	Scheme string
	Params map[string]string // lower-case names
}

// Realm returns the realm parameter: the account id.
func (c *Challenge) Realm() string { return c.Params["realm"] }

// ParseChallenge parses the first challenge of a WWW-Authenticate value. It
// never fails: what it cannot read it leaves out.
func ParseChallenge(h string) *Challenge {
	h = strings.TrimSpace(h)
	scheme, rest, _ := strings.Cut(h, " ")
	c := &Challenge{Scheme: scheme, Params: map[string]string{}}
	for len(rest) > 0 && len(c.Params) < 16 {
		rest = strings.TrimLeft(rest, " \t,")
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			break
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
					b.WriteByte(rest[i])
					continue
				}
				if rest[i] == '"' {
					break
				}
				b.WriteByte(rest[i])
			}
			val = b.String()
			if i < len(rest) {
				i++
			}
			rest = rest[i:]
		} else {
			end := strings.IndexAny(rest, ", \t")
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		if !isToken(name) {
			break // a second challenge ("Basic realm=x, Bearer ...") starts here, or garbage
		}
		c.Params[name] = truncate(val, 200)
	}
	return c
}

// isToken reports whether s is an RFC 9110 token, as an auth-param name is.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", ch) >= 0) {
			return false // upper case was lowered already
		}
	}
	return s != ""
}
