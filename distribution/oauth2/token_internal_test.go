package oauth2

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// fuzzSecrets are what a request carried: a client secret, and a refresh
// token with characters that escape differently in each encoding.
var fuzzSecrets = []string{"Sx7kQ2vLm9Zp4Wr8Tn3Bc6Hd", "rt+/=&?%p@ss w0rd.Q7"}

// FuzzTokenResponse runs the token endpoint's decoder directly on any
// status and body, the body carrying the request's secrets broken up by
// any byte (a control character, invalid UTF-8, U+FFFD's bytes). It must
// return a token or an error, never both or neither, never panic, and keep
// no secret in any field of the error or its text.
func FuzzTokenResponse(f *testing.F) {
	for _, s := range []string{`{"access_token":"a","expires_in":"3600"}`, `{"error":"invalid_grant","error_description":"%s"}`, `<html>%s</html>`,
		`{"access_token":1}`, `{"expires_in":"%s","access_token":"a"}`, `{"error":"%s"}`, `%s`} {
		for _, sep := range []string{"", "\x01", "\xff", "\uFFFD", "\n", "\x7f"} {
			f.Add(400, s, sep, uint8(0))
			f.Add(200, s, sep, uint8(1))
		}
	}
	f.Fuzz(func(t *testing.T, status int, format, sep string, which uint8) {
		if status < 100 || status > 599 {
			status = 200 + (status&0xff)%300
		}
		secret := fuzzSecrets[int(which)%len(fuzzSecrets)]
		broken := strings.Join(strings.Split(secret, ""), sep)
		body := strings.ReplaceAll(format, "%s", broken)
		h := http.Header{"Content-Type": {"application/json"}, "Www-Authenticate": {`Bearer error="invalid_token", error_description="` + broken + `"`}}
		tr, _, err := decodeTokenResponse("refresh", "123456", &response{status: status, header: h, body: []byte(body)}, fuzzSecrets)
		if (tr == nil) == (err == nil) {
			t.Fatalf("decode = %v, %v: want exactly one", tr, err)
		}
		if err == nil {
			return
		}
		kept := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
		var e *Error
		if errors.As(err, &e) {
			kept = append(kept, e.Body, e.Description, string(e.Code), e.NextStep, fmt.Sprint(e.Challenge))
		}
		for _, k := range kept {
			for _, s := range fuzzSecrets {
				if strings.Contains(k, s) {
					t.Fatalf("a secret survives in %q\n(body %q)", k, body)
				}
			}
		}
	})
}
