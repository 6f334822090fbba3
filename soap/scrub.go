package soap

import (
	"encoding/binary"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/nsdist/nsdist/internal/redact"
)

// minSecretLen is the shortest value scrubbed, as in redact.Values:
// blanking shorter ones would blank ordinary text.
const minSecretLen = 4

// scrubber blanks the secrets of one request in the answer to it: the
// texts of a fault, and the snippets a DecodeError or HTTPError keeps. A
// server may echo what it was sent (a fault message that quotes the
// request, a proxy's error page), and a secret so echoed must reach
// neither an error's text nor a log line. redact.Values blanks each secret
// raw, URL-encoded (query and path escaping, RFC 3986, upper- or
// lower-case hex), HTML-escaped once, in a JSON string and in Base64; the
// scrubber adds the forms an XML echo takes, which Values does not know:
// the secret XML-escaped in any of the ways XML writers escape, in any mix
// of numeric and named references, once or twice (a quoted envelope is
// escaped again). The texts are scrubbed before they are cut, so that a cut cannot
// leave part of a secret behind, and only as far as the cut needs.
//
// The scrubber does not run redact.Params over a fault's texts, as
// redact.Snippet does over a 200-byte snippet: that regular expression
// reads a few megabytes a second, and a fault's text may be megabytes long.
// A nil *scrubber blanks nothing: DecodeResponse, given bytes alone, knows
// no request.
type scrubber struct {
	secrets []string // longest first
	forms   []string // the XML and other-charset forms of every secret, longest first; built on first use
	repl    *strings.Replacer
	maxLen  int // a bound on the length of any form blanked
}

// newScrubber returns a scrubber for the secrets at least minSecretLen
// long, or nil if there are none.
func newScrubber(secrets ...string) *scrubber {
	var keep []string
	for _, v := range secrets {
		// A server that trims what it echoes drops a password's
		// surrounding spaces: the trimmed value is a secret too.
		for _, w := range []string{v, strings.TrimSpace(v)} {
			if len(w) >= minSecretLen && !slices.Contains(keep, w) {
				keep = append(keep, w)
			}
		}
	}
	if len(keep) == 0 {
		return nil
	}
	slices.SortFunc(keep, longestFirst)
	return &scrubber{secrets: keep}
}

func longestFirst(a, b string) int {
	if len(a) != len(b) {
		return len(b) - len(a)
	}
	return strings.Compare(a, b)
}

// requestSecrets returns the secrets a request carried: what it sent
// (a passport's password, a tokenPassport's nonce and signature, the
// session cookie's values) and what it was signed with (consumer secret,
// token secret). nsdist sends no one-time password.
func requestSecrets(auth Auth, vals slotValues, cookie string) []string {
	s := []string{vals[slotPassword], vals[slotNonce], vals[slotSignature]}
	if a, ok := auth.(*TokenAuth); ok {
		s = append(s, a.ConsumerSecret, a.TokenSecret)
	}
	return append(s, cookieSecrets(cookie)...)
}

// maxCookieSecrets bounds the cookie values a request's scrubber blanks.
// Every secret costs the scrubbing of every text kept, and a server that
// sets 50,000 cookies made each fault cost 20 s of CPU.
const maxCookieSecrets = 16

// cookieSecrets returns the values of the session cookies in a Cookie
// header: those whose name says session (JSESSIONID), then those long
// enough to be a token (16 bytes or more), at most maxCookieSecrets. The
// others (NS_ROUTING_VERSION=LAGGING, lb=Server) are routing hints, not
// secrets, and blanking them would blank ordinary words of an answer.
func cookieSecrets(cookie string) []string {
	var session, long []string
	for c := range strings.SplitSeq(cookie, ";") {
		name, v, ok := strings.Cut(c, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case strings.Contains(strings.ToLower(name), "sess"):
			session = append(session, v)
		case len(v) >= 16 && len(long) < maxCookieSecrets:
			long = append(long, v)
		}
		if len(session) >= maxCookieSecrets {
			break
		}
	}
	out := append(session, long...)
	return out[:min(len(out), maxCookieSecrets)]
}

// build lists the XML forms of the secrets, once; maxLen > 0 marks it done.
func (s *scrubber) build() {
	if s.maxLen > 0 {
		return
	}
	for _, v := range s.secrets {
		s.maxLen = max(s.maxLen, redact.MaxFormLen(len(v))) // the longest of redact.Values' forms
		for _, e1 := range xmlEscapers {
			once := e1(v)
			for _, f := range append([]string{once}, escapeEach(once)...) {
				if f = normRefs(f); f != v { // the raw form is Values' to blank
					s.forms = append(s.forms, f)
					s.maxLen = max(s.maxLen, len(f))
				}
			}
		}
		if n := normRefs(v); n != v { // a raw "&#39;" in the secret is seen normalised
			s.forms = append(s.forms, n)
		}
		// The forms a body in another charset takes: the bytes of a
		// Latin-1 or UTF-16 error page, before any conversion.
		for _, f := range charsetForms(v) {
			s.forms = append(s.forms, f)
			s.maxLen = max(s.maxLen, len(f))
		}
	}
	slices.SortFunc(s.forms, longestFirst)
	s.forms = slices.Compact(s.forms)
	// One pass over a text for every form: strings.Replacer tries the
	// forms at each position in the order given, longest first, so a form
	// inside another does not leave the other's tail.
	pairs := make([]string, 0, 2*len(s.forms))
	for _, f := range s.forms {
		pairs = append(pairs, f, redact.Placeholder)
	}
	s.repl = strings.NewReplacer(pairs...)
}

// charsetForms returns v encoded in UTF-16 (both byte orders) and, if it
// is not ASCII but fits, in Latin-1.
func charsetForms(v string) []string {
	var le, be, l1 []byte
	latin := true
	for _, r := range v {
		for _, u := range utf16.Encode([]rune{r}) {
			le = binary.LittleEndian.AppendUint16(le, u)
			be = binary.BigEndian.AppendUint16(be, u)
		}
		if r > 0xff {
			latin = false
		} else if latin {
			l1 = append(l1, byte(r&0xff))
		}
	}
	out := []string{string(le), string(be)}
	if latin && len(l1) != len(v) {
		out = append(out, string(l1))
	}
	return out
}

func escapeEach(v string) []string {
	out := make([]string, len(xmlEscapers))
	for i, e := range xmlEscapers {
		out[i] = e(v)
	}
	return out
}

// text returns t with every form of every secret blanked.
func (s *scrubber) text(t string) string {
	if s == nil {
		return t
	}
	if s.absent(t) {
		// scrubbing would change nothing but the references, which
		// normRefs rewrites whole: a secret may be one ("&#0039;...")
		return normRefs(t)
	}
	return s.scrub(t)
}

// scrub is text without the probe.
func (s *scrubber) scrub(t string) string {
	s.build()
	return redact.Values(s.repl.Replace(normRefs(t)), s.secrets...)
}

// absent reports whether t surely holds no form of any secret, so that
// scrubbing it would change nothing but its character references: most
// texts an answer keeps (an nsId, a fault's message) take this path, and
// building every form costs far more than looking for a few probes.
// redact.MayHold sees every form redact.Values blanks, and every XML and
// Latin-1 form too (they keep the same characters); the UTF-16 forms hold
// a NUL, which t is checked for. Texts and forms are matched as normRefs
// leaves them, which can make letters appear or go: t is probed as
// normRefs leaves it, and a secret that holds "&#" is always looked for.
func (s *scrubber) absent(t string) bool {
	if strings.IndexByte(t, 0) >= 0 {
		return false
	}
	t = normRefs(t)
	for _, v := range s.secrets {
		if strings.Contains(v, "&#") || redact.MayHold(t, v) {
			return false
		}
	}
	return true
}

// head returns the scrubbed text of b, at least its first n+1 bytes when b
// is longer: enough for capText or redact.Snippet to cut and mark the cut,
// without scrubbing (or, for a nil scrubber, copying) megabytes. It scrubs
// a window of b that ends far enough past n that a secret the window's end
// cuts in two lies wholly beyond the first n bytes of the result.
func head[T ~string | ~[]byte](s *scrubber, b T, n int) string {
	if s == nil {
		return string(b[:min(len(b), n+1)])
	}
	if len(b) <= n && s.absent(string(b)) {
		return normRefs(string(b)) // as scrubbing leaves it: the references may hold a secret
	}
	s.build()
	// A blanked form changes the length by at most its own; one cut by the
	// window's end, and the forms blanked after its start, lie within the
	// last 3*maxLen bytes of the result. Blanking shrinks a window by a
	// factor of maxLen/len(Placeholder) at most, so the doubling stops
	// there.
	margin := 4*s.maxLen + 64
	for w := n + margin; ; w *= 2 {
		if w >= len(b) {
			return s.text(string(b))
		}
		if out := s.text(string(b[:w])); len(out) > n+margin {
			return out
		}
	}
}

// snippet is redact.Snippet of the scrubbed data, scrubbed again:
// Snippet drops NULs and invalid bytes, and a secret the first pass did not
// see in a body of another charset (H\x00u\x00n\x00...) comes together
// there. A snippet is 200 bytes, so the second pass is cheap.
func (s *scrubber) snippet(data []byte) string {
	if s == nil {
		return redact.Snippet(data, snippetLen)
	}
	return s.text(redact.Snippet([]byte(head(s, data, snippetLen)), snippetLen))
}

// charRef matches a numeric character reference to one of the five
// characters XML escapes, decimal or hex, with leading zeros or not.
var charRef = regexp.MustCompile(`&#(?:[xX]0*(?:22|26|27|3[cCeE])|0*(?:34|38|39|60|62));`)

// normRefs writes the numeric character references to the five characters
// XML escapes (&#39; &#039; &#x27; &#38; &#x3C; ...) as the named
// entities, in the text scrubbed and in the forms it is scrubbed of, so
// that a secret escaped in any mix of numeric and named styles (Python's
// html.escape, PHP's ENT_QUOTES, a hand-rolled writer) matches one form.
// What the text says is unchanged, though such a reference is shown in
// its named form.
func normRefs(t string) string {
	if !strings.Contains(t, "&#") {
		return t
	}
	return charRef.ReplaceAllStringFunc(t, func(m string) string {
		d := strings.TrimLeft(m[2:len(m)-1], "xX0")
		switch strings.ToLower(d) {
		case "22", "34":
			return "&quot;"
		case "26", "38":
			return "&amp;"
		case "27", "39":
			return "&apos;"
		case "3c", "60":
			return "&lt;"
		}
		return "&gt;"
	})
}

// xmlEscapers are the ways XML writers escape text: as nsdist sends it
// (appendEscaped), as encoding/xml does (numeric quotes and whitespace),
// and the minimal escapings that leave quotes, or quotes and '>', alone;
// and the ways JSON writers do, for a JSON error page: Go's encoding/json
// (\u0026 \u003c \u003e) and PHP's json_encode (\/).
var xmlEscapers = []func(string) string{
	func(s string) string { return string(appendEscaped(nil, s)) },
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;").Replace,
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace,
	strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace,
	strings.NewReplacer(`\`, `\\`, `"`, `\"`, "&", `\u0026`, "<", `\u003c`, ">", `\u003e`).Replace,
	strings.NewReplacer(`\`, `\\`, `"`, `\"`, "/", `\/`).Replace,
}
