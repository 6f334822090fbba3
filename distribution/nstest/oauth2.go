package nstest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
)

// The fake's OAuth 2.0 authorization server, as NetSuite documents it:
// integration record fields (section_157771733782), the authorize page
// (section_158081944642), the consent matrix (section_162626471013), and
// the Login Audit Trail Detail values (subsect_158711892221,
// subsect_158711928134, subsect_158324637123). The token endpoint is in
// oauth2_token.go, client credentials (M2M) in oauth2_m2m.go.

const authorizePath = "/app/login/oauth2/authorize.nl"

// ConsentPolicy is the record's OAuth 2.0 Consent Policy
// (section_157771733782, section_162626471013). The zero value is Always
// Ask, NetSuite's default.
type ConsentPolicy int

// Consent policies.
const (
	ConsentAlwaysAsk    ConsentPolicy = iota // the consent screen every time
	ConsentNeverAsk                          // "autoapproved by the Administrator": consent only for prompt=consent
	ConsentAskFirstTime                      // the first time per (user, role, record), or for new scopes
)

var consentNames = [...]string{"always_ask", "never_ask", "ask_first_time"}

// String returns always_ask, never_ask or ask_first_time.
func (p ConsentPolicy) String() string {
	if p < 0 || int(p) >= len(consentNames) {
		return fmt.Sprintf("ConsentPolicy(%d)", int(p))
	}
	return consentNames[p]
}

// MarshalText implements encoding.TextMarshaler.
func (p ConsentPolicy) MarshalText() ([]byte, error) {
	if p < 0 || int(p) >= len(consentNames) {
		return nil, fmt.Errorf("nstest: unknown consent policy %d", int(p))
	}
	return []byte(p.String()), nil
}

// UnmarshalText accepts the String forms.
func (p *ConsentPolicy) UnmarshalText(b []byte) error {
	i := slices.Index(consentNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("nstest: unknown consent policy %q (want always_ask, never_ask or ask_first_time)", b)
	}
	*p = ConsentPolicy(i)
	return nil
}

// CodeGrantApproval picks which of Oracle's two readings the fake follows
// when an account requires approval and an authorization code grant
// reaches it (the pages disagree).
type CodeGrantApproval int

const (
	// CodeGrantInstallsWaiting (the default): the grant auto-installs the
	// record Waiting for Approval, like TBA; requests fail until an
	// administrator enables it (section_4429293934).
	CodeGrantInstallsWaiting CodeGrantApproval = iota
	// CodeGrantNotInstalled reads "you must clear it to successfully auto-install
	// integrations" (section_158081952044). Tokens are still issued, but the
	// record is not in the account, so REST calls fail with Login Audit
	// Trail Detail InvalidIntegration until the preference is cleared and
	// the user authorizes again.
	CodeGrantNotInstalled
)

// String returns installs_waiting or not_installed.
func (m CodeGrantApproval) String() string {
	switch m {
	case CodeGrantInstallsWaiting:
		return "installs_waiting"
	case CodeGrantNotInstalled:
		return "not_installed"
	}
	return fmt.Sprintf("CodeGrantApproval(%d)", int(m))
}

// WithCodeGrantApproval sets how an authorization code grant installs a
// record in an account that requires approval.
func WithCodeGrantApproval(m CodeGrantApproval) Option { return func(s *Server) { s.codeGrant = m } }

// OAuth 2.0 scopes (section_157771733782).
const (
	scopeRESTlets  = "restlets"
	scopeREST      = "rest_webservices"
	scopeAnalytics = "suite_analytics"
	scopeMCP       = "mcp"
)

func knownScope(s string) bool {
	switch s {
	case scopeRESTlets, scopeREST, scopeAnalytics, scopeMCP:
		return true
	}
	return false
}

// Lifetimes. Oracle documents the tokens' (section_158081952044,
// section_158082518856) but gives no number for the code ("limited time
// validity"): the fake's 10 minutes are its own choice (RFC 6749 §4.1.2
// recommends at most 10).
const (
	codeLifetime         = 10 * time.Minute
	accessLifetime       = time.Hour
	confidentialRefresh  = 7 * 24 * time.Hour
	defaultPublicRefresh = 48 * time.Hour
	defaultMaxRotation   = 168 * time.Hour
	minHours, maxHours   = time.Hour, 720 * time.Hour
)

// pkceRequiredFrom is 2027.1: "As of 2027.1, the code_challenge parameter
// is required … for new integrations, regardless of a client"
// (section_158081944642). The fake requires it for every record from that
// date on its clock.
var pkceRequiredFrom = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)

var errOAuth2Spec = errors.New("nstest: invalid OAuth 2.0 settings")

// setOAuth2Locked validates the OAuth 2.0 part of spec as the integration
// record form does on save, and copies it into in.
func (s *Server) setOAuth2Locked(in *Integration, spec IntegrationSpec) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errOAuth2Spec, fmt.Sprintf(format, args...))
	}
	grant := spec.OAuth2CodeGrant || spec.OAuth2ClientCredentials
	if !grant {
		if spec.PublicClient || len(spec.RedirectURIs) > 0 || len(spec.Scopes) > 0 || spec.ConsentPolicy != 0 ||
			spec.RefreshTokenValidity != 0 || spec.MaxTokenRotation != 0 || spec.ClientID != "" || spec.ClientSecret != "" {
			return bad("OAuth 2.0 fields need Authorization Code Grant or Client Credentials (Machine to Machine) Grant")
		}
		return nil
	}
	if err := checkOAuth2Spec(in, spec); err != nil {
		return bad("%s", err.Error())
	}
	public := spec.PublicClient
	hours := func(name string, d, def time.Duration) (time.Duration, error) {
		switch {
		case d == 0 && public:
			return def, nil
		case d == 0:
			return 0, nil
		case !public:
			return 0, bad("%s applies only to public clients", name)
		case d < minHours || d > maxHours || d%time.Hour != 0:
			return 0, bad("%s must be whole hours from 1 to 720, not %v", name, d)
		}
		return d, nil
	}
	var err error
	if in.RefreshTokenValidity, err = hours("Refresh Token Validity", spec.RefreshTokenValidity, defaultPublicRefresh); err != nil {
		return err
	}
	if in.MaxTokenRotation, err = hours("Maximum Time For Token Rotation", spec.MaxTokenRotation, defaultMaxRotation); err != nil {
		return err
	}
	in.ClientID, in.ClientSecret = randomHex(64), randomHex(64)
	if spec.ClientID != "" {
		if !isHex64(spec.ClientID) {
			return bad("ClientID must be 64 hex digits")
		}
		in.ClientID = strings.ToLower(spec.ClientID)
	}
	if spec.ClientSecret != "" {
		if !isHex64(spec.ClientSecret) || public {
			return bad("ClientSecret must be 64 hex digits, and a public client has none")
		}
		in.ClientSecret = strings.ToLower(spec.ClientSecret)
	}
	if public {
		in.ClientSecret = ""
	}
	if s.byClientIDLocked(in.ClientID) != nil {
		return bad("another record has this client ID")
	}
	in.OAuth2CodeGrant, in.OAuth2ClientCredentials, in.PublicClient = spec.OAuth2CodeGrant, spec.OAuth2ClientCredentials, public
	in.RedirectURIs, in.Scopes = slices.Clone(spec.RedirectURIs), slices.Clone(spec.Scopes)
	in.ConsentPolicy = spec.ConsentPolicy
	return nil
}

// checkOAuth2Spec applies the record page's OAuth 2.0 rules
// (section_157771733782): the grants, redirect URIs, scopes, mcp and the
// consent policy. Its error is the sentence after "invalid OAuth 2.0
// settings: ".
func checkOAuth2Spec(in *Integration, spec IntegrationSpec) error {
	bad := func(format string, args ...any) error { return fmt.Errorf(format, args...) }
	if spec.PublicClient && spec.OAuth2ClientCredentials {
		return bad("a Public Client cannot use the Client Credentials (Machine to Machine) Grant")
	}
	if spec.PublicClient && !spec.OAuth2CodeGrant {
		return bad("Public Client applies to the Authorization Code Grant")
	}
	if spec.ConsentPolicy < ConsentAlwaysAsk || spec.ConsentPolicy > ConsentAskFirstTime {
		return bad("unknown consent policy %d", int(spec.ConsentPolicy))
	}
	if spec.OAuth2CodeGrant && len(spec.RedirectURIs) == 0 {
		return bad("the Authorization Code Grant needs a Redirect URI")
	}
	if !spec.OAuth2CodeGrant && len(spec.RedirectURIs) > 0 {
		return bad("Redirect URIs belong to the Authorization Code Grant")
	}
	for _, u := range spec.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return bad("redirect URI %q: %v", u, err)
		}
	}
	if len(spec.Scopes) == 0 {
		return bad("check at least one scope")
	}
	seen := map[string]bool{}
	for _, sc := range spec.Scopes {
		if !knownScope(sc) {
			return bad("unknown scope %q (want restlets, rest_webservices, suite_analytics or mcp)", sc)
		}
		if seen[sc] {
			return bad("scope %q twice", sc)
		}
		seen[sc] = true
	}
	if seen[scopeMCP] {
		switch {
		case len(spec.Scopes) > 1:
			return bad("NetSuite AI Connector Service (mcp) must be the only scope")
		case spec.OAuth2ClientCredentials || in.TBA || in.UserCredentials:
			return bad("with NetSuite AI Connector Service (mcp), clear the TBA, user credentials and client credentials boxes")
		case spec.ConsentPolicy == ConsentNeverAsk:
			return bad("Never Ask is unavailable for NetSuite AI Connector Service (mcp)") // section_162626471013
		}
	}
	return nil
}

func isHex64(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32
}

// checkRedirectURI applies the Redirect URI rule of section_157771733782:
// https:// or a custom scheme (myapp://callback); http:// is rejected.
// The fake's own choice, beyond Oracle's page: http:// loopback redirects
// (127.0.0.1, localhost, [::1], any port) are accepted for native apps,
// as RFC 8252 §7.3 asks of authorization servers.
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return err
	case !u.IsAbs():
		return errors.New("not an absolute URI")
	case u.Fragment != "":
		return errors.New("a redirect URI has no fragment")
	case u.Scheme == "https":
		if u.Host == "" {
			return errors.New("no host")
		}
		return nil
	case u.Scheme == "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("http:// is rejected; use https:// or a custom scheme")
	}
	return nil // custom scheme
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}

func (in *Integration) clone() *Integration {
	cp := *in
	cp.RedirectURIs, cp.Scopes = slices.Clone(in.RedirectURIs), slices.Clone(in.Scopes)
	return &cp
}

func (s *Server) byClientIDLocked(id string) *Integration {
	if id == "" {
		return nil
	}
	for _, in := range s.integrations {
		if in.ClientID == id && (in.OAuth2CodeGrant || in.OAuth2ClientCredentials) {
			return in
		}
	}
	return nil
}

// oauth2State is the server's OAuth 2.0 state, guarded by Server.mu.
type oauth2State struct {
	codes    map[string]*authCode
	chains   []*o2Chain     // every authorization not yet swept, for RevokeOAuth2
	tokens   []*o2Token     // by slot, the number a token's jti carries; nil: free
	free     []uint32       // free slots of tokens
	sweepAt  int            // tokens in use at which the next mint sweeps
	requests map[string]int // token endpoint requests by grant_type
}

// acctOAuth2 is an account's OAuth 2.0 state, guarded by Server.mu.
type acctOAuth2 struct {
	entitySeq int
	consents  map[consentKey][]string // scopes a user consented to
	certs     map[string]*Certificate // M2M mappings by certificate id
	revokedFP map[[32]byte]bool       // revoked certificates cannot be reused
}

type consentKey struct{ email, role, appID string }

type authCode struct {
	account     *Account
	clientID    string
	redirectURI string
	challenge   string
	scopes      []string
	email       string
	role        string
	entity      string
	expires     time.Time
	used        bool
}

// SetOAuth2Enabled turns the OAuth 2.0 feature on or off.
func (a *Account) SetOAuth2Enabled(on bool) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.cfg.OAuth2Disabled = !on
}

// TokenRequests returns how many requests with this grant_type the token
// endpoint has received (refused ones included).
func (s *Server) TokenRequests(grantType string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.o2.requests[grantType]
}

// RevokeOAuth2 is an administrator's Revoke under Setup > Users/Roles >
// OAuth 2.0 Authorized Applications: every token the record's client holds
// in the account stops working (section_157960925955). It returns how many
// authorizations it revoked.
func (s *Server) RevokeOAuth2(account nsdist.AccountID, clientID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.o2.chains {
		if c.account == account && c.clientID == clientID && !c.revoked {
			c.revoked = true
			n++
		}
	}
	if a, in := s.accounts[account], s.byClientIDLocked(clientID); a != nil && in != nil {
		for k := range a.o2.consents {
			if k.appID == in.ApplicationID {
				delete(a.o2.consents, k)
			}
		}
	}
	return n
}

// authzReq is a validated authorize request.
type authzReq struct {
	in       *Integration
	params   url.Values // the recognised parameters, posted back by the page
	redirect string
	state    string
	scopes   []string
	prompt   map[string]bool
}

// authzFail is a refused authorize request: an error page without a
// redirect (unknown client, redirect_uri mismatch: subsect_158521823069)
// or a redirect carrying error=.
type authzFail struct {
	page   bool
	status int
	title  string
	err    string // the redirect's error value
	detail string // Login Audit Trail Detail
	// origin is DetailInferred where the fake records a documented Detail
	// for a cause Oracle does not list it for; empty means as documented.
	origin DetailOrigin
}

var authorizeParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "prompt"}

// checkAuthorizeLocked validates Step One's parameters
// (section_158081944642) in the order that decides between an error page
// and an error redirect.
func (s *Server) checkAuthorizeLocked(v url.Values, system bool) (*authzReq, *authzFail) {
	redirectErr := func(e, detail string) *authzFail { return &authzFail{err: e, detail: detail} }
	// Oracle lists InvalidRequest for a bad or missing PKCE parameter only
	// (subsect_158711892221); the fake records it for the other malformed
	// requests too, marked inferred.
	malformed := func() *authzFail {
		return &authzFail{err: "invalid_request", detail: "InvalidRequest", origin: DetailInferred}
	}
	in := s.byClientIDLocked(v.Get("client_id"))
	if in == nil {
		return nil, &authzFail{page: true, status: http.StatusBadRequest, title: "Invalid client: no integration record has this client ID", detail: "UnknownIntegration"}
	}
	ru := v.Get("redirect_uri")
	if len(v["redirect_uri"]) != 1 || !slices.Contains(in.RedirectURIs, ru) {
		return nil, &authzFail{page: true, status: http.StatusBadRequest, title: "Invalid redirect_uri: it does not match the integration record", detail: "InvalidRedirectURI"}
	}
	ar := &authzReq{in: in, redirect: ru, state: v.Get("state"), params: url.Values{}}
	for _, k := range authorizeParams {
		if x := v.Get(k); x != "" {
			ar.params.Set(k, x)
		}
	}
	for _, k := range authorizeParams {
		if len(v[k]) > 1 {
			return ar, malformed()
		}
	}
	if !in.OAuth2CodeGrant {
		return ar, redirectErr("unauthorized_client", "AuthorizationCodeGrantRequired")
	}
	if v.Get("response_type") != "code" {
		return ar, redirectErr("unsupported_response_type", "UnsupportedResponseType")
	}
	if !validState(ar.state) {
		return ar, redirectErr("invalid_request", "InvalidState")
	}
	if v.Get("scope") == "" {
		return ar, malformed()
	}
	for _, sc := range strings.Fields(v.Get("scope")) {
		if !slices.Contains(ar.scopes, sc) {
			ar.scopes = append(ar.scopes, sc)
		}
	}
	for _, sc := range ar.scopes {
		if !knownScope(sc) || !slices.Contains(in.Scopes, sc) || (sc == scopeMCP && len(ar.scopes) > 1) {
			return ar, redirectErr("invalid_scope", "ScopeMismatched")
		}
	}
	if len(ar.scopes) == 0 {
		return ar, malformed()
	}
	mcp := ar.scopes[0] == scopeMCP
	challenge, method := v.Get("code_challenge"), v.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return ar, redirectErr("invalid_request", "InvalidRequest")
	case challenge != "" && method != "S256": // plain is refused since 2020.2
		return ar, redirectErr("invalid_request", "InvalidRequest")
	case challenge != "" && !validChallenge(challenge):
		return ar, redirectErr("invalid_request", "InvalidRequest")
	case challenge == "" && (in.PublicClient || mcp || !s.now().Before(pkceRequiredFrom)):
		return ar, redirectErr("invalid_request", "InvalidRequest")
	}
	ar.prompt = map[string]bool{}
	for _, p := range strings.Fields(v.Get("prompt")) {
		ar.prompt[p] = true
	}
	okPrompt := len(ar.prompt) == len(strings.Fields(v.Get("prompt")))
	for p := range ar.prompt {
		okPrompt = okPrompt && (p == "none" || p == "login" || p == "consent")
	}
	switch {
	case !okPrompt, ar.prompt["none"] && len(ar.prompt) > 1, ar.prompt["none"] && mcp:
		return ar, malformed()
	case ar.prompt["login"] && system: // login works only on the account-specific domain
		return ar, malformed()
	}
	return ar, nil
}

// validState: 22 to 1024 printable ASCII characters (section_158081944642).
func validState(s string) bool {
	if len(s) < 22 || len(s) > 1024 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// validChallenge: an S256 challenge is 43 characters of base64url.
func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// accountCheckLocked refuses an authorize request an account will not
// serve. Oracle documents the Detail values (subsect_158711892221) but not
// the error the client sees; the fake redirects with unauthorized_client,
// RFC 6749's "not authorized to request an authorization code", which
// keeps it apart from the user's own access_denied.
func accountCheckLocked(a *Account, in *Integration) *authzFail {
	if a.cfg.OAuth2Disabled {
		return &authzFail{err: "unauthorized_client", detail: "FeatureDisabled"}
	}
	if inst := a.installs[in.ApplicationID]; inst != nil && inst.State == nsdist.StateBlocked {
		return &authzFail{err: "unauthorized_client", detail: "IntegrationBlocked"}
	}
	return nil
}

var authorizePage = template.Must(template.New("authorize").Parse(`<!DOCTYPE html>
<html><head><title>{{if .Consent}}Authorize {{.App}}{{else}}NetSuite Login{{end}}</title></head>
<body>
{{if .Consent}}<h1 id="consent">{{.App}} wants to access your NetSuite account</h1>
<p>Access requested: {{range .Scopes}}<span class="scope">{{.}}</span> {{end}}</p>
{{else}}<h1 id="login">Log in to NetSuite to continue to {{.App}}</h1>
{{end}}{{if .Error}}<p id="error">{{.Error}}</p>
{{end}}<form method="post" action="/app/login/oauth2/authorize.nl">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}{{if .ChooseCompany}}<label>Account <input name="company" id="company" value=""></label>
{{end}}<label>Email <input name="email" id="email" value="{{.Email}}"></label>
<label>Password <input name="password" id="password" type="password" value="{{.Password}}"></label>
<button type="submit" name="action" value="allow" id="allow">{{if .Consent}}Allow{{else}}Log In{{end}}</button>
<button type="submit" name="action" value="deny" id="deny">Deny</button>
</form>
</body></html>
`))

type hiddenInput struct{ Name, Value string }

type authorizePageData struct {
	App, Error, Email, Password string
	Consent, ChooseCompany      bool
	Scopes                      []string
	Hidden                      []hiddenInput
}

// serveAuthorize is Step One: GET shows the login or consent page (or
// redirects at once when consent is skipped and the browser has a
// session), POST is the page's form.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, a *Account, host string) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		htmlError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		htmlError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	v := r.URL.Query()
	if r.Method == http.MethodPost {
		v = r.PostForm
	}
	system := a == nil
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, fail := s.checkAuthorizeLocked(v, system)
	if fail == nil && a != nil {
		fail = accountCheckLocked(a, ar.in)
	}
	company := a
	// the browser's session: the fake's stand-in is the account's consent
	// user (SetConsentUser), on the account-specific domain only
	var session *User
	if a != nil && !(ar != nil && ar.prompt["login"]) {
		session = a.users[a.consentUser]
	}
	if fail != nil {
		s.authorizeFail(w, r, ar, fail, company, session)
		return
	}
	if r.Method == http.MethodGet {
		s.authorizeGetLocked(w, r, ar, a, session)
		return
	}
	email, password := strings.ToLower(strings.TrimSpace(v.Get("email"))), v.Get("password")
	var u *User
	switch {
	case email == "" && session != nil:
		u = session
	case a != nil:
		if cand := a.users[email]; cand != nil && cand.Password == password {
			u = cand
		}
	default:
		matches := s.loginAccountsLocked(email, password, v.Get("company"))
		switch len(matches) {
		case 1:
			company, u = matches[0], matches[0].users[email]
		case 0:
		default:
			ids := make([]string, len(matches))
			for i, m := range matches {
				ids[i] = string(m.id)
			}
			s.renderAuthorizeLocked(w, ar, nil, nil, "This login has access to several accounts: enter one of "+strings.Join(ids, ", ")+".", true)
			return
		}
	}
	if v.Get("action") != "allow" {
		s.authorizeFail(w, r, ar, &authzFail{err: "access_denied", detail: "AuthorizationExplicitlyDenied"}, company, u)
		return
	}
	if u == nil {
		s.renderAuthorizeLocked(w, ar, a, nil, "You have entered an invalid email address or password. Please try again.", false)
		return
	}
	if fail := accountCheckLocked(company, ar.in); fail != nil {
		s.authorizeFail(w, r, ar, fail, company, u)
		return
	}
	s.issueCodeLocked(w, r, ar, company, u)
}

// authorizeGetLocked answers the authorize page's GET: a code at once for
// a session that needs no consent, the login and consent page otherwise.
func (s *Server) authorizeGetLocked(w http.ResponseWriter, r *http.Request, ar *authzReq, a *Account, session *User) {
	if session != nil && !s.consentNeededLocked(ar, a, session) {
		s.issueCodeLocked(w, r, ar, a, session)
		return
	}
	if session == nil && ar.prompt["none"] {
		// prompt=none and no session: OIDC's login_required is not among
		// NetSuite's documented errors (subsect_158521823069), so the fake
		// answers access_denied.
		s.authorizeFail(w, r, ar, &authzFail{err: "access_denied"}, a, nil)
		return
	}
	s.renderAuthorizeLocked(w, ar, a, session, "", false)
}

// loginAccountsLocked is a login on system.netsuite.com: the accounts where
// email and password sign in, in id order, narrowed to company when the
// page asked for one.
func (s *Server) loginAccountsLocked(email, password, company string) []*Account {
	var matches []*Account
	for _, acct := range s.accounts {
		if cand := acct.users[email]; cand != nil && cand.Password == password {
			matches = append(matches, acct)
		}
	}
	sort.Slice(matches, func(i, j int) bool { return matches[i].id < matches[j].id })
	if company != "" {
		id, _ := nsdist.ParseAccountID(company)
		matches = slices.DeleteFunc(matches, func(x *Account) bool { return x.id != id })
	}
	return matches
}

// consentNeededLocked applies section_162626471013's matrix. u is nil when
// the user is not known yet (no session).
func (s *Server) consentNeededLocked(ar *authzReq, a *Account, u *User) bool {
	if ar.prompt["consent"] {
		return true
	}
	switch ar.in.ConsentPolicy {
	case ConsentNeverAsk:
		return false
	case ConsentAskFirstTime:
		if u == nil || len(u.Roles) > 1 { // unknown, or the role is ambiguous
			return true
		}
		granted := a.o2.consents[consentKey{strings.ToLower(u.Email), u.Roles[0].ID, ar.in.ApplicationID}]
		for _, sc := range ar.scopes {
			if !slices.Contains(granted, sc) {
				return true
			}
		}
		return false
	}
	return true
}

func (s *Server) renderAuthorizeLocked(w http.ResponseWriter, ar *authzReq, a *Account, session *User, msg string, chooseCompany bool) {
	d := authorizePageData{App: ar.in.Name, Error: msg, Scopes: ar.scopes, ChooseCompany: chooseCompany}
	d.Consent = a == nil || s.consentNeededLocked(ar, a, session)
	if a == nil && ar.in.ConsentPolicy == ConsentNeverAsk && !ar.prompt["consent"] {
		d.Consent = false
	}
	if session != nil {
		d.Email, d.Password = session.Email, session.Password
	}
	for _, k := range authorizeParams {
		if x := ar.params.Get(k); x != "" {
			d.Hidden = append(d.Hidden, hiddenInput{k, x})
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	authorizePage.Execute(w, d) //nolint:errcheck
}

func redirectTo(w http.ResponseWriter, r *http.Request, base string, set url.Values) {
	u, err := url.Parse(base)
	if err != nil {
		htmlError(w, http.StatusBadRequest, "Invalid redirect_uri")
		return
	}
	q := u.Query()
	for k, vs := range set {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// authorizeFail writes an error page or redirects with error=, state and
// whatever of role, entity and company is known (subsect_158521823069).
func (s *Server) authorizeFail(w http.ResponseWriter, r *http.Request, ar *authzReq, f *authzFail, company *Account, u *User) {
	if company != nil && f.detail != "" {
		email := ""
		if u != nil {
			email = u.Email
		}
		appID := ""
		if ar != nil {
			appID = ar.in.ApplicationID
		}
		if f.origin != "" {
			company.auditAsLocked(email, appID, "", f.detail, f.origin)
		} else {
			company.auditLocked(email, appID, "", false, f.detail)
		}
	}
	if f.page {
		htmlError(w, f.status, f.title)
		return
	}
	q := url.Values{"error": {f.err}}
	if ar.state != "" {
		q.Set("state", ar.state)
	}
	if company != nil {
		q.Set("company", string(company.id))
	}
	if u != nil {
		q.Set("role", u.Roles[0].ID)
		q.Set("entity", u.EntityID)
	}
	redirectTo(w, r, ar.redirect, q)
}

// issueCodeLocked records the consent and redirects with a code, state,
// role, entity and company (section_158081944642).
func (s *Server) issueCodeLocked(w http.ResponseWriter, r *http.Request, ar *authzReq, a *Account, u *User) {
	role := u.Roles[0].ID
	key := consentKey{strings.ToLower(u.Email), role, ar.in.ApplicationID}
	if a.o2.consents == nil {
		a.o2.consents = map[consentKey][]string{}
	}
	for _, sc := range ar.scopes {
		if !slices.Contains(a.o2.consents[key], sc) {
			a.o2.consents[key] = append(a.o2.consents[key], sc)
		}
	}
	code := randomHex(64)
	if s.o2.codes == nil {
		s.o2.codes = map[string]*authCode{}
	}
	now := s.now()
	for k, c := range s.o2.codes { // forget expired codes
		if now.After(c.expires.Add(time.Hour)) {
			delete(s.o2.codes, k)
		}
	}
	s.o2.codes[code] = &authCode{
		account: a, clientID: ar.in.ClientID, redirectURI: ar.redirect, challenge: ar.params.Get("code_challenge"),
		scopes: slices.Clone(ar.scopes), email: strings.ToLower(u.Email), role: role, entity: u.EntityID,
		expires: now.Add(codeLifetime),
	}
	q := url.Values{"code": {code}, "role": {role}, "entity": {u.EntityID}, "company": {string(a.id)}}
	if ar.state != "" {
		q.Set("state", ar.state)
	}
	redirectTo(w, r, ar.redirect, q)
}

var (
	inputTag  = regexp.MustCompile(`<input\b[^>]*>`)
	attrRe    = regexp.MustCompile(`(\w+)="([^"]*)"`)
	formTag   = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	errorPara = regexp.MustCompile(`<p id="error">([^<]*)</p>`)
	titleTag  = regexp.MustCompile(`<title>([^<]*)</title>`)
)

// ErrAuthorizePage is returned by [Server.Consent] when NetSuite shows a
// page (an error, or the login form again) instead of redirecting.
var ErrAuthorizePage = errors.New("nstest: the authorize endpoint answered with a page, not a redirect")

// Consent plays the user's browser on the authorize page: it GETs
// authorizeURL through the fake's transport, and if the login or consent
// page comes back, fills email and password (the page's pre-filled
// session values when both are empty) and submits it with action "allow"
// or "deny". It returns the Location of the redirect to the app without
// following it. An error page instead of a redirect (unknown client_id,
// redirect_uri mismatch, a failed login) is an error wrapping
// [ErrAuthorizePage].
func (s *Server) Consent(ctx context.Context, authorizeURL, email, password, action string) (*url.URL, error) {
	c := &http.Client{Transport: s.Transport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, err
	}
	loc, page, err := consentStep(c, req)
	if err != nil || loc != nil {
		return loc, err
	}
	m := formTag.FindStringSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("%w: no form", ErrAuthorizePage)
	}
	form := url.Values{}
	for _, tag := range inputTag.FindAllString(page, -1) {
		attrs := map[string]string{}
		for _, kv := range attrRe.FindAllStringSubmatch(tag, -1) {
			attrs[kv[1]] = html.UnescapeString(kv[2])
		}
		form.Set(attrs["name"], attrs["value"])
	}
	if email != "" || password != "" {
		form.Set("email", email)
		form.Set("password", password)
	}
	form.Set("action", action)
	target, err := req.URL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return nil, err
	}
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	loc, page, err = consentStep(c, post)
	if err != nil || loc != nil {
		return loc, err
	}
	msg := "the page came back"
	if e := errorPara.FindStringSubmatch(page); e != nil {
		msg = html.UnescapeString(e[1])
	}
	return nil, fmt.Errorf("%w: %s", ErrAuthorizePage, msg)
}

// consentStep sends req and returns the redirect's Location, or the page.
func consentStep(c *http.Client, req *http.Request) (*url.URL, string, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, "", err
	}
	switch {
	case resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther:
		loc, err := resp.Location()
		return loc, "", err
	case resp.StatusCode != http.StatusOK:
		title := http.StatusText(resp.StatusCode)
		if t := titleTag.FindSubmatch(body); t != nil {
			title = html.UnescapeString(string(t[1]))
		}
		return nil, "", fmt.Errorf("%w: %s", ErrAuthorizePage, title)
	}
	return nil, string(body), nil
}
