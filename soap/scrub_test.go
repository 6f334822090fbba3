package soap_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/nsdist/nsdist/soap"
)

// xmlText escapes s as XML character data, as a server writing a fault does.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// echoForms returns v as an echo may carry it: raw, URL-encoded (query,
// path, RFC 3986 with lower-case hex) and Base64.
func echoForms(v string) []string {
	rfc := strings.ReplaceAll(url.QueryEscape(v), "+", "%20") // QueryEscape leaves only A-Z a-z 0-9 - . _ ~
	lower := regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(rfc, strings.ToLower)
	return []string{v, url.QueryEscape(v), url.PathEscape(v), lower, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))}
}

// TestFaultTextScrubbedOfRequestSecrets: a server that echoes what it was
// sent (the password in the faultstring, the whole request in the
// ns:message and so in the raw detail, a secret in any encoding) gets none
// of the request's secrets into the error, any printed form of the error,
// the *Fault or the *OpError, or the client's Debug log; the rest of what
// the server said is kept.
func TestFaultTextScrubbedOfRequestSecrets(t *testing.T) {
	t.Parallel()
	passport := func(pw string) *soap.Passport {
		p := passportAuth("123456")
		p.Password = pw
		return p
	}
	tba := tbaAuth("123456")
	// faultBodyEsc is a 500 answer written by a server that escapes text
	// with esc: an invalidCredentialsFault whose faultstring is said and
	// whose message is msg, then a quote of the request.
	faultBodyEsc := func(esc func(string) string, said, msg, req string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
			`<faultcode>soapenv:Server.userException</faultcode><faultstring>` + esc(said) + `</faultstring><detail>` +
			`<ns:invalidCredentialsFault xmlns:ns="urn:faults_2020_1.platform.webservices.netsuite.com"><ns:code>INVALID_LOGIN_CREDENTIALS</ns:code>` +
			`<ns:message>` + esc(msg+" Request was: "+req) + `</ns:message></ns:invalidCredentialsFault>` +
			`<ns1:hostname xmlns:ns1="http://xml.apache.org/axis/">partners-java20004.bos.netledger.com</ns1:hostname></detail>` +
			`</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
	}
	faultBody := func(said, req string) string { return faultBodyEsc(xmlText, said, "Invalid login attempt.", req) }
	const odd = `Hunter&<Two> +/Secret'"~` // XML and URL metacharacters
	type test struct {
		name    string
		version soap.Version
		auth    soap.Auth
		secrets []string // besides the signature and nonce the server saw
		status  int
		body    func(req string) string
		keep    []string // what must still be in err.Error()
	}
	tests := []test{
		{
			name: "passport password in the faultstring, request in the message", version: soap.V2020_1,
			auth: passport("HunterTwoSecret"), secrets: []string{"HunterTwoSecret"}, status: 500,
			body: func(req string) string {
				return faultBody("Invalid login attempt. password=HunterTwoSecret for admin@example.com", req)
			},
			keep: []string{"invalidCredentialsFault", "INVALID_LOGIN_CREDENTIALS", "Invalid login attempt.", "for admin@example.com", "(http 500)"},
		},
		{
			name: "passport password with XML and URL metacharacters, in every encoding", version: soap.V2020_1,
			auth: passport(odd), secrets: []string{odd}, status: 500,
			body: func(req string) string {
				return faultBody("Invalid login attempt: "+strings.Join(echoForms(odd), " | ")+" (end)", req)
			},
			keep: []string{"INVALID_LOGIN_CREDENTIALS", "Invalid login attempt: ", " | ", " (end)"},
		},
		{
			name: "password cut in two by the 4 KiB cap", version: soap.V2020_1,
			auth: passport("HunterTwoSecret"), secrets: []string{"HunterTwoSecret", "HunterTw"}, status: 500,
			body: func(req string) string {
				// capText cuts at 4096 bytes less its mark: the password would straddle the cut.
				return faultBody(strings.Repeat("x", 4072)+"HunterTwoSecret"+strings.Repeat(" and more", 10), req)
			},
			keep: []string{"INVALID_LOGIN_CREDENTIALS", "xxxx"},
		},
		{
			name: "token secrets in the faultstring, request with its signature in the message", version: soap.V2025_2,
			auth: tba, secrets: []string{tba.ConsumerSecret, tba.TokenSecret}, status: 500,
			body: func(req string) string {
				return faultBody("Invalid login attempt. oauth_token_secret "+url.QueryEscape(tba.TokenSecret)+", consumer secret "+tba.ConsumerSecret, req)
			},
			keep: []string{"INVALID_LOGIN_CREDENTIALS", "Invalid login attempt. oauth_token_secret ", ", consumer secret "},
		},
		{
			name: "proxy page echoing the password", version: soap.V2020_1,
			auth: passport("HunterTwoSecret"), secrets: []string{"HunterTwoSecret"}, status: 502,
			body: func(string) string { return "<html><body>Bad gateway: upstream refused HunterTwoSecret</body></html>" },
			keep: []string{"http 502", "Bad gateway: upstream refused"},
		},
		{
			name: "text answer echoing the password", version: soap.V2020_1,
			auth: passport("HunterTwoSecret"), secrets: []string{"HunterTwoSecret"}, status: 200,
			body: func(string) string { return "maintenance: login HunterTwoSecret refused" },
			keep: []string{"maintenance: login"},
		},
	}
	// Writers differ in what they escape: a password the message quotes
	// raw sits in the raw detail escaped the server's way.
	for name, esc := range map[string]func(string) string{
		"& and <":                strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace,
		"&, < and >":             strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace,
		"all five, named":        strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace,
		"all five, numeric (Go)": xmlText,
	} {
		tests = append(tests, test{
			name: "password with metacharacters quoted by a server escaping " + name, version: soap.V2020_1,
			auth: passport(odd), secrets: []string{odd}, status: 500,
			body: func(req string) string {
				return faultBodyEsc(esc, "Invalid login attempt.", "Wrong password "+odd+" for admin@example.com.", req)
			},
			keep: []string{"INVALID_LOGIN_CREDENTIALS", "Invalid login attempt."},
		})
	}
	sigRE := regexp.MustCompile(`<core:nonce>([^<]+)</core:nonce>.*algorithm="HMAC-SHA256">([^<]+)<`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				mu   sync.Mutex
				sent []string
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				sent = append(sent, string(b))
				mu.Unlock()
				w.Header().Set("Content-Type", "text/xml; charset=utf-8")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body(string(b)))
			}))
			t.Cleanup(srv.Close)
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c, err := soap.NewClient("123456", soap.WithVersion(tt.version), soap.WithAuth(tt.auth), soap.WithEndpoint(srv.URL),
				soap.WithTransport(srv.Client().Transport), soap.WithRetryPolicy(soap.NoRetry()), soap.WithLogger(logger))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Do(t.Context(), soap.OpGetServerTime)
			if err == nil {
				t.Fatal("Do() succeeded, want an error")
			}
			secrets := append([]string(nil), tt.secrets...)
			mu.Lock()
			for _, b := range sent {
				if m := sigRE.FindStringSubmatch(b); m != nil {
					secrets = append(secrets, m[1], m[2])
				}
			}
			mu.Unlock()
			if tt.auth.Mode() == soap.AuthTBA && len(secrets) == len(tt.secrets) {
				t.Fatal("no tokenPassport captured")
			}
			printed := []string{logs.String(), err.Error(), fmt.Sprintf("%v|%+v|%#v|%s|%q", err, err, err, err, err)}
			var f *soap.Fault
			if errors.As(err, &f) {
				printed = append(printed, fmt.Sprintf("%v|%+v|%#v|%s|%q", f, f, f, f, f), fmt.Sprintf("%#v", *f))
			} else if tt.status == 500 {
				t.Fatalf("Do() error = %v, want a *soap.Fault", err)
			}
			var op *soap.OpError
			if !errors.As(err, &op) {
				t.Fatalf("Do() error = %v, want an *soap.OpError", err)
			}
			printed = append(printed, fmt.Sprintf("%v|%+v|%#v|%s|%q", op, op, op, op, op))
			for _, p := range printed { // whatever way the server escaped it, once or twice
				once := html.UnescapeString(p)
				printed = append(printed, once, html.UnescapeString(once))
			}
			for _, s := range secrets {
				forms := echoForms(s)
				for _, form := range forms {
					forms = append(forms, xmlText(form), xmlText(xmlText(form)), strings.Trim(strconv.Quote(form), `"`))
				}
				for _, form := range forms {
					for i, p := range printed {
						if strings.Contains(p, form) {
							t.Errorf("printed form %d holds secret %q as %q: %s", i, s, form, p)
						}
					}
				}
			}
			for _, k := range tt.keep {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("err.Error() = %q lost %q", err.Error(), k)
				}
			}
			if f != nil {
				if !strings.Contains(f.NSMessage, "<core:email>admin@example.com</core:email>") && !strings.Contains(f.NSMessage, "<core:consumerKey>") {
					t.Errorf("Fault.NSMessage lost the quoted request: %q", f.NSMessage)
				}
				if !strings.Contains(f.NSMessage, "[REDACTED]") || !strings.Contains(f.Detail, "[REDACTED]") {
					t.Errorf("Fault.NSMessage %q or Detail %q shows no blanked secret", f.NSMessage, f.Detail)
				}
				if f.Hostname != "partners-java20004.bos.netledger.com" || !errors.Is(err, soap.ErrAuthRejected) {
					t.Errorf("Fault = %#v: lost its hostname or its class", f)
				}
			}
			if !strings.Contains(logs.String(), "soap attempt") {
				t.Error("no Debug log of the attempt")
			}
		})
	}
}

// TestSessionCookieScrubbedFromFault: inside a login session the request's
// secret is its session cookie; a fault that quotes it keeps it blanked.
func TestSessionCookieScrubbedFromFault(t *testing.T) {
	t.Parallel()
	const session = "0a1b2c3d4e5f60718293a4b5c6d7e8f9.nsapp"
	ep := "https://123456.suitetalk.api.netsuite.com/services/NetSuitePort_2020_1"
	mt := httpmock.NewMockTransport()
	mt.RegisterMatcherResponder(http.MethodPost, ep, httpmock.HeaderIs("SOAPAction", `"login"`),
		func(*http.Request) (*http.Response, error) {
			r := httpmock.NewBytesResponse(200, readFixture(t, "login.xml"))
			r.Header.Add("Set-Cookie", "JSESSIONID="+session+"; Path=/; Secure")
			return r, nil
		})
	mt.RegisterMatcherResponder(http.MethodPost, ep, httpmock.HeaderIs("SOAPAction", `"getServerTime"`).And(httpmock.HeaderIs("Cookie", "JSESSIONID="+session)),
		xmlResponder(500, fault("invalidSessionFault", "INVALID_SESSION", "Session "+session+" ("+url.QueryEscape(session)+") is no longer valid.")))
	c, err := soap.NewClient("123456", soap.WithVersion(soap.V2020_1), soap.WithAuth(passportAuth("123456")), soap.WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Login(t.Context())
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	_, err = s.Do(t.Context(), soap.OpGetServerTime)
	if !errors.Is(err, soap.ErrSessionInvalid) {
		t.Fatalf("Do() error = %v, want ErrSessionInvalid", err)
	}
	var f *soap.Fault
	if !errors.As(err, &f) {
		t.Fatalf("Do() error = %v, want a *soap.Fault", err)
	}
	printed := fmt.Sprintf("%v|%#v|%#v", err, f, *f)
	if strings.Contains(printed, session[:16]) {
		t.Errorf("printed error holds the session cookie: %s", printed)
	}
	if want := "Session [REDACTED] ([REDACTED]) is no longer valid."; f.String != want || f.NSMessage != want {
		t.Errorf("Fault String, NSMessage = %q, %q; want %q", f.String, f.NSMessage, want)
	}
}
