package connectflow

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCrossSite(t *testing.T) {
	for _, c := range []struct {
		h    map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"Sec-Fetch-Site": "same-origin"}, false},
		{map[string]string{"Sec-Fetch-Site": "none"}, false},
		{map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{map[string]string{"Sec-Fetch-Site": "same-site"}, true},
		{map[string]string{"Origin": "https://app.acme.example"}, false},
		{map[string]string{"Origin": "null"}, false},
		{map[string]string{"Origin": "https://evil.example"}, true},
		{map[string]string{"Origin": "://bad"}, true},
	} {
		r := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
		for k, v := range c.h {
			r.Header.Set(k, v)
		}
		if got := CrossSite(r); got != c.want {
			t.Errorf("%v: CrossSite = %v, want %v", c.h, got, c.want)
		}
	}
}

// A flow's cookie is its own: the key of another state, another value,
// or no cookie never matches the key the flow was put under.
func TestBindingKey(t *testing.T) {
	b := Binding{Prefix: "nsdist_x"}
	r := httptest.NewRequest(http.MethodGet, "http://localhost:8080/connect", nil) // no TLS: Secure only when asked
	ck, session := b.Cookie(r, "state-1")
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || !strings.HasPrefix(ck.Name, "nsdist_x_") || len(ck.Value) != 64 {
		t.Fatalf("cookie %+v", ck)
	}
	if tls := (Binding{Prefix: "p", Secure: true}); func() bool { c, _ := tls.Cookie(r, "s"); return !c.Secure }() {
		t.Error("Secure binding gave a cookie without Secure")
	}
	cb := httptest.NewRequest(http.MethodGet, "https://app.acme.example/cb?state=state-1", nil)
	if _, _, ok := b.Key(cb, "state-1"); ok {
		t.Error("a key without the cookie")
	}
	cb.AddCookie(ck)
	key, got, ok := b.Key(cb, "state-1")
	if !ok || got != session || key != PutKey("state-1", session) || !Matches(session, got) {
		t.Errorf("Key = %q %q %v", key, got, ok)
	}
	if _, _, ok := b.Key(cb, "state-2"); ok {
		t.Error("the cookie of state-1 opened state-2")
	}
	forged := httptest.NewRequest(http.MethodGet, "https://app.acme.example/cb", nil)
	forged.AddCookie(&http.Cookie{Name: ck.Name, Value: strings.Repeat("0", 64)})
	if k, _, _ := b.Key(forged, "state-1"); k == key {
		t.Error("another value gave the same key")
	}
	full := httptest.NewRequest(http.MethodGet, "https://app.acme.example/connect", nil)
	for i := range PerBrowser {
		c, _ := b.Cookie(r, "s"+strings.Repeat("x", i))
		full.AddCookie(c)
		if got := b.Full(full); got != (i == PerBrowser-1) {
			t.Errorf("%d cookies: Full = %v", i+1, got)
		}
	}
}
