package oauth2_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

// kmsSigner is a signer whose private key is out of reach, as a KMS's is.
type kmsSigner struct{ k *ecdsa.PrivateKey }

func (s kmsSigner) Public() crypto.PublicKey { return s.k.Public() }
func (s kmsSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return s.k.Sign(r, d, o)
}

// The hand-off: a code-grant token registers the vendor's certificate for
// its role and entity, and from then on the client credentials grant
// signs in with the key alone (the certificate's id as kid); the key may
// be any crypto.Signer.
func TestHandOffToM2M(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{m2m: true})
	tok, err := e.grant(t, "123456_SB1", "allow")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h, err := e.client.HandOffToM2M(t.Context(), tok, kmsSigner{key})
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(h.Certificate)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || h.CertificateID == "" || h.Role != tok.Role || h.Entity != tok.Entity || cert.NotAfter.Sub(cert.NotBefore) > oauth2.MaxCertificateValidity+time.Minute {
		t.Fatalf("hand-off %+v, certificate %v", h, err)
	}
	m, err := e.client.ClientCredentials(oauth2.M2MConfig{Account: "123456_SB1", CertificateID: h.CertificateID, Key: kmsSigner{key}})
	if err != nil {
		t.Fatal(err)
	}
	m2mTok, err := m.Token(t.Context())
	if err != nil {
		t.Fatalf("client credentials after the hand-off: %v", err)
	}
	if _, err := e.client.ServerTime(t.Context(), m2mTok); err != nil {
		t.Errorf("serverTime with the M2M token: %v", err)
	}
	if !m2mTok.ReauthorizeBy().IsZero() || tok.ReauthorizeBy().IsZero() {
		t.Errorf("deadlines: M2M %s, code grant %s", m2mTok.ReauthorizeBy(), tok.ReauthorizeBy())
	}
}

// A refused hand-off says what is missing and keeps the code-grant token
// working: no permission (403), no client credentials box (400).
func TestHandOffRefused(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, c := range []struct {
		name string
		m2m  bool
		perm bool
		step string
	}{
		{"no permission", true, false, "Manage own OAuth 2.0 Client Credentials certificates permission"},
		{"no client credentials box", false, true, "Client Credentials (Machine to Machine) Grant"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t, envOpts{m2m: c.m2m})
			perm := c.perm
			e.cust.AddUser(nstest.User{Email: "dana@customer.example", Password: "pw-dana", ManageOwnCertificates: &perm})
			a, err := e.client.Authorize(oauth2.AuthorizeOptions{Account: "123456_SB1"})
			if err != nil {
				t.Fatal(err)
			}
			loc, err := e.fake.Consent(t.Context(), a.URL, "dana@customer.example", "pw-dana", "allow")
			if err != nil {
				t.Fatal(err)
			}
			tok, err := e.client.Complete(t.Context(), a, loc.String())
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.client.HandOffToM2M(t.Context(), tok, key)
			var oe *oauth2.Error
			if !errors.Is(err, oauth2.ErrHandOff) || !errors.As(err, &oe) || !strings.Contains(oe.NextStep, c.step) || !strings.Contains(oe.NextStep, "keeps working") {
				t.Fatalf("hand-off: %v (next step %q)", err, oe)
			}
			if _, err := e.client.ServerTime(t.Context(), tok); err != nil {
				t.Errorf("the code-grant token after a refused hand-off: %v", err)
			}
		})
	}
}

func TestNewCertificateKeys(t *testing.T) {
	t.Parallel()
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if _, err := oauth2.NewCertificate(p224, time.Now(), 0); !errors.Is(err, oauth2.ErrKey) {
		t.Errorf("P-224: %v, want ErrKey", err)
	}
	if _, err := oauth2.NewCertificate(nil, time.Now(), 0); !errors.Is(err, oauth2.ErrKey) {
		t.Errorf("nil: %v, want ErrKey", err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	now := time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)
	pemBytes, err := oauth2.NewCertificate(p384, now, 10*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	cert, _ := x509.ParseCertificate(block.Bytes)
	if cert == nil || !cert.NotAfter.Equal(now.Add(oauth2.MaxCertificateValidity)) {
		t.Errorf("a ten-year request gave %v, want two years", cert)
	}
}

// badSigner returns an ECDSA signature whose R does not fit the curve.
type badSigner struct{ kmsSigner }

func (s badSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).Lsh(big.NewInt(1), 300), big.NewInt(1)})
}

// A signer that returns a malformed signature gets an error, not a panic.
func TestAssertionBadSigner(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c := newClient(t, oauth2.Config{ClientID: "cid"})
	m, err := c.ClientCredentials(oauth2.M2MConfig{Account: "123456", CertificateID: "kid", Key: badSigner{kmsSigner{key}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Token(t.Context()); !errors.Is(err, oauth2.ErrKey) {
		t.Errorf("Token with a bad signer: %v, want ErrKey", err)
	}
}

// One customer's life: a public code grant, handed off to M2M, still
// verifies by client credentials after the fake's clock passes 7 days and
// then the 168-hour rotation window, where the code grant itself has
// ended (a refresh is refused: authorize again). The same customer
// without the permission keeps the code grant, whose deadline and the
// administrator's step the refusal gives.
func TestLifeAfterHandOff(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, permitted := range []bool{true, false} {
		e := newFakeEnv(t, envOpts{public: false, m2m: true})
		perm := permitted
		e.cust.AddUser(nstest.User{Email: "erin@customer.example", Password: "pw-erin", ManageOwnCertificates: &perm})
		a, _ := e.client.Authorize(oauth2.AuthorizeOptions{Account: "123456_SB1"})
		loc, err := e.fake.Consent(t.Context(), a.URL, "erin@customer.example", "pw-erin", "allow")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.client.Complete(t.Context(), a, loc.String())
		if err != nil {
			t.Fatal(err)
		}
		deadline := tok.ReauthorizeBy()
		if want := tok.IssuedAt.Add(7 * 24 * time.Hour); !deadline.Equal(want) {
			t.Fatalf("a confidential grant's deadline %s, want %s", deadline, want)
		}
		h, err := e.client.HandOffToM2M(t.Context(), tok, key)
		if !permitted {
			var oe *oauth2.Error
			if !errors.As(err, &oe) || !strings.Contains(oe.NextStep, "Setup > Users/Roles > Manage Roles") {
				t.Fatalf("without the permission: %v", err)
			}
			if _, err := e.client.ServerTime(t.Context(), tok); err != nil {
				t.Errorf("the code grant after the refusal: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			m, err := e.client.ClientCredentials(oauth2.M2MConfig{Account: "123456_SB1", CertificateID: h.CertificateID, Key: key})
			if err != nil {
				t.Fatal(err)
			}
			mt, err := m.Token(t.Context())
			if err == nil {
				_, err = e.client.ServerTime(t.Context(), mt)
			}
			if err != nil {
				t.Errorf("%s: M2M: %v", when, err)
			}
		}
		check("day 0")
		e.clock.Add(7*24*time.Hour + time.Minute)
		check("after 7 days")
		if _, err := e.client.Refresh(t.Context(), tok); !errors.Is(err, oauth2.ErrReauthorize) {
			t.Errorf("the code grant's refresh after 7 days: %v, want ErrReauthorize", err)
		}
		e.clock.Add(168 * time.Hour)
		check("after 7 days and 168 h more")
	}
}

// Rotation: a new certificate is registered with the current one's M2M
// token, works, and the old one is revoked; the old key no longer signs in.
func TestRotateM2M(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, envOpts{m2m: true})
	tok, err := e.grant(t, "123456_SB1", "allow")
	if err != nil {
		t.Fatal(err)
	}
	oldKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	newKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	h, err := e.client.HandOffToM2M(t.Context(), tok, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(700 * 24 * time.Hour) // near the end of the two years
	h2, err := e.client.RotateM2M(t.Context(), h, oldKey, newKey)
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(kid string, key crypto.Signer) error {
		m, err := e.client.ClientCredentials(oauth2.M2MConfig{Account: "123456_SB1", CertificateID: kid, Key: key})
		if err == nil {
			_, err = m.Token(t.Context())
		}
		return err
	}
	if err := signIn(h2.CertificateID, newKey); err != nil || h2.CertificateID == h.CertificateID {
		t.Errorf("the new certificate %s: %v", h2.CertificateID, err)
	}
	if err := signIn(h.CertificateID, oldKey); err == nil {
		t.Error("the old certificate still signs in after the rotation")
	}
}
