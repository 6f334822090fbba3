package nstest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nsdist/nsdist"
)

// The token endpoint (section_158081952044, section_158082518856,
// section_162755359851), revoke (section_161071224088) and the REST
// serverTime operation (article_0528010158) that proves a token.

const (
	tokenPath      = "/services/rest/auth/oauth2/v1/token"
	revokePath     = "/services/rest/auth/oauth2/v1/revoke"
	serverTimePath = "/services/rest/system/v1/serverTime"
	clientsPrefix  = "/services/rest/auth/oauth2/v1/clients/"
)

// signingKey signs the fake's tokens with HS256. NetSuite signs with
// company-specific certificates (section_158255317571; PS256 in Oracle's
// table, RS256 in 2026 samples): the fake's HMAC is its own, chosen so
// that a token costs microseconds, not an RSA signature, and every token
// is looked up by its exact text, never by its signature alone.
var signingKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	return k
})

// keyMadeAt is when the process made signingKey, as the kid writes it.
var keyMadeAt = sync.OnceValue(func() string {
	signingKey()
	return time.Now().UTC().Format("2006-01-02_15-04-05")
})

// o2Chain is one authorization: the tokens of one code grant (with their
// public-client rotations) or of one client credentials exchange.
type o2Chain struct {
	account  nsdist.AccountID
	clientID string
	appID    string
	email    string
	role     string
	entity   string
	scopes   []string
	public   bool
	m2m      bool
	oit      time.Time
	lastExp  time.Time // the latest expiry of its tokens; zero until the first is minted
	revoked  bool
}

type o2Token struct {
	slot    uint32 // its place in oauth2State.tokens, which its jti carries
	jti     string
	refresh bool
	chain   *o2Chain
	iat     time.Time
	exp     time.Time
	used    bool // a public client's refresh token works once
	revoked bool
}

// mintLocked issues an access token in the chain under the server's lock,
// and a refresh token with it unless refreshExp is zero: it gives each
// token a slot and a jti that carries it, and registers the chain (for
// RevokeOAuth2), and leaves the signing to seal, after the lock is
// released. A token is found by its text through the slot in its jti
// (lookupLocked): a map of every token cost a grant as much as its two
// signatures. Both tokens take one allocation, their jtis another.
func (s *Server) mintLocked(c *o2Chain, accessExp, refreshExp time.Time) (access, refresh *o2Token) {
	now := s.now()
	if s.o2.inUse() >= s.o2.sweepAt {
		s.sweepLocked(now)
	}
	n := 1
	if !refreshExp.IsZero() {
		n = 2
	}
	ts := make([]o2Token, n)
	ts[0] = o2Token{chain: c, iat: now, exp: accessExp}
	if n == 2 {
		ts[1] = o2Token{refresh: true, chain: c, iat: now, exp: refreshExp}
		refresh = &ts[1]
	}
	var buf [160]byte
	jtis, cuts := buf[:0], [2]int{}
	for i := range ts {
		ts[i].slot = s.o2.take(&ts[i])
		kind := ".a."
		if ts[i].refresh {
			kind = ".r."
		}
		jtis = appendSlotGUID(append(append(jtis, c.account...), kind...), ts[i].slot)
		cuts[i] = len(jtis)
	}
	text := string(jtis)
	ts[0].jti = text[:cuts[0]]
	if n == 2 {
		ts[1].jti = text[cuts[0]:cuts[1]]
	}
	if c.lastExp.IsZero() {
		s.o2.chains = append(s.o2.chains, c)
	}
	c.lastExp = maxTime(c.lastExp, accessExp, refreshExp)
	return &ts[0], refresh
}

// take puts t in a free slot and returns it.
func (o *oauth2State) take(t *o2Token) uint32 {
	if k := len(o.free); k > 0 {
		slot := o.free[k-1]
		o.free = o.free[:k-1]
		o.tokens[slot] = t
		return slot
	}
	o.tokens = append(o.tokens, t)
	return uint32(len(o.tokens) - 1) //nolint:gosec // a fake's token count stays far below 2^32
}

// inUse is the number of slots that hold a token.
func (o *oauth2State) inUse() int { return len(o.tokens) - len(o.free) }

// appendSlotGUID appends a GUID whose first 8 hex digits are slot and the
// other 24 random, in NetSuite's upper-case 8-4-4-4-12 form.
func appendSlotGUID(b []byte, slot uint32) []byte {
	start := len(b)
	b = appendGUID(b)
	const digits = "0123456789ABCDEF"
	for i := range 8 {
		b[start+i] = digits[slot>>(28-4*i)&0xF]
	}
	return b
}

// slotOf reads the slot from a jti "<company>.a.<GUID>" or ".r.": the
// GUID's first 8 hex digits.
func slotOf(jti string) (uint32, bool) {
	dot := strings.LastIndexByte(jti, '.')
	if dot < 0 || len(jti)-dot-1 != 36 {
		return 0, false
	}
	v, err := strconv.ParseUint(jti[dot+1:dot+9], 16, 32)
	return uint32(v), err == nil
}

// maxTime is the latest of ts.
func maxTime(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// appendJWTHeader appends the encoded JOSE header of the account's
// tokens. Its kid names the signing certificate, "c.<company>.<date>" as
// in Oracle's samples (article_11111634165): the fake's one key, dated
// when the process made it.
func appendJWTHeader(b []byte, id nsdist.AccountID) []byte {
	var buf [128]byte
	h := append(append(append(append(buf[:0], `{"alg":"HS256","kid":"c.`...), id...), '.'), keyMadeAt()...)
	return base64.RawURLEncoding.AppendEncode(b, append(h, `","typ":"JWT"}`...))
}

// sweepLocked forgets tokens and authorizations long dead and frees their
// slots. It runs when the tokens in use have doubled since the last
// sweep, so a mint costs O(1) amortized.
func (s *Server) sweepLocked(now time.Time) {
	for slot, t := range s.o2.tokens {
		if t != nil && now.After(t.exp.Add(24*time.Hour)) {
			s.o2.tokens[slot] = nil
			s.o2.free = append(s.o2.free, uint32(slot))
		}
	}
	live := s.o2.chains[:0]
	for _, c := range s.o2.chains {
		if !now.After(c.lastExp.Add(24 * time.Hour)) {
			live = append(live, c)
		}
	}
	clear(s.o2.chains[len(live):])
	s.o2.chains = live
	s.o2.sweepAt = max(4096, 2*s.o2.inUse())
}

// seal signs the access token and, when there is one, the refresh token,
// shaped like NetSuite's tokens (section_158255317571): sub
// "<role>;<entity>", aud ["<ApplicationID>;<company>", "<client_id>"],
// scope, iss, oit, iat, exp, and a jti "<company>.a.<id>" or
// "<company>.r.<id>". Clients must treat them as opaque. It signs without
// the lock (what it reads of a token and its chain never changes) and
// returns their text, both in one allocation, the cost of a token being
// mostly its memory. The fake keeps no text: lookupLocked verifies it.
func (s *Server) seal(access, refresh *o2Token) (accessText, refreshText string) {
	b := jwtBufs.Get().(*jwtBuf) //nolint:forcetypeassert // the pool holds only these
	defer jwtBufs.Put(b)
	b[1] = b[1][:0]
	cut := appendSignedJWTs(b, access, refresh)
	text := string(b[1])
	return text[:cut], text[cut:]
}

// appendSignedJWTs appends to b[1] the compact JWS of first and, unless
// it is nil, of second, a token of the same chain, and returns where the
// second begins. It writes the claims by hand: they are a fixed set of
// strings and numbers, and encoding/json's reflection was most of a
// token's cost (TestOAuth2OracleSamples decodes its header and claims).
// The two tokens share their header and every claim up to exp: the JSON
// and Base64 of those are written once and copied.
func appendSignedJWTs(b *jwtBuf, first, second *o2Token) (cut int) {
	c := first.chain
	raw, out := append(b[0][:0], `{"scope":[`...), b[1]
	for i, sc := range c.scopes {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = appendJSONString(raw, sc)
	}
	raw = strconv.AppendInt(append(raw, `],"oit":`...), c.oit.Unix(), 10)
	raw = appendJSONPair(append(raw, `,"iss":"https://system.netsuite.com","sub":`...), c.role, c.entity)
	raw = appendJSONPair(append(raw, `,"aud":[`...), c.appID, string(c.account))
	raw = appendJSONString(append(raw, ','), c.clientID)
	shared := len(raw) / 3 * 3 // Base64 encodes whole 3-byte groups alike, whatever follows
	enc := base64.RawURLEncoding
	start := len(out)
	out = enc.AppendEncode(append(appendJWTHeader(out, c.account), '.'), raw[:shared])
	prefix, head := len(out)-start, len(raw)
	for i, t := range []*o2Token{first, second} {
		if t == nil {
			break
		}
		if i == 1 {
			cut = len(out)
			out = append(out, out[start:start+prefix]...)
		}
		begin := len(out) - prefix
		raw = strconv.AppendInt(append(raw[:head], `],"exp":`...), t.exp.Unix(), 10)
		raw = strconv.AppendInt(append(raw, `,"iat":`...), t.iat.Unix(), 10)
		raw = append(appendJSONString(append(raw, `,"jti":`...), t.jti), '}')
		out = enc.AppendEncode(out, raw[shared:])
		var sum [sha256.Size]byte
		b[2], sum = hmacSHA256(b[2][:0], out[begin:])
		out = enc.AppendEncode(append(out, '.'), sum[:])
	}
	if second == nil {
		cut = len(out)
	}
	b[0], b[1] = raw, out
	return cut
}

// jwtBuf is the scratch of appendSignedJWTs and lookupLocked: claims, the
// token text, and hmacSHA256's input.
type jwtBuf [3][]byte

var jwtBufs = sync.Pool{New: func() any { return &jwtBuf{make([]byte, 0, 2048), make([]byte, 0, 2048), make([]byte, 0, 2048)} }}

// hmacSHA256 is HMAC-SHA256 of msg under signingKey (RFC 2104), using
// scratch for its input and returning it for reuse: crypto/hmac's state
// is an interface and escapes to the heap, and this runs twice per token.
// (Starting from the pads' precomputed hash states saved 3% and cost an
// allocation.)
func hmacSHA256(scratch, msg []byte) ([]byte, [sha256.Size]byte) {
	pads := hmacPads()
	scratch = append(append(scratch, pads[0][:]...), msg...)
	inner := sha256.Sum256(scratch)
	scratch = append(append(scratch[:0], pads[1][:]...), inner[:]...)
	return scratch, sha256.Sum256(scratch)
}

// hmacPads are signingKey's inner and outer HMAC pads.
var hmacPads = sync.OnceValue(func() (p [2][sha256.BlockSize]byte) {
	for i, k := range signingKey() {
		p[0][i], p[1][i] = k, k
	}
	for i := range sha256.BlockSize {
		p[0][i] ^= 0x36
		p[1][i] ^= 0x5c
	}
	return p
})

// appendJSONPair appends x and y joined by ';' as one JSON string.
func appendJSONPair(b []byte, x, y string) []byte {
	b = appendJSONChars(append(b, '"'), x)
	return append(appendJSONChars(append(b, ';'), y), '"')
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	return append(appendJSONChars(append(b, '"'), s), '"')
}

// appendJSONChars appends s escaped for the inside of a JSON string.
func appendJSONChars(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] >= 0x20 && s[i] != '"' && s[i] != '\\'
	}
	if plain {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"' || ch == '\\':
			b = append(b, '\\', ch)
		case ch < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[ch>>4], "0123456789abcdef"[ch&0xF])
		default:
			b = append(b, ch)
		}
	}
	return b
}

// sealAll replaces the pending tokens of a token endpoint answer with
// their signed text.
func (s *Server) sealAll(out map[string]any) map[string]any {
	access, _ := out["access_token"].(*o2Token)
	refresh, _ := out["refresh_token"].(*o2Token)
	a, r := s.seal(access, refresh)
	if access != nil {
		out["access_token"] = a
	}
	if refresh != nil {
		out["refresh_token"] = r
	}
	return out
}

// lookupLocked finds the fake's token behind raw, or nil when it is not
// one the fake issued: O(1), by its signature, and only when the
// signature is that of raw's own header and claims, so the whole text is
// the one the fake issued.
func (s *Server) lookupLocked(raw string) *o2Token {
	dot := strings.LastIndexByte(raw, '.')
	first := strings.IndexByte(raw, '.')
	var enc [43]byte // a SHA-256 sum in unpadded Base64url
	var sig [sha256.Size]byte
	if first < 0 || first == dot || len(raw)-dot-1 != len(enc) {
		return nil
	}
	copy(enc[:], raw[dot+1:])
	if n, err := base64.RawURLEncoding.Strict().Decode(sig[:], enc[:]); err != nil || n != len(sig) {
		return nil
	}
	b := jwtBufs.Get().(*jwtBuf) //nolint:forcetypeassert // the pool holds only these
	defer jwtBufs.Put(b)
	b[1] = append(b[1][:0], raw[:dot]...) // the signed text
	claims, err := base64.RawURLEncoding.Strict().AppendDecode(b[0][:0], b[1][first+1:])
	b[0] = claims
	if err != nil {
		return nil
	}
	jti := jtiOf(claims)
	slot, ok := slotOf(jti)
	if !ok || int(slot) >= len(s.o2.tokens) {
		return nil
	}
	t := s.o2.tokens[slot]
	if t == nil || t.jti != jti {
		return nil // freed, or the slot of another token now
	}
	var want [sha256.Size]byte
	b[2], want = hmacSHA256(b[2][:0], b[1])
	if !hmac.Equal(sig[:], want[:]) {
		return nil // not a text the fake signed
	}
	return t
}

// jtiOf is the jti claim of the fake's own claims, which appendSignedJWTs
// writes last, unescaped (a company id and a GUID), or "".
func jtiOf(claims []byte) string {
	const key = `,"jti":"`
	i := bytes.LastIndex(claims, []byte(key))
	if i < 0 || !bytes.HasSuffix(claims, []byte(`"}`)) {
		return ""
	}
	return string(claims[i+len(key) : len(claims)-2])
}

// tokenFail is a token endpoint refusal: {"error": err} with status, and
// the Login Audit Trail Detail (subsect_158521832417).
type tokenFail struct {
	status int
	err    string
	detail string
	// origin is DetailInferred where Oracle lists the Detail for another
	// cause; empty means as documented.
	origin DetailOrigin
}

func badRequest(detail string) *tokenFail {
	return &tokenFail{status: http.StatusBadRequest, err: "invalid_request", detail: detail}
}
func invalidGrant(detail string) *tokenFail {
	return &tokenFail{status: http.StatusBadRequest, err: "invalid_grant", detail: detail}
}

// inferredGrant is invalid_grant with a Detail Oracle lists for another
// cause: InvalidGrant is documented for a PKCE mismatch only and
// InvalidRefreshToken for an access token sent as a refresh token
// (subsect_158711892221, subsect_158711928134); the fake records them for
// a spent, expired or unknown code or refresh token and a redirect_uri
// mismatch too.
func inferredGrant(detail string) *tokenFail {
	return &tokenFail{status: http.StatusBadRequest, err: "invalid_grant", detail: detail, origin: DetailInferred}
}
func unauthorizedClient(detail string) *tokenFail {
	return &tokenFail{status: http.StatusBadRequest, err: "unauthorized_client", detail: detail}
}

var clientAuthFailed = &tokenFail{status: http.StatusUnauthorized, err: "invalid_client", detail: "ClientAuthenticationFailed"}

func tokenError(w http.ResponseWriter, status int, code string, realm nsdist.AccountID) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+string(realm)+`"`)
	}
	writeJSON(w, status, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck
}

// readForm parses a form-encoded POST body (and only the body).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return nil, false
	}
	for _, vs := range r.PostForm {
		if len(vs) > 1 { // RFC 6749 §3.2: no parameter twice
			return nil, false
		}
	}
	return r.PostForm, true
}

func (s *Server) tokenEndpoint(w http.ResponseWriter, r *http.Request, a *Account, host string) {
	form, ok := readForm(w, r)
	out, fail := s.grantLocking(r, a, form, ok, host)
	if fail != nil {
		tokenError(w, fail.status, fail.err, a.id)
		return
	}
	writeJSON(w, http.StatusOK, s.sealAll(out))
}

// grantLocking runs a token request under the server's lock, auditing a
// refusal; the tokens it returns are still to be sealed.
func (s *Server) grantLocking(r *http.Request, a *Account, form url.Values, ok bool, host string) (map[string]any, *tokenFail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gt := form.Get("grant_type")
	if s.o2.requests == nil {
		s.o2.requests = map[string]int{}
	}
	s.o2.requests[gt]++
	var out map[string]any
	var in *Integration
	var fail *tokenFail
	switch {
	case !ok || gt == "":
		fail = badRequest("")
	case gt == "authorization_code" || gt == "refresh_token":
		if in, fail = s.clientAuthLocked(r, form); fail == nil {
			if gt == "authorization_code" {
				out, fail = s.codeGrantLocked(a, in, form)
			} else {
				out, fail = s.refreshGrantLocked(a, in, form)
			}
		}
	case gt == "client_credentials":
		out, in, fail = s.clientCredentialsLocked(a, form, host)
	default:
		fail = &tokenFail{status: http.StatusBadRequest, err: "unsupported_grant_type", detail: "InvalidGrantType"}
	}
	if fail != nil {
		if fail.detail != "" {
			appID := ""
			if in != nil {
				appID = in.ApplicationID
			}
			if fail.origin != "" {
				a.auditAsLocked("", appID, "", fail.detail, fail.origin)
			} else {
				a.auditLocked("", appID, "", false, fail.detail)
			}
		}
		return nil, fail
	}
	return out, nil
}

// clientAuthLocked authenticates the client of a code or refresh request
// (section_158081952044, subsect_158521832417): a confidential client by
// HTTP Basic over client_id:client_secret in standard base64 (RFC 7617);
// a public client by client_id in the body without Authorization, or by
// Basic with an empty secret. Two methods at once are invalid_request.
// client_secret in the body (client_secret_post) is not a method NetSuite
// lists, so the fake refuses it as invalid_client.
func (s *Server) clientAuthLocked(r *http.Request, form url.Values) (*Integration, *tokenFail) {
	h := r.Header.Get("Authorization")
	bodyID, bodySecret := form.Get("client_id"), form.Has("client_secret")
	if h != "" && (bodyID != "" || bodySecret) {
		// Oracle lists ClientAuthenticationFailed without naming two methods at once
		f := badRequest("ClientAuthenticationFailed")
		f.origin = DetailInferred
		return nil, f
	}
	if bodySecret {
		return nil, clientAuthFailed
	}
	if h == "" {
		in := s.byClientIDLocked(bodyID)
		if in == nil || !in.PublicClient {
			return nil, clientAuthFailed
		}
		return in, nil
	}
	scheme, cred, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return nil, clientAuthFailed
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return nil, clientAuthFailed
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, clientAuthFailed
	}
	// RFC 6749 §2.3.1 form-encodes both before Basic; hex values are unchanged
	if u, err := url.QueryUnescape(id); err == nil {
		id = u
	}
	if u, err := url.QueryUnescape(secret); err == nil {
		secret = u
	}
	in := s.byClientIDLocked(id)
	switch {
	case in == nil:
		return nil, clientAuthFailed
	case in.PublicClient && secret != "":
		return in, clientAuthFailed
	case !in.PublicClient && subtle.ConstantTimeCompare([]byte(secret), []byte(in.ClientSecret)) != 1:
		return in, clientAuthFailed
	}
	return in, nil
}

var verifierRe = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// codeGrantLocked is Step Two (section_158081952044): it checks the code,
// redirect_uri and PKCE, auto-installs the record with the account's
// preference, and returns an access and a refresh token.
func (s *Server) codeGrantLocked(a *Account, in *Integration, form url.Values) (map[string]any, *tokenFail) {
	c := s.o2.codes[form.Get("code")]
	now := s.now()
	switch {
	case c == nil || c.used || !now.Before(c.expires):
		return nil, inferredGrant("InvalidGrant")
	case c.clientID != in.ClientID:
		return nil, invalidGrant("ClientIdMismatch")
	}
	c.used = true // single use, whatever happens next
	switch {
	case c.account != a:
		return nil, inferredGrant("InvalidGrant")
	case form.Get("redirect_uri") != c.redirectURI:
		return nil, inferredGrant("InvalidGrant")
	case c.challenge != "" && !pkceMatches(c.challenge, form.Get("code_verifier")):
		return nil, invalidGrant("InvalidGrant")
	case c.challenge == "" && form.Has("code_verifier"): // RFC 9700 §2.1.1
		return nil, inferredGrant("InvalidGrant")
	}
	if f := s.grantChecksLocked(a, in, c.email, c.role); f != nil {
		return nil, f
	}
	if !(s.codeGrant == CodeGrantNotInstalled && a.cfg.RequireApproval) {
		a.autoInstallLocked(in, ChannelOAuth2, c.email)
	}
	ch := &o2Chain{account: a.id, clientID: in.ClientID, appID: in.ApplicationID, email: c.email, role: c.role, entity: c.entity,
		scopes: c.scopes, public: in.PublicClient, oit: now}
	a.auditLocked(c.email, in.ApplicationID, "", true, "")
	access, refresh := s.mintLocked(ch, now.Add(accessLifetime), s.refreshExpiry(ch, in, now))
	return map[string]any{
		"access_token":  access,
		"refresh_token": refresh,
		"expires_in":    3600,
		"token_type":    "bearer",
	}, nil
}

func pkceMatches(challenge, verifier string) bool {
	if !verifierRe.MatchString(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// refreshExpiry: 7 days for a confidential client; the record's Refresh
// Token Validity for a public one, never past the rotation window
// (section_157771733782, section_158082518856).
func (s *Server) refreshExpiry(c *o2Chain, in *Integration, now time.Time) time.Time {
	if !c.public {
		return now.Add(confidentialRefresh)
	}
	exp := now.Add(in.RefreshTokenValidity)
	if end := c.oit.Add(in.MaxTokenRotation); exp.After(end) {
		exp = end
	}
	return exp
}

// grantChecksLocked refuses a code or refresh grant the account will not
// serve. The Detail values are Oracle's (subsect_158711892221,
// subsect_158711928134); the client-visible error is not documented and
// the fake answers unauthorized_client. A record Waiting for Approval
// still gets tokens (the grant is what installs it); only requests with
// them are refused.
func (s *Server) grantChecksLocked(a *Account, in *Integration, email, role string) *tokenFail {
	switch {
	case a.cfg.OAuth2Disabled:
		return unauthorizedClient("FeatureDisabled")
	case !in.OAuth2CodeGrant:
		return unauthorizedClient("AuthorizationCodeGrantRequired")
	}
	if inst := a.installs[in.ApplicationID]; inst != nil && inst.State == nsdist.StateBlocked {
		return unauthorizedClient("IntegrationBlocked")
	}
	if u := a.users[email]; u == nil || !hasRole(u, role) {
		return invalidGrant("EntityOrRoleDisabled")
	}
	return nil
}

// refreshGrantLocked (section_158082518856): a confidential client gets an
// access token only; a public client spends its refresh token and gets a
// new one in the same chain, until Maximum Time For Token Rotation after
// the chain's first token. The fake does not revoke a chain when a spent
// refresh token comes back (NetSuite documents no reuse detection).
func (s *Server) refreshGrantLocked(a *Account, in *Integration, form url.Values) (map[string]any, *tokenFail) {
	raw := form.Get("refresh_token")
	if raw == "" {
		return nil, badRequest("")
	}
	t := s.lookupLocked(raw)
	now := s.now()
	switch {
	case t == nil || t.chain.account != a.id:
		return nil, invalidGrant("InvalidSignature")
	case !t.refresh:
		return nil, invalidGrant("InvalidRefreshToken")
	case t.chain.clientID != in.ClientID:
		return nil, invalidGrant("ClientIdMismatch")
	case t.revoked || t.chain.revoked || t.used:
		return nil, inferredGrant("InvalidRefreshToken")
	case !now.Before(t.exp):
		return nil, invalidGrant("RefreshTokenExpired")
	case t.chain.public && !now.Before(t.chain.oit.Add(in.MaxTokenRotation)):
		return nil, invalidGrant("RefreshTokenExpired")
	}
	if f := s.grantChecksLocked(a, in, t.chain.email, t.chain.role); f != nil {
		return nil, f
	}
	var refreshExp time.Time
	if t.chain.public {
		t.used = true
		refreshExp = s.refreshExpiry(t.chain, in, now)
	}
	access, refresh := s.mintLocked(t.chain, now.Add(accessLifetime), refreshExp)
	out := map[string]any{
		"access_token": access,
		"expires_in":   3600,
		"token_type":   "bearer",
	}
	if refresh != nil {
		out["refresh_token"] = refresh
	}
	return out, nil
}

// revokeEndpoint (section_161071224088) revokes a refresh token and the
// access tokens of its authorization; an access token is revoked alone.
// The answer is not documented: the fake answers 200 with an empty body,
// also for a token it does not know (RFC 7009 §2.2).
func (s *Server) revokeEndpoint(w http.ResponseWriter, r *http.Request, a *Account) {
	form, ok := readForm(w, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok || form.Get("token") == "" {
		tokenError(w, http.StatusBadRequest, "invalid_request", a.id)
		return
	}
	in, fail := s.clientAuthLocked(r, form)
	if fail != nil {
		if fail.detail != "" {
			a.auditLocked("", "", "", false, fail.detail)
		}
		tokenError(w, fail.status, fail.err, a.id)
		return
	}
	if t := s.lookupLocked(form.Get("token")); t != nil && t.chain.account == a.id {
		if t.chain.clientID != in.ClientID {
			tokenError(w, http.StatusBadRequest, "invalid_grant", a.id)
			return
		}
		if t.refresh {
			t.chain.revoked = true
		} else {
			t.revoked = true
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
