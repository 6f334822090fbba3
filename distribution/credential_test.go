package distribution_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/tba"
)

// A Target logged as JSON or encoded never carries its secrets.
func TestTargetSecretsInJSON(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	targets := []distribution.Target{
		{Account: "1", Credential: tba.Credential{Consumer: tba.Consumer{Key: "ck-public-part", Secret: "cs-SECRET-1"}, Token: tba.Token{ID: "tid-public", Secret: "ts-SECRET-2"}}},
		{Account: "1", Credential: tba.UserCredentials{Email: "a@b.c", Password: "pw-SECRET-3", ApplicationID: "x"}},
		{Account: "1", Credential: oauth2.M2MKey{CertificateID: "kid", Key: key}},
		{Account: "1", Credential: oauth2.Grant{Token: &oauth2.Token{Account: "1", AccessToken: "at-SECRET-4", RefreshToken: "rt-SECRET-5"}}},
	}
	var out bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	for _, tg := range targets {
		log.Info("target", "target", tg, "credential", tg.Credential)
		b, err := json.Marshal(tg)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
	}
	if strings.Contains(out.String(), "SECRET") || strings.Contains(out.String(), key.D.String()) {
		t.Errorf("a secret in JSON output:\n%s", out.String())
	}
}
