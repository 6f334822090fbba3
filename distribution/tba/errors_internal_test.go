package tba

import (
	"fmt"
	"strings"
	"testing"
)

var fuzzSecrets = []string{"Sx7kQ2vLm9Zp4Wr8Tn3Bc6Hd", "p@ss w0rd&<x>\"'+/="}

// FuzzFlowError: a token endpoint answer of any status and body, the body
// carrying the request's secrets broken up by any byte (a control
// character, invalid UTF-8, U+FFFD's bytes, an escape), keeps no secret in
// any field of the error or its text, and never panics.
func FuzzFlowError(f *testing.F) {
	for _, s := range []string{`{"error":{"code":"INVALID_LOGIN","message":"%s"}}`, `<html>%s</html>`, `%s`, `{"error":{"code":"%s"}}`, `oauth_token_secret=%s&x=1`} {
		for _, sep := range []string{"", "\x01", "\xff", "\uFFFD", "\n", "\\u0001", "&amp;"} {
			f.Add(400, s, sep, uint8(0))
			f.Add(401, s, sep, uint8(1))
		}
	}
	f.Fuzz(func(t *testing.T, status int, format, sep string, which uint8) {
		secret := fuzzSecrets[int(which)%len(fuzzSecrets)]
		body := strings.ReplaceAll(format, "%s", strings.Join(strings.Split(secret, ""), sep))
		e := flowError(status, []byte(body), fuzzSecrets...)
		for _, kept := range []string{e.Body, e.Message, e.Code, e.NextStep, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
			for _, s := range fuzzSecrets {
				if strings.Contains(kept, s) {
					t.Fatalf("a secret survives in %q\n(body %q)", kept, body)
				}
			}
		}
	})
}
