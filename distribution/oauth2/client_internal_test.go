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

// TestMayHoldSeesEveryForm: a text that holds any form scrub blanks, with
// anything around it, is never passed over, whatever the secret holds.
func TestMayHoldSeesEveryForm(t *testing.T) {
	for _, sec := range []string{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzOy01In0.sig-_x", "a b&c=d/e+f", "päss wörd", "!@#$%^", "abc", "abcd", "中文密码"} {
		for _, form := range []string{sec, url.QueryEscape(sec), base64.StdEncoding.EncodeToString([]byte(sec))} {
			for _, s := range []string{form, `{"error":"` + form + `"}`, "x" + form} {
				if len(sec) >= 4 && !mayHold(s, sec) {
					t.Errorf("secret %q: %q passed over", sec, s)
				}
				if got := scrub(s, []string{sec}); len(sec) >= 4 && strings.Contains(got, form) {
					t.Errorf("secret %q: scrub(%q) = %q", sec, s, got)
				}
			}
		}
	}
	if mayHold(`{"error":"invalid_token"}`, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzOy01In0.sig-_x") {
		t.Error("a text with no form of the secret was not passed over")
	}
}

// FuzzMayHold checks the property scrub rests on: when mayHold passes a
// text over, blanking every form of the secret would change nothing.
func FuzzMayHold(f *testing.F) {
	f.Add("s3cr3t-token", "an echo of s3cr3t-token")
	f.Add("a b&c", "a+b%26c")
	f.Add("abcdef", "YWJjZGVm")
	f.Fuzz(func(t *testing.T, sec, s string) {
		if len(sec) < 4 || mayHold(s, sec) {
			return
		}
		for _, form := range []string{sec, url.QueryEscape(sec), base64.StdEncoding.EncodeToString([]byte(sec))} {
			if strings.Contains(s, form) {
				t.Fatalf("secret %q: %q holds %q, yet was passed over", sec, s, form)
			}
		}
	})
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
