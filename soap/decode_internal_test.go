package soap

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

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
