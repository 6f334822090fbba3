package nstest

// REST web services: serverTime (article_0528010158), the one request
// that proves an OAuth 2.0 token, and the Bearer check every REST request
// passes (subsect_158521885412).

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/nsdist/nsdist"
)

func invalidToken(w http.ResponseWriter, a *Account) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+string(a.id)+`", error="invalid_token", error_description="Invalid login attempt."`)
	writeREST(w, http.StatusUnauthorized, "INVALID_LOGIN", "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.")
}

// writeREST writes a REST web services error body (RFC 9457 problem
// details with NetSuite's o:errorDetails).
func writeREST(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/vnd.oracle.resource+json; type=error")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck
		"type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15", "title": http.StatusText(status), "status": status,
		"o:errorDetails": []map[string]string{{"detail": detail, "o:errorCode": code}},
	})
}

// serveOAuth2REST routes /services/rest/ on the suitetalk.api and
// restlets.api hosts of account a.
func (s *Server) serveOAuth2REST(w http.ResponseWriter, r *http.Request, a *Account, host string) {
	restlets := strings.HasSuffix(host, ".restlets.api.netsuite.com")
	switch p := r.URL.Path; {
	case p == tokenPath || p == revokePath:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			tokenError(w, http.StatusMethodNotAllowed, "invalid_request", a.id)
			return
		}
		if p == tokenPath {
			s.tokenEndpoint(w, r, a, host)
		} else {
			s.revokeEndpoint(w, r, a)
		}
	case p == serverTimePath && !restlets:
		s.serverTime(w, r, a)
	case strings.HasPrefix(p, clientsPrefix) && restlets:
		s.certEndpoint(w, r, a)
	default:
		writeREST(w, http.StatusNotFound, "NONEXISTENT_ID", "The requested resource does not exist.")
	}
}

// bearerLocked checks a REST request's access token. Every refusal is the
// same 401 invalid_token for the client (subsect_158521885412); the cause
// goes to the Login Audit Trail with Oracle's Detail (subsect_158324637123):
// a token the account did not sign is InvalidSignature, a refresh token
// TokenRejected, a revoked one TokenBlocked, a record not installed
// InvalidIntegration, a record Blocked or Waiting for Approval
// IntegrationBlocked (Oracle has no Detail of its own for Waiting for
// Approval), a token without rest_webservices ScopeMismatched.
func (s *Server) bearerLocked(r *http.Request, a *Account) (*o2Token, bool) {
	scheme, raw, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return nil, false
	}
	t := s.lookupLocked(strings.TrimSpace(raw))
	failAs := func(detail string, origin DetailOrigin) (*o2Token, bool) {
		email, appID := "", ""
		if t != nil {
			email, appID = t.chain.email, t.chain.appID
		}
		if origin == "" {
			origin = a.originLocked(appID, detail)
		}
		a.auditAsLocked(email, appID, "", detail, origin)
		return nil, false
	}
	fail := func(detail string) (*o2Token, bool) { return failAs(detail, "") }
	if t == nil || t.chain.account != a.id {
		t = nil
		return fail("InvalidSignature")
	}
	switch {
	case t.refresh:
		return fail("TokenRejected")
	case t.revoked || t.chain.revoked:
		return failAs("TokenBlocked", DetailInferred) // listed without its cause
	case !s.now().Before(t.exp):
		return fail("AccessTokenExpired")
	case a.cfg.OAuth2Disabled:
		return fail("FeatureDisabled")
	}
	inst := a.installs[t.chain.appID]
	switch {
	case inst == nil || s.integrations[t.chain.appID] == nil:
		return fail("InvalidIntegration")
	case inst.State != nsdist.StateEnabled:
		return fail("IntegrationBlocked")
	}
	if u := a.users[t.chain.email]; u == nil || !hasRole(u, t.chain.role) {
		return fail("EntityOrRoleDisabled")
	}
	if !slices.Contains(t.chain.scopes, scopeREST) {
		return failAs("ScopeMismatched", DetailInferred) // listed without its cause
	}
	a.auditLocked(t.chain.email, t.chain.appID, "", true, "")
	return t, true
}

// restGate applies fault injection (latency, 503, ConcurrencyFaultRate)
// and the account's concurrency limit, counted with its SOAP and RESTlet
// requests (subsect_1559222360). Over the limit REST answers 429 Too Many
// Requests: Oracle's wording, the status is inferred (section_0827103226).
func (s *Server) restGate(w http.ResponseWriter, r *http.Request, a *Account) (release func(), ok bool) {
	n, f, delay := s.draw(a)
	if s.roll(a.id, n, '5') < f.HTTP503Rate {
		sleepCtx(r.Context(), delay)
		htmlError(w, http.StatusServiceUnavailable, "Service Temporarily Unavailable")
		return nil, false
	}
	s.mu.Lock()
	if s.roll(a.id, n, 'c') < f.ConcurrencyFaultRate || a.inflight >= a.cfg.ConcurrencyLimit {
		s.mu.Unlock()
		sleepCtx(r.Context(), delay)
		writeREST(w, http.StatusTooManyRequests, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded. Request blocked.")
		return nil, false
	}
	a.inflight++
	s.mu.Unlock()
	sleepCtx(r.Context(), delay)
	return func() { s.mu.Lock(); a.inflight--; s.mu.Unlock() }, true
}

// serverTime is GET /services/rest/system/v1/serverTime (article_0528010158).
func (s *Server) serverTime(w http.ResponseWriter, r *http.Request, a *Account) {
	if r.Method != http.MethodGet {
		writeREST(w, http.StatusMethodNotAllowed, "INVALID_REQUEST", "Use GET.")
		return
	}
	release, ok := s.restGate(w, r, a)
	if !ok {
		return
	}
	defer release()
	s.mu.Lock()
	_, ok = s.bearerLocked(r, a)
	now := s.now()
	s.mu.Unlock()
	if !ok {
		invalidToken(w, a)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"serverTime": now.UTC().Format("2006-01-02T15:04:05.000Z")})
}
