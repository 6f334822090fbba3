package connectflow

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist/distribution"
)

// PerBrowser is how many flows one browser may have started and not
// finished: a further start is refused until one ends or expires.
const PerBrowser = 5

// cookieAge is how long a binding cookie lives, the default TTL of a flow.
const cookieAge = 15 * time.Minute

// CrossSite reports a request another site made the browser send: the
// Fetch Metadata header says so, or an Origin that is not the request's
// own. Only the vendor's own page, or the user typing the address, may
// start a flow.
func CrossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err != nil || u.Host != r.Host
	}
	return false
}

// SourceOf is fn's answer for r, or the client's address without fn.
func SourceOf(r *http.Request, fn func(*http.Request) string) string {
	if fn != nil {
		return fn(r)
	}
	return Source(r)
}

// NewBinding is the binding whose cookies are prefixed name, or fallback
// when name is empty.
func NewBinding(name, fallback string, secure bool) Binding {
	if name == "" {
		name = fallback
	}
	return Binding{Prefix: name, Secure: secure}
}

// Source is the client's address without its port: the default key of
// the per-source limit. Behind a proxy, the vendor sets Connect.Source.
func Source(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// Binding is the cookie that ties one flow to the browser that started
// it (RFC 6749 §10.12). Each flow has its own cookie, named after its
// state, with a fresh random value: a second tab keeps the first flow
// working, and a value the browser sends is never adopted (no fixation).
type Binding struct {
	// Prefix names the cookies: Prefix + "_" + 12 hex digits.
	Prefix string
	// Secure marks the cookie Secure even when the request was not TLS.
	Secure bool
}

func (b Binding) name(state string) string {
	h := sha256.Sum256([]byte("nsdist-connect-cookie\x00" + state))
	return b.Prefix + "_" + hex.EncodeToString(h[:6])
}

// Full reports a browser that already has PerBrowser flows in progress.
func (b Binding) Full(r *http.Request) bool {
	n := 0
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, b.Prefix+"_") {
			n++
		}
	}
	return n >= PerBrowser
}

// Cookie is the flow's binding cookie, to set once the flow is kept, and
// the hash to keep in Pending.Session.
func (b Binding) Cookie(r *http.Request, state string) (*http.Cookie, string) {
	v := make([]byte, 32)
	_, _ = rand.Read(v) // crypto/rand does not fail
	value := hex.EncodeToString(v)
	// Secure whenever the app is served over TLS; a local http:// app (the
	// examples) needs the cookie without it.
	return &http.Cookie{Name: b.name(state), Value: value, Path: "/", MaxAge: int(cookieAge / time.Second), HttpOnly: true, //nolint:gosec // G124: Secure is set whenever the request came over TLS or Binding.Secure says so
		Secure: b.Secure || r.TLS != nil, SameSite: http.SameSiteLaxMode}, SessionHash(value)
}

// Key is the store key of state for the browser of r: the state joined
// to the hash of the flow's cookie. A callback opened in another browser
// has no such cookie, finds nothing and takes nothing, so the browser
// that started the flow can still finish it. ok is false without the
// cookie.
func (b Binding) Key(r *http.Request, state string) (key, session string, ok bool) {
	c, err := r.Cookie(b.name(state))
	if err != nil || c.Value == "" {
		return "", "", false
	}
	session = SessionHash(c.Value)
	return state + "." + session, session, true
}

// PutKey is the store key for a flow just bound, matching Key.
func PutKey(state, session string) string { return state + "." + session }

// Matches compares a kept session hash with the browser's, in constant time.
func Matches(kept, session string) bool {
	return subtle.ConstantTimeCompare([]byte(kept), []byte(session)) == 1
}

// Clear expires the flow's cookie once the callback has used it.
func (b Binding) Clear(w http.ResponseWriter, state string) {
	http.SetCookie(w, &http.Cookie{Name: b.name(state), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode}) //nolint:gosec // G124: an expired cookie carries nothing
}

// SessionHash is what a store keeps of a binding cookie.
func SessionHash(v string) string {
	h := sha256.Sum256([]byte("nsdist-connect-session\x00" + v))
	return hex.EncodeToString(h[:])
}

// TooMany answers a start refused by a limit: 429 with Retry-After.
func TooMany(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(60))
	Write(w, http.StatusTooManyRequests, Data{Headline: "Not started", Detail: distribution.ErrTooManyPending.Error()})
}

// Refuse answers a start another site made the browser send, or a
// method other than GET and POST.
func Refuse(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return true
	}
	if CrossSite(r) {
		http.Error(w, "refused: a connection to NetSuite starts from this app's own page", http.StatusForbidden)
		return true
	}
	return false
}
