package soap_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/nsdist/nsdist/soap"
)

// TestLoginSessionRedacted: a LoginSession's JSESSIONID is a credential
// (whoever holds it acts as the user), so no printed form of the session,
// pointer or value, and no slog line shows it.
func TestLoginSessionRedacted(t *testing.T) {
	t.Parallel()
	const jsession = "JSESSIONIDs3cretValue0123456789"
	ep := "https://123456.suitetalk.api.netsuite.com/services/NetSuitePort_2020_1"
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, ep, func(*http.Request) (*http.Response, error) {
		r := httpmock.NewBytesResponse(200, readFixture(t, "login.xml"))
		r.Header.Add("Set-Cookie", "JSESSIONID="+jsession+"; Path=/; Secure")
		return r, nil
	})
	c, err := soap.NewClient("123456", soap.WithVersion(soap.V2020_1), soap.WithAuth(passportAuth("123456")), soap.WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Login(t.Context())
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("login", "session", s, "value", *s)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("login", "session", s, "value", *s)
	forms := map[string]string{"slog text": text.String(), "slog JSON": js.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		forms[verb+" of *LoginSession"] = fmt.Sprintf(verb, s)
		forms[verb+" of LoginSession"] = fmt.Sprintf(verb, *s)
	}
	for form, out := range forms {
		if strings.Contains(out, jsession) {
			t.Errorf("%s shows the session cookie: %s", form, out)
		}
	}
	if got := fmt.Sprint(s); !strings.Contains(got, "123456") {
		t.Errorf("fmt.Sprint(session) = %q, want the account at least", got)
	}
}
