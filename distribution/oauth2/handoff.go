package oauth2

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/nsdist/nsdist"
)

// MaxCertificateValidity is the longest a client-credentials certificate
// is valid: NetSuite shortens a longer one to two years
// (subsect_162755332391).
const MaxCertificateValidity = 2 * 365 * 24 * time.Hour

// NewCertificate makes a self-signed X.509 certificate (PEM) for key,
// valid from now for validity (at most MaxCertificateValidity; zero means
// that). key is any crypto.Signer, a file key or a KMS one, whose public
// key NetSuite takes: RSA 3072 or 4096 bits with exponent 65537, or EC
// P-256, P-384 or P-521 (subsect_162755332391).
func NewCertificate(key crypto.Signer, now time.Time, validity time.Duration) ([]byte, error) {
	if err := checkPublic(key); err != nil {
		return nil, err
	}
	if validity <= 0 || validity > MaxCertificateValidity {
		validity = MaxCertificateValidity
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, fmt.Errorf("oauth2: certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "nsdist client credentials"},
		NotBefore: now.Add(-time.Minute), NotAfter: now.Add(validity), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("%w: the key could not sign its certificate: %w", ErrKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// checkPublic checks a signer by its public key, so that a KMS key,
// whose private half is not in memory, is checked like a file key.
func checkPublic(key crypto.Signer) error {
	if key == nil {
		return fmt.Errorf("%w: no key", ErrKey)
	}
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if n := pub.N.BitLen(); n != 3072 && n != 4096 {
			return fmt.Errorf("%w: an RSA key of %d bits; NetSuite takes 3072 or 4096 (subsect_162755332391)", ErrKey, n)
		}
		if pub.E != 65537 {
			return fmt.Errorf("%w: an RSA key with public exponent %d; make one with 65537", ErrKey, pub.E)
		}
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return fmt.Errorf("%w: EC curve %s; NetSuite takes P-256, P-384 or P-521", ErrKey, pub.Curve.Params().Name)
		}
	default:
		return fmt.Errorf("%w: a %T public key; NetSuite takes RSA 3072/4096 or EC P-256/384/521", ErrKey, pub)
	}
	return nil
}

// HandOff is the outcome of a hand-off to M2M: the certificate registered
// for the code grant's role and entity.
type HandOff struct {
	Account       string
	CertificateID string
	Role, Entity  string
	ValidUntil    time.Time
	// Certificate is the registered certificate (PEM), public.
	Certificate []byte
}

// ErrHandOff is wrapped by the error of a hand-off that NetSuite refused.
// The code-grant token stays valid: keep it.
var ErrHandOff = errors.New("oauth2: the hand-off to client credentials (M2M) was refused")

// HandOffToM2M registers a certificate for key with the Certificate
// Rotation Endpoint, for the role and entity of tok, a code-grant token
// (article_92130837826, article_0209112025). From then on the client
// credentials grant signs in as that user with that role, and the customer
// never has to authorize again; the certificate itself expires (rotate it
// before ValidUntil). NetSuite may refuse: the role lacks the "Manage own
// OAuth 2.0 Client Credentials certificates" permission (whether roles
// have it by default is not documented), the record lacks the Client
// Credentials (Machine to Machine) Grant box, or five certificates are
// active already. The error then wraps ErrHandOff and an *Error whose
// NextStep names the missing permission or box and the administrator's
// step; tok is unchanged and still works.
func (c *Client) HandOffToM2M(ctx context.Context, tok *Token, key crypto.Signer) (*HandOff, error) {
	if tok == nil || tok.M2M || tok.Role == "" || tok.Entity == "" {
		return nil, fmt.Errorf("%w: a hand-off needs a code-grant token with its role and entity", ErrConfig)
	}
	now := c.now()
	certPEM, err := NewCertificate(key, now, MaxCertificateValidity)
	if err != nil {
		return nil, err
	}
	id, err := c.AddCertificate(ctx, tok, certPEM, tok.Role, tok.Entity)
	if err != nil {
		var oe *Error
		if errors.As(err, &oe) {
			oe.NextStep = handOffStep(oe, tok)
		}
		return nil, fmt.Errorf("%w: %w", ErrHandOff, err)
	}
	return &HandOff{Account: string(tok.Account), CertificateID: id, Role: tok.Role, Entity: tok.Entity, ValidUntil: now.Add(MaxCertificateValidity),
		Certificate: certPEM}, nil
}

// handOffStep is what to do about a refused registration.
func handOffStep(e *Error, tok *Token) string {
	const mapByHand = "Setup > Integration > Manage Authentication > OAuth 2.0 Client Credentials (M2M) Setup"
	switch e.HTTPStatus {
	case 403:
		return fmt.Sprintf("an administrator of %s must give role %s the Manage own OAuth 2.0 Client Credentials certificates permission "+
			"(Setup > Users/Roles > Manage Roles), then the hand-off can run again; or map the certificate by hand at %s; the code-grant token keeps working meanwhile",
			tok.Account, tok.Role, mapByHand)
	case 400:
		return "the vendor must check Client Credentials (Machine to Machine) Grant on the integration record, and the record may hold at most five active " +
			"certificates: revoke one at " + mapByHand + "; the code-grant token keeps working meanwhile"
	}
	return e.NextStep
}

// RotateM2M replaces an M2M credential's certificate before it expires:
// signed in with the current one (client credentials, oldKid and oldKey),
// it registers a certificate for newKey for the same role and entity,
// checks that the client credentials grant works with it, and only then
// revokes the old one (a record holds at most five active certificates,
// section_162686838198). If the new certificate does not work, the old one
// stays and the new one is revoked.
func (c *Client) RotateM2M(ctx context.Context, h *HandOff, oldKey, newKey crypto.Signer) (*HandOff, error) {
	account := nsdist.AccountID(h.Account)
	oldM, err := c.ClientCredentials(M2MConfig{Account: account, CertificateID: h.CertificateID, Key: oldKey})
	if err != nil {
		return nil, err
	}
	tok, err := oldM.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth2: rotate: the current certificate %s no longer signs in: %w", h.CertificateID, err)
	}
	now := c.now()
	certPEM, err := NewCertificate(newKey, now, MaxCertificateValidity)
	if err != nil {
		return nil, err
	}
	id, err := c.AddCertificate(ctx, tok, certPEM, h.Role, h.Entity)
	if err != nil {
		return nil, fmt.Errorf("oauth2: rotate: %w", err)
	}
	newM, err := c.ClientCredentials(M2MConfig{Account: account, CertificateID: id, Key: newKey})
	if err == nil {
		_, err = newM.Token(ctx)
	}
	if err != nil {
		_ = c.RevokeCertificate(ctx, tok, id) // the old certificate stays in use
		return nil, fmt.Errorf("oauth2: rotate: the new certificate %s did not sign in; the old one stays: %w", id, err)
	}
	if err := c.RevokeCertificate(ctx, tok, h.CertificateID); err != nil {
		return nil, fmt.Errorf("oauth2: rotate: certificate %s works, but the old %s was not revoked: %w", id, h.CertificateID, err)
	}
	return &HandOff{Account: h.Account, CertificateID: id, Role: h.Role, Entity: h.Entity, ValidUntil: now.Add(MaxCertificateValidity), Certificate: certPEM}, nil
}
