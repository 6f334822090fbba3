package nstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nsdist/nsdist"
)

// Client credentials (M2M): the certificate mapping of Setup > Integration
// > Manage Authentication > OAuth 2.0 Client Credentials (M2M) Setup
// (section_162686838198, subsect_162755332391), the client assertion
// (section_162790605110, section_162755359851), and the Certificate
// Rotation Endpoint (article_92130837826, article_11111634165,
// article_0209112025, article_0209112818).

// Certificate is one M2M mapping: a public certificate for (integration
// record, entity, role) in an account.
type Certificate struct {
	ID            string // the Certificate ID, the assertion's kid
	ClientID      string
	ApplicationID string
	Email         string // the entity, by login
	EntityID      string
	RoleID        string
	Algorithm     string // the key: "RSA" or "EC"
	KeyBits       int    // 3072, 4096, 256, 384 or 521
	Created       time.Time
	ValidFrom     time.Time
	ValidUntil    time.Time // at most two years after ValidFrom
	Revoked       bool

	key any      // *rsa.PublicKey or *ecdsa.PublicKey
	fp  [32]byte // SHA-256 of the DER certificate
	app *Integration
}

// Errors of the M2M setup.
var (
	ErrCertificate      = errors.New("nstest: certificate refused")
	ErrTooManyCerts     = errors.New("nstest: an integration record has at most 5 active certificates")
	ErrUnknownCert      = errors.New("nstest: unknown certificate")
	maxActiveCerts      = 5
	maxCertValidity     = 2 * 365 * 24 * time.Hour
	assertionMaxLife    = time.Hour // exp - iat must be less than this (section_162790605110)
	assertionFutureSkew = 10 * time.Second
)

// AddCertificate maps a certificate for the record with this client ID to
// (user email, role id) in the account, as an administrator does under
// Setup > Integration > Manage Authentication > OAuth 2.0 Client
// Credentials (M2M) Setup > Create New, and returns its Certificate ID.
// The record must be installed in the account with Client Credentials
// (Machine to Machine) Grant checked; certPEM is an X.509 certificate with
// an RSA 3072/4096 or EC P-256/384/521 key; an integration record has at
// most 5 active certificates and one per (role, entity); a certificate
// valid for longer than two years is cut to two; a revoked certificate
// cannot be mapped again (section_162686838198, subsect_162755332391).
func (a *Account) AddCertificate(clientID, email, roleID string, certPEM []byte) (string, error) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	c, err := a.addCertificateLocked(clientID, a.users[strings.ToLower(email)], roleID, certPEM)
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

func (a *Account) addCertificateLocked(clientID string, u *User, roleID string, certPEM []byte) (*Certificate, error) {
	in := a.s.byClientIDLocked(clientID)
	switch {
	case in == nil:
		return nil, fmt.Errorf("%w: no record has client ID %.8s…", ErrUnknownIntegration, clientID)
	case !in.OAuth2ClientCredentials:
		return nil, fmt.Errorf("%w: %q needs Client Credentials (Machine to Machine) Grant", ErrAuthBox, in.Name)
	case a.installs[in.ApplicationID] == nil:
		return nil, fmt.Errorf("%w: %q in %s", ErrNotInstalled, in.Name, a.id)
	case u == nil || !hasRole(u, roleID):
		return nil, fmt.Errorf("%w: role %s in %s", ErrUnknownUser, roleID, a.id)
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: want a PEM X.509 certificate", ErrCertificate)
	}
	x, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	now := a.s.now()
	c := &Certificate{
		ID: newCertID(), ClientID: in.ClientID, ApplicationID: in.ApplicationID, Email: u.Email, EntityID: u.EntityID, RoleID: roleID,
		Created: now, ValidFrom: x.NotBefore, ValidUntil: x.NotAfter, key: x.PublicKey, fp: sha256.Sum256(block.Bytes), app: in,
	}
	switch k := x.PublicKey.(type) {
	case *rsa.PublicKey:
		c.Algorithm, c.KeyBits = "RSA", k.N.BitLen()
		if c.KeyBits != 3072 && c.KeyBits != 4096 {
			return nil, fmt.Errorf("%w: RSA keys must be 3072 or 4096 bits, not %d", ErrCertificate, c.KeyBits)
		}
	case *ecdsa.PublicKey:
		c.Algorithm, c.KeyBits = "EC", k.Curve.Params().BitSize
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() && k.Curve != elliptic.P521() {
			return nil, fmt.Errorf("%w: EC keys must be P-256, P-384 or P-521", ErrCertificate)
		}
	default:
		return nil, fmt.Errorf("%w: the key must be RSA or EC", ErrCertificate)
	}
	if c.ValidUntil.Sub(c.ValidFrom) > maxCertValidity {
		c.ValidUntil = c.ValidFrom.Add(maxCertValidity)
	}
	if !now.Before(c.ValidUntil) {
		return nil, fmt.Errorf("%w: expired", ErrCertificate)
	}
	if a.o2.revokedFP[c.fp] {
		return nil, fmt.Errorf("%w: a revoked certificate cannot be used again", ErrCertificate)
	}
	// subsect_162755332391: one certificate serves one (record, role,
	// entity) combination; a combination may have several certificates,
	// within the record's five active ones (section_162686838198), which is
	// how a rotation adds the new certificate before revoking the old. The
	// fake checks the rule within one account (its reading: Oracle does not
	// say whether it spans accounts).
	active := 0
	for _, o := range a.o2.certs {
		if !o.activeAt(now) {
			continue
		}
		if o.fp == c.fp {
			if o.ApplicationID == in.ApplicationID && o.RoleID == roleID && o.EntityID == u.EntityID {
				return nil, fmt.Errorf("%w: this certificate is already mapped for %s with role %s on %q", ErrCertificate, u.Email, roleID, in.Name)
			}
			return nil, fmt.Errorf("%w: this certificate already serves another integration, role or entity; one certificate serves one combination, so make a new one", ErrCertificate)
		}
		if o.ApplicationID == in.ApplicationID {
			active++
		}
	}
	if active >= maxActiveCerts {
		return nil, ErrTooManyCerts
	}
	if a.o2.certs == nil {
		a.o2.certs = map[string]*Certificate{}
	}
	a.o2.certs[c.ID] = c
	return c, nil
}

func (c *Certificate) activeAt(now time.Time) bool {
	return !c.Revoked && !now.Before(c.ValidFrom) && now.Before(c.ValidUntil)
}

// newCertID looks like Oracle's sample kid: 43 characters of base64url.
func newCertID() string {
	sum := sha256.Sum256([]byte(randomHex(64)))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// RevokeCertificate revokes a mapping; assertions signed with its key stop
// working and the certificate cannot be mapped again.
func (a *Account) RevokeCertificate(certID string) error {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.revokeCertLocked(certID)
}

func (a *Account) revokeCertLocked(certID string) error {
	c := a.o2.certs[certID]
	if c == nil {
		return ErrUnknownCert
	}
	c.Revoked = true
	if a.o2.revokedFP == nil {
		a.o2.revokedFP = map[[32]byte]bool{}
	}
	a.o2.revokedFP[c.fp] = true
	return nil
}

// Certificates returns the account's mappings for a client ID, oldest
// first, revoked ones included.
func (a *Account) Certificates(clientID string) []Certificate {
	a.s.mu.RLock()
	defer a.s.mu.RUnlock()
	return a.certsLocked(clientID)
}

func (a *Account) certsLocked(clientID string) []Certificate {
	var out []Certificate
	for _, c := range a.o2.certs {
		if c.ClientID == clientID {
			cp := *c
			cp.key, cp.app = nil, nil
			out = append(out, cp)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

var assertionAlgs = []string{"PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

type assertionClaims struct {
	Scope json.RawMessage `json:"scope"`
	jwt.RegisteredClaims
}

// clientCredentialsLocked is the client credentials grant
// (section_162755359851, section_162790605110). A refused assertion's
// answer is not documented (only the Login Audit Trail's Detail is): the
// fake answers 400 {"error":"invalid_grant"}, the one error Oracle's page
// names for this grant, and audits Oracle's Detail (subsect_158324637123).
// It returns an access token only, and never installs a record.
func (s *Server) clientCredentialsLocked(a *Account, form url.Values, host string) (map[string]any, *Integration, *tokenFail) {
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || form.Get("client_assertion") == "" {
		return nil, nil, badRequest("")
	}
	if form.Has("client_id") || form.Has("client_secret") {
		return nil, nil, badRequest("")
	}
	raw := form.Get("client_assertion")
	unverified, _, err := jwt.NewParser().ParseUnverified(raw, &assertionClaims{})
	if err != nil {
		return nil, nil, inferredGrant("SignatureValidation") // Oracle's Detail for a signature that fails, here for one that cannot be read
	}
	if alg, _ := unverified.Header["alg"].(string); !slices.Contains(assertionAlgs, alg) {
		return nil, nil, invalidGrant("UnsupportedAlgo")
	}
	kid, _ := unverified.Header["kid"].(string)
	if kid == "" {
		return nil, nil, invalidGrant("MissingKeyId")
	}
	now := s.now()
	cert := a.o2.certs[kid]
	if cert == nil || !cert.activeAt(now) {
		return nil, nil, invalidGrant("MissingKey")
	}
	in := cert.app
	var claims assertionClaims
	_, err = jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return cert.key, nil },
		jwt.WithValidMethods(assertionAlgs), jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, in, invalidGrant("SignatureValidation") // the client credentials flow's Detail (subsect_158324637123)
	}
	if f := s.checkAssertionLocked(a, cert, &claims, host, now); f != nil {
		return nil, in, f
	}
	// subsect_158324637123: InvalidScope for no scope, ScopeMismatched for
	// a scope the record does not have
	scopes, ok := assertionScopes(claims.Scope)
	if !ok {
		return nil, in, &tokenFail{status: http.StatusBadRequest, err: "invalid_scope", detail: "InvalidScope"}
	}
	for _, sc := range scopes {
		if sc == scopeMCP || !slices.Contains(in.Scopes, sc) {
			return nil, in, &tokenFail{status: http.StatusBadRequest, err: "invalid_scope", detail: "ScopeMismatched"}
		}
	}
	switch {
	case a.cfg.OAuth2Disabled:
		return nil, in, unauthorizedClient("FeatureDisabled")
	case !in.OAuth2ClientCredentials:
		// documented for a record that is not installed; here for one
		// without the client credentials box
		return nil, in, &tokenFail{status: http.StatusBadRequest, err: "unauthorized_client", detail: "InvalidIntegration", origin: DetailInferred}
	}
	inst := a.installs[in.ApplicationID]
	switch {
	case inst == nil:
		return nil, in, unauthorizedClient("InvalidIntegration")
	case inst.State == nsdist.StateBlocked:
		return nil, in, unauthorizedClient("IntegrationBlocked")
	}
	if u := a.users[strings.ToLower(cert.Email)]; u == nil || !hasRole(u, cert.RoleID) {
		return nil, in, invalidGrant("EntityOrRoleDisabled")
	}
	ch := &o2Chain{account: a.id, clientID: in.ClientID, appID: in.ApplicationID, email: strings.ToLower(cert.Email), role: cert.RoleID,
		entity: cert.EntityID, scopes: scopes, m2m: true, oit: now}
	a.auditLocked(ch.email, in.ApplicationID, "", true, "")
	access, _ := s.mintLocked(ch, now.Add(accessLifetime), time.Time{})
	return map[string]any{
		"access_token": access,
		"expires_in":   3600,
		"token_type":   "bearer",
	}, in, nil
}

// checkAssertionLocked checks an assertion's claims (section_162790605110):
// the issuer, the audience, iat and exp, and the lifetime.
func (s *Server) checkAssertionLocked(a *Account, cert *Certificate, claims *assertionClaims, host string, now time.Time) *tokenFail {
	aud := func(h string) string { return "https://" + h + tokenPath }
	switch {
	case claims.Issuer == "" || s.byClientIDLocked(claims.Issuer) == nil:
		return invalidGrant("InvalidIssuer")
	case claims.Issuer != cert.app.ClientID:
		return inferredGrant("ClientIdMismatch") // listed without its cause
	case !slices.Contains(claims.Audience, aud(a.id.SuiteTalkHost())) && !slices.Contains(claims.Audience, aud(a.id.RESTletsHost())) &&
		!slices.Contains(claims.Audience, aud(host)):
		// no Detail names a wrong audience; TokenNotAcceptable is the closest
		return inferredGrant("TokenNotAcceptable")
	case claims.IssuedAt == nil || claims.ExpiresAt == nil:
		return inferredGrant("TokenNotAcceptable")
	case claims.ExpiresAt.Sub(claims.IssuedAt.Time) >= assertionMaxLife:
		// "less than 60 minutes" (section_162790605110); the Login Audit
		// Trail row says two hours: the fake holds to the stricter page
		return invalidGrant("TokenValidityTooBroad")
	case claims.IssuedAt.After(now.Add(assertionFutureSkew)):
		// Oracle documents no tolerance; the fake's 10 seconds are its own
		return invalidGrant("TokenNotAcceptable")
	case !now.Before(claims.ExpiresAt.Time):
		return invalidGrant("TokenExpired")
	}
	return nil
}

// assertionScopes reads the scope claim. Oracle's page says a
// comma-separated string (section_162790605110) and Oracle's own sample
// sends a JSON array (section_162755359851); which forms NetSuite accepts
// is not confirmed, and the fake accepts both.
func assertionScopes(raw json.RawMessage) ([]string, bool) {
	var list []string
	var str string
	switch {
	case json.Unmarshal(raw, &list) == nil:
	case json.Unmarshal(raw, &str) == nil:
		list = strings.Split(str, ",")
	default:
		return nil, false
	}
	var out []string
	for _, sc := range list {
		sc = strings.TrimSpace(sc)
		if sc == "" || !knownScope(sc) {
			return nil, false
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, len(out) > 0
}

type certJSON struct {
	Application   string `json:"application"`
	Entity        string `json:"entity"`
	Role          int    `json:"role"`
	Created       string `json:"created"`
	ValidFrom     string `json:"valid_from"`
	ValidUntil    string `json:"valid_until"`
	Revoked       bool   `json:"revoked"`
	CertificateID string `json:"certificate_id"`
	Algorithm     string `json:"algorithm"`
}

// The list's exact field formats are not in the pages read: the fake
// writes times in ISO 8601 UTC and the algorithm as "RSA" or "EC".
func toCertJSON(c Certificate, app string) certJSON {
	role, _ := strconv.Atoi(c.RoleID)
	f := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	return certJSON{Application: app, Entity: c.EntityID, Role: role, Created: f(c.Created), ValidFrom: f(c.ValidFrom),
		ValidUntil: f(c.ValidUntil), Revoked: c.Revoked, CertificateID: c.ID, Algorithm: c.Algorithm}
}

// certEndpoint is the Certificate Rotation Endpoint on the restlets.api
// host: GET and POST .../clients/<ClientID>/certificates and POST
// .../certificates/<CertificateID>/revoke, with a Bearer token carrying
// rest_webservices (article_92130837826). The token's user needs the
// Manage own OAuth 2.0 Client Credentials certificates permission
// (User.ManageOwnCertificates; by default, the fake's reading, the
// Administrator role has it and others do not). "Manage own": a
// non-administrator role may add a certificate only for its own entity
// and role.
func (s *Server) certEndpoint(w http.ResponseWriter, r *http.Request, a *Account) {
	rest := strings.TrimPrefix(r.URL.Path, clientsPrefix)
	parts := strings.Split(rest, "/")
	if len(parts) < 2 || parts[1] != "certificates" || !(len(parts) == 2 || (len(parts) == 4 && parts[3] == "revoke")) {
		writeREST(w, http.StatusNotFound, "NONEXISTENT_ID", "The requested resource does not exist.")
		return
	}
	release, ok := s.restGate(w, r, a)
	if !ok {
		return
	}
	defer release()
	var body []byte
	if r.Method == http.MethodPost {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, 1<<20)); err != nil {
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.bearerLocked(r, a)
	if !ok {
		invalidToken(w, a)
		return
	}
	clientID := parts[0]
	in := s.byClientIDLocked(clientID)
	if in == nil {
		writeREST(w, http.StatusNotFound, "NONEXISTENT_ID", "No integration record has this client ID.")
		return
	}
	admin, permitted := false, false
	if u := a.users[t.chain.email]; u != nil {
		r, _ := findRole(u, t.chain.role)
		admin, permitted = r.Administrator, r.Administrator
		if u.ManageOwnCertificates != nil {
			permitted = *u.ManageOwnCertificates
		}
	}
	if !permitted {
		writeREST(w, http.StatusForbidden, "INSUFFICIENT_PERMISSION", "The Manage own OAuth 2.0 Client Credentials certificates permission is required.")
		return
	}
	switch {
	case len(parts) == 2 && r.Method == http.MethodGet:
		out := []certJSON{}
		for _, c := range a.certsLocked(in.ClientID) {
			out = append(out, toCertJSON(c, in.Name))
		}
		writeJSON(w, http.StatusOK, out)
	case len(parts) == 2 && r.Method == http.MethodPost:
		a.uploadCertLocked(w, in, t, admin, body)
	case len(parts) == 4 && r.Method == http.MethodPost:
		c := a.o2.certs[parts[2]]
		if c == nil || c.ClientID != in.ClientID {
			writeREST(w, http.StatusNotFound, "NONEXISTENT_ID", "No such certificate.")
			return
		}
		if !admin && (c.EntityID != t.chain.entity || c.RoleID != t.chain.role) {
			writeREST(w, http.StatusForbidden, "INSUFFICIENT_PERMISSION", "You can manage only your own certificates.")
			return
		}
		a.revokeCertLocked(c.ID) //nolint:errcheck // it exists
		w.Header().Set("Content-Type", "text/plain;charset=utf-8")
		io.WriteString(w, "Successfully revoked") //nolint:errcheck
	default:
		writeREST(w, http.StatusMethodNotAllowed, "INVALID_REQUEST", "Method not allowed.")
	}
}

// uploadCertLocked is POST .../clients/<id>/certificates: it maps the
// uploaded certificate for the role and entity the request names, which a
// user who is not an Administrator may do only for their own.
func (a *Account) uploadCertLocked(w http.ResponseWriter, in *Integration, t *o2Token, admin bool, body []byte) {
	var req struct {
		FileContent string          `json:"fileContent"`
		Role        json.RawMessage `json:"role"`
		Entity      json.RawMessage `json:"entity"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.FileContent == "" {
		writeREST(w, http.StatusBadRequest, "INVALID_REQUEST", "Send JSON with fileContent, role and entity.")
		return
	}
	role, entity := jsonID(req.Role), jsonID(req.Entity)
	if !admin && (entity != t.chain.entity || role != t.chain.role) {
		writeREST(w, http.StatusForbidden, "INSUFFICIENT_PERMISSION", "You can manage only your own certificates.")
		return
	}
	var u *User
	for _, cand := range a.users {
		if cand.EntityID == entity {
			u = cand
		}
	}
	c, err := a.addCertificateLocked(in.ClientID, u, role, []byte(req.FileContent))
	if err != nil {
		writeREST(w, http.StatusBadRequest, "INVALID_REQUEST", err.Error())
		return
	}
	cp := *c
	writeJSON(w, http.StatusOK, toCertJSON(cp, in.Name))
}

// jsonID reads an id sent as a JSON number or string.
func jsonID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
