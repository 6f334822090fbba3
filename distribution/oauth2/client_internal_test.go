package oauth2

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist"
)

// TestScrubSeesEveryForm: scrub blanks each form of a secret, whatever the
// secret holds, and leaves a text without one as it is.
func TestScrubSeesEveryForm(t *testing.T) {
	for _, sec := range []string{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzOy01In0.sig-_x", "a b&c=d/e+f", "päss wörd", "!@#$%^", "abcd", "中文密码"} {
		for _, form := range []string{sec, url.QueryEscape(sec), base64.StdEncoding.EncodeToString([]byte(sec))} {
			for _, s := range []string{form, `{"error":"` + form + `"}`, "x" + form} {
				if got := scrub(s, []string{sec}); strings.Contains(got, form) {
					t.Errorf("secret %q: scrub(%q) = %q", sec, s, got)
				}
			}
		}
	}
	if s := `{"error":"invalid_token"}`; scrub(s, []string{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzOy01In0.sig-_x"}) != s {
		t.Error("a text with no form of the secret was changed")
	}
}

// TestClientTimeout: the http.Client's Timeout bounds a request (the
// client makes it a context deadline); the error is a timeout, and the
// caller's context is not taken for cancelled.
func TestClientTimeout(t *testing.T) {
	slow := &http.Client{Timeout: 50 * time.Millisecond, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(5 * time.Second):
			return nil, errors.New("the timeout did not fire")
		}
	})}
	c, err := NewClient(Config{ClientID: "cid"}, WithHTTPClient(slow))
	if err != nil {
		t.Fatal(err)
	}
	if c.http.Timeout != 0 || c.timeout != 50*time.Millisecond || slow.Timeout != 50*time.Millisecond {
		t.Fatalf("timeout %v on the copy %v (the caller's %v): want it moved to the client, the caller's left alone", c.timeout, c.http.Timeout, slow.Timeout)
	}
	start := time.Now()
	_, err = c.ServerTime(t.Context(), &Token{Account: "123456", AccessToken: "at-0123456789", Expiry: time.Now().Add(time.Hour)})
	if took := time.Since(start); took > 2*time.Second || nsdist.Classify(err) != nsdist.ClassTimeout || t.Context().Err() != nil {
		t.Fatalf("took %v, err %v (class %v): want a timeout within the client's bound", took, err, nsdist.Classify(err))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
