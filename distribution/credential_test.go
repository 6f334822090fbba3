package distribution_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
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

// plainCred is a credential that is not Identified.
type plainCred struct{}

func (plainCred) Channel() approval.Channel       { return approval.ChannelTBA }
func (plainCred) Validate(nsdist.AccountID) error { return nil }

// idCred is an Identified credential of any channel and identity.
type idCred struct {
	ch     approval.Channel
	fields []string
}

func (c idCred) Channel() approval.Channel       { return c.ch }
func (c idCred) Validate(nsdist.AccountID) error { return nil }
func (c idCred) Identity() []string              { return c.fields }

// Two credentials have one fingerprint exactly when they are the same
// authorization: secrets and refreshes do not change it, a new token,
// grant, user or certificate does.
func TestFingerprint(t *testing.T) {
	t.Parallel()
	key1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	granted := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	tbaCred := func(key, id, secret string) tba.Credential {
		return tba.Credential{Consumer: tba.Consumer{Key: key, Secret: "cs-" + secret}, Token: tba.Token{ID: id, Secret: "ts-" + secret}}
	}
	grant := func(role, entity string, at time.Time, access string, scopes ...oauth2.Scope) oauth2.Grant {
		return oauth2.Grant{Token: &oauth2.Token{Account: "1", ClientID: "client-1", Role: role, Entity: entity, AccessToken: access, RefreshToken: "rt-" + access,
			Scopes: scopes, IssuedAt: at.Add(time.Hour), GrantedAt: at}}
	}
	user := func(email, password string) tba.UserCredentials {
		return tba.UserCredentials{Email: email, Password: password, Role: "3", ApplicationID: "app"}
	}
	tests := []struct {
		name string
		a, b distribution.Credential
		same bool
	}{
		{"tba: the same token", tbaCred("ck", "tid-1", "x"), tbaCred("ck", "tid-1", "x"), true},
		{"tba: the secrets do not name the token", tbaCred("ck", "tid-1", "x"), tbaCred("ck", "tid-1", "y"), true},
		{"tba: a new token", tbaCred("ck", "tid-1", "x"), tbaCred("ck", "tid-2", "x"), false},
		{"tba: another consumer", tbaCred("ck", "tid-1", "x"), tbaCred("ck2", "tid-1", "x"), false},
		{"tba: fields do not run into each other", tbaCred("ab", "c", "x"), tbaCred("a", "bc", "x"), false},
		{"passport: a new password is the same user", user("a@b.c", "pw1"), user("a@b.c", "pw2"), true},
		{"passport: another user", user("a@b.c", "pw1"), user("d@b.c", "pw1"), false},
		{"oauth2: a refreshed token is the same grant", grant("3", "7", granted, "at-1"), grant("3", "7", granted, "at-2"), true},
		{"oauth2: the same user's new grant is the same authorization", grant("3", "7", granted, "at-1"), grant("3", "7", granted.Add(time.Hour), "at-2"), true},
		{"oauth2: the scopes' order does not matter", grant("3", "7", granted, "a", "restlets", "rest_webservices"), grant("3", "7", granted, "a", "rest_webservices", "restlets"), true},
		{"oauth2: another role", grant("3", "7", granted, "at-1"), grant("1022", "7", granted, "at-1"), false},
		{"oauth2: another user", grant("3", "7", granted, "at-1"), grant("3", "8", granted, "at-1"), false},
		{"oauth2: other scopes", grant("3", "7", granted, "a", "restlets"), grant("3", "7", granted, "a", "rest_webservices"), false},
		{"oauth2: another client", grant("3", "7", granted, "at-1"), oauth2.Grant{Token: &oauth2.Token{Account: "1", ClientID: "client-2", Role: "3", Entity: "7", AccessToken: "at-1"}}, false},
		{"m2m: the same certificate", oauth2.M2MKey{ClientID: "c", CertificateID: "kid-1", Key: key1}, oauth2.M2MKey{ClientID: "c", CertificateID: "kid-1", Key: key1}, true},
		{"m2m: another certificate", oauth2.M2MKey{ClientID: "c", CertificateID: "kid-1", Key: key1}, oauth2.M2MKey{ClientID: "c", CertificateID: "kid-2", Key: key1}, false},
		{"m2m: another key under the id", oauth2.M2MKey{ClientID: "c", CertificateID: "kid-1", Key: key1}, oauth2.M2MKey{ClientID: "c", CertificateID: "kid-1", Key: key2}, false},
		{"m2m: another client", oauth2.M2MKey{ClientID: "c", CertificateID: "kid-1", Key: key1}, oauth2.M2MKey{ClientID: "d", CertificateID: "kid-1", Key: key1}, false},
		{"the channel is part of it", idCred{approval.ChannelTBA, []string{"x"}}, idCred{approval.ChannelOAuth2, []string{"x"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fa, fb := distribution.Fingerprint(tt.a), distribution.Fingerprint(tt.b)
			if len(fa) != 32 || len(fb) != 32 {
				t.Fatalf("Fingerprint = %q, %q; want 32 hex digits", fa, fb)
			}
			if (fa == fb) != tt.same {
				t.Errorf("Fingerprint(a) == Fingerprint(b) is %v, want %v", fa == fb, tt.same)
			}
		})
	}
}

// A credential without an identity has no fingerprint: unknown.
func TestFingerprintUnknown(t *testing.T) {
	t.Parallel()
	for _, c := range []distribution.Credential{nil, plainCred{}, idCred{ch: approval.ChannelTBA}, oauth2.Grant{}} {
		if fp := distribution.Fingerprint(c); fp != "" {
			t.Errorf("Fingerprint(%T) = %q, want empty", c, fp)
		}
	}
}

// A fingerprint is a keyed digest: neither a secret nor an identifier of
// the credential appears in it, and it is not the plain SHA-256 of one.
func TestFingerprintHidesTheCredential(t *testing.T) {
	t.Parallel()
	const id, secret = "4f0c9d2e7b1a63581e2d4c6b8a9f0e1d2c3b4a59687766554433221100ffeedd", "ts-SECRET-77"
	c := tba.Credential{Consumer: tba.Consumer{Key: "ck-abcdef0123", Secret: "cs-SECRET-78"}, Token: tba.Token{ID: id, Secret: secret}}
	fp := distribution.Fingerprint(c)
	plain := sha256.Sum256([]byte(id))
	for _, s := range []string{id, id[:16], secret, "SECRET", "ck-abcdef0123", hex.EncodeToString(plain[:])[:32]} {
		if strings.Contains(fp, s) || strings.Contains(s, fp) {
			t.Errorf("Fingerprint = %q shares %q", fp, s)
		}
	}
}

// TestFingerprintStable: journals keep fingerprints across versions, so
// the digest of a credential never changes (this value was computed
// before the HMACs were pooled), however often it is taken.
func TestFingerprintStable(t *testing.T) {
	t.Parallel()
	c := tba.Credential{Consumer: tba.Consumer{Key: "ck-0123456789", Secret: "cs"}, Token: tba.Token{ID: "tok-0123456789", Secret: "ts"}}
	for range 3 {
		if got := distribution.Fingerprint(c); got != "68d85eb43d0d2bc8f8f6602955ad611c" {
			t.Fatalf("Fingerprint = %s, want 68d85eb43d0d2bc8f8f6602955ad611c", got)
		}
	}
}
