package nstest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/soap"
)

// request is what the fake reads from an envelope.
type request struct {
	version soap.Version
	op      string
	token   *tokenPassport
	pass    *passport
	appID   string
	account string // getDataCenterUrls body
	cookie  string
	headers int // authentication headers present
}

type tokenPassport struct {
	account, consumerKey, token, nonce, timestamp, signature, algorithm string
}

type passport struct {
	email, password, account, role string
}

const maxRequest = 10 << 20

var nsidSeq atomic.Uint64

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if host := hostOnly(r.Host); strings.HasSuffix(host, ".suitetalk.api.netsuite.com") && strings.HasPrefix(r.URL.Path, "/services/rest/") {
		if a, ok := s.hostAccount(w, host); ok {
			s.serveOAuth2REST(w, r, a, host)
		}
		return
	} else if isRESTHost(host) {
		s.serveTBAEndpoints(w, r, host)
		return
	}
	if r.Method != http.MethodPost {
		htmlError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	v, err := soap.ParseVersion(strings.TrimPrefix(r.URL.Path, "/services/"))
	if err != nil || !strings.HasPrefix(r.URL.Path, "/services/NetSuitePort_") {
		htmlError(w, http.StatusNotFound, "Page Not Found")
		return
	}
	host := hostOnly(r.Host)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	if err != nil {
		return
	}
	req, ferr := parseRequest(body, v)
	if ferr != nil {
		writeFault(w, v, *ferr)
		return
	}
	if c, err := r.Cookie("JSESSIONID"); err == nil {
		req.cookie = c.Value
	}
	if host == GenericHost {
		s.serveGeneric(w, req)
		return
	}
	a, ok := s.hostAccount(w, host)
	if !ok {
		return
	}
	n, f, delay := s.draw(a)
	ctx := r.Context()
	switch {
	case s.roll(a.id, n, 'r') < f.ResetRate:
		sleepCtx(ctx, delay)
		panic(http.ErrAbortHandler) // the connection closes without an answer
	case s.roll(a.id, n, '5') < f.HTTP503Rate:
		sleepCtx(ctx, delay)
		htmlError(w, http.StatusServiceUnavailable, "Service Temporarily Unavailable")
		return
	}
	release, ferr := s.acquire(a, req, s.roll(a.id, n, 'c') < f.ConcurrencyFaultRate)
	sleepCtx(ctx, delay)
	if ferr != nil {
		writeFault(w, v, *ferr)
		return
	}
	defer release()
	status, out, sid := s.serve(a, req)
	if sid != "" {
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: sid, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	if s.roll(a.id, n, 't') < f.TruncateRate {
		w.Header().Set("Content-Type", "text/xml;charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		w.WriteHeader(status)
		w.Write(out[:len(out)/2]) //nolint:errcheck
		panic(http.ErrAbortHandler)
	}
	writeXML(w, status, out)
}

// hostAccount finds the account a SuiteTalk host names, or answers 404.
func (s *Server) hostAccount(w http.ResponseWriter, host string) (*Account, bool) {
	s.mu.RLock()
	a := s.byHost[host]
	s.mu.RUnlock()
	if a == nil {
		htmlError(w, http.StatusNotFound, "Unknown host")
	}
	return a, a != nil
}

// draw numbers a request of account a and says what the fault injection
// does with it: the account's faults (or the server's) and the latency
// with its jitter. SOAP and REST requests share it, and the sequence.
func (s *Server) draw(a *Account) (n uint64, f Faults, delay time.Duration) {
	s.mu.Lock()
	a.seq++
	n = a.seq
	f = s.faults
	if a.inject != nil {
		f = *a.inject
	}
	s.mu.Unlock()
	delay = f.Latency
	if f.Jitter > 0 {
		delay += time.Duration(s.roll(a.id, n, 'j') * float64(f.Jitter))
	}
	return n, f, delay
}

// acquire applies the concurrency limits (section_1500275531): the account
// limit for TBA, one request per user (ten for a Concurrent Web Services
// User) for user credentials.
func (s *Server) acquire(a *Account, req *request, inject bool) (func(), *faultSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case req.token != nil:
		if inject || a.inflight >= a.cfg.ConcurrencyLimit {
			return nil, &faultSpec{"exceededConcurrentRequestLimitFault", "WS_REQUEST_BLOCKED", "SuiteTalk concurrent request limit exceeded. Request blocked."}
		}
		a.inflight++
		return func() { s.mu.Lock(); a.inflight--; s.mu.Unlock() }, nil
	case req.pass != nil || req.cookie != "":
		email := ""
		if req.pass != nil {
			email = strings.ToLower(req.pass.email)
		} else {
			email = a.sessions[req.cookie]
		}
		limit := 1
		if u := a.users[email]; u != nil && u.ConcurrentWebServicesUser {
			limit = 10
		}
		if a.userBusy == nil {
			a.userBusy = map[string]int{}
		}
		if inject || a.userBusy[email] >= limit {
			return nil, &faultSpec{"exceededRequestLimitFault", "WS_CONCUR_SESSION_DISALLWD", "Only one request may be made against a session at a time"}
		}
		a.userBusy[email]++
		return func() {
			s.mu.Lock()
			if a.userBusy[email]--; a.userBusy[email] <= 0 {
				delete(a.userBusy, email)
			}
			s.mu.Unlock()
		}, nil
	}
	return func() {}, nil
}

type faultSpec struct{ kind, code, message string }

// invalidLogin is the fault every refused login gets. Its faultstring and
// USER_ERROR code come from public client code and issue trackers, not
// from Oracle, which documents no fault for a record Waiting for Approval
// or Blocked (section_4429293934, section_4431175537).
var invalidLogin = faultSpec{"invalidCredentialsFault", "USER_ERROR", "Invalid login attempt."}

// passportNotSupported answers a passport on an endpoint of 2020.2 or
// later. The faultstring is the fake's own: Oracle says such requests get
// an error but does not publish its text (section_4389727047).
func passportNotSupported(v soap.Version) faultSpec {
	return faultSpec{"invalidCredentialsFault", "USER_ERROR", "Request-level credentials are not supported on endpoint " + v.String() + "; use token-based authentication."}
}

// attr returns the element's attribute of that local name, or def.
func attr(t xml.StartElement, local, def string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			def = a.Value
		}
	}
	return def
}

// setField keeps the value of a request element that the fake reads: a
// tokenPassport's or passport's fields, the application id, the
// getDataCenterUrls account.
func (req *request) setField(tp *tokenPassport, pp *passport, parent, local, val string) {
	switch {
	case parent == "tokenPassport" && tp != nil:
		switch local {
		case "account":
			tp.account = val
		case "consumerKey":
			tp.consumerKey = val
		case "token":
			tp.token = val
		case "nonce":
			tp.nonce = val
		case "timestamp":
			tp.timestamp = val
		case "signature":
			tp.signature = val
		}
	case parent == "passport" && pp != nil:
		switch local {
		case "email":
			pp.email = val
		case "password":
			pp.password = val
		case "account":
			pp.account = val
		}
	case parent == "applicationInfo" && local == "applicationId":
		req.appID = strings.TrimSpace(val)
	case parent == "getDataCenterUrls" && local == "account":
		req.account = strings.TrimSpace(val)
	}
}

// parseRequest reads what the fake needs from a request envelope in one
// streaming pass (encoding/xml resolves the namespaces).
func parseRequest(body []byte, v soap.Version) (*request, *faultSpec) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	req := &request{version: v}
	var stack []xml.Name
	var text []byte
	var tp *tokenPassport
	var pp *passport
	wrongNS := &faultSpec{"invalidVersionFault", "INVALID_WS_VERSION", "The request's namespace does not match endpoint " + v.String() + "."}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &faultSpec{"unexpectedErrorFault", "UNEXPECTED_ERROR", "Unable to parse the request: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= 256 { // a request nests a handful of levels
				return nil, &faultSpec{"unexpectedErrorFault", "UNEXPECTED_ERROR", "Unable to parse the request: elements nested too deeply."}
			}
			stack = append(stack, t.Name)
			text = text[:0]
			depth := len(stack)
			switch {
			case depth == 1 && (t.Name.Local != "Envelope" || t.Name.Space != soap.NSSOAP11):
				return nil, &faultSpec{"unexpectedErrorFault", "UNEXPECTED_ERROR", "The request is not a SOAP 1.1 envelope."}
			case depth == 3 && stack[1].Local == "Header" && soap.IsNetSuiteNS(t.Name.Space, "messages"):
				if t.Name.Space != v.MessagesNS() {
					return nil, wrongNS
				}
				switch t.Name.Local {
				case "tokenPassport":
					req.headers++
					tp = &tokenPassport{}
					req.token = tp
				case "passport":
					req.headers++
					pp = &passport{}
					req.pass = pp
				}
			case depth == 3 && stack[1].Local == "Body" && req.op == "":
				if t.Name.Space != v.MessagesNS() {
					return nil, wrongNS
				}
				req.op = t.Name.Local
			case depth == 4 && stack[2].Local == "login" && t.Name.Local == "passport":
				pp = &passport{}
				req.pass = pp
			case t.Name.Local == "signature" && tp != nil:
				tp.algorithm = attr(t, "algorithm", tp.algorithm)
			case t.Name.Local == "role" && pp != nil:
				pp.role = attr(t, "internalId", pp.role)
			}
		case xml.CharData:
			text = append(text, t...)
		case xml.EndElement:
			if len(stack) == 0 {
				break
			}
			local, parent := t.Name.Local, ""
			if len(stack) >= 2 {
				parent = stack[len(stack)-2].Local
			}
			req.setField(tp, pp, parent, local, string(text))
			stack = stack[:len(stack)-1]
			text = text[:0]
		}
	}
	if req.op == "" {
		return nil, &faultSpec{"unexpectedErrorFault", "UNEXPECTED_ERROR", "The request has no operation."}
	}
	return req, nil
}

// serveGeneric answers getDataCenterUrls on the generic host.
func (s *Server) serveGeneric(w http.ResponseWriter, req *request) {
	if req.op != "getDataCenterUrls" {
		writeFault(w, req.version, faultSpec{"invalidAccountFault", "INVALID_ACCT", "Use the account-specific domain; ask getDataCenterUrls for it."})
		return
	}
	status, out := s.dataCenterUrls(req)
	writeXML(w, status, out)
}

func (s *Server) dataCenterUrls(req *request) (int, []byte) {
	v := req.version
	if req.account == "" {
		return http.StatusOK, success(v, "getDataCenterUrls", "", func(res *etree.Element) {
			st := res.CreateElement("platformCore:status")
			st.CreateAttr("isSuccess", "false")
			d := st.CreateElement("platformCore:statusDetail")
			d.CreateElement("platformCore:code").SetText("DATA_REQD")
			d.CreateElement("platformCore:message").SetText("You need to provide a proper value for the required field: account.")
		})
	}
	host := "webservices.netsuite.com"
	rest, sys := "https://rest.netsuite.com", "https://system.netsuite.com"
	if id, err := nsdist.ParseAccountID(req.account); err == nil {
		s.mu.RLock()
		a := s.accounts[id]
		s.mu.RUnlock()
		if a != nil {
			host = id.SuiteTalkHost()
			if a.cfg.DataCenterHost != "" {
				host = a.cfg.DataCenterHost
			}
			rest, sys = "https://"+id.HostID()+".restlets.api.netsuite.com", "https://"+id.HostID()+".app.netsuite.com"
		}
	}
	return http.StatusOK, success(v, "getDataCenterUrls", "", func(res *etree.Element) {
		res.CreateElement("platformCore:status").CreateAttr("isSuccess", "true")
		dc := res.CreateElement("platformCore:dataCenterUrls")
		dc.CreateElement("platformCore:restDomain").SetText(rest)
		dc.CreateElement("platformCore:webservicesDomain").SetText("https://" + host)
		dc.CreateElement("platformCore:systemDomain").SetText(sys)
	})
}

// serve authenticates and answers one request to account a.
func (s *Server) serve(a *Account, req *request) (int, []byte, string) {
	v := req.version
	fault := func(f faultSpec) (int, []byte, string) { return http.StatusInternalServerError, faultBody(v, f), "" }
	if req.op == "getDataCenterUrls" {
		st, out := s.dataCenterUrls(req) // needs no authentication at all
		return st, out, ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !a.unavail[0].IsZero() && !now.Before(a.unavail[0]) && now.Before(a.unavail[1]) {
		return fault(faultSpec{"unexpectedErrorFault", "ACCT_TEMP_UNAVAILABLE", "The account you are trying to access is currently unavailable while we undergo our regularly scheduled maintenance."})
	}
	if !v.Supports(soap.Operation(req.op)) {
		if _, err := soap.ParseOperation(req.op); err == nil {
			return fault(faultSpec{"invalidVersionFault", "INVALID_WS_VERSION", "Endpoint " + v.String() + " has no " + req.op + " operation."})
		}
		return fault(faultSpec{"unexpectedErrorFault", "UNEXPECTED_ERROR", "The fake NetSuite does not implement " + req.op + "."})
	}
	ambiguous := faultSpec{"invalidCredentialsFault", "USER_ERROR", "Ambiguous authentication"}
	if req.headers > 1 || (req.token != nil && (req.appID != "" || req.cookie != "")) {
		return fault(ambiguous)
	}
	if a.cfg.SOAPDisabled {
		return fault(faultSpec{"insufficientPermissionFault", "WS_FEATURE_REQD", "You have not enabled SOAP web services feature for your account."})
	}
	var (
		user *User
		role Role
	)
	switch {
	case req.token != nil:
		u, r, f := a.checkTokenLocked(req.token, now)
		if f != nil {
			return fault(*f)
		}
		user, role = u, r
	case req.pass != nil:
		// section_4389727047, section_4399767175: 2020.2 and later endpoints
		// do not process request-level credentials and answer with an
		// error. Oracle publishes neither that error's faultstring nor a
		// Detail value: both are the fake's own.
		if !v.SupportsPassport() {
			a.auditLocked(req.pass.email, "", "", false, "fake:PassportNotSupported: request-level credentials on endpoint "+v.String())
			return fault(passportNotSupported(v))
		}
		u, r, f := a.checkPassportLocked(req.pass, req.appID)
		if f != nil {
			return fault(*f)
		}
		user, role = u, r
	case req.cookie != "":
		email, ok := a.sessions[req.cookie]
		if !ok {
			return fault(faultSpec{"invalidSessionFault", "SESSION_TIMED_OUT", "Your connection has timed out. Please log in again."})
		}
		user = a.users[email]
		role = user.Roles[0]
	default:
		return fault(faultSpec{"invalidCredentialsFault", "USER_ERROR", "Application ID mandatory but missing."})
	}
	if !role.WebServices && !role.Administrator {
		origin := DetailDocumented // subsect_156935170194 lists permission_denied for TBA requests
		if req.token == nil {
			origin = DetailInferred
		}
		a.auditAsLocked(user.Email, "", "", "permission_denied: the role lacks the SOAP Web Services permission", origin)
		return fault(faultSpec{"insufficientPermissionFault", "WS_PERMISSION_REQD", "You do not have permission to access SOAP web services feature."})
	}
	return a.operateLocked(req, user, role, now)
}

// operateLocked answers an authenticated request's operation.
func (a *Account) operateLocked(req *request, user *User, role Role, now time.Time) (int, []byte, string) {
	v, nsOp := req.version, req.op
	fault := func(f faultSpec) (int, []byte, string) { return http.StatusInternalServerError, faultBody(v, f), "" }
	nsid := fmt.Sprintf("WEBSERVICES_%s_%s%06d", a.id, now.UTC().Format("010220061504"), nsidSeq.Add(1))
	switch nsOp {
	case "getServerTime":
		return http.StatusOK, serverTimeBody(v, nsid, now), ""
	case "getIntegrationGovernanceInfo", "getAccountGovernanceInfo":
		if !role.Administrator {
			return fault(faultSpec{"insufficientPermissionFault", "INSUFFICIENT_PERMISSION", "Only administrators can view governance information."})
		}
		return http.StatusOK, success(v, nsOp, nsid, func(res *etree.Element) {
			res.CreateElement("platformCore:status").CreateAttr("isSuccess", "true")
			if nsOp == "getAccountGovernanceInfo" {
				res.CreateElement("platformCore:accountConcurrencyLimit").SetText(strconv.Itoa(a.cfg.ConcurrencyLimit))
				res.CreateElement("platformCore:unallocatedConcurrencyLimit").SetText(strconv.Itoa(a.cfg.ConcurrencyLimit))
			} else {
				res.CreateElement("platformCore:integrationConcurrencyLimit").SetText(strconv.Itoa(a.cfg.ConcurrencyLimit))
				res.CreateElement("platformCore:limitType").SetText("_account")
			}
		}), ""
	case "login":
		sid := randomHex(32)
		if a.sessions == nil {
			a.sessions = map[string]string{}
		}
		a.sessions[sid] = strings.ToLower(user.Email)
		return http.StatusOK, sessionBody(v, "login", nsid, user, role), sid
	case "logout":
		delete(a.sessions, req.cookie)
		return http.StatusOK, sessionBody(v, "logout", nsid, nil, role), ""
	}
	return fault(faultSpec{"unexpectedErrorFault", "UNEXPECTED_ERROR", "unsupported operation"})
}

// checkTokenLocked verifies a tokenPassport as NetSuite does, recording
// the real reason of a failure in the Login Audit Trail with the Detail
// values of subsect_156935170194 where Oracle lists one.
func (a *Account) checkTokenLocked(tp *tokenPassport, now time.Time) (*User, Role, *faultSpec) {
	fail := func(email, appID, tokenID, detail string, origin DetailOrigin) (*User, Role, *faultSpec) {
		a.auditAsLocked(email, appID, tokenID, detail, origin)
		f := invalidLogin
		return nil, Role{}, &f
	}
	if tp.account != string(a.id) {
		// Oracle documents no Detail for a tokenPassport naming another
		// account (a lower-case sandbox id, say).
		return fail("", "", tp.token, "fake:InvalidAccount: tokenPassport account "+strconv.Quote(tp.account)+" is not "+string(a.id), DetailFake)
	}
	if a.cfg.TBADisabled {
		return fail("", "", tp.token, "FeatureDisabled", DetailDocumented)
	}
	if tp.account == "" || tp.consumerKey == "" || tp.token == "" || tp.nonce == "" || tp.timestamp == "" || tp.signature == "" {
		return fail("", "", tp.token, "MissingTokenPassportRequiredFields", DetailDocumented)
	}
	if tp.algorithm != "HMAC-SHA256" && tp.algorithm != "HMAC_SHA256" {
		return fail("", "", tp.token, "UnknownAlgorithm", DetailDocumented)
	}
	in, ok := a.s.byConsumerKey[tp.consumerKey]
	if !ok {
		return fail("", "", tp.token, "consumer_key_unknown", DetailDocumented)
	}
	t, ok := a.tokens[tp.token]
	if !ok || t.Revoked || t.ApplicationID != in.ApplicationID {
		return fail("", in.ApplicationID, tp.token, "token_rejected", DetailDocumented)
	}
	ts, err := strconv.ParseInt(tp.timestamp, 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return fail(t.Email, in.ApplicationID, t.ID, "InvalidTimestamp", DetailDocumented)
	}
	if len(tp.nonce) < 6 || len(tp.nonce) > 64 {
		// section_4395630653: a nonce has 6 to 64 characters. Oracle lists
		// nonce_rejected for RESTlets only; the fake assumes SOAP shows it too.
		return fail(t.Email, in.ApplicationID, t.ID, "nonce_rejected: the nonce must have 6 to 64 characters (Oracle lists this value for RESTlets only)", DetailInferred)
	}
	mac := hmac.New(sha256.New, []byte(in.ConsumerSecret+"&"+t.Secret))
	_, _ = io.WriteString(mac, tp.account+"&"+tp.consumerKey+"&"+tp.token+"&"+tp.nonce+"&"+tp.timestamp)
	if !hmac.Equal([]byte(base64.StdEncoding.EncodeToString(mac.Sum(nil))), []byte(tp.signature)) {
		return fail(t.Email, in.ApplicationID, t.ID, "InvalidSignature", DetailDocumented)
	}
	if a.nonces == nil {
		a.nonces = map[string]map[string]bool{}
	}
	used := a.nonces[t.ID]
	if used == nil {
		used = map[string]bool{}
		a.nonces[t.ID] = used
	}
	if used[tp.nonce+"|"+tp.timestamp] {
		return fail(t.Email, in.ApplicationID, t.ID, "NonceUsed", DetailDocumented)
	}
	used[tp.nonce+"|"+tp.timestamp] = true
	inst, ok := a.installs[in.ApplicationID]
	switch {
	case !ok:
		// A token whose record is no longer installed (the bundle that
		// brought it was uninstalled): Oracle's consumer_key_unknown means
		// "no integration record found"; the fake assumes it applies.
		return fail(t.Email, in.ApplicationID, t.ID, "consumer_key_unknown: the integration record is not installed in this account", DetailInferred)
	case inst.State == nsdist.StateBlocked:
		return fail(t.Email, in.ApplicationID, t.ID, "consumer_key_refused: the integration record is Blocked", DetailDocumented)
	case inst.State == nsdist.StateWaitingForApproval:
		// Oracle documents consumer_key_refused for a Blocked record and no
		// value for Waiting for Approval, which blocks requests too
		// (section_4429293934): the fake assumes the same value.
		return fail(t.Email, in.ApplicationID, t.ID, "consumer_key_refused: the integration record is Waiting for Approval", DetailInferred)
	}
	u := a.users[strings.ToLower(t.Email)]
	r, ok := findRole(u, t.RoleID)
	if u == nil || !ok {
		return fail(t.Email, in.ApplicationID, t.ID, "permission_denied", DetailDocumented)
	}
	a.auditLocked(t.Email, in.ApplicationID, t.ID, true, "")
	return u, r, nil
}

// checkPassportLocked verifies user credentials and the application id,
// auto-installing the record on first contact (section_4429293934).
// Oracle's Login Audit Trail tables cover token-based requests only, so
// every Detail value on this path is the fake's own.
func (a *Account) checkPassportLocked(p *passport, appID string) (*User, Role, *faultSpec) {
	fail := func(id, detail string) (*User, Role, *faultSpec) {
		a.auditAsLocked(p.email, id, "", detail, DetailFake)
		f := invalidLogin
		return nil, Role{}, &f
	}
	if appID == "" {
		// section_N3539978: USER_ERROR "Application ID mandatory but missing."
		a.auditAsLocked(p.email, "", "", "fake:MissingApplicationId", DetailFake)
		return nil, Role{}, &faultSpec{"invalidCredentialsFault", "USER_ERROR", "Application ID mandatory but missing."}
	}
	if p.account != string(a.id) {
		return fail("", "fake:InvalidAccount: passport account "+strconv.Quote(p.account)+" is not "+string(a.id))
	}
	u, ok := a.users[strings.ToLower(p.email)]
	if !ok || u.Password != p.password {
		return fail("", "fake:InvalidCredentials: unknown email or wrong password")
	}
	r, ok := findRole(u, p.role)
	if !ok {
		return fail("", "fake:InvalidRole: the user has no role "+strconv.Quote(p.role))
	}
	id, err := soap.NormalizeApplicationID(appID)
	in := a.s.integrations[id]
	if err != nil || in == nil {
		return fail("", "fake:InvalidApplicationId: no integration record has this application id")
	}
	if !in.UserCredentials {
		return fail(id, "fake:UserCredentialsNotEnabled: the integration record does not allow user credentials")
	}
	inst := a.autoInstallLocked(in, ChannelCredentials, u.Email)
	switch inst.State {
	case nsdist.StateBlocked:
		return fail(id, "fake:RecordBlocked: the integration record is Blocked")
	case nsdist.StateWaitingForApproval:
		return fail(id, "fake:RecordWaitingForApproval: the integration record is Waiting for Approval")
	}
	a.auditLocked(u.Email, id, "", true, "")
	return u, r, nil
}

// auditLocked records a success, or a failure whose Detail is one of
// Oracle's values (or, with the "fake:" prefix, the fake's own). A value
// Oracle lists for a Blocked record, recorded for a record Waiting for
// Approval, is marked inferred.
func (a *Account) auditLocked(email, appID, tokenID string, ok bool, detail string) {
	if ok {
		a.appendAuditLocked(AuditEntry{Email: email, ApplicationID: appID, TokenID: tokenID, Success: true})
		return
	}
	a.auditAsLocked(email, appID, tokenID, detail, a.originLocked(appID, detail))
}

func (a *Account) originLocked(appID, detail string) DetailOrigin {
	v, _, _ := strings.Cut(detail, ": ")
	switch {
	case strings.HasPrefix(v, "fake:"):
		return DetailFake
	case v == "IntegrationBlocked" || v == "consumer_key_refused":
		id, err := soap.NormalizeApplicationID(appID)
		if inst := a.installs[id]; err == nil && inst != nil && inst.State == nsdist.StateWaitingForApproval {
			return DetailInferred
		}
	}
	return DetailDocumented
}

// auditAsLocked records a failure with the Detail's origin given.
func (a *Account) auditAsLocked(email, appID, tokenID, detail string, origin DetailOrigin) {
	if origin == DetailFake && !strings.HasPrefix(detail, "fake:") {
		detail = "fake:" + detail
	}
	a.appendAuditLocked(AuditEntry{Email: email, ApplicationID: appID, TokenID: tokenID, Detail: detail, Origin: origin})
}

func (a *Account) appendAuditLocked(e AuditEntry) {
	const keep = 1000
	if len(a.audit) >= keep {
		a.audit = append(a.audit[:0], a.audit[len(a.audit)-keep/2:]...)
	}
	e.Time = a.s.now()
	a.audit = append(a.audit, e)
}

func htmlError(w http.ResponseWriter, status int, title string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>%d %s</title></head><body><h1>%s</h1></body></html>", status, title, title)
}

func writeXML(w http.ResponseWriter, status int, out []byte) {
	w.Header().Set("Content-Type", "text/xml;charset=utf-8")
	w.WriteHeader(status)
	w.Write(out) //nolint:errcheck
}

func writeFault(w http.ResponseWriter, v soap.Version, f faultSpec) {
	writeXML(w, http.StatusInternalServerError, faultBody(v, f))
}

// success builds a response envelope: documentInfo header (when nsid is
// set), <op>Response in the messages namespace, <op>Result in core.
func success(v soap.Version, op, nsid string, fill func(result *etree.Element)) []byte {
	doc, body := envelope(v, nsid)
	resp := body.CreateElement(op + "Response")
	resp.CreateAttr("xmlns", v.MessagesNS())
	res := resp.CreateElement("platformCore:" + op + "Result")
	res.CreateAttr("xmlns:platformCore", v.CoreNS())
	fill(res)
	out, _ := doc.WriteToBytes()
	return out
}

func envelope(v soap.Version, nsid string) (*etree.Document, *etree.Element) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	env := doc.CreateElement("soapenv:Envelope")
	env.CreateAttr("xmlns:soapenv", soap.NSSOAP11)
	env.CreateAttr("xmlns:xsd", "http://www.w3.org/2001/XMLSchema")
	env.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	if nsid != "" {
		di := env.CreateElement("soapenv:Header").CreateElement("platformMsgs:documentInfo")
		di.CreateAttr("xmlns:platformMsgs", v.MessagesNS())
		di.CreateElement("platformMsgs:nsId").SetText(nsid)
	}
	return doc, env.CreateElement("soapenv:Body")
}

func sessionBody(v soap.Version, op, nsid string, u *User, role Role) []byte {
	doc, body := envelope(v, nsid)
	resp := body.CreateElement(op + "Response")
	resp.CreateAttr("xmlns", v.MessagesNS())
	sr := resp.CreateElement("sessionResponse")
	st := sr.CreateElement("platformCore:status")
	st.CreateAttr("xmlns:platformCore", v.CoreNS())
	st.CreateAttr("isSuccess", "true")
	if u != nil {
		uid := sr.CreateElement("userId")
		uid.CreateAttr("internalId", "-5")
		n := uid.CreateElement("platformCore:name")
		n.CreateAttr("xmlns:platformCore", v.CoreNS())
		n.SetText(u.Email)
		list := sr.CreateElement("platformCore:wsRoleList")
		list.CreateAttr("xmlns:platformCore", v.CoreNS())
		for _, r := range u.Roles {
			wr := list.CreateElement("platformCore:wsRole")
			re := wr.CreateElement("platformCore:role")
			re.CreateAttr("internalId", r.ID)
			re.CreateElement("platformCore:name").SetText(r.Name)
			wr.CreateElement("platformCore:isDefault").SetText(strconv.FormatBool(r.ID == u.Roles[0].ID))
			wr.CreateElement("platformCore:isInactive").SetText("false")
			wr.CreateElement("platformCore:isLoggedInRole").SetText(strconv.FormatBool(r.ID == role.ID))
		}
	}
	out, _ := doc.WriteToBytes()
	return out
}

// faultBody builds a fault like NetSuite's: no header, the detail element
// in the faults namespace, and the Axis hostname.
func faultBody(v soap.Version, f faultSpec) []byte {
	doc, body := envelope(v, "")
	fe := body.CreateElement("soapenv:Fault")
	fe.CreateElement("faultcode").SetText("soapenv:Server.userException")
	fe.CreateElement("faultstring").SetText(f.message)
	d := fe.CreateElement("detail")
	k := d.CreateElement("platformFaults:" + f.kind)
	k.CreateAttr("xmlns:platformFaults", v.FaultsNS())
	k.CreateElement("platformFaults:code").SetText(f.code)
	k.CreateElement("platformFaults:message").SetText(f.message)
	h := d.CreateElement("ns1:hostname")
	h.CreateAttr("xmlns:ns1", soap.NSAxis)
	h.SetText("partners-java001.fake.netsuite.test")
	out, _ := doc.WriteToBytes()
	return out
}

// serverTimeBody is the getServerTime answer, the fake's hottest path,
// written without building a tree; TestResponsesValidate checks it
// against the schemas like every other answer.
func serverTimeBody(v soap.Version, nsid string, now time.Time) []byte {
	var b bytes.Buffer
	b.Grow(900)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="` + soap.NSSOAP11 +
		`" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Header><platformMsgs:documentInfo xmlns:platformMsgs="` +
		v.MessagesNS() + `"><platformMsgs:nsId>`)
	xml.EscapeText(&b, []byte(nsid)) //nolint:errcheck
	b.WriteString(`</platformMsgs:nsId></platformMsgs:documentInfo></soapenv:Header><soapenv:Body><getServerTimeResponse xmlns="` + v.MessagesNS() +
		`"><platformCore:getServerTimeResult xmlns:platformCore="` + v.CoreNS() + `"><platformCore:status isSuccess="true"/><platformCore:serverTime>` +
		now.UTC().Format("2006-01-02T15:04:05.000Z07:00") + `</platformCore:serverTime></platformCore:getServerTimeResult></getServerTimeResponse></soapenv:Body></soapenv:Envelope>`)
	return b.Bytes()
}
