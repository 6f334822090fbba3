package oauth2

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	xoauth2 "golang.org/x/oauth2"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/internal/redact"
)

// ErrKey is wrapped by every error about an M2M private key.
var ErrKey = errors.New("oauth2: unusable private key")

// Algorithms NetSuite accepts for a client assertion: RSA-PSS and ECDSA
// only; RS256 (PKCS#1 v1.5) is not among them (section_162790605110).
var Algorithms = []string{"PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

// ParsePrivateKey reads a PEM private key (PKCS#8, PKCS#1 RSA or SEC 1 EC)
// and checks it is one NetSuite's certificates may hold: RSA 3072 or 4096
// bits, or EC P-256, P-384 or P-521 (subsect_162755332391).
func ParsePrivateKey(pemBytes []byte) (crypto.Signer, error) {
	var block *pem.Block
	rest := pemBytes
	for {
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("%w: no PEM private key found (want -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)", ErrKey)
		}
		if strings.HasSuffix(block.Type, "PRIVATE KEY") {
			break
		}
	}
	if strings.Contains(block.Type, "ENCRYPTED") || block.Headers["Proc-Type"] != "" {
		return nil, fmt.Errorf("%w: the key is encrypted; decrypt it first (openssl pkey -in key.pem -out plain.pem)", ErrKey)
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: the DER does not parse", ErrKey, block.Type)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T keys cannot sign a client assertion; NetSuite takes RSA 3072/4096 or EC P-256/384/521", ErrKey, key)
	}
	if err := checkKey(signer); err != nil {
		return nil, err
	}
	return signer, nil
}

func checkKey(k crypto.Signer) error {
	switch k := k.(type) {
	case nil:
		return fmt.Errorf("%w: no key", ErrKey)
	case *rsa.PrivateKey:
		if k == nil || k.N == nil {
			return fmt.Errorf("%w: nil RSA key", ErrKey)
		}
	case *ecdsa.PrivateKey:
		if k == nil || k.Curve == nil {
			return fmt.Errorf("%w: nil EC key", ErrKey)
		}
	default:
		if v := reflect.ValueOf(k); v.Kind() == reflect.Pointer && v.IsNil() {
			return fmt.Errorf("%w: a nil %T", ErrKey, k)
		}
	}
	// by its public key: a KMS signer is checked like a file key
	return checkPublic(k)
}

// DefaultAlgorithm is the algorithm nsdist signs with for key: PS256 for
// RSA, and ES256, ES384 or ES512 by the EC curve.
func DefaultAlgorithm(key crypto.Signer) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if k, ok := key.Public().(*ecdsa.PublicKey); ok {
		switch k.Curve {
		case elliptic.P384():
			return "ES384", nil
		case elliptic.P521():
			return "ES512", nil
		}
		return "ES256", nil
	}
	return "PS256", nil
}

func signingMethod(alg string, key crypto.Signer) (jwt.SigningMethod, error) {
	m, ok := signerMethods[alg]
	if !ok {
		return nil, fmt.Errorf("%w: algorithm %q; NetSuite accepts %s (not RS256)", ErrConfig, truncate(alg, 20), strings.Join(Algorithms, ", "))
	}
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if m.ec {
			return nil, fmt.Errorf("%w: algorithm %s does not fit an RSA key", ErrConfig, alg)
		}
	case *ecdsa.PublicKey:
		if !m.ec {
			return nil, fmt.Errorf("%w: algorithm %s does not fit an EC key", ErrConfig, alg)
		}
		if want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]; pub.Curve != want {
			return nil, fmt.Errorf("%w: %s needs curve %s, the key is %s", ErrConfig, alg, want.Params().Name, pub.Curve.Params().Name)
		}
	}
	return m, nil
}

// signerMethod signs a JWS with any crypto.Signer (a file key or a KMS
// one), as golang-jwt's methods do with a private key in memory: RSA-PSS
// with the salt as long as the hash (RFC 7518 §3.5), or ECDSA with R and S
// as fixed-length big-endian integers (RFC 7518 §3.4).
type signerMethod struct {
	alg  string
	hash crypto.Hash
	ec   bool
	size int // bytes of R and of S
}

var signerMethods = map[string]*signerMethod{
	"PS256": {alg: "PS256", hash: crypto.SHA256}, "PS384": {alg: "PS384", hash: crypto.SHA384}, "PS512": {alg: "PS512", hash: crypto.SHA512},
	"ES256": {alg: "ES256", hash: crypto.SHA256, ec: true, size: 32}, "ES384": {alg: "ES384", hash: crypto.SHA384, ec: true, size: 48},
	"ES512": {alg: "ES512", hash: crypto.SHA512, ec: true, size: 66},
}

func (m *signerMethod) Alg() string { return m.alg }

// Verify is not needed: nsdist only signs assertions.
func (m *signerMethod) Verify(string, []byte, any) error {
	return errors.New("oauth2: assertions are signed here, not verified")
}

// Sign signs the JWS signing input with key, a crypto.Signer.
func (m *signerMethod) Sign(signingString string, key any) ([]byte, error) {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T is no crypto.Signer", ErrKey, key)
	}
	h := m.hash.New()
	h.Write([]byte(signingString))
	digest := h.Sum(nil)
	if !m.ec {
		return signer.Sign(rand.Reader, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: m.hash})
	}
	der, err := signer.Sign(rand.Reader, digest, m.hash)
	if err != nil {
		return nil, err
	}
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) > 0 || sig.R == nil || sig.S == nil || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 ||
		sig.R.BitLen() > 8*m.size || sig.S.BitLen() > 8*m.size {
		return nil, fmt.Errorf("%w: the signer's ECDSA signature is not DER (r, s)", ErrKey)
	}
	out := make([]byte, 2*m.size)
	sig.R.FillBytes(out[:m.size])
	sig.S.FillBytes(out[m.size:])
	return out, nil
}

// M2MConfig is the client credentials (machine to machine) grant for one
// account: the record must already be installed there with its Client
// Credentials box checked, and the certificate mapped to an entity and
// role (section_162686838198). M2M never installs a record.
type M2MConfig struct {
	Account nsdist.AccountID
	// CertificateID is the Certificate ID NetSuite gave the mapping; it is
	// the assertion's kid (section_162790605110).
	CertificateID string
	// Key signs the assertion: RSA 3072/4096 or EC P-256/384/521.
	Key crypto.Signer
	// Algorithm defaults from the key (see DefaultAlgorithm).
	Algorithm string
	// Scopes default to the client's.
	Scopes []Scope
	// ScopeArray sends scope as a JSON array, as Oracle's sample assertion
	// does, instead of the comma-joined string its claim table documents
	// (section_162790605110 vs section_162755359851; which forms NetSuite
	// accepts is not confirmed).
	ScopeArray bool
	// Lifetime is exp − iat; default and maximum 59 minutes: NetSuite wants
	// it under 60 (section_162790605110).
	Lifetime time.Duration
	// Backdate sets iat this far in the past (default 5 s), because NetSuite
	// refuses an assertion issued in the future (TokenNotAcceptable).
	Backdate time.Duration
	// RESTletsAudience uses the restlets.api host in aud, as Oracle's sample
	// does, instead of the suitetalk.api token URL its table documents.
	RESTletsAudience bool
}

// String never shows the key.
func (m M2MConfig) String() string {
	return fmt.Sprintf("oauth2.M2MConfig{Account:%s CertificateID:%s Key:%s Algorithm:%s}", m.Account, m.CertificateID, redact.Placeholder, m.Algorithm)
}

// GoString never shows the key.
func (m M2MConfig) GoString() string { return m.String() }

// Format prints the redacted form for every verb.
func (m M2MConfig) Format(f fmt.State, _ rune) { io.WriteString(f, m.String()) } //nolint:errcheck

// M2M gets access tokens with the client credentials grant
// (section_162755359851). There is no refresh token: each token costs a
// new signed assertion. Safe for concurrent use.
type M2M struct {
	c      *Client
	cfg    M2MConfig
	method jwt.SigningMethod
}

// ClientCredentials checks cfg and returns an M2M token getter. Nothing is sent.
func (c *Client) ClientCredentials(cfg M2MConfig) (*M2M, error) {
	if err := cfg.Account.Validate(); err != nil {
		return nil, err
	}
	if cfg.CertificateID == "" || !printable(cfg.CertificateID) {
		return nil, fmt.Errorf("%w: CertificateID is empty or not printable; it is the Certificate ID of the M2M mapping (Setup > Integration > Manage Authentication > OAuth 2.0 Client Credentials (M2M) Setup)", ErrConfig)
	}
	if cfg.Key == nil {
		return nil, fmt.Errorf("%w: no private key", ErrConfig)
	}
	if err := checkKey(cfg.Key); err != nil {
		return nil, err
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm, _ = DefaultAlgorithm(cfg.Key)
	}
	m, err := signingMethod(cfg.Algorithm, cfg.Key)
	if err != nil {
		return nil, err
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = c.cfg.Scopes
	}
	if err := ValidateScopes(cfg.Scopes); err != nil {
		return nil, err
	}
	if hasScope(cfg.Scopes, ScopeMCP) {
		return nil, fmt.Errorf("%w: the AI Connector (mcp) record has no client credentials grant", ErrScope)
	}
	switch {
	case cfg.Lifetime == 0:
		cfg.Lifetime = 59 * time.Minute
	case cfg.Lifetime < time.Minute || cfg.Lifetime > 59*time.Minute:
		return nil, fmt.Errorf("%w: Lifetime %s: exp − iat must be under 60 minutes (section_162790605110); nsdist takes 1 to 59", ErrConfig, cfg.Lifetime)
	}
	switch {
	case cfg.Backdate == 0:
		cfg.Backdate = 5 * time.Second
	case cfg.Backdate < 0 || cfg.Backdate > 5*time.Minute:
		return nil, fmt.Errorf("%w: Backdate %s: want 0 to 5 minutes", ErrConfig, cfg.Backdate)
	}
	cfg.Scopes = append([]Scope(nil), cfg.Scopes...)
	return &M2M{c: c, cfg: cfg, method: m}, nil
}

// Assertion returns a freshly signed client assertion JWT: header typ JWT,
// alg, kid = the certificate id; claims iss (the client id), scope, aud
// (the account's token URL), iat a few seconds in the past, exp, jti.
func (m *M2M) Assertion() (string, error) {
	iat := m.c.now().Add(-m.cfg.Backdate).Truncate(time.Second)
	host := m.cfg.Account.SuiteTalkHost()
	if m.cfg.RESTletsAudience {
		host = m.cfg.Account.RESTletsHost()
	}
	claims := jwt.MapClaims{
		"iss": m.c.cfg.ClientID,
		"aud": "https://" + host + TokenPath,
		"iat": iat.Unix(),
		"exp": iat.Add(m.cfg.Lifetime).Unix(),
		"jti": NewState(),
	}
	if m.cfg.ScopeArray {
		claims["scope"] = strings.Fields(joinScopes(m.cfg.Scopes, " "))
	} else {
		claims["scope"] = joinScopes(m.cfg.Scopes, ",")
	}
	t := jwt.NewWithClaims(m.method, claims)
	t.Header["kid"] = m.cfg.CertificateID
	s, err := t.SignedString(m.cfg.Key)
	if err != nil {
		return "", fmt.Errorf("%w: signing the assertion with %s failed", ErrKey, m.cfg.Algorithm)
	}
	return s, nil
}

// Token gets a new access token with a new assertion. The token has no
// refresh token; when it expires, call Token again (TokenSource does).
func (m *M2M) Token(ctx context.Context) (*Token, error) {
	a, err := m.Assertion()
	if err != nil {
		return nil, err
	}
	form := url.Values{"grant_type": {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
	resp, err := m.c.do(ctx, &request{op: OpClientCredentials, account: m.cfg.Account, method: "POST", host: m.cfg.Account.SuiteTalkHost(), path: TokenPath, form: form, secrets: []string{a}})
	if err != nil {
		return nil, err
	}
	tr, life, err := decodeTokenResponse(OpClientCredentials, m.cfg.Account, resp, []string{a})
	if err != nil {
		return nil, err
	}
	now := m.c.now()
	return &Token{Account: m.cfg.Account, ClientID: m.c.cfg.ClientID, AccessToken: tr.AccessToken, TokenType: "bearer",
		Expiry: now.Add(life), Scopes: append([]Scope(nil), m.cfg.Scopes...), M2M: true, IssuedAt: now}, nil
}

// TokenSource reuses a token until shortly before it expires, then signs
// a new assertion.
func (m *M2M) TokenSource(ctx context.Context) xoauth2.TokenSource {
	return xoauth2.ReuseTokenSourceWithExpiry(nil, m2mSource{ctx: ctx, m: m}, m.c.ahead)
}

type m2mSource struct {
	ctx context.Context
	m   *M2M
}

func (s m2mSource) Token() (*xoauth2.Token, error) {
	t, err := s.m.Token(s.ctx)
	if err != nil {
		return nil, err
	}
	return t.OAuth2(), nil
}
