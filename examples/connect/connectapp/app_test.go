package connectapp

import (
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func serve(t *testing.T, cfg Config) (string, *App) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	app, err := NewApp(base, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: app}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { srv.Close(); app.Close() })
	return strings.Replace(base, "127.0.0.1", "localhost", 1), app
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	inputTag   = regexp.MustCompile(`<input[^>]*>`)
	nameAttr   = regexp.MustCompile(`name="([^"]*)"`)
	valueAttr  = regexp.MustCompile(`value="([^"]*)"`)
)

// submit posts the page's one form with every input as the page gives it,
// and the chosen action button, as a browser would.
func submit(t *testing.T, browser *http.Client, base, page, action string) (int, string) {
	t.Helper()
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form on the page:\n%s", page)
	}
	form := url.Values{"action": {action}}
	for _, in := range inputTag.FindAllString(page, -1) {
		n, v := nameAttr.FindStringSubmatch(in), valueAttr.FindStringSubmatch(in)
		if n == nil {
			continue
		}
		val := ""
		if v != nil {
			val = htmlUnescape(v[1])
		}
		form.Set(n[1], val)
	}
	resp, err := browser.PostForm(base+m[1], form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

// A browser stand-in: follows redirects and submits the login and consent
// form, for both channels and both preferences.
func TestConnectEndToEnd(t *testing.T) {
	t.Parallel()
	for _, auth := range []string{"oauth2", "tba"} {
		for _, approval := range []bool{false, true} {
			base, app := serve(t, Config{Auth: auth, RequireApproval: approval})
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar}
			if home := get(t, browser, base+"/"); !strings.Contains(home, `id="signin"`) || strings.Contains(home, `href="/connect"`) {
				t.Fatalf("home page before signing in:\n%s", home)
			}
			if home := signIn(t, browser, base); !strings.Contains(home, `href="/connect"`) {
				t.Fatalf("home page:\n%s", home)
			}
			consent := get(t, browser, base+"/connect")
			if !strings.Contains(consent, "Acme Sync") || !strings.Contains(consent, `id="allow"`) {
				t.Fatalf("%s consent page:\n%s", auth, consent)
			}
			_, b := submit(t, browser, base, consent, "allow")
			b = html.UnescapeString(b)
			want := map[string]map[bool]string{
				"oauth2": {false: "Connected: Enabled", true: "Connected: waiting for approval"},
				"tba":    {false: "Connected: Enabled", true: "Connected: waiting for approval"},
			}[auth][approval]
			if !strings.Contains(b, want) {
				t.Errorf("%s approval=%v result:\n%s", auth, approval, b)
			}
			if approval && !strings.Contains(b, "must open Setup > Integration > Manage Integrations") {
				t.Errorf("%s: no administrator's step:\n%s", auth, b)
			}
			switch auth {
			case "oauth2":
				if toks := app.Tokens.Get("demo-tenant"); len(toks) != 1 || toks[0].Account != "123456" {
					t.Errorf("oauth2 tokens of the tenant: %v", toks)
				}
			case "tba":
				if _, ok := app.TBAStore.Get("123456"); !ok { // the in-memory store is one tenant's
					t.Error("tba token not stored")
				}
			}
			inst, ok := app.Fake.Account("123456")
			if ok && len(inst.Installs()) != 1 {
				t.Errorf("%s: installs %v", auth, inst.Installs())
			}
		}
	}
}

func TestConnectDeny(t *testing.T) {
	t.Parallel()
	for _, auth := range []string{"oauth2", "tba"} {
		base, _ := serve(t, Config{Auth: auth})
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar}
		signIn(t, browser, base)
		consent := get(t, browser, base+"/connect")
		status, b := submit(t, browser, base, consent, "deny")
		b = html.UnescapeString(b)
		if status != http.StatusBadRequest || !strings.Contains(b, "Not connected") || !strings.Contains(b, "choose Allow") {
			t.Errorf("%s deny: %d\n%s", auth, status, b)
		}
	}
}

// Another site cannot start a flow in the user's browser, and a browser
// without the vendor's session cannot either.
func TestConnectStartGuards(t *testing.T) {
	t.Parallel()
	base, _ := serve(t, Config{})
	req, _ := http.NewRequest(http.MethodGet, base+"/connect", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	jar, _ := cookiejar.New(nil)
	signIn(t, &http.Client{Jar: jar}, base)
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		req.AddCookie(c)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site Start: %d", resp.StatusCode)
	}
	resp, err = noRedirect.Get(base + "/connect")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("Start without the vendor's session: %d", resp.StatusCode)
	}
	// a session id the browser makes up names no tenant
	req, _ = http.NewRequest(http.MethodGet, base+"/connect", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: "demo-tenant"})
	if resp, err = noRedirect.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("Start with a made-up session: %d", resp.StatusCode)
	}
	// a wrong password, and a sign-in another site posts, are refused
	for _, h := range []map[string]string{{}, {"Origin": "https://evil.example"}} {
		body := "user=demo&password=demo"
		if len(h) == 0 {
			body = "user=demo&password=guess"
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		want := http.StatusSeeOther
		for k, v := range h {
			req.Header.Set(k, v)
			want = http.StatusForbidden
		}
		if len(h) == 0 {
			want = http.StatusUnauthorized
		}
		if resp, err = noRedirect.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("login %v: %d, want %d", h, resp.StatusCode, want)
		}
	}
}

// signIn signs the browser in as the demo user and returns the home page.
func signIn(t *testing.T, browser *http.Client, base string) string {
	t.Helper()
	resp, err := browser.PostForm(base+"/login", url.Values{"user": {"demo"}, "password": {"demo"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %d %s", resp.StatusCode, b)
	}
	return string(b)
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
