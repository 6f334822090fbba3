package connectapp

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

func serve(t *testing.T, requireApproval bool) (string, *App) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	app, err := NewApp(base, requireApproval)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: app}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { srv.Close(); app.Close() })
	return strings.Replace(base, "127.0.0.1", "localhost", 1), app
}

// A browser stand-in: follows redirects and submits the consent form.
func TestConnectEndToEnd(t *testing.T) {
	t.Parallel()
	for _, approval := range []bool{false, true} {
		base, app := serve(t, approval)
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar}
		home := get(t, browser, base+"/")
		if !strings.Contains(home, `href="/connect"`) {
			t.Fatalf("home page:\n%s", home)
		}
		consent := get(t, browser, base+"/connect")
		if !strings.Contains(consent, "Acme Sync wants to access your NetSuite account") {
			t.Fatalf("consent page:\n%s", consent)
		}
		form := url.Values{"action": {"allow"}}
		for _, name := range []string{"oauth_token", "state", "company", "email", "password"} {
			form.Set(name, attr(consent, `name="`+name+`"`))
		}
		resp, err := browser.PostForm(base+"/app/login/secure/authorizetoken.nl", form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "Connected: Enabled"
		if approval {
			want = "Connected: waiting for approval"
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("approval=%v result:\n%s", approval, b)
		}
		if _, ok := app.Store.Get("123456"); !ok {
			t.Error("token not stored")
		}
		if approval && !strings.Contains(string(b), "ask your administrator to open Setup") {
			t.Errorf("no next step:\n%s", b)
		}
	}
}

func TestConnectDeny(t *testing.T) {
	t.Parallel()
	base, _ := serve(t, false)
	browser := &http.Client{}
	consent := get(t, browser, base+"/connect")
	form := url.Values{"action": {"deny"}, "oauth_token": {attr(consent, `name="oauth_token"`)}, "state": {attr(consent, `name="state"`)}}
	resp, err := browser.PostForm(base+"/app/login/secure/authorizetoken.nl", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "Not connected") || !strings.Contains(string(b), "choose Allow") {
		t.Errorf("deny: %d\n%s", resp.StatusCode, b)
	}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func attr(page, marker string) string {
	i := strings.Index(page, marker)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	j := strings.Index(rest, `value="`)
	rest = rest[j+7:]
	return rest[:strings.Index(rest, `"`)]
}
