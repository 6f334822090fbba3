package oauth2

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
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
