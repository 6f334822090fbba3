package soap_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/soap"

	"os"
	"path/filepath"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nsdist/nsdist"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "responses", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want *soap.Response
	}{
		{"getServerTime.xml", &soap.Response{
			Operation: "getServerTime", Status: soap.Status{Success: true},
			NSID:       "WEBSERVICES_123456_SB1_112620262012345678901234_abcdef",
			ServerTime: time.Date(2026, 11, 26, 19, 30, 0, 123000000, time.UTC),
		}},
		{"getDataCenterUrls-return.xml", &soap.Response{
			Operation: "getDataCenterUrls", Status: soap.Status{Success: true},
			DataCenterURLs: &soap.DataCenterURLs{
				RESTDomain:        "https://123456-sb1.restlets.api.netsuite.com",
				WebservicesDomain: "https://123456-sb1.suitetalk.api.netsuite.com",
				SystemDomain:      "https://123456-sb1.app.netsuite.com",
			},
		}},
		{"login.xml", &soap.Response{
			Operation: "login", Status: soap.Status{Success: true}, NSID: "WEBSERVICES_123456_LOGIN",
			Session: &soap.Session{UserID: "42", UserName: "Ada Admin", Roles: []soap.Role{
				{ID: "3", Name: "Administrator", IsDefault: true, IsLoggedIn: true},
				{ID: "1001", Name: "Integration"},
			}},
		}},
		{"getList.xml", &soap.Response{
			Operation: "getList", Status: soap.Status{Success: true},
			RecordStatuses: []soap.Status{
				{Success: false, Details: []soap.StatusDetail{{Type: "ERROR", Code: "INSUFFICIENT_PERMISSION", Message: "Permission Violation"}}},
				{Success: true, Details: []soap.StatusDetail{{Type: "WARN", Code: "WARNING", Message: "minor"}}},
			},
		}},
		{"governance.xml", &soap.Response{
			Operation: "getAccountGovernanceInfo", Status: soap.Status{Success: true},
			AccountGovernance: &soap.AccountGovernance{ConcurrencyLimit: 15, UnallocatedConcurrencyLimit: 4},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got, err := soap.DecodeResponse(readFixture(t, tt.file))
			if err != nil {
				t.Fatalf("DecodeResponse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("DecodeResponse(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestDecodeStatusDetailsAnywhere(t *testing.T) {
	t.Parallel()
	// The operation's status sits inside writeResponse; its details must be read.
	doc := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<addResponse xmlns="urn:messages_2016_1.platform.webservices.netsuite.com"><writeResponse>
<platformCore:status isSuccess="false" xmlns:platformCore="urn:core_2016_1.platform.webservices.netsuite.com">
<platformCore:statusDetail><platformCore:code>INVALID_APP_ID</platformCore:code><platformCore:message>Invalid application id: X</platformCore:message></platformCore:statusDetail>
</platformCore:status></writeResponse></addResponse></soapenv:Body></soapenv:Envelope>`
	got, err := soap.DecodeResponse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := soap.Status{Success: false, Details: []soap.StatusDetail{{Type: "ERROR", Code: "INVALID_APP_ID", Message: "Invalid application id: X"}}}
	if diff := cmp.Diff(want, got.Status); diff != "" {
		t.Errorf("Status mismatch (-want +got):\n%s", diff)
	}
	if got.Operation != "add" {
		t.Errorf("Operation = %q, want add", got.Operation)
	}
}

func TestDecodeFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		want  soap.Fault
		class error
	}{
		{"fault-invalid-credentials.xml", soap.Fault{
			Code: "soapenv:Server.userException", Class: soap.FaultServer, String: "Invalid login attempt.",
			Kind: "invalidCredentialsFault", NSCode: "USER_ERROR", NSMessage: "Invalid login attempt.",
			Hostname: "partners-java10009.bos.netsuite.com",
		}, soap.ErrAuthRejected},
		{"fault-soap12.xml", soap.Fault{
			Code: "env:Receiver", Class: soap.FaultServer, String: "SuiteTalk concurrent request limit exceeded. Request blocked.",
			Kind: "exceededConcurrentRequestLimitFault", NSCode: "WS_REQUEST_BLOCKED", NSMessage: "SuiteTalk concurrent request limit exceeded. Request blocked.",
		}, soap.ErrConcurrencyLimited},
		{"fault-latin1.xml", soap.Fault{
			Code: "soapenv:Server.userException", Class: soap.FaultServer, String: "Accès refusé",
			Kind: "insufficientPermissionFault", NSCode: "WS_PERMISSION_REQD", NSMessage: "Accès refusé à Zürich",
		}, soap.ErrFeatureOrPermission},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			_, err := soap.DecodeResponse(readFixture(t, tt.file))
			var f *soap.Fault
			if !errors.As(err, &f) {
				t.Fatalf("DecodeResponse error = %v, want *soap.Fault", err)
			}
			if diff := cmp.Diff(tt.want, *f, cmpopts.IgnoreFields(soap.Fault{}, "Detail")); diff != "" {
				t.Errorf("fault mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.class) {
				t.Errorf("errors.Is(fault, %v) = false", tt.class)
			}
			if !strings.Contains(f.Detail, f.Kind) {
				t.Errorf("Detail %q lacks the raw detail element", f.Detail)
			}
		})
	}
}

func fault(kind, code, msg string) []byte {
	return []byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
		`<faultcode>soapenv:Server.userException</faultcode><faultstring>` + msg + `</faultstring><detail>` +
		`<f:` + kind + ` xmlns:f="urn:faults_2025_2.platform.webservices.netsuite.com"><f:code>` + code + `</f:code><f:message>` + msg + `</f:message></f:` + kind + `>` +
		`</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
}

func TestFaultClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, code, msg string
		want            error
		temporary       bool
	}{
		{"invalidCredentialsFault", "USER_ERROR", "Invalid login attempt.", soap.ErrAuthRejected, false},
		{"invalidCredentialsFault", "USER_ERROR", "Ambiguous authentication", soap.ErrAmbiguousAuth, false},
		{"invalidCredentialsFault", "INVALID_LOGIN_CREDENTIALS", "You have entered an invalid e-mail address", soap.ErrAuthRejected, false},
		{"invalidCredentialsFault", "UNEXPECTED_ERROR", "An unexpected error occurred.", soap.ErrUnexpected, true},
		{"exceededConcurrentRequestLimitFault", "WS_REQUEST_BLOCKED", "SuiteTalk concurrent request limit exceeded. Request blocked.", soap.ErrConcurrencyLimited, true},
		{"exceededRequestLimitFault", "WS_CONCUR_SESSION_DISALLWD", "Only one request may be made against a session at a time", soap.ErrConcurrencyLimited, true},
		{"invalidSessionFault", "SESSION_TIMED_OUT", "Your connection has timed out.", soap.ErrSessionInvalid, false},
		{"invalidVersionFault", "UNSUPPORTED_WS_VERSION", "TBA not supported in this SuiteTalk endpoint version", soap.ErrUnsupportedVersion, false},
		{"insufficientPermissionFault", "WS_FEATURE_REQD", "You have not enabled SOAP web services feature for your account.", soap.ErrFeatureOrPermission, false},
		{"invalidAccountFault", "INVALID_ACCT", "Invalid account number.", soap.ErrInvalidAccount, false},
		{"unexpectedErrorFault", "ACCT_TEMP_UNAVAILABLE", "The account you are trying to access is currently unavailable.", soap.ErrTemporarilyUnavailable, true},
		{"unexpectedErrorFault", "UNEXPECTED_ERROR", "An unexpected error occurred. Error ID: abc", soap.ErrUnexpected, true},
		// English text alone never classifies: a code NetSuite may add later stays unclassified.
		{"someNewFault", "SOME_NEW_CODE", "Invalid login attempt.", nil, false},
	}
	all := []error{soap.ErrAuthRejected, soap.ErrAmbiguousAuth, soap.ErrConcurrencyLimited, soap.ErrSessionInvalid, soap.ErrUnsupportedVersion,
		soap.ErrFeatureOrPermission, soap.ErrInvalidAccount, soap.ErrTemporarilyUnavailable, soap.ErrUnexpected}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.code+"/"+tt.msg, func(t *testing.T) {
			t.Parallel()
			_, err := soap.DecodeResponse(fault(tt.kind, tt.code, tt.msg))
			var f *soap.Fault
			if !errors.As(err, &f) {
				t.Fatalf("not a fault: %v", err)
			}
			for _, class := range all {
				if got, want := errors.Is(err, class), errors.Is(class, tt.want); got != want {
					t.Errorf("errors.Is(%v) = %v, want %v", class, got, want)
				}
			}
			if f.Temporary() != tt.temporary || nsdist.Retryable(err) != tt.temporary {
				t.Errorf("Temporary() = %v, Retryable = %v, want %v", f.Temporary(), nsdist.Retryable(err), tt.temporary)
			}
		})
	}
}

func TestDecodeBadInput(t *testing.T) {
	t.Parallel()
	good := readFixture(t, "getServerTime.xml")
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"empty", nil, soap.ErrEmptyBody},
		{"whitespace", []byte(" \n\t "), soap.ErrEmptyBody},
		{"html error page", []byte("<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>"), soap.ErrNotSOAP},
		{"html without doctype", []byte("<html><head><title>Error</title></head></html>"), soap.ErrNotSOAP},
		{"plain text", []byte("Service Unavailable"), soap.ErrNotSOAP},
		{"json", []byte(`{"error":"x"}`), soap.ErrNotSOAP},
		{"truncated", good[:len(good)/2], soap.ErrTruncated},
		{"truncated in a tag", good[:300], soap.ErrTruncated},
		{"wrong root", []byte(`<foo xmlns="urn:x"><bar/></foo>`), soap.ErrWrongRoot},
		{"envelope wrong namespace", []byte(`<Envelope xmlns="urn:not-soap"><Body/></Envelope>`), soap.ErrWrongRoot},
		{"no body", []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>`), soap.ErrNoBody},
		{"empty body", []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body></s:Body></s:Envelope>`), soap.ErrNoBody},
		{"malformed", []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a></b></s:Body></s:Envelope>`), soap.ErrMalformed},
		{"unknown charset", []byte(`<?xml version="1.0" encoding="Shift_JIS"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x/></s:Body></s:Envelope>`), soap.ErrCharset},
		{"too large", append(append([]byte{}, good...), bytes.Repeat([]byte(" "), soap.DefaultMaxResponseSize)...), soap.ErrTooLarge},
		{"bad server time", bytes.Replace(good, []byte("2026-11-26T19:30:00.123Z"), []byte("yesterday"), 1), soap.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := soap.DecodeResponse(tt.body)
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeResponse error = %v, want %v", err, tt.want)
			}
			if resp != nil {
				t.Errorf("got a response with an error")
			}
			var de *soap.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			if len(de.Snippet) > 200 {
				t.Errorf("snippet is %d bytes, want ≤ 200", len(de.Snippet))
			}
		})
	}
}

func TestDecodeSnippetHidesSecrets(t *testing.T) {
	t.Parallel()
	body := []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><p:password>hunter2</p:password><q:signature algorithm="x">c2lnbmF0dXJl</q:signature>`)
	_, err := soap.DecodeResponse(body)
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "c2lnbmF0dXJl") {
		t.Fatalf("error leaks a secret or is nil: %v", err)
	}
}

func TestIsNetSuiteNS(t *testing.T) {
	t.Parallel()
	for uri, want := range map[string]bool{
		"urn:core_2025_2.platform.webservices.netsuite.com":       true,
		"urn:core_2_5.platform.webservices.netsuite.com":          true,
		"urn:types.core_2023_2.platform.webservices.netsuite.com": false, // kind "core" only
		"urn:core_.platform.webservices.netsuite.com":             false,
		"urn:core_2025_2.platform.webservices.example.com":        false,
		"core_2025_2.platform.webservices.netsuite.com":           false,
	} {
		if got := soap.IsNetSuiteNS(uri, "core"); got != want {
			t.Errorf("IsNetSuiteNS(%q, core) = %v, want %v", uri, got, want)
		}
	}
}

func FuzzDecodeResponse(f *testing.F) {
	for _, name := range []string{"getServerTime.xml", "login.xml", "getList.xml", "fault-invalid-credentials.xml", "fault-soap12.xml", "fault-latin1.xml"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte("<html>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := soap.DecodeResponse(data)
		if (resp == nil) == (err == nil) {
			t.Fatalf("DecodeResponse returned resp=%v err=%v: want exactly one", resp, err)
		}
	})
}

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

// TestResponseTextsScrubbedAndCapped: every text a successful Response
// keeps from the server (nsId, the session's user and roles, the
// domains, the limit type) is cut to 4 KiB and scrubbed of the request's
// secrets, as a faultstring is: a 2 MiB nsId stays 4 KiB, and an nsId or a
// user name that echoes the passport's password or the token secret does
// not carry it.
func TestResponseTextsScrubbedAndCapped(t *testing.T) {
	t.Parallel()
	pp, tb := passportAuth("123456"), tbaAuth("123456")
	const env = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><platformMsgs:documentInfo xmlns:platformMsgs="urn:messages_2020_1.platform.webservices.netsuite.com"><platformMsgs:nsId>%s</platformMsgs:nsId></platformMsgs:documentInfo></soapenv:Header><soapenv:Body>%s</soapenv:Body></soapenv:Envelope>`
	status := `<platformCore:status xmlns:platformCore="urn:core_2020_1.platform.webservices.netsuite.com" isSuccess="true"/>`
	login := func(echo string) string {
		return `<loginResponse xmlns="urn:messages_2020_1.platform.webservices.netsuite.com"><sessionResponse>` + status +
			`<userId internalId="` + echo + `"><name xmlns="urn:core_2020_1.platform.webservices.netsuite.com">user ` + echo + `</name></userId>` +
			`<wsRoleList><wsRole><role internalId="3` + echo + `"><name xmlns="urn:core_2020_1.platform.webservices.netsuite.com">role ` + echo + `</name></role><isDefault>true</isDefault></wsRole></wsRoleList>` +
			`</sessionResponse></loginResponse>`
	}
	serverTime := `<getServerTimeResponse xmlns="urn:messages_2025_2.platform.webservices.netsuite.com"><getServerTimeResult>` + status +
		`<serverTime>2026-01-02T03:04:05.000Z</serverTime></getServerTimeResult></getServerTimeResponse>`
	governance := func(echo string) string {
		return `<getIntegrationGovernanceInfoResponse xmlns="urn:messages_2025_2.platform.webservices.netsuite.com"><getIntegrationGovernanceInfoResult>` + status +
			`<integrationConcurrencyLimit>5</integrationConcurrencyLimit><limitType>_account ` + echo + `</limitType></getIntegrationGovernanceInfoResult></getIntegrationGovernanceInfoResponse>`
	}
	huge := strings.Repeat("N", 2<<20)
	tests := []struct {
		name    string
		auth    soap.Auth
		version soap.Version
		op      soap.Operation
		secret  string
		body    string
	}{
		{"a 2 MiB nsId on getServerTime", tb, soap.V2025_2, soap.OpGetServerTime, tb.TokenSecret, fmt.Sprintf(env, huge, serverTime)},
		{"the token secret echoed into the nsId", tb, soap.V2025_2, soap.OpGetServerTime, tb.TokenSecret, fmt.Sprintf(env, "WEBSERVICES_"+tb.TokenSecret, serverTime)},
		{"the token secret in Base64url inside a word-like nsId", tb, soap.V2025_2, soap.OpGetServerTime, base64.RawURLEncoding.EncodeToString([]byte(tb.TokenSecret)),
			fmt.Sprintf(env, "WEBSERVICES_"+base64.RawURLEncoding.EncodeToString([]byte(tb.TokenSecret))+"_1", serverTime)},
		{"the password echoed into the nsId and the session", pp, soap.V2020_1, soap.OpLogin, pp.Password,
			fmt.Sprintf(env, "WEBSERVICES_"+xmlText(pp.Password), login(xmlText(pp.Password)))},
		{"2 MiB user and role names", pp, soap.V2020_1, soap.OpLogin, pp.Password, fmt.Sprintf(env, "WEBSERVICES_1", login(huge))},
		{"the consumer secret echoed into the limit type", tb, soap.V2025_2, soap.OpGetIntegrationGovernanceInfo, tb.ConsumerSecret,
			fmt.Sprintf(env, "WEBSERVICES_2", governance(tb.ConsumerSecret+huge))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/xml; charset=utf-8")
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			c, err := soap.NewClient("123456", soap.WithVersion(tt.version), soap.WithAuth(tt.auth), soap.WithEndpoint(srv.URL), soap.WithRetryPolicy(fastRetry()))
			if err != nil {
				t.Fatal(err)
			}
			var resp *soap.Response
			if tt.op == soap.OpLogin {
				s, err := c.Login(t.Context())
				if err != nil {
					t.Fatalf("Login: %v", err)
				}
				resp = &soap.Response{NSID: s.NSID, Session: s.Session}
			} else if resp, err = c.Do(t.Context(), tt.op); err != nil {
				t.Fatalf("Do(%s): %v", tt.op, err)
			}
			texts := map[string]string{"NSID": resp.NSID, "Operation": resp.Operation}
			if s := resp.Session; s != nil {
				texts["UserID"], texts["UserName"] = s.UserID, s.UserName
				for i, r := range s.Roles {
					texts[fmt.Sprintf("Roles[%d].ID", i)], texts[fmt.Sprintf("Roles[%d].Name", i)] = r.ID, r.Name
				}
			}
			if g := resp.IntegrationGovernance; g != nil {
				texts["LimitType"] = g.LimitType
			}
			for field, v := range texts {
				if len(v) > 4<<10 {
					t.Errorf("%s has %d bytes, want at most 4 KiB", field, len(v))
				}
				if strings.Contains(v, tt.secret) || strings.Contains(v, xmlText(tt.secret)) {
					t.Errorf("%s carries the request's secret: %.80q", field, v)
				}
			}
		})
	}
}
