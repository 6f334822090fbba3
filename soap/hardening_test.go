package soap_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/soap"
)

// TestDecodeBoundsFaultText: a fault with a megabyte of text in every
// field becomes a short error; each field is cut at 4 KiB on a rune boundary.
func TestDecodeBoundsFaultText(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("é", 1<<19) // 1 MiB of two-byte runes
	tests := []struct {
		name string
		body string
	}{
		{"soap 1.1", `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
			`<faultcode>soapenv:Server.userException` + huge + `</faultcode><faultstring>` + huge + `</faultstring><faultactor>` + huge + `</faultactor>` +
			`<detail><platformFaults:invalidCredentialsFault xmlns:platformFaults="urn:faults_2025_2.platform.webservices.netsuite.com">` +
			`<platformFaults:code>USER_ERROR` + huge + `</platformFaults:code><platformFaults:message>` + huge + `</platformFaults:message>` +
			`</platformFaults:invalidCredentialsFault><ns1:hostname xmlns:ns1="http://xml.apache.org/axis/">` + huge + `</ns1:hostname></detail>` +
			`</soapenv:Fault></soapenv:Body></soapenv:Envelope>`},
		{"soap 1.2", `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault>` +
			`<env:Code><env:Value>env:Receiver</env:Value><env:Subcode><env:Value>` + huge + `</env:Value></env:Subcode></env:Code>` +
			`<env:Reason><env:Text>` + huge + `</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := soap.DecodeResponse([]byte(tt.body))
			var f *soap.Fault
			if !errors.As(err, &f) {
				t.Fatalf("DecodeResponse() error = %v, want a *soap.Fault", err)
			}
			for name, v := range map[string]string{"Code": f.Code, "String": f.String, "Actor": f.Actor, "NSCode": f.NSCode, "NSMessage": f.NSMessage, "Hostname": f.Hostname, "Detail": f.Detail} {
				if len(v) > 4<<10 || !utf8.ValidString(v) {
					t.Errorf("Fault.%s has %d bytes (valid UTF-8 %v), want at most 4096", name, len(v), utf8.ValidString(v))
				}
			}
			if n := len(err.Error()); n > 3*4<<10 {
				t.Errorf("error text has %d bytes", n)
			}
			if !strings.HasSuffix(f.String, "…[truncated]") {
				t.Errorf("the cut is not marked: …%q", f.String[max(0, len(f.String)-20):])
			}
		})
	}
}

// TestDecodeBoundsDepth: deeply nested or unclosed elements are refused
// as malformed at the depth limit, not walked to the end.
func TestDecodeBoundsDepth(t *testing.T) {
	t.Parallel()
	env := func(inner string) []byte {
		return []byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><getServerTimeResponse>` + inner)
	}
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"a million unclosed elements", env(strings.Repeat("<a>", 1_000_000)), soap.ErrMalformed},
		{"300 closed levels", env(strings.Repeat("<a>", 300) + strings.Repeat("</a>", 300) + `</getServerTimeResponse></soapenv:Body></soapenv:Envelope>`), soap.ErrMalformed},
		{"250 closed levels", env(strings.Repeat("<a>", 250) + strings.Repeat("</a>", 250) + `</getServerTimeResponse></soapenv:Body></soapenv:Envelope>`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := soap.DecodeResponse(tt.body)
			if diff := cmp.Diff(tt.want != nil, err != nil); diff != "" || !errors.Is(err, tt.want) && tt.want != nil {
				t.Fatalf("DecodeResponse() error = %.200v, want %v", err, tt.want)
			}
		})
	}
}

// TestTokenAuthStringAbbreviates: identifiers show four characters only
// when they are long enough that four give nothing away; secrets never.
func TestTokenAuthStringAbbreviates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, want string
	}{
		{"", `ConsumerKey:""`},
		{"12345678", "ConsumerKey:…"},
		{"123456789", "ConsumerKey:1234…"},
	}
	for _, tt := range tests {
		got := soap.TokenAuth{Account: "1", ConsumerKey: tt.key, ConsumerSecret: "cs-secret", TokenSecret: "ts-secret"}.String()
		if !strings.Contains(got, tt.want+" ") || strings.Contains(got, "secret") && !strings.Contains(got, "[REDACTED]") {
			t.Errorf("TokenAuth{ConsumerKey: %q}.String() = %q, want it to contain %q", tt.key, got, tt.want)
		}
	}
}
