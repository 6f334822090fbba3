package oauth2_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/distribution/oauth2"
)

// A Token's JSON form is the one examples/oauth2 prints (its keys are a
// contract), and it reads back as the same Token.
func TestTokenJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)
	tok := oauth2.Token{Account: "123456_SB1", ClientID: "cid", AccessToken: "at", RefreshToken: "rt", TokenType: "bearer",
		Expiry: at.Add(time.Hour), RefreshExpiry: at.Add(48 * time.Hour), RotationDeadline: at.Add(168 * time.Hour),
		Scopes: []oauth2.Scope{oauth2.ScopeRESTWebServices, oauth2.ScopeRESTlets}, Role: "3", Entity: "7", Public: true, IssuedAt: at, GrantedAt: at}
	b, err := tok.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if red, _ := json.Marshal(tok); strings.Contains(string(red), `"at"`) || strings.Contains(string(red), `"rt"`) {
		t.Errorf("json.Marshal wrote the tokens: %s", red)
	}
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"account": "123456_SB1", "client_id": "cid", "access_token": "at", "refresh_token": "rt", "token_type": "bearer",
		"expires_at": "2027-03-02T10:00:00Z", "scope": "rest_webservices restlets", "role": "3", "entity": "7", "issued_at": "2027-03-02T09:00:00Z"} {
		if keys[k] != want {
			t.Errorf("JSON %s = %v, want %v", k, keys[k], want)
		}
	}
	var back oauth2.Token
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tok, back); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"expires_at":"tomorrow"}`), &back); err == nil || !strings.Contains(err.Error(), "expires_at") {
		t.Errorf("a bad expires_at: %v, want an error naming it", err)
	}
}

// A Token printed or logged by value, by pointer or inside a struct never
// shows its access or refresh token.
func TestTokenNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	tok := oauth2.Token{Account: "123456", AccessToken: "SECRET-AT", RefreshToken: "SECRET-RT"}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("x", "tok", tok, "ptr", &tok, "in", struct{ T oauth2.Token }{tok})
	var nilTok *oauth2.Token
	out := fmt.Sprintf("%v %+v %#v %s %q %v %+v %#v %v %+v %v", tok, tok, tok, tok, tok, &tok, &tok, &tok, struct{ T oauth2.Token }{tok}, struct{ T *oauth2.Token }{&tok}, nilTok) + logs.String()
	if strings.Contains(out, "SECRET") {
		t.Errorf("a token was printed:\n%s", out)
	}
}

// ReauthorizeBy: a public client's chain ends at its rotation deadline
// (its refresh token's expiry when that is unknown); a confidential
// client's refresh token lasts 7 days; M2M has no deadline.
func TestTokenReauthorizeBy(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		tok  *oauth2.Token
		want time.Time
	}{
		{"public", &oauth2.Token{RefreshToken: "r", Public: true, RefreshExpiry: t0.Add(48 * time.Hour), RotationDeadline: t0.Add(168 * time.Hour)}, t0.Add(168 * time.Hour)},
		{"public, no rotation known", &oauth2.Token{RefreshToken: "r", Public: true, RefreshExpiry: t0.Add(48 * time.Hour)}, t0.Add(48 * time.Hour)},
		{"public, rotation only", &oauth2.Token{RefreshToken: "r", Public: true, RotationDeadline: t0.Add(720 * time.Hour)}, t0.Add(720 * time.Hour)},
		{"confidential", &oauth2.Token{RefreshToken: "r", RefreshExpiry: t0.Add(7 * 24 * time.Hour)}, t0.Add(7 * 24 * time.Hour)},
		{"no refresh token", &oauth2.Token{Expiry: t0.Add(time.Hour)}, t0.Add(time.Hour)},
		{"m2m", &oauth2.Token{M2M: true, Expiry: t0.Add(time.Hour)}, time.Time{}},
		{"nil", nil, time.Time{}},
	} {
		if got := c.tok.ReauthorizeBy(); !got.Equal(c.want) {
			t.Errorf("%s: ReauthorizeBy = %s, want %s", c.name, got, c.want)
		}
	}
}

// FuzzParseChallenge: any WWW-Authenticate value parses without a panic,
// into at most 16 parameters with lower-case names, none longer than the
// value itself.
func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{`Bearer realm="123456", error="invalid_token", error_description="The access token expired"`,
		`Basic realm=x, Bearer error=invalid_token`, `Bearer error="a\"b\\c"`, `Bearer`, ``, `Bearer ="x"`, `Bearer a=`, `Bearer a="unterminated`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c := oauth2.ParseChallenge(h)
		if c == nil || len(c.Params) > 16 {
			t.Fatalf("ParseChallenge(%q) = %+v", h, c)
		}
		for k, v := range c.Params {
			if k != strings.ToLower(k) || len(v) > len(h) || len(k) > len(h) {
				t.Fatalf("ParseChallenge(%q): param %q = %q", h, k, v)
			}
		}
	})
}

// json.Marshal replaces a token that is there with the placeholder and
// leaves an absent one empty, so that a reader still sees which it held.
func TestTokenMarshalJSONPlaceholders(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(oauth2.Token{Account: "123456", AccessToken: "at-secret", M2M: true})
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	if keys["access_token"] == "" || keys["access_token"] == "at-secret" || keys["refresh_token"] != "" {
		t.Errorf("json.Marshal wrote access_token %q, refresh_token %q; want the placeholder and nothing", keys["access_token"], keys["refresh_token"])
	}
}

// String shows that a refresh token is there (hidden), and only then.
func TestTokenStringNamesRefreshToken(t *testing.T) {
	t.Parallel()
	with := oauth2.Token{Account: "123456", AccessToken: "at", RefreshToken: "rt-secret"}.String()
	without := oauth2.Token{Account: "123456", AccessToken: "at"}.String()
	if !strings.Contains(with, "RefreshToken:") || strings.Contains(with, "rt-secret") || strings.Contains(without, "RefreshToken") {
		t.Errorf("String() = %q with a refresh token, %q without", with, without)
	}
}
