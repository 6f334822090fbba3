package soap_test

import (
	"bytes"
	"errors"
	"fmt"
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

// TestDecodeBoundsNamespaces: an element may declare up to 64 namespaces
// and 256 may be in scope at once; beyond either the response is refused
// as malformed, with a message that says which bound it crossed, instead
// of being resolved binding by binding for every element that follows.
func TestDecodeBoundsNamespaces(t *testing.T) {
	t.Parallel()
	decls := func(level, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, ` xmlns:l%dn%d="urn:x"`, level, i)
		}
		return b.String()
	}
	// env nests levels elements below the Body's operation element, each
	// declaring n namespaces, as do Envelope, Body and the operation.
	env := func(n, levels int) []byte {
		var b strings.Builder
		b.WriteString(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"` + decls(0, n-1) + `>`)
		b.WriteString(`<soapenv:Header` + decls(1, n) + `/>` + strings.Repeat(`<soapenv:H/>`, 1000))
		b.WriteString(`<soapenv:Body` + decls(1, n) + `><getServerTimeResponse` + decls(2, n) + `>`)
		for i := range levels {
			b.WriteString(`<a` + decls(3+i, n) + `>`)
		}
		b.WriteString(strings.Repeat(`</a>`, levels) + `</getServerTimeResponse></soapenv:Body></soapenv:Envelope>`)
		return []byte(b.String())
	}
	tests := []struct {
		name    string
		body    []byte
		wantMsg string // empty: decoded
	}{
		{"64 per element, 256 in scope", env(64, 1), ""},
		{"65 on the root", env(65, 0), "element <Envelope> declares more than 64 namespaces"},
		{"65 on a Header", bytes.Replace(env(64, 0), []byte(`<soapenv:Header`), []byte(`<soapenv:Header xmlns:extra="urn:x"`), 1), "element <Header> declares more than 64 namespaces"},
		{"257 in scope", bytes.Replace(env(64, 1), []byte(`</a>`), []byte(`<b xmlns:extra="urn:x"/></a>`), 1), "more than 256 namespace declarations in scope at <b>"},
		{"320 in scope", env(64, 2), "more than 256 namespace declarations in scope at <a>"},
		{"ten thousand on the root", env(10_000, 0), "element <Envelope> declares more than 64 namespaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := soap.DecodeResponse(tt.body)
			if tt.wantMsg == "" {
				if err != nil || resp.Operation != "getServerTime" {
					t.Fatalf("DecodeResponse() = %+v, %.300v; want getServerTime decoded", resp, err)
				}
				return
			}
			var de *soap.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, soap.ErrMalformed) {
				t.Fatalf("DecodeResponse() error = %.300v, want a *soap.DecodeError wrapping ErrMalformed", err)
			}
			if de.Cause == nil || !strings.Contains(de.Cause.Error(), tt.wantMsg) {
				t.Errorf("DecodeResponse() cause = %v, want it to say %q", de.Cause, tt.wantMsg)
			}
		})
	}
}
