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
	tok := &o2Token{jti: "1234567_SB1.a.X", chain: c, iat: time.Unix(1700000100, 0), exp: time.Unix(1700003700, 0)}
	var b jwtBuf
	for i := range 3 { // the scratch is reused, and a token is appended to what is there
		prefix := strings.Repeat("x", i)
		b[1] = append(b[1][:0], prefix...)
		if cut := appendSignedJWTs(&b, tok, nil); cut != len(b[1]) {
			t.Fatalf("one token ends at %d, the text at %d", cut, len(b[1]))
		}
		out := b[1]
		raw, ok := strings.CutPrefix(string(out), prefix)
		if !ok {
			t.Fatalf("the token overwrote what was before it: %q", out)
		}
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
	tok, ref := s.mintLocked(c, time.Now().Add(time.Hour), time.Now().Add(2*time.Hour))
	only, none := s.mintLocked(c, time.Now().Add(time.Hour), time.Time{})
	s.mu.Unlock()
	if tok.refresh || !ref.refresh || !strings.HasPrefix(tok.jti, "1234567.a.") || !strings.HasPrefix(ref.jti, "1234567.r.") ||
		len(tok.jti) != len(ref.jti) || only.refresh || none != nil || !c.lastExp.Equal(ref.exp) {
		t.Fatalf("minted %+v and %+v, then %+v and %v; the chain's last expiry %v", tok, ref, only, none, c.lastExp)
	}
	raw, refRaw := s.seal(tok, ref)
	dot := strings.LastIndexByte(raw, '.')
	claims, _ := base64.RawURLEncoding.DecodeString(raw[strings.IndexByte(raw, '.')+1 : dot])
	forged := raw[:strings.IndexByte(raw, '.')+1] +
		base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), `"3;-5"`, `"3;-6"`, 1))) + raw[dot:]
	s.mu.Lock()
	defer s.mu.Unlock()
	if got := s.lookupLocked(raw); got != tok {
		t.Fatal("the issued text was not found")
	}
	if got := s.lookupLocked(refRaw); got != ref {
		t.Fatal("the issued refresh token was not found")
	}
	// the last character holds 2 bits that decode to nothing: a lax
	// decoder would take its neighbour for the same signature
	last := strings.IndexByte(base64url, raw[len(raw)-1])
	sameBits := raw[:len(raw)-1] + string(base64url[last^1])
	for name, bad := range map[string]string{"other claims, same signature": forged, "cut signature": raw[:len(raw)-1],
		"no dot": strings.ReplaceAll(raw, ".", ""), "bad base64": raw[:dot+1] + "!!", "unused bits set": sameBits,
		"longer signature": raw + "A", "empty": "", "only a dot": "."} {
		if bad == raw {
			t.Fatalf("%s: the forgery is the token", name)
		}
		if got := s.lookupLocked(bad); got != nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

const base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

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

// TestTokenSlots: a token is found through the slot its jti carries; the
// sweep frees the slots of tokens a day past their expiry, a new token
// takes one, and the old text is then refused, not taken for the new
// token; a jti naming a slot out of range or another token's is refused.
func TestTokenSlots(t *testing.T) {
	s := NewServer()
	t.Cleanup(s.Close)
	c := &o2Chain{account: "1234567", clientID: "cid", appID: "app", role: "3", entity: "-5", scopes: []string{"rest_webservices"}}
	now := time.Now()
	s.mu.Lock()
	dead, _ := s.mintLocked(c, now.Add(-48*time.Hour), time.Time{})
	s.mu.Unlock()
	deadText, _ := s.seal(dead, nil)
	s.mu.Lock()
	for range 4095 { // one short of a sweep
		s.mintLocked(c, now.Add(time.Hour), time.Time{})
	}
	fresh, _ := s.mintLocked(c, now.Add(time.Hour), time.Time{}) // this mint sweeps: dead's slot is freed and taken
	s.mu.Unlock()
	freshText, _ := s.seal(fresh, nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	if fresh.slot != dead.slot {
		t.Fatalf("the sweep did not free slot %d for reuse (the new token took %d)", dead.slot, fresh.slot)
	}
	if got := s.lookupLocked(freshText); got != fresh {
		t.Fatal("the new token was not found")
	}
	if got := s.lookupLocked(deadText); got != nil {
		t.Fatal("a swept token's text was taken for the token now in its slot")
	}
	if slot, ok := slotOf(fresh.jti); !ok || slot != fresh.slot {
		t.Fatalf("jti %s carries slot %d, %v; want %d", fresh.jti, slot, ok, fresh.slot)
	}
	for _, bad := range []string{"1234567.a.FFFFFFFF-0000-0000-0000-000000000000", "1234567.a.short", "nodot", ""} {
		if _, ok := slotOf(bad); ok && strings.HasPrefix(bad, "1234567.a.F") {
			// a slot far out of range: the lookup must refuse it
			claims := base64.RawURLEncoding.EncodeToString([]byte(`{"jti":"` + bad + `"}`))
			if s.lookupLocked("e30."+claims+"."+strings.Repeat("A", 43)) != nil {
				t.Errorf("jti %s found a token", bad)
			}
		} else if ok {
			t.Errorf("slotOf(%q) read a slot", bad)
		}
	}
}

// TestSealMatchesOneByOne: sealing a grant's two tokens together, with
// their shared header and claims written once, gives the texts each token
// gets on its own.
func TestSealMatchesOneByOne(t *testing.T) {
	s := NewServer()
	t.Cleanup(s.Close)
	for _, scopes := range [][]string{{"rest_webservices"}, {"rest_webservices", "restlets"}, {`a"b`}} { // shared prefixes of every length mod 3
		c := &o2Chain{account: "1234567_SB1", clientID: "cid-0123456789", appID: "APP-1", role: "3", entity: "-5", scopes: scopes, oit: time.Unix(1700000000, 0)}
		s.mu.Lock()
		access, refresh := s.mintLocked(c, time.Now().Add(time.Hour), time.Now().Add(7*24*time.Hour))
		s.mu.Unlock()
		a, r := s.seal(access, refresh)
		var b1, b2 jwtBuf
		appendSignedJWTs(&b1, access, nil)
		appendSignedJWTs(&b2, refresh, nil)
		one, two := b1[1], b2[1]
		if a != string(one) || r != string(two) {
			t.Fatalf("scopes %q: sealed together\n%s\n%s\none by one\n%s\n%s", scopes, a, r, one, two)
		}
		s.mu.Lock()
		if s.lookupLocked(a) != access || s.lookupLocked(r) != refresh {
			t.Errorf("scopes %q: a sealed token was not found", scopes)
		}
		s.mu.Unlock()
	}
}
