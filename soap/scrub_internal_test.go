package soap

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/internal/redact"
)

// TestScrubberHead: scrubbing a window of a long text gives the first n+1
// bytes that scrubbing all of it gives, wherever the secrets fall
// relative to the window's end, and however much blanking shrinks it.
func TestScrubberHead(t *testing.T) {
	t.Parallel()
	long := "060cd9ab3ffbbe1e3d3918e90165ffd37ab12acc76b4691046e2d29c7d7674c2"
	sc := newScrubber(long, "Hunter&<Two>", "abc") // "abc" is too short to blank
	sc.build()
	margin := 4*sc.maxLen + 64
	const n = 200
	tests := []struct {
		name string
		in   string
	}{
		{"short", "a " + long + " b"},
		{"secret far beyond the window", strings.Repeat("x", 10_000) + long},
		{"secret across the first window's end", strings.Repeat("x", n+margin-10) + long + strings.Repeat("y", 1000)},
		{"secrets that shrink the window below n", strings.Repeat(long, 1000) + "tail " + long},
		{"escaped forms that shrink it", strings.Repeat("Hunter&amp;amp;&amp;lt;Two&amp;gt;", 500) + "Hunter&amp;&lt;Two&gt;"},
		{"short values stay", strings.Repeat("abc ", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			full := sc.text(tt.in)
			got := head(sc, tt.in, n)
			k := min(n+1, len(full))
			if len(got) < k {
				t.Fatalf("head() returned %d bytes, want at least %d", len(got), k)
			}
			if diff := cmp.Diff(full[:k], got[:k]); diff != "" {
				t.Errorf("head(%.40q…, %d) mismatch (-want +got):\n%s", tt.in, n, diff)
			}
			if strings.Contains(got[:k], long[:16]) {
				t.Errorf("head() = %.300q keeps part of the secret", got)
			}
		})
	}
	// A secret across the window's end, wherever that end falls, after a
	// short secret whose blanking lengthens the text.
	sc2 := newScrubber(long, "wxyz")
	for off := 0; off < n+margin+sc.maxLen; off += 13 { // a step shorter than the secret: every window end cuts it once
		in := "wxyz" + strings.Repeat("x", off) + long + strings.Repeat("y", 100)
		full, got := sc2.text(in), head(sc2, in, n)
		if k := min(n+1, len(full)); len(got) < k || got[:k] != full[:k] {
			t.Fatalf("head() with the secret at %d = %.300q, want the start of %.300q", off+4, got, full)
		}
	}
	var none *scrubber
	if got := head(none, strings.Repeat("z", 1000), n); len(got) != n+1 {
		t.Errorf("nil scrubber head() returned %d bytes, want %d", len(got), n+1)
	}
	if newScrubber("", "abc") != nil {
		t.Error("newScrubber with no usable secret is not nil")
	}
}

// TestSnippetScrubbedInOtherCharsets: a UTF-16 or Latin-1 body echoing a
// secret does not show it in a DecodeError's or HTTPError's snippet once
// redact.Snippet has dropped the NULs and invalid bytes.
func TestSnippetScrubbedInOtherCharsets(t *testing.T) {
	const pw = "HunterTwoSecret"
	doc := `<?xml version="1.0" encoding="UTF-16"?><a>bad password ` + pw + ` <b></a>`
	for name, enc := range map[string]func(uint16) []byte{
		"le": func(c uint16) []byte { return []byte{byte(c), byte(c >> 8)} },
		"be": func(c uint16) []byte { return []byte{byte(c >> 8), byte(c)} },
	} {
		var buf []byte
		for _, c := range doc {
			buf = append(buf, enc(uint16(c))...)
		}
		sc := newScrubber(pw)
		_, err := decodeResponse(buf, DefaultMaxResponseSize, sc)
		if err == nil || strings.Contains(err.Error(), "Hunter") {
			t.Errorf("utf-16%s: %v", name, err)
		}
		if s := sc.snippet(buf); strings.Contains(s, "Hunter") {
			t.Errorf("utf-16%s snippet: %q", name, s)
		}
	}
	latin := []byte("<a>bad password p\xe4ssword1 <b></a>")
	_, err := decodeResponse(latin, DefaultMaxResponseSize, newScrubber("pässword1"))
	if err == nil || strings.Contains(err.Error(), "ssword1") {
		t.Errorf("latin-1: %v", err)
	}
}

// TestManyCookiesScrubCheaply: a server setting thousands of cookies
// does not make every fault cost seconds of scrubbing; the session
// cookie's value is still blanked, and short routing hints are not.
func TestManyCookiesScrubCheaply(t *testing.T) {
	var parts []string
	for i := range 50000 {
		parts = append(parts, fmt.Sprintf("c%d=v%05d", i, i))
	}
	parts = append(parts, "lb=Server", "JSESSIONID=abcdef0123456789XYZ")
	cookie := strings.Join(parts, "; ")
	secrets := requestSecrets(nil, slotValues{}, cookie)
	if !slices.Contains(secrets, "abcdef0123456789XYZ") || slices.Contains(secrets, "Server") || len(secrets) > 3+16 {
		t.Fatalf("secrets %d: %.200q", len(secrets), secrets)
	}
	field := strings.Repeat("lorem ipsum dolor sit amet ", 200) + " abcdef0123456789XYZ v00001"
	body := reviewFault(field, field, `<ns:invalidCredentialsFault xmlns:ns="u"><ns:code>`+field+`</ns:code><ns:message>`+field+`</ns:message></ns:invalidCredentialsFault>`)
	start := time.Now()
	_, err := decodeResponse(body, DefaultMaxResponseSize, newScrubber(secrets...))
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("decode with 50,000 cookies took %v", d)
	}
	var f *Fault
	if !errors.As(err, &f) || strings.Contains(f.String, "abcdef0123456789XYZ") {
		t.Errorf("%v", err)
	}
}

// TestSecretEchoedInOtherEscapings: numeric character references in any
// mix with named ones, JSON's \u0026 and \/ escapes, and a password
// trimmed of its trailing space are all blanked.
func TestSecretEchoedInOtherEscapings(t *testing.T) {
	const pw = `Hunter'Two"Secret<&`
	for name, echo := range map[string]string{
		"python html.escape": `Hunter&#x27;Two&quot;Secret&lt;&amp;`,
		"php ENT_QUOTES":     `Hunter&#039;Two&quot;Secret&lt;&amp;`,
		"numeric amp":        `Hunter&apos;Two&quot;Secret&lt;&#38;`,
		"hex lt":             `Hunter&apos;Two&quot;Secret&#x3C;&amp;`,
		"all decimal":        `Hunter&#39;Two&#34;Secret&#60;&#38;`,
	} {
		_, err := decodeResponse(reviewFault("soapenv:Server", "x", `<ns:m xmlns:ns="u">`+echo+`</ns:m>`), DefaultMaxResponseSize, newScrubber(pw))
		var f *Fault
		if !errors.As(err, &f) || strings.Contains(f.Detail, "Secret") {
			t.Errorf("%s: %v, Detail %q", name, err, f.Detail)
		}
	}
	sig := "dGhpcy9pcytzaWc/Zm9yL3Rlc3Q9PQ+abc/def=="
	pw2 := "Hunter&Two<Secret>"
	for name, body := range map[string]string{
		"go json":  `{"message":"refused Hunter\u0026Two\u003cSecret\u003e"}`,
		"php json": `{"error":"bad signature ` + strings.ReplaceAll(sig, "/", `\/`) + `"}`,
	} {
		_, err := decodeResponse([]byte(body), DefaultMaxResponseSize, newScrubber(pw2, sig))
		if err == nil || strings.Contains(err.Error(), "Secret") || strings.Contains(err.Error(), "Zm9y") {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := decodeResponse(reviewFault("soapenv:Server", "wrong password Hunter2Secret ", ""), DefaultMaxResponseSize, newScrubber("Hunter2Secret "))
	if err == nil || strings.Contains(err.Error(), "Hunter2") {
		t.Errorf("trailing space: %v", err)
	}
	// A secret holding a numeric reference itself is still blanked raw.
	_, err = decodeResponse(reviewFault("soapenv:Server", "pw a&amp;#39;bcdefg", ""), DefaultMaxResponseSize, newScrubber("a&#39;bcdefg"))
	if err == nil || strings.Contains(err.Error(), "bcdefg") {
		t.Errorf("secret with a reference: %v", err)
	}
}

// TestAbsentSeesEveryForm checks the scrubber's probe against every form
// it and redact.Values blank: a text that holds any of them, anywhere, is
// never taken for clean. The secrets are the awkward ones: escaped
// characters, a character reference, non-ASCII, short runs, a trimmed
// copy, and the Base64-shaped signature and nonce of a real request.
func TestAbsentSeesEveryForm(t *testing.T) {
	for _, v := range []string{"s3cr3t-Value_1", `a&b<c>"d'e`, "&#39;abc&#x27;", "ab&#x000027;cdefgh", "pässwörd-Ünïcode",
		"中文密码测试", "!@#$%^&*()", "  padded secret  ", "abc/def+ghi==", "x~y.z-w_v", "9GRaVvRd9cQvDfq3T3Dm5Pm7yZ6Lq1SxXxTfEAmpleA="} {
		s := newScrubber(v, "other-secret-1234")
		s.build()
		forms := append(append([]string{v}, s.forms...), redact.Forms(v)...)
		for _, f := range forms {
			for _, text := range []string{f, "<faultstring>bad " + f + " here</faultstring>", "&#39;" + f + "&#x27;"} {
				if s.absent(text) {
					t.Errorf("secret %q: %q was taken for clean", v, text)
				}
				if got := s.text(text); strings.Contains(got, v) && len(strings.TrimSpace(v)) >= minSecretLen {
					t.Errorf("secret %q: text(%q) = %q", v, text, got)
				}
			}
		}
	}
	for _, c := range []struct{ secret, text string }{{"0039;Ab!", "<faultstring>&#0039;Ab!</faultstring>"},
		{"0000000000000039;SuperLongPassword", "bad value &#0000000000000039;SuperLongPassword"}} {
		s := newScrubber(c.secret)
		for _, got := range []string{s.text(c.text), head(s, c.text, 4096)} {
			if strings.Contains(got, c.secret) || strings.Contains(got, strings.TrimLeft(c.secret, "0")) {
				t.Errorf("secret %q: %q kept it", c.secret, got)
			}
		}
	}
	s := newScrubber("s3cr3t-Value_1")
	for _, clean := range []string{"Invalid login attempt.", "WS_REQUEST_BLOCKED", "s3cr3t-Value", "", "&#39;&#x27;"} {
		if !s.absent(clean) {
			t.Errorf("%q holds no form of the secret, yet was not taken for clean", clean)
		}
	}
}

// FuzzScrubberAbsent checks that the probe changes nothing: text and head
// give what scrubbing the whole text gives, probe or not. (A text taken
// for clean was once returned as it came, its character references not
// normalised, and a secret that was one leaked: the seeds.)
func FuzzScrubberAbsent(f *testing.F) {
	f.Add("s3cr3t-Value_1", "an echo of s3cr3t-Value_1")
	f.Add(`a&b<c>"d'e`, "a&amp;b&lt;c&gt;&quot;d&#39;e")
	f.Add("abc/def+ghi==", "YWJjL2RlZitnaGk9PQ")
	f.Add("password", "p\x00a\x00s\x00s\x00w\x00o\x00r\x00d\x00")
	f.Add("0039;Ab!", "<faultstring>&#0039;Ab!</faultstring>")
	f.Add("0000000000000039;SuperLongPassword", "bad value &#0000000000000039;SuperLongPassword")
	f.Fuzz(func(t *testing.T, secret, text string) {
		s := newScrubber(secret)
		if s == nil {
			return
		}
		if got, want := s.text(text), s.scrub(text); got != want {
			t.Fatalf("secret %q: text(%q) = %q, but scrubbing it all gives %q", secret, text, got, want)
		}
		if got, want := head(s, text, 4096), head(s, text, 4096); got != want || (len(text) <= 4096 && got != s.scrub(text)) {
			t.Fatalf("secret %q: head(%q) = %q, scrubbing gives %q", secret, text, got, s.scrub(text))
		}
	})
}
