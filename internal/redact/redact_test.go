package redact

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"userinfo, query and fragment go", "https://user:pw@host.example:8443/p/a?token=s3cret&x=1#frag", "https://host.example:8443/p/a"},
		{"force query goes", "https://host.example/p?", "https://host.example/p"},
		{"plain stays", "https://123456.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2", "https://123456.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, URL(u)); diff != "" {
				t.Errorf("URL(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if u.User == nil && strings.Contains(tt.in, "@") {
				t.Error("URL changed its argument")
			}
		})
	}
	if got := URL(nil); got != "" {
		t.Errorf("URL(nil) = %q, want empty", got)
	}
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"password element", `<p:passport><p:password>hunter2</p:password></p:passport>`, 200, `<p:passport><p:password>[REDACTED]</p:password></p:passport>`},
		{"unprefixed signature with attribute", `<signature algorithm="HMAC-SHA256">c2lnbmF0dXJl</signature>`, 200, `<signature algorithm="HMAC-SHA256">[REDACTED]</signature>`},
		{"every secret element", `<nonce>n0nce</nonce><consumerSecret>cs</consumerSecret><tokenSecret>ts</tokenSecret>`, 200, `<nonce>[REDACTED]</nonce><consumerSecret>[REDACTED]</consumerSecret><tokenSecret>[REDACTED]</tokenSecret>`},
		{"self-closing element kept", `<password/><x>1</x>`, 200, `<password/><x>1</x>`},
		{"a name inside another is not a secret", `<nonceCount>3</nonceCount><mypassword>x</mypassword>`, 200, `<nonceCount>3</nonceCount><mypassword>x</mypassword>`},
		{"cut inside the open tag", `<a><password attr="`, 200, `<a><[REDACTED]`},
		{"cut inside the value", `<password>hunt`, 200, `<password>[REDACTED]`},
		{"truncated to n bytes", `<a>0123456789</a>`, 8, `<a>01234`},
		{"newlines and tabs become spaces, controls go", "a\nb\tc\r\x00d\x07e", 200, "a b c de"},
		{"trimmed", "  <a/>  ", 200, "<a/>"},
		{"NLAuth header echoed", `NLAuth nlauth_account=1, nlauth_email=a@b.example, nlauth_signature=Pa%20ss, nlauth_otp=123456`, 200, `NLAuth nlauth_account=1, nlauth_email=a@b.example, nlauth_signature=[REDACTED], nlauth_otp=[REDACTED]`},
		{"OAuth header echoed", `OAuth realm="1", oauth_consumer_key="ck", oauth_signature="abc%3D"`, 200, `OAuth realm="1", oauth_consumer_key="ck", oauth_signature="[REDACTED]"`},
		{"JSON echo", `{"password":"pw1","client_secret": "cs","refresh_token":"rt"}`, 200, `{"password":"[REDACTED]","client_secret": "[REDACTED]","refresh_token":"[REDACTED]"}`},
		{"form echo", `grant_type=refresh_token&refresh_token=abc.def&code_verifier=xyz`, 200, `grant_type=refresh_token&refresh_token=[REDACTED]&code_verifier=[REDACTED]`},
		{"bearer and basic", `Authorization: Bearer eyJ0.eyJ1.sig; Basic dXNlcjpwdw==`, 200, `Authorization: Bearer [REDACTED]; Basic [REDACTED]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Snippet([]byte(tt.in), tt.n)); diff != "" {
				t.Errorf("Snippet(%q, %d) mismatch (-want +got):\n%s", tt.in, tt.n, diff)
			}
		})
	}
}

func TestValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"plain", "your password is Pa ss+w/rd, really", []string{"Pa ss+w/rd"}, "your password is [REDACTED], really"},
		{"query-escaped", "q=Pa+ss%2Bw%2Frd", []string{"Pa ss+w/rd"}, "q=[REDACTED]"},
		{"path-escaped", "p=Pa%20ss+w%2Frd", []string{"Pa ss+w/rd"}, "p=[REDACTED]"},
		{"RFC 3986 as in an NLAuth header", `"message":"credentials rejected: my%20pass%401"`, []string{"my pass@1"}, `"message":"credentials rejected: [REDACTED]"`},
		{"RFC 3986, every reserved character", "sig=a%2Bb%2Fc%3Dd%21%2A%27%28%29%3B%3A%26%24%2C%3F%23%5B%5D", []string{"a+b/c=d!*'();:&$,?#[]"}, "sig=[REDACTED]"},
		{"RFC 3986, UTF-8 bytes", "pw=p%C3%A4ss%E2%82%AC", []string{"päss€"}, "pw=[REDACTED]"},
		{"RFC 3986, lower-case hex", "pw=a%2bb%2fc%3dd%21", []string{"a+b/c=d!"}, "pw=[REDACTED]"},
		{"query-escaped, lower-case hex", "q=Pa+ss%2bw%2frd", []string{"Pa ss+w/rd"}, "q=[REDACTED]"},
		{"path-escaped, lower-case hex", "p=Pa%20ss+w%2frd", []string{"Pa ss+w/rd"}, "p=[REDACTED]"},
		{"base64 standard, padded and raw", "b=aHVudGVyMj8+ c=cD4+P3d+fj8= d=cD4+P3d+fj8", []string{"hunter2?>", "p>>?w~~?"}, "b=[REDACTED] c=[REDACTED] d=[REDACTED]"},
		{"base64 URL alphabet, padded and raw", "b=aHVudGVyMj8- c=cD4-P3d-fj8= d=cD4-P3d-fj8", []string{"hunter2?>", "p>>?w~~?"}, "b=[REDACTED] c=[REDACTED] d=[REDACTED]"},
		{"HTML-escaped as Go does", "pw=p&lt;a&amp;&#34;s&#39;s&gt;w", []string{`p<a&"s's>w`}, "pw=[REDACTED]"},
		{"HTML-escaped with &quot; and &#039;", "pw=p&lt;a&amp;&quot;s&#039;s&gt;w", []string{`p<a&"s's>w`}, "pw=[REDACTED]"},
		{"HTML-escaped with &apos;", "pw=p&lt;a&amp;&quot;s&apos;s&gt;w", []string{`p<a&"s's>w`}, "pw=[REDACTED]"},
		{"HTML-escaped with &#x27;", "pw=p&lt;a&amp;&quot;s&#x27;s&gt;w", []string{`p<a&"s's>w`}, "pw=[REDACTED]"},
		{"path-escaped, then HTML-escaped", "pw=p%3Ca&amp;%22s%27s%3Ew", []string{`p<a&"s's>w`}, "pw=[REDACTED]"},
		{"in a JSON string, HTML escapes on", `{"m":"p\u003ca\u0026\"s's\u003ew"}`, []string{`p<a&"s's>w`}, `{"m":"[REDACTED]"}`},
		{"in a JSON string, HTML escapes off", `{"m":"p<a&\"s's>w"}`, []string{`p<a&"s's>w`}, `{"m":"[REDACTED]"}`},
		{"several, every occurrence", "aaaa bbbb aaaa", []string{"aaaa", "bbbb"}, "[REDACTED] [REDACTED] [REDACTED]"},
		{"short values are left", "the pin 123 stays", []string{"123", ""}, "the pin 123 stays"},
		{"none", "nothing", nil, "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Values(tt.in, tt.secrets...)); diff != "" {
				t.Errorf("Values(%q, %q) mismatch (-want +got):\n%s", tt.in, tt.secrets, diff)
			}
		})
	}
}

func TestParamsLeavesOrdinaryText(t *testing.T) {
	t.Parallel()
	tests := []string{
		"Invalid login attempt.",
		`{"error":{"code":"InvalidSignature","message":"the signature does not verify"}}`,
		"oauth_consumer_key=ck&oauth_nonce=n&oauth_timestamp=1",
	}
	for _, in := range tests {
		if diff := cmp.Diff(in, Params(in)); diff != "" {
			t.Errorf("Params(%q) mismatch (-want +got):\n%s", in, diff)
		}
	}
}

func TestLowerHex(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"%2F%3D%ZZ", "%2f%3d%ZZ"},
		{"ABC%4", "ABC%4"},
		{"%", "%"},
		{"%%2F", "%%2f"},
		{"%2%AB", "%2%ab"},
		{"%ABCD", "%abCD"},
		{"no escapes ABCDEF", "no escapes ABCDEF"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, lowerHex(tt.in)); diff != "" {
			t.Errorf("lowerHex(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

// Every form Values blanks fits MaxFormLen, which soap's scrubber uses to
// size the window it scrubs before a cut.
func TestFormsFitMaxFormLen(t *testing.T) {
	t.Parallel()
	for _, v := range []string{`""""`, `''''`, "<<<<", "&&&&", "\x01\x02\x03\x04", "\xff\xfe\xfd\xfc", "\u2028\u2029", "päss€", `p<a&"s's>w`} {
		for _, f := range forms(v) {
			if len(f) > MaxFormLen(len(v)) {
				t.Errorf("forms(%q) has %q, %d bytes: more than MaxFormLen(%d) = %d", v, f, len(f), len(v), MaxFormLen(len(v)))
			}
		}
	}
}
