package nstest

import (
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/internal/oauth1"
)

// The fake serves the token endpoints of NetSuite's REST domain
// (<hostid>.restlets.api.netsuite.com and system.netsuite.com): the
// three-step authorization flow with a consent page that a test can
// submit, and issuetoken, revoketoken and tokeninfo (section_156337186044,
// section_156337184796, chapter_157017286140).

type requestToken struct {
	secret      string
	consumerKey string
	callback    string
	role        string
	verifier    string
	company     nsdist.AccountID
	email       string
	roleID      string
	used        bool
}

func isRESTHost(host string) bool {
	return host == "system.netsuite.com" || strings.HasSuffix(host, ".restlets.api.netsuite.com") || strings.HasSuffix(host, ".app.netsuite.com")
}

func (s *Server) restAccount(host string) (*Account, bool) {
	if host == "system.netsuite.com" {
		return nil, true
	}
	id, _, _ := strings.Cut(host, ".")
	return s.Account(id)
}

// SetConsentUser pre-fills the fake consent page's login for this account
// (the fake's stand-in for a browser already logged in to NetSuite).
func (a *Account) SetConsentUser(email string) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.consentUser = strings.ToLower(email)
}

type tbaErr struct {
	status int
	code   string
	msg    string
}

func writeTBAError(w http.ResponseWriter, e tbaErr) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": e.code, "message": e.msg}}) //nolint:errcheck
}

func (s *Server) serveTBAEndpoints(w http.ResponseWriter, r *http.Request, host string) {
	a, ok := s.restAccount(host)
	if !ok {
		htmlError(w, http.StatusNotFound, "Unknown account")
		return
	}
	switch {
	case r.URL.Path == "/rest/requesttoken" && r.Method == http.MethodPost:
		s.requestTokenStep(w, r, a)
	case r.URL.Path == "/app/login/secure/authorizetoken.nl":
		s.authorizeStep(w, r, a)
	case r.URL.Path == "/rest/accesstoken" && r.Method == http.MethodPost:
		s.accessTokenStep(w, r, a)
	case r.URL.Path == "/rest/issuetoken":
		s.issueTokenEndpoint(w, r, a)
	case r.URL.Path == "/rest/revoketoken" || r.URL.Path == "/rest/tokeninfo":
		s.tokenOps(w, r, a)
	case r.URL.Path == authorizePath:
		s.serveAuthorize(w, r, a, host)
	case a != nil && strings.HasSuffix(host, ".restlets.api.netsuite.com") && strings.HasPrefix(r.URL.Path, "/services/rest/"):
		s.serveOAuth2REST(w, r, a, host)
	default:
		htmlError(w, http.StatusNotFound, "Page Not Found")
	}
}

// checkOAuth verifies the common OAuth rules and the signature, with the
// token secret tokenSecret(params) returns.
func (s *Server) checkOAuthLocked(r *http.Request, tokenSecret func(map[string]string) (string, *tbaErr)) (map[string]string, *Integration, *tbaErr) {
	p, ok := oauth1.ParseHeader(r.Header.Get("Authorization"))
	bad := func(code, msg string) (map[string]string, *Integration, *tbaErr) {
		return nil, nil, &tbaErr{http.StatusUnauthorized, code, msg}
	}
	if !ok {
		return bad("MissingRequiredParameter", "no OAuth Authorization header")
	}
	for _, k := range []string{"oauth_consumer_key", "oauth_nonce", "oauth_timestamp", "oauth_signature_method", "oauth_signature"} {
		if p[k] == "" {
			return bad("MissingRequiredParameter", k+" is missing")
		}
	}
	if p["oauth_signature_method"] != "HMAC-SHA256" {
		return bad("UnknownAlgorithm", "only HMAC-SHA256 is supported")
	}
	if v := p["oauth_version"]; v != "" && v != "1.0" {
		return bad("VersionRejected", "oauth_version must be 1.0")
	}
	if len(p["oauth_nonce"]) < 6 {
		return bad("NonceRejected", "the nonce is shorter than 6 characters")
	}
	ts, err := strconv.ParseInt(p["oauth_timestamp"], 10, 64)
	if err != nil || s.now().Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return bad("InvalidTimestamp", "the timestamp is more than 5 minutes off")
	}
	in, ok := s.byConsumerKey[p["oauth_consumer_key"]]
	if !ok {
		return bad("UnknownIntegration", "no integration record has this consumer key")
	}
	secret, rerr := tokenSecret(p)
	if rerr != nil {
		return nil, nil, rerr
	}
	params := make([]oauth1.Param, 0, len(p))
	for k, v := range p {
		params = append(params, oauth1.Param{Name: k, Value: v})
	}
	scheme := "https"
	base, err := oauth1.BaseString(r.Method, scheme+"://"+r.Host+r.URL.RequestURI(), params)
	if err != nil || !hmac.Equal([]byte(oauth1.Sign(base, in.ConsumerSecret, secret)), []byte(p["oauth_signature"])) {
		return bad("InvalidSignature", "the signature does not verify")
	}
	key := p["oauth_nonce"] + "|" + p["oauth_timestamp"]
	if s.restNonces == nil {
		s.restNonces = map[string]bool{}
	}
	if s.restNonces[key] {
		return bad("NonceUsed", "the nonce and timestamp were used before")
	}
	s.restNonces[key] = true
	return p, in, nil
}

// callbackAllowed applies the Callback URL rules (bridgehead_4249032125):
// exact scheme, host and path; the record may name http://localhost:* (any
// port) or a leading *. label standing for exactly one label.
func callbackAllowed(pattern, callback string) bool {
	if rest, ok := strings.CutPrefix(pattern, "http://localhost:*"); ok {
		cu, err := url.Parse(callback)
		return err == nil && cu.Scheme == "http" && cu.Hostname() == "localhost" && cu.Path == rest
	}
	pu, err1 := url.Parse(pattern)
	cu, err2 := url.Parse(callback)
	if err1 != nil || err2 != nil || !cu.IsAbs() || pu.Scheme != cu.Scheme {
		return false
	}
	if rest, ok := strings.CutPrefix(pu.Host, "*."); ok {
		label, tail, ok := strings.Cut(cu.Host, ".")
		return ok && label != "" && tail == rest && pu.Path == cu.Path
	}
	return pu.Host == cu.Host && pu.Path == cu.Path
}

func (s *Server) requestTokenStep(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, in, e := s.checkOAuthLocked(r, func(map[string]string) (string, *tbaErr) { return "", nil })
	if e != nil {
		writeTBAError(w, *e)
		return
	}
	switch {
	case p["oauth_callback"] == "":
		writeTBAError(w, tbaErr{401, "MissingRequiredParameter", "oauth_callback is missing"})
	case !in.TBA || !in.TBAAuthFlow:
		writeTBAError(w, tbaErr{401, "AuthorizationFlowRequired", "TBA: Authorization Flow is not checked on the integration record"})
	case in.CallbackURL == "" || !callbackAllowed(in.CallbackURL, p["oauth_callback"]):
		writeTBAError(w, tbaErr{401, "InvalidCallback " + p["oauth_callback"], "the callback URL does not match the integration record"})
	case a != nil && a.cfg.TBADisabled:
		writeTBAError(w, tbaErr{401, "FeatureDisabled", "Token-Based Authentication is not enabled"})
	case a != nil && a.installs[in.ApplicationID] != nil && a.installs[in.ApplicationID].State == nsdist.StateBlocked:
		writeTBAError(w, tbaErr{401, "IntegrationBlocked", "the integration record is Blocked"})
	default:
		tok, sec := randomHex(64), randomHex(64)
		if s.reqTokens == nil {
			s.reqTokens = map[string]*requestToken{}
		}
		s.reqTokens[tok] = &requestToken{secret: sec, consumerKey: in.ConsumerKey, callback: p["oauth_callback"], role: p["role"]}
		v := url.Values{"oauth_token": {tok}, "oauth_token_secret": {sec}, "oauth_callback_confirmed": {"true"}}
		if p["role"] != "" {
			v.Set("role", p["role"])
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, v.Encode())
	}
}

var consentPage = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html><head><title>Authorize {{.App}}</title></head>
<body>
<h1>{{.App}} wants to access your NetSuite account</h1>
{{if .Error}}<p id="error">{{.Error}}</p>{{end}}
<form method="post" action="/app/login/secure/authorizetoken.nl">
<input type="hidden" name="oauth_token" value="{{.Token}}">
<input type="hidden" name="state" value="{{.State}}">
{{if .ChooseCompany}}<label>Account <input name="company" id="company" value=""></label>
{{else}}<input type="hidden" name="company" id="company" value="{{.Company}}">
{{end}}<label>Email <input name="email" id="email" value="{{.Email}}"></label>
<label>Password <input name="password" id="password" type="password" value="{{.Password}}"></label>
<button type="submit" name="action" value="allow" id="allow">Allow</button>
<button type="submit" name="action" value="deny" id="deny">Deny</button>
</form>
</body></html>
`))

type consentData struct {
	App, Token, State, Company, Email, Password, Error string
	ChooseCompany                                      bool
}

func (s *Server) authorizeStep(w http.ResponseWriter, r *http.Request, a *Account) {
	if err := r.ParseForm(); err != nil {
		htmlError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := r.Form.Get("oauth_token")
	rt, ok := s.reqTokens[tok]
	if !ok || rt.used {
		htmlError(w, http.StatusBadRequest, "Invalid or expired request token")
		return
	}
	in := s.byConsumerKey[rt.consumerKey]
	data := consentData{App: in.Name, Token: tok, State: r.Form.Get("state")}
	if a != nil {
		data.Company = string(a.id)
		if u := a.users[a.consentUser]; u != nil {
			data.Email, data.Password = u.Email, u.Password
		}
	}
	if r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		consentPage.Execute(w, data) //nolint:errcheck
		return
	}
	redirect := func(v url.Values) {
		sep := "?"
		if strings.Contains(rt.callback, "?") {
			sep = "&"
		}
		http.Redirect(w, r, rt.callback+sep+v.Encode(), http.StatusFound)
	}
	if r.Form.Get("action") != "allow" {
		rt.used = true
		redirect(url.Values{"oauth_token": {tok}, "oauth_verifier": {""}, "state": {data.State}})
		return
	}
	var target *Account
	var u *User
	email := strings.ToLower(strings.TrimSpace(r.Form.Get("email")))
	if c := r.Form.Get("company"); c != "" {
		if acct, err := nsdist.ParseAccountID(c); err == nil {
			target = s.accounts[acct]
		}
		if target != nil {
			u = target.users[email]
		}
	} else {
		// system.netsuite.com: the login picks the account
		var ids []string
		for _, acct := range s.accounts {
			if cand := acct.users[email]; cand != nil && cand.Password == r.Form.Get("password") {
				target, u = acct, cand
				ids = append(ids, string(acct.id))
			}
		}
		if len(ids) > 1 {
			sort.Strings(ids)
			data.ChooseCompany = true
			data.Error = "This login has access to several accounts: enter one of " + strings.Join(ids, ", ") + "."
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			consentPage.Execute(w, data) //nolint:errcheck
			return
		}
	}
	if u == nil || u.Password != r.Form.Get("password") {
		data.Error = "You have entered an invalid email address or password. Please try again."
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		consentPage.Execute(w, data) //nolint:errcheck
		return
	}
	rt.verifier, rt.company, rt.email, rt.roleID = randomHex(64), target.id, u.Email, u.Roles[0].ID
	if rt.role != "" && hasRole(u, rt.role) {
		rt.roleID = rt.role
	}
	redirect(url.Values{"oauth_token": {tok}, "oauth_verifier": {rt.verifier}, "company": {string(target.id)}, "role": {rt.roleID}, "entity": {"-5"}, "state": {data.State}})
}

func (s *Server) accessTokenStep(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	var rt *requestToken
	p, in, e := s.checkOAuthLocked(r, func(p map[string]string) (string, *tbaErr) {
		rt = s.reqTokens[p["oauth_token"]]
		if rt == nil || rt.used || rt.verifier == "" || rt.consumerKey != p["oauth_consumer_key"] {
			return "", &tbaErr{401, "TokenRejected", "the request token is unknown, used, or not authorized"}
		}
		return rt.secret, nil
	})
	if e != nil {
		s.mu.Unlock()
		writeTBAError(w, *e)
		return
	}
	switch {
	case !hmac.Equal([]byte(p["oauth_verifier"]), []byte(rt.verifier)):
		s.mu.Unlock()
		writeTBAError(w, tbaErr{401, "InvalidVerifier", "oauth_verifier does not match"})
		return
	case a != nil && a.id != rt.company:
		s.mu.Unlock()
		writeTBAError(w, tbaErr{401, "TokenRejected", "the request token was authorized for another account"})
		return
	}
	rt.used = true
	company, email, role, key, appID := rt.company, rt.email, rt.roleID, in.ConsumerKey, in.ApplicationID
	s.mu.Unlock()
	t, err := s.IssueToken(company, email, role, key) // installs the record, as NetSuite does
	if err != nil {
		code := tokenRefusal(err)
		// The flow's Step Three refusals are Oracle's Detail values
		// (subsect_156934879823): recorded as documented.
		s.mu.Lock()
		if acct := s.accounts[company]; acct != nil {
			acct.auditAsLocked(email, appID, "", code, DetailDocumented)
		}
		s.mu.Unlock()
		writeTBAError(w, tbaErr{401, code, err.Error()})
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, url.Values{"oauth_token": {t.ID}, "oauth_token_secret": {t.Secret}}.Encode())
}

// tokenRefusal maps an error of [Server.IssueToken] to the Login Audit
// Trail Detail value Oracle lists for its cause in the authorization flow
// (subsect_156934879823): IntegrationBlocked for a Blocked record,
// FeatureDisabled when Token-Based Authentication is off in the account,
// EntityOrRoleDisabled for the rest (the user or role).
func tokenRefusal(err error) string {
	switch {
	case errors.Is(err, ErrFeature):
		return "FeatureDisabled"
	case errors.Is(err, ErrIntegrationBlocked):
		return "IntegrationBlocked"
	}
	return "EntityOrRoleDisabled"
}

func parseNLAuth(h string) (map[string]string, bool) { return oauth1.ParseParams("NLAuth", h) }

func (s *Server) issueTokenEndpoint(w http.ResponseWriter, r *http.Request, a *Account) {
	nl, ok := parseNLAuth(r.Header.Get("Authorization"))
	if !ok || a == nil {
		writeTBAError(w, tbaErr{401, "INVALID_LOGIN_ATTEMPT", "Invalid login attempt."})
		return
	}
	s.mu.Lock()
	u := a.users[strings.ToLower(nl["nlauth_email"])]
	acct, _ := nsdist.ParseAccountID(nl["nlauth_account"])
	in := s.byConsumerKey[r.URL.Query().Get("consumerKey")]
	var role Role
	var roleOK bool
	if u != nil {
		if nl["nlauth_role"] == "" {
			role, roleOK = u.Roles[0], true
		} else {
			role, roleOK = findRole(u, nl["nlauth_role"])
		}
	}
	var e *tbaErr
	switch {
	case acct != a.id || u == nil || u.Password != nl["nlauth_signature"] || !roleOK:
		a.auditLocked(nl["nlauth_email"], "", "", false, "fake:InvalidLogin: issuetoken refused the NLAuth account, email, password or role")
		e = &tbaErr{401, "INVALID_LOGIN_ATTEMPT", "Invalid login attempt."}
	case role.TwoFactor && (nl["nlauth_otp"] == "" || nl["nlauth_otp"] != u.OTP):
		e = &tbaErr{401, "TWO_FA_REQD", "This role requires two-factor authentication: send nlauth_otp."}
	case in == nil:
		e = &tbaErr{400, "UnknownIntegration", "no integration record has this consumer key"}
	case !in.TBA || !in.TBAIssueToken:
		e = &tbaErr{400, "IssueTokenRequired", "TBA: IssueToken Endpoint is not checked on the integration record"}
	}
	if e != nil {
		s.mu.Unlock()
		writeTBAError(w, *e)
		return
	}
	if role.TwoFactor {
		u.OTP = "" // each code works once
	}
	email, appID, key := u.Email, in.ApplicationID, in.ConsumerKey
	s.mu.Unlock()
	t, err := s.IssueToken(a.id, email, role.ID, key)
	if err != nil {
		// Oracle documents the Detail values for the authorization flow,
		// none for issuetoken: the fake assumes NetSuite records the same.
		code := tokenRefusal(err)
		s.mu.Lock()
		a.auditAsLocked(email, appID, "", code, DetailInferred)
		s.mu.Unlock()
		writeTBAError(w, tbaErr{400, code, err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"tokenId": t.ID, "tokenSecret": t.Secret}) //nolint:errcheck
}

func (s *Server) tokenOps(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	var tok *Token
	_, _, e := s.checkOAuthLocked(r, func(p map[string]string) (string, *tbaErr) {
		if a != nil {
			tok = a.tokens[p["oauth_token"]]
		}
		if tok == nil || tok.Revoked {
			return "", &tbaErr{401, "TokenRejected", "unknown or revoked token"}
		}
		return tok.Secret, nil
	})
	if e != nil {
		s.mu.Unlock()
		writeTBAError(w, *e)
		return
	}
	if r.URL.Path == "/rest/revoketoken" {
		if r.URL.Query().Get("token") != tok.ID {
			s.mu.Unlock()
			writeTBAError(w, tbaErr{400, "TokenRejected", "users can revoke only their own token"})
			return
		}
		tok.Revoked = true
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	info := map[string]string{"companyId": string(a.id), "companyName": "Fake " + string(a.id), "roleId": tok.RoleID, "entityId": "-5"}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(info) //nolint:errcheck
}
