package nstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestSignedJWT checks the fake's hand-written token against the
// standard library: its signature is HS256 under signingKey as crypto/hmac
// computes it, and its claims decode as JSON with the values the chain
// holds, escapes included.
func TestSignedJWT(t *testing.T) {
	c := &o2Chain{account: "1234567_SB1", clientID: "cid", appID: `A"B\C`, role: "3", entity: "-5;x\n",
		scopes: []string{"rest_webservices", "restlets"}, oit: time.Unix(1700000000, 0)}
	c.header = (&Server{}).jwtHeaderLocked(c.account)
	tok := &o2Token{jti: "1234567_SB1.a.X", chain: c, iat: time.Unix(1700000100, 0), exp: time.Unix(1700003700, 0)}
	for range 3 { // the pooled buffers are reused
		raw := signedJWT(tok)
		parts := strings.Split(raw, ".")
		if len(parts) != 3 {
			t.Fatalf("token has %d parts, want 3", len(parts))
		}
		mac := hmac.New(sha256.New, signingKey())
		mac.Write([]byte(parts[0] + "." + parts[1]))
		if want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); parts[2] != want {
			t.Fatalf("signature %s, crypto/hmac says %s", parts[2], want)
		}
		head, err := base64.RawURLEncoding.DecodeString(parts[0])
		if err != nil {
			t.Fatal(err)
		}
		var hdr struct{ Alg, Kid, Typ string }
		if err := json.Unmarshal(head, &hdr); err != nil || hdr.Alg != "HS256" || hdr.Typ != "JWT" || !strings.HasPrefix(hdr.Kid, "c.1234567_SB1.") {
			t.Fatalf("header %s: %v", head, err)
		}
		body, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			Sub string   `json:"sub"`
			Aud []string `json:"aud"`
			Exp int64    `json:"exp"`
			Jti string   `json:"jti"`
		}
		if err := json.Unmarshal(body, &claims); err != nil {
			t.Fatalf("claims %s: %v", body, err)
		}
		if claims.Sub != "3;-5;x\n" || len(claims.Aud) != 2 || claims.Aud[0] != `A"B\C;1234567_SB1` || claims.Aud[1] != "cid" ||
			claims.Exp != 1700003700 || claims.Jti != tok.jti {
			t.Fatalf("claims %+v", claims)
		}
	}
}

// TestLookupExactText checks that the fake, which keeps only a token's
// signature, still accepts nothing but the exact text it issued.
func TestLookupExactText(t *testing.T) {
	s := NewServer()
	t.Cleanup(s.Close)
	c := &o2Chain{account: "1234567", clientID: "cid", appID: "app", role: "3", entity: "-5", scopes: []string{"rest_webservices"}}
	s.mu.Lock()
	tok := s.mintLocked(c, false, time.Now().Add(time.Hour))
	s.mu.Unlock()
	raw := s.seal(tok)[0]
	dot := strings.LastIndexByte(raw, '.')
	claims, _ := base64.RawURLEncoding.DecodeString(raw[strings.IndexByte(raw, '.')+1 : dot])
	forged := raw[:strings.IndexByte(raw, '.')+1] +
		base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), `"3;-5"`, `"3;-6"`, 1))) + raw[dot:]
	s.mu.Lock()
	defer s.mu.Unlock()
	if got := s.lookupLocked(raw); got != tok {
		t.Fatal("the issued text was not found")
	}
	for name, bad := range map[string]string{"other claims, same signature": forged, "cut signature": raw[:len(raw)-1],
		"no dot": strings.ReplaceAll(raw, ".", ""), "bad base64": raw[:dot+1] + "!!"} {
		if bad == raw {
			t.Fatalf("%s: the forgery is the token", name)
		}
		if got := s.lookupLocked(bad); got != nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// appendJSONString writes valid JSON for any text, also one made only of
// a quote, a backslash or a control character (its fast path must not take
// them); a space is plain either way, so "s[i] >= 0x20" as "> 0x20" is an
// equivalent mutant.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{`"`, `\`, "\x01", "\n5", "ab", " ", `a"b\c` + "\x7f"} {
		var back string
		if b := appendJSONString(nil, s); json.Unmarshal(b, &back) != nil || back != s {
			t.Errorf("appendJSONString(%q) = %s, reads back %q", s, b, back)
		}
	}
}
