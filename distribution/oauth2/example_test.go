package oauth2_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

// A public client (no secret), as Oracle advises for an integration
// distributed to other accounts. Authorize sends nothing: it returns the
// URL for the user's browser.
func ExampleClient_Authorize() {
	c, err := oauth2.NewClient(oauth2.Config{
		ClientID:    "6794a3086e4f61a120350d01b8527aed3631472ef33412212495be65a8fc8d4c",
		RedirectURL: "https://app.example.com/netsuite/callback",
		Scopes:      []oauth2.Scope{oauth2.ScopeRESTWebServices, oauth2.ScopeRESTlets},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	a, err := c.Authorize(oauth2.AuthorizeOptions{Account: "123456_SB1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := url.Parse(a.URL)
	q := u.Query()
	fmt.Println(u.Host + u.Path)
	fmt.Println(q.Get("response_type"), q.Get("scope"), q.Get("code_challenge_method"))
	fmt.Println(len(q.Get("state")) >= 22, q.Get("code_challenge") != "")
	// Output:
	// 123456-sb1.app.netsuite.com/app/login/oauth2/authorize.nl
	// code rest_webservices restlets S256
	// true true
}

// The redirect NetSuite sends the browser back with names the account
// (company), the role and the user (entity).
func ExampleParseCallback() {
	cb, err := oauth2.ParseCallback("https://myapplication.com/netsuite/oauth2callback?state=ykv2XLx1BpT5Q0F3MRPHb94j&role=1000&entity=12&company=1234567&code=70b827f926a512f098b1289f0991abe3c767947a43498c2e2f80ed5aef6a5c50")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cb.Company, cb.Role, cb.Entity)
	fmt.Println(cb) // the code is a secret

	_, err = oauth2.ParseCallback("https://myapplication.com/netsuite/oauth2callback?state=ykv2XLx1BpT5Q0F3MRPHb94j&role=1000&entity=12&company=1234567&error=access_denied")
	var oe *oauth2.Error
	if errors.As(err, &oe) {
		fmt.Println(oe.Code, errors.Is(err, oauth2.ErrReauthorize))
	}
	// Output:
	// 1234567 1000 12
	// oauth2.Callback{Company:1234567 Role:1000 Entity:12 Code:[REDACTED]}
	// access_denied true
}

// Client credentials (M2M) sign a new assertion for every token. The key
// must be RSA 3072/4096 or EC P-256/384/521; the algorithm follows from it.
func ExampleClient_ClientCredentials() {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	key, err := oauth2.ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	c, _ := oauth2.NewClient(oauth2.Config{ClientID: "1c343a716c1d"}, oauth2.WithClock(func() time.Time { return now }))
	m, err := c.ClientCredentials(oauth2.M2MConfig{Account: "3829855", CertificateID: "HRril7VwkkW2y0wAzFR9GKk1LVTHSZPeq5EeWT2Fgks", Key: key,
		Scopes: []oauth2.Scope{oauth2.ScopeRESTlets, oauth2.ScopeRESTWebServices}})
	if err != nil {
		fmt.Println(err)
		return
	}
	assertion, _ := m.Assertion() // m.Token(ctx) posts it to the token endpoint
	claims := jwt.MapClaims{}
	tok, _ := jwt.NewParser().ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return ec.Public(), nil })
	fmt.Println(tok.Method.Alg(), tok.Header["kid"])
	fmt.Println(claims["iss"], claims["scope"], claims["aud"])
	iat, exp := int64(claims["iat"].(float64)), int64(claims["exp"].(float64))
	fmt.Println(now.Unix()-iat, "s before now;", (exp-iat)/60, "minutes")
	// Output:
	// ES384 HRril7VwkkW2y0wAzFR9GKk1LVTHSZPeq5EeWT2Fgks
	// 1c343a716c1d restlets,rest_webservices https://3829855.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token
	// 5 s before now; 59 minutes
}

// ParseScopes reads a -scope flag and refuses what NetSuite would.
func ExampleParseScopes() {
	s, err := oauth2.ParseScopes("rest_webservices restlets")
	fmt.Println(s, err)
	_, err = oauth2.ParseScopes("mcp rest_webservices")
	fmt.Println(strings.TrimPrefix(err.Error(), "oauth2: "))
	// Output:
	// [rest_webservices restlets] <nil>
	// invalid scope: mcp (the NetSuite AI Connector Service) must be requested alone
}

// The whole code grant against the fake NetSuite: Authorize, the user's
// Allow (nstest plays the browser), Complete, then ServerTime. The grant
// installed the record; this account requires approval, so NetSuite does
// not accept the token yet.
func ExampleClient_Complete() {
	ctx := context.Background()
	fake := nstest.NewServer()
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456", nstest.AccountConfig{RequireApproval: true})
	cust.AddUser(nstest.User{Email: "admin@customer.example", Password: "pw"})
	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", OAuth2CodeGrant: true, PublicClient: true,
		RedirectURIs: []string{"https://app.example.com/netsuite/callback"}, Scopes: []string{"rest_webservices"}})

	c, _ := oauth2.NewClient(oauth2.Config{ClientID: rec.ClientID, RedirectURL: "https://app.example.com/netsuite/callback"},
		oauth2.WithTransport(fake.Transport()))
	a, _ := c.Authorize(oauth2.AuthorizeOptions{}) // system.netsuite.com: the login picks the account
	redirect, _ := fake.Consent(ctx, a.URL, "admin@customer.example", "pw", "allow")
	tok, err := c.Complete(ctx, a, redirect.String())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Account, tok.Public, tok.RefreshToken != "")
	inst, _ := cust.Install(rec.ApplicationID)
	fmt.Println(inst.State)
	_, err = c.ServerTime(ctx, tok)
	var oe *oauth2.Error
	if errors.As(err, &oe) {
		fmt.Println(oe.HTTPStatus, oe.Code, oe.Description)
	}
	// Output:
	// 123456 true true
	// Waiting for Approval
	// 401 invalid_token Invalid login attempt.
}

// A Credential refreshes ahead of expiry, sends one refresh however many
// goroutines ask, and saves the new token before anyone uses it.
func ExampleClient_Refresher() {
	ctx := context.Background()
	fake := nstest.NewServer()
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456", nstest.AccountConfig{})
	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", OAuth2CodeGrant: true, PublicClient: true,
		RedirectURIs: []string{"https://app.example.com/cb"}, Scopes: []string{"rest_webservices"}})
	g, _ := fake.CompleteCodeGrant(cust.ID(), rec)
	c, _ := oauth2.NewClient(oauth2.Config{ClientID: rec.ClientID}, oauth2.WithTransport(fake.Transport()))
	expired := *g
	expired.Expiry = time.Now().Add(-time.Minute)

	saveToVault := func(_ context.Context, t *oauth2.Token) error {
		fmt.Println("saved a new refresh token:", t.RefreshToken != g.RefreshToken)
		return nil
	}
	cred := c.Refresher(&expired, saveToVault)
	tok, err := cred.Token(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = c.ServerTime(ctx, tok)
	fmt.Println("serverTime:", err == nil, "refresh requests:", fake.TokenRequests("refresh_token"))
	// Output:
	// saved a new refresh token: true
	// serverTime: true refresh requests: 1
}

// One customer's life on the fake NetSuite: the code grant installs the
// record; the grant is handed off to M2M; thirty days of daily checks
// sign in by client credentials alone (the code grant itself ended after
// 7 days); then the certificate is rotated, and the new one works.
func ExampleClient_HandOffToM2M() {
	now := time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	fake := nstest.NewServer(nstest.WithClock(clock))
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	cust := fake.MustAddAccount("1234567", nstest.AccountConfig{})
	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", OAuth2CodeGrant: true, OAuth2ClientCredentials: true,
		RedirectURIs: []string{"https://app.example.com/cb"}, Scopes: []string{"rest_webservices"}})
	c, _ := oauth2.NewClient(oauth2.Config{ClientID: rec.ClientID, ClientSecret: rec.ClientSecret}, oauth2.WithTransport(fake.Transport()), oauth2.WithClock(clock))
	ctx := context.Background()

	tok, _ := fake.CompleteCodeGrant(cust.ID(), rec) // the customer's administrator allows the integration
	inst, _ := cust.Install(rec.ApplicationID)
	fmt.Println("day 0: installed", inst.State, "- reauthorize by", tok.ReauthorizeBy().Format(time.DateOnly))

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h, err := c.HandOffToM2M(ctx, tok, key)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("day 0: handed off to M2M, certificate valid until", h.ValidUntil.Format(time.DateOnly))
	check := func(kid string, k *ecdsa.PrivateKey) error {
		m, err := c.ClientCredentials(oauth2.M2MConfig{Account: cust.ID(), CertificateID: kid, Key: k})
		if err != nil {
			return err
		}
		t, err := m.Token(ctx)
		if err == nil {
			_, err = c.ServerTime(ctx, t)
		}
		return err
	}
	failed := 0
	for day := 1; day <= 30; day++ {
		now = now.Add(24 * time.Hour)
		if check(h.CertificateID, key) != nil {
			failed++
		}
	}
	_, refreshErr := c.Refresh(ctx, tok)
	fmt.Println("days 1-30: M2M checks failed:", failed, "- the code grant's refresh:", errors.Is(refreshErr, oauth2.ErrReauthorize))

	now = now.Add(690 * 24 * time.Hour) // near the end of the certificate's two years
	newKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h2, err := c.RotateM2M(ctx, h, key, newKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("day 720: rotated; new certificate works:", check(h2.CertificateID, newKey) == nil, "- old one works:", check(h.CertificateID, key) == nil)
	// Output:
	// day 0: installed Enabled - reauthorize by 2027-03-09
	// day 0: handed off to M2M, certificate valid until 2029-03-01
	// days 1-30: M2M checks failed: 0 - the code grant's refresh: true
	// day 720: rotated; new certificate works: true - old one works: false
}
