package soap

import (
	"slices"
	"strings"

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
// lower-case hex) and in Base64; the scrubber adds the forms an XML echo
// takes, which Values does not know: the secret XML-escaped in any of the
// ways XML writers escape, once or twice (a quoted envelope is escaped
// again). The texts are scrubbed before they are cut, so that a cut cannot
// leave part of a secret behind, and only as far as the cut needs.
//
// The scrubber does not run redact.Params over a fault's texts, as
// redact.Snippet does over a 200-byte snippet: that regular expression
// reads a few megabytes a second, and a fault's text may be megabytes long.
// A nil *scrubber blanks nothing: DecodeResponse, given bytes alone, knows
// no request.
type scrubber struct {
	secrets []string // longest first
	forms   []string // the XML forms of every secret, longest first; built on first use
	maxLen  int      // a bound on the length of any form blanked
}

// newScrubber returns a scrubber for the secrets at least minSecretLen
// long, or nil if there are none.
func newScrubber(secrets ...string) *scrubber {
	var keep []string
	for _, v := range secrets {
		if len(v) >= minSecretLen && !slices.Contains(keep, v) {
			keep = append(keep, v)
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
	for c := range strings.SplitSeq(cookie, ";") {
		if _, v, ok := strings.Cut(c, "="); ok {
			s = append(s, strings.TrimSpace(v))
		}
	}
	return s
}

// build lists the XML forms of the secrets, once; maxLen > 0 marks it done.
func (s *scrubber) build() {
	if s.maxLen > 0 {
		return
	}
	for _, v := range s.secrets {
		s.maxLen = max(s.maxLen, 3*len(v)+4) // the longest of redact.Values' forms: every byte percent-encoded
		for _, e1 := range xmlEscapers {
			once := e1(v)
			for _, f := range append([]string{once}, escapeEach(once)...) {
				if f != v { // the raw form is Values' to blank
					s.forms = append(s.forms, f)
					s.maxLen = max(s.maxLen, len(f))
				}
			}
		}
	}
	slices.SortFunc(s.forms, longestFirst)
	s.forms = slices.Compact(s.forms)
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
	s.build()
	for _, f := range s.forms { // longest first: a form inside another must not leave the other's tail
		t = strings.ReplaceAll(t, f, redact.Placeholder)
	}
	return redact.Values(t, s.secrets...)
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

// snippet is redact.Snippet of the scrubbed data.
func (s *scrubber) snippet(data []byte) string {
	if s == nil {
		return redact.Snippet(data, snippetLen)
	}
	return redact.Snippet([]byte(head(s, data, snippetLen)), snippetLen)
}

// xmlEscapers are the ways XML writers escape text: as nsdist sends it
// (appendEscaped), as encoding/xml does (numeric quotes and whitespace),
// and the minimal escapings that leave quotes, or quotes and '>', alone.
var xmlEscapers = []func(string) string{
	func(s string) string { return string(appendEscaped(nil, s)) },
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;").Replace,
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace,
	strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace,
}
