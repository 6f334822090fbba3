package soap

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNormalizeApplicationIDRefusesNonXML: invalid UTF-8, C1 controls and
// the non-characters XML 1.0 cannot carry are refused, and the warning
// counts characters, not bytes.
func TestNormalizeApplicationIDRefusesNonXML(t *testing.T) {
	for _, s := range []string{"abc\xffdef", "abc\u0085def", "abc\u009fdef", "abc\uFFFEdef", "abc\uFFFFdef", "abc\x7fdef"} {
		if id, err := NormalizeApplicationID(s); !errors.Is(err, ErrInvalidApplicationID) {
			t.Errorf("NormalizeApplicationID(%q) = %q, %v; want ErrInvalidApplicationID", s, id, err)
		}
	}
	if _, err := NormalizeApplicationID("abc\u00a0déf"); err != nil {
		t.Errorf("NBSP and é refused: %v", err)
	}
	err := CheckApplicationID("ééé")
	if !errors.Is(err, ErrUnusualApplicationID) || !strings.Contains(err.Error(), ": 3 characters") {
		t.Errorf("CheckApplicationID(ééé) = %v; want 3 characters", err)
	}
}

const reviewEnv11 = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>`

func reviewFault(code, str, detail string) []byte {
	return []byte(reviewEnv11 + `<soapenv:Fault><faultcode>` + code + `</faultcode><faultstring>` + str + `</faultstring><detail>` + detail + `</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
}

// TestParserErrorsScrubbedAndCapped: the causes of a malformed answer
// (a bad serverTime or integer, a bad or mismatched element name, a wrong
// root's namespace) neither repeat a secret nor grow with the input.
func TestParserErrorsScrubbedAndCapped(t *testing.T) {
	const pw = "HunterTwoSecret"
	sc := newScrubber(pw)
	huge := strings.Repeat("k", 9<<20)
	cases := map[string]string{
		"serverTime":      reviewEnv11 + `<getServerTimeResponse><getServerTimeResult><platformCore:serverTime xmlns:platformCore="u">` + pw + `</platformCore:serverTime></getServerTimeResult></getServerTimeResponse></soapenv:Body></soapenv:Envelope>`,
		"huge serverTime": reviewEnv11 + `<getServerTimeResponse><getServerTimeResult><serverTime>` + huge + `</serverTime></getServerTimeResult></getServerTimeResponse></soapenv:Body></soapenv:Envelope>`,
		"long":            reviewEnv11 + `<getIntegrationGovernanceInfoResponse><getIntegrationGovernanceInfoResult><integrationConcurrencyLimit>` + pw + `</integrationConcurrencyLimit></getIntegrationGovernanceInfoResult></getIntegrationGovernanceInfoResponse></soapenv:Body></soapenv:Envelope>`,
		"mismatch":        reviewEnv11 + `<soapenv:Fault><faultstring>x</` + pw + `></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
		"huge mismatch":   reviewEnv11 + `<soapenv:Fault><faultstring>x</` + huge + `></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
		"entity":          reviewEnv11 + `<soapenv:Fault><faultstring>x &` + pw + `; y</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
		"root ns":         `<e:Envelope xmlns:e="urn:` + pw + `"><e:Body/></e:Envelope>`,
		"huge root ns":    `<e:Envelope xmlns:e="urn:` + huge + `"><e:Body/></e:Envelope>`,
		"huge root name":  `<` + huge + `/>`,
	}
	for name, body := range cases {
		_, err := decodeResponse([]byte(body), DefaultMaxResponseSize, sc)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if s := err.Error(); strings.Contains(s, pw) || strings.Contains(s, "Hunter") || len(s) > 1024 {
			t.Errorf("%s: len %d, %.300q", name, len(s), s)
		}
	}
}

// TestFaultKindScrubbedAndCapped: the detail element's name, shown as
// Kind, is scrubbed and cut like any other text of the fault.
func TestFaultKindScrubbedAndCapped(t *testing.T) {
	const pw = "HunterTwoSecret"
	sc := newScrubber(pw)
	for _, detail := range []string{`<` + pw + `/>`, `<ns:x` + pw + `Fault xmlns:ns="u">y</ns:x` + pw + `Fault>`, `<` + strings.Repeat("k", 9<<20) + `/>`} {
		_, err := decodeResponse(reviewFault("soapenv:Server", "x", detail), DefaultMaxResponseSize, sc)
		var f *Fault
		if !errors.As(err, &f) {
			t.Fatalf("%T %v", err, err)
		}
		if s := err.Error(); strings.Contains(s, "Hunter") || strings.Contains(f.Kind, "Hunter") || len(s) > 200 || len(f.Kind) > 128 {
			t.Errorf("Kind %.100q, Error() len %d: %.200q", f.Kind, len(s), s)
		}
	}
}

// TestFaultClassFromUnscrubbedCode: a secret equal to a word of NetSuite's
// vocabulary is blanked in what the fault shows but does not change its
// class, category or whether it is retried.
func TestFaultClassFromUnscrubbedCode(t *testing.T) {
	body := reviewFault("soapenv:Server.userException", "An unexpected error occurred.",
		`<platformFault:invalidCredentialsFault xmlns:platformFault="urn:faults_2020_1.platform.webservices.netsuite.com"><platformFault:code>UNEXPECTED_ERROR</platformFault:code><platformFault:message>m</platformFault:message></platformFault:invalidCredentialsFault>`)
	for _, secrets := range [][]string{{"Server"}, {"ERROR"}, {"UNEXPECTED_ERROR"}, {"invalidCredentialsFault"}} {
		_, err := decodeResponse(body, DefaultMaxResponseSize, newScrubber(secrets...))
		var f *Fault
		if !errors.As(err, &f) {
			t.Fatalf("%T %v", err, err)
		}
		if f.Class != FaultServer || !errors.Is(f, ErrUnexpected) || !f.Temporary() {
			t.Errorf("secret %q: Class %v, Category %v, Temporary %v (Code %q NSCode %q)", secrets, f.Class, f.Category(), f.Temporary(), f.Code, f.NSCode)
		}
	}
	amb := reviewFault("soapenv:Server", "Ambiguous authentication: x", "")
	_, err := decodeResponse(amb, DefaultMaxResponseSize, newScrubber("Ambiguous"))
	if !errors.Is(err, ErrAmbiguousAuth) {
		t.Errorf("ambiguous with secret Ambiguous: %v", err)
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

// TestStatusDetailsScrubbedAndCapped: a status's details, which a
// StatusError shows, are scrubbed and cut, and at most 16 are kept.
func TestStatusDetailsScrubbedAndCapped(t *testing.T) {
	const pw = "HunterTwoSecret"
	detail := `<platformCore:statusDetail type="ERROR` + pw + `"><platformCore:code>X` + pw + `</platformCore:code><platformCore:message>password ` + pw + ` refused ` + strings.Repeat("m", 100<<10) + `</platformCore:message></platformCore:statusDetail>`
	body := reviewEnv11 + `<loginResponse><sessionResponse><platformCore:status xmlns:platformCore="u" isSuccess="false">` + strings.Repeat(detail, 40) + `</platformCore:status></sessionResponse></loginResponse></soapenv:Body></soapenv:Envelope>`
	resp, err := decodeResponse([]byte(body), DefaultMaxResponseSize, newScrubber(pw))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.Status.Details); n != 16 {
		t.Errorf("%d details kept, want 16", n)
	}
	s := statusError(resp.Status).Error()
	if strings.Contains(s, "Hunter") || len(s) > 16*(maxDetail+200) {
		t.Errorf("StatusError: len %d, %.300q", len(s), s)
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

// TestManySubcodesLinear: each SOAP 1.2 Subcode is appended in place, not
// by copying the whole code again, and the code still reads Value.Sub.Sub.
func TestManySubcodesLinear(t *testing.T) {
	const env12 = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value>`
	small := env12 + `<env:Subcode><env:Value>a</env:Value></env:Subcode><env:Subcode><env:Value>b</env:Value></env:Subcode></env:Code><env:Reason><env:Text>x</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`
	_, err := decodeResponse([]byte(small), DefaultMaxResponseSize, nil)
	var f *Fault
	if !errors.As(err, &f) || f.Code != "env:Receiver.a.b" || f.Class != FaultServer {
		t.Fatalf("%#v", err)
	}
	sub := `<env:Subcode><env:Value></env:Value></env:Subcode>`
	big := env12 + strings.Repeat(sub, (8<<20)/len(sub)) + `</env:Code></env:Fault></env:Body></env:Envelope>`
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	_, err = decodeResponse([]byte(big), DefaultMaxResponseSize, nil)
	runtime.ReadMemStats(&m1)
	if !errors.As(err, &f) || !strings.HasPrefix(f.Code, "env:Receiver....") || len(f.Code) > maxDetail {
		t.Fatalf("%.200v", err)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 200<<20 {
		t.Errorf("8 MiB of subcodes allocated %d MiB", alloc>>20)
	}
}

// TestSyntaxErrorEntityLeftOut: encoding/xml quotes what follows an
// unescaped '&', which is the tail of a secret no form of it matches.
func TestSyntaxErrorEntityLeftOut(t *testing.T) {
	const pw = "Hunter&TwoSecret"
	body := reviewEnv11 + `<soapenv:Fault><faultstring>bad pw ` + pw + ` x</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
	_, err := decodeResponse([]byte(body), DefaultMaxResponseSize, newScrubber(pw))
	if err == nil || strings.Contains(err.Error(), "TwoSecret") {
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
