// Package redact holds the placeholder nsdist prints instead of a secret and
// helpers that keep secrets out of URLs and snippets.
package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/nsdist/nsdist/internal/oauth1"
)

// Placeholder replaces every secret in text nsdist prints.
const Placeholder = "[REDACTED]"

// URL returns u without userinfo and query string, for messages and logs.
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.ForceQuery = false
	c.Fragment = ""
	return c.String()
}

// Snippet returns at most n bytes of b as printable single-line text, with
// the value of any element whose local name is listed in secretElements,
// and of any secret parameter (name=value, name="value", "name":"value" or
// an Authorization header's credentials, as a server may echo them)
// blanked. It is used for the body snapshot kept on errors.
func Snippet(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	s := string(b)
	for _, name := range secretElements {
		s = blankElement(s, name)
	}
	s = Params(s)
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0xfffd {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

var secretElements = []string{"password", "signature", "nonce", "consumerSecret", "tokenSecret"}

// paramNames are the names of the secret parameters Params blanks.
var paramNames = []string{"nlauth_signature", "nlauth_otp", "oauth_signature", "oauth_token_secret", "oauth_verifier", "client_secret",
	"client_assertion", "code_verifier", "refresh_token", "access_token", "id_token", "password", "secret"}

// secretParam matches a secret parameter's name, its separator and an
// optional opening quote; the value follows.
var secretParam = regexp.MustCompile(`(?i)((?:` + strings.Join(paramNames, "|") + `)"?\s*[=:]\s*"?)([^"&,;\s<>]+)`)

// authSchemes are the Authorization schemes whose credentials Params blanks.
var authSchemes = []string{"basic", "bearer"}

// authScheme matches the credentials of a Basic or Bearer Authorization value.
var authScheme = regexp.MustCompile(`(?i)\b(` + strings.Join(authSchemes, "|") + `)(\s+)([A-Za-z0-9._~+/=-]+)`)

// Params blanks the values of secret parameters in s: NLAuth's
// nlauth_signature (the password) and nlauth_otp, OAuth's oauth_signature,
// token secrets, OAuth 2.0 tokens, client secrets and assertions, code
// verifiers, passwords, and Basic or Bearer credentials, in header, query,
// form and JSON syntax.
func Params(s string) string {
	if !mayHoldParam(s) {
		return s
	}
	s = secretParam.ReplaceAllString(s, "${1}"+Placeholder)
	return authScheme.ReplaceAllString(s, "${1}${2}"+Placeholder)
}

// mayHoldParam reports whether s may hold what Params blanks: a parameter
// name followed by an optional quote, blanks and '=' or ':', or a scheme
// followed by a blank. The expressions cost tens of microseconds on an
// error's snippet, which seldom holds either. A text with a non-ASCII
// byte goes to them: their case folding matches 'ſ' for 's' and the
// Kelvin sign for 'k'.
func mayHoldParam(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return true
		}
	}
	lower := strings.ToLower(s)
	separated := func(rest string) bool { // `"`? blanks, then '=' or ':'
		rest = strings.TrimLeft(strings.TrimPrefix(rest, `"`), blanks)
		return rest != "" && (rest[0] == '=' || rest[0] == ':')
	}
	blanked := func(rest string) bool { return rest != "" && strings.IndexByte(blanks, rest[0]) >= 0 }
	return anyFollowedBy(lower, paramNames, separated) || anyFollowedBy(lower, authSchemes, blanked)
}

// blanks are the characters of \s in Go's regular expressions.
const blanks = " \t\n\f\r"

// anyFollowedBy reports whether some occurrence in s of one of the words
// is followed by a rest that ok accepts.
func anyFollowedBy(s string, words []string, ok func(rest string) bool) bool {
	for _, w := range words {
		for rest := s; ; {
			i := strings.Index(rest, w)
			if i < 0 {
				break
			}
			rest = rest[i+len(w):]
			if ok(rest) {
				return true
			}
		}
	}
	return false
}

// Values replaces every occurrence in s of each secret value, and of the
// forms it takes on the wire, with the placeholder: url.QueryEscape and
// url.PathEscape; the RFC 3986 percent-encoding that OAuth 1.0a and NLAuth
// headers use (RFC 5849 §3.6, section_157651396916: only A-Z a-z 0-9 - . _ ~
// stay, a space is %20); each of those with lower-case hex digits; each of
// those and the value itself HTML-escaped, as an error page quotes it (&amp;
// &lt; &gt;, and the quotes as Go, Java, PHP and XML write them); the value
// in a JSON string, as encoding/json writes it (with and without its HTML
// escapes \u003c \u003e \u0026); and Base64 in the standard and URL
// alphabets, padded or not. Values shorter than 4 bytes are skipped:
// blanking them would blank ordinary text.
func Values(s string, secrets ...string) string {
	for _, v := range secrets {
		if len(v) < 4 {
			continue
		}
		for _, form := range forms(v) {
			s = strings.ReplaceAll(s, form, Placeholder)
		}
	}
	return s
}

// Forms returns the texts Values blanks for the secret v: v and its
// encoded forms, longest first.
func Forms(v string) []string { return forms(v) }

// MayHold reports whether t may hold v or one of the forms Values blanks
// for it, without making them: every escaped form keeps v's characters
// [A-Za-z0-9._~-] as they are (URL, RFC 3986, HTML, XML, JSON), so it
// holds v's run of them (unescapedRun), and every Base64 form begins with
// the encoding of v's first 3 bytes, in the standard or the URL alphabet.
// A secret without a run of 4 such characters may be anywhere: true. A
// text that holds none of a secret's forms need not be scrubbed, and
// looking for three short strings costs far less than making every form.
func MayHold(t, v string) bool {
	if run := unescapedRun(v); len(run) < 4 || strings.Contains(t, run) {
		return true
	}
	var std, url [4]byte
	base64.StdEncoding.Encode(std[:], []byte(v[:3]))
	base64.URLEncoding.Encode(url[:], []byte(v[:3]))
	return strings.Contains(t, string(std[:])) || strings.Contains(t, string(url[:]))
}

// unescapedRun is a run of v's characters [A-Za-z0-9._~-]: the first run
// of 16, or the longest run when none is that long, enough to tell a
// secret apart and found in the first few bytes of a long token.
func unescapedRun(v string) string {
	const enough = 16
	var best string
	start := 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) && unescaped(v[i]) {
			if i+1-start == enough {
				return v[start : i+1]
			}
			continue
		}
		if i-start > len(best) {
			best = v[start:i]
		}
		start = i + 1
	}
	return best
}

func unescaped(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-'
}

// forms returns v and its encoded forms, without duplicates, longest
// first, so that a form containing another (padded Base64 holds the raw
// form) is blanked whole rather than leaving a tail.
func forms(v string) []string {
	escaped := []string{url.QueryEscape(v), url.PathEscape(v), oauth1.Encode(v)}
	out := []string{v}
	for _, e := range escaped {
		out = append(out, e, lowerHex(e))
	}
	for _, e := range slices.Clone(out) {
		for _, r := range htmlEscapers {
			out = append(out, r.Replace(e))
		}
	}
	out = append(out, jsonString(v, true), jsonString(v, false))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, enc.EncodeToString([]byte(v)))
	}
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(out)
}

// htmlEscapers escape & < > and the quotes the ways servers do: Go's
// html.EscapeString (&#34; &#39;), &quot; with &#39; (Java), &#039; (PHP),
// &#x27; (OWASP) or &apos; (XML), the hex forms, and the minimal escapings
// that leave the quotes, or the quotes and '>', alone.
var htmlEscapers = func() []*strings.Replacer {
	quotes := [][2]string{{"&#34;", "&#39;"}, {"&quot;", "&#39;"}, {"&quot;", "&#039;"}, {"&quot;", "&#x27;"}, {"&quot;", "&apos;"}, {"&#x22;", "&#x27;"}}
	out := make([]*strings.Replacer, 0, len(quotes)+2)
	for _, q := range quotes {
		out = append(out, strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, q[0], "'", q[1]))
	}
	return append(out, strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;"), strings.NewReplacer("&", "&amp;", "<", "&lt;"))
}()

// MaxFormLen bounds the length of the forms Values blanks for a secret of
// n bytes: a quote HTML-escaped as &quot; or a '<' JSON-escaped as \u003c
// is six bytes.
func MaxFormLen(n int) int { return 6*n + 4 }

// jsonString returns v as encoding/json writes it inside a string, without
// the quotes, with or without its HTML escapes.
func jsonString(v string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if enc.Encode(v) != nil { // a string always encodes
		return v
	}
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(b.String(), "\n"), `"`), `"`)
}

// lowerHex lower-cases the two hex digits of every %XX in s: RFC 3986 §2.1
// makes %2f and %2F equivalent, and some servers echo the lower-case form.
func lowerHex(s string) string {
	isHex := func(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f' }
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] != '%' || !isHex(b[i+1]) || !isHex(b[i+2]) {
			continue
		}
		for _, j := range []int{i + 1, i + 2} {
			if 'A' <= b[j] && b[j] <= 'F' {
				b[j] += 'a' - 'A'
			}
		}
		i += 2
	}
	return string(b)
}

// blankElement replaces the text of <p:name ...>text</p:name> with the placeholder.
func blankElement(s, name string) string {
	var out strings.Builder
	for {
		i := indexOpenTag(s, name)
		if i < 0 {
			out.WriteString(s)
			return out.String()
		}
		gt := strings.IndexByte(s[i:], '>')
		if gt < 0 {
			out.WriteString(s[:i])
			out.WriteString("<" + Placeholder)
			return out.String()
		}
		start := i + gt + 1
		out.WriteString(s[:start])
		if s[start-2] == '/' { // self-closing
			s = s[start:]
			continue
		}
		end := strings.IndexByte(s[start:], '<')
		out.WriteString(Placeholder)
		if end < 0 {
			return out.String()
		}
		s = s[start+end:]
	}
}

func indexOpenTag(s, name string) int {
	off := 0
	for {
		j := strings.Index(s[off:], name)
		if j < 0 {
			return -1
		}
		j += off
		end := j + len(name)
		if end < len(s) && (s[end] == '>' || s[end] == ' ' || s[end] == '/') {
			// walk back over an optional prefix to '<'
			k := j - 1
			for k >= 0 && s[k] != '<' && s[k] != '>' && s[k] != ' ' && s[k] != '/' {
				k--
			}
			if k >= 0 && s[k] == '<' && (k == j-1 || s[j-1] == ':') {
				return k
			}
		}
		off = j + 1
	}
}
