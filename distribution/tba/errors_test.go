package tba_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/nsdist/nsdist/distribution/tba"
)

// TestFlowErrorHidesEchoedCredentials: a server that echoes the request's
// Authorization header back, in its JSON message or in a plain body, never
// puts the password, the OTP or the signature into the error, whatever the
// verb that prints it.
func TestFlowErrorHidesEchoedCredentials(t *testing.T) {
	t.Parallel()
	const password, otp = "Pa ss+w/rd%ECHO", "913370"
	consumer := tba.Consumer{Key: strings.Repeat("c", 64), Secret: strings.Repeat("d", 64)}
	creds := tba.UserCredentials{Account: "123456", Email: "a@b.example", Password: password, OTP: otp}
	echoes := []struct {
		name string
		body func(auth string) string
	}{
		{"json message", func(auth string) string {
			return fmt.Sprintf(`{"error":{"code":"INVALID_LOGIN_ATTEMPT","message":"bad header: %s"}}`, strings.ReplaceAll(auth, `"`, `\"`))
		}},
		{"json code", func(auth string) string {
			return fmt.Sprintf(`{"error":{"code":"X %s","message":"x"}}`, strings.ReplaceAll(auth, `"`, `\"`))
		}},
		{"plain text", func(auth string) string { return "Authorization: " + auth }},
		{"html", func(auth string) string { return "<html><body><pre>" + auth + "</pre></body></html>" }},
	}
	calls := []struct {
		name string
		call func(context.Context, *tba.Client) error
	}{
		{"issuetoken", func(ctx context.Context, c *tba.Client) error {
			_, err := c.IssueToken(ctx, creds, consumer.Key, "")
			return err
		}},
		{"requesttoken", func(ctx context.Context, c *tba.Client) error {
			_, err := c.RequestToken(ctx, "123456", consumer, "https://app.example/cb", "")
			return err
		}},
	}
	for _, echo := range echoes {
		for _, call := range calls {
			t.Run(echo.name+"/"+call.name, func(t *testing.T) {
				t.Parallel()
				var sent []string
				rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
					auth := r.Header.Get("Authorization")
					sent = append(sent, auth)
					return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(echo.body(auth))), Request: r}, nil
				})
				client, err := tba.NewClient(tba.WithTransport(rt))
				if err != nil {
					t.Fatal(err)
				}
				err = call.call(t.Context(), client)
				var fe *tba.FlowError
				if !errors.As(err, &fe) {
					t.Fatalf("error = %v, want a *tba.FlowError", err)
				}
				secrets := []string{password, otp, "Pa%20ss%2Bw%2Frd%25ECHO"}
				for _, a := range sent {
					if i := strings.Index(a, `oauth_signature="`); i >= 0 {
						sig := a[i+len(`oauth_signature="`):]
						secrets = append(secrets, sig[:strings.IndexByte(sig, '"')])
					}
				}
				for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
					out := fmt.Sprintf(verb, fe) + fmt.Sprintf(verb, *fe) + fmt.Sprintf(verb, err)
					for _, s := range secrets {
						if strings.Contains(out, s) {
							t.Errorf("%s prints the secret %q: %s", verb, s, out)
						}
					}
				}
			})
		}
	}
}

// TestFlowErrorHidesEncodedPassword: the NLAuth header carries the
// password percent-encoded the RFC 3986 way (a space is %20, '@' is %40);
// a server that quotes it back in that form, with upper- or lower-case hex,
// or in Base64, does not get it into the error.
func TestFlowErrorHidesEncodedPassword(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, password, echoed string }{
		{"rfc 3986", "my pass@1", "my%20pass%401"},
		{"rfc 3986, lower-case hex", "my pass@1+/", "my%20pass%401%2b%2f"},
		{"base64", "my pass@1", "bXkgcGFzc0Ax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := `{"error":{"code":"INVALID_LOGIN_ATTEMPT","message":"credentials rejected: ` + tt.echoed + `"}}`
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
			})
			client, err := tba.NewClient(tba.WithTransport(rt))
			if err != nil {
				t.Fatal(err)
			}
			creds := tba.UserCredentials{Account: "123456", Email: "a@b.example", Password: tt.password}
			_, err = client.IssueToken(t.Context(), creds, strings.Repeat("c", 64), "")
			var fe *tba.FlowError
			if !errors.As(err, &fe) || fe.Code != tba.CodeInvalidLogin {
				t.Fatalf("IssueToken error = %v, want a *tba.FlowError %s", err, tba.CodeInvalidLogin)
			}
			if !strings.Contains(fe.Message, "credentials rejected: ") || !strings.Contains(fe.Body, "credentials rejected: ") {
				t.Errorf("the rest of the answer was lost: Message %q, Body %q", fe.Message, fe.Body)
			}
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				out := fmt.Sprintf(verb, fe) + fmt.Sprintf(verb, *fe) + fmt.Sprintf(verb, err)
				for _, s := range []string{tt.password, tt.echoed} {
					if strings.Contains(out, s) {
						t.Errorf("%s prints the password as %q: %s", verb, s, out)
					}
				}
			}
		})
	}
}

// TestFlowErrorHidesHTMLEscapedPassword: a server that answers issuetoken
// with an HTML page quoting the password HTML-escaped (as Go, Java and PHP
// escape it), or percent-encoded and then HTML-escaped, does not get it
// into the error's Body or message.
func TestFlowErrorHidesHTMLEscapedPassword(t *testing.T) {
	t.Parallel()
	const password = `p<a&"s's>w0rd`
	tests := []struct{ name, echoed string }{
		{"go html.EscapeString", `p&lt;a&amp;&#34;s&#39;s&gt;w0rd`},
		{"named quote entity", `p&lt;a&amp;&quot;s&#39;s&gt;w0rd`},
		{"hex apostrophe", `p&lt;a&amp;&quot;s&#x27;s&gt;w0rd`},
		{"apos entity", `p&lt;a&amp;&quot;s&apos;s&gt;w0rd`},
		{"path-escaped, then HTML-escaped", `p%3Ca&amp;%22s%27s%3Ew0rd`},
	}
	for _, tt := range tests {
		for _, ct := range []string{"text/html", "application/json"} {
			t.Run(tt.name+"/"+ct, func(t *testing.T) {
				t.Parallel()
				body := "<html><body><h1>Invalid login attempt</h1><p>you typed " + tt.echoed + "</p></body></html>"
				if ct == "application/json" {
					body = `{"error":{"code":"INVALID_LOGIN_ATTEMPT","message":"<p>you typed ` + tt.echoed + `</p>"}}`
				}
				rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
					return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{"Content-Type": {ct}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
				})
				client, err := tba.NewClient(tba.WithTransport(rt))
				if err != nil {
					t.Fatal(err)
				}
				creds := tba.UserCredentials{Account: "123456", Email: "a@b.example", Password: password}
				_, err = client.IssueToken(t.Context(), creds, strings.Repeat("c", 64), "")
				var fe *tba.FlowError
				if !errors.As(err, &fe) {
					t.Fatalf("IssueToken error = %v, want a *tba.FlowError", err)
				}
				if !strings.Contains(fe.Body+fe.Message, "you typed ") {
					t.Errorf("the rest of the answer was lost: Message %q, Body %q", fe.Message, fe.Body)
				}
				for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
					out := fmt.Sprintf(verb, fe) + fmt.Sprintf(verb, *fe) + fmt.Sprintf(verb, err) + fe.Body
					for _, s := range []string{password, tt.echoed} {
						if strings.Contains(out, s) {
							t.Errorf("%s prints the password as %q: %s", verb, s, out)
						}
					}
				}
			})
		}
	}
}
