package oauth2_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

// A Grant was authorized when its chain was granted, or, for a token that
// does not know that, when it was issued; without a token, never.
func TestGrantAuthorizedAt(t *testing.T) {
	t.Parallel()
	granted := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	issued := granted.Add(50 * time.Hour)
	for _, tt := range []struct {
		g    oauth2.Grant
		want time.Time
	}{
		{oauth2.Grant{Token: &oauth2.Token{GrantedAt: granted, IssuedAt: issued}}, granted},
		{oauth2.Grant{Token: &oauth2.Token{IssuedAt: issued}}, issued},
		{oauth2.Grant{}, time.Time{}},
	} {
		if got := tt.g.AuthorizedAt(); !got.Equal(tt.want) {
			t.Errorf("AuthorizedAt() = %v, want %v", got, tt.want)
		}
	}
}

// A Grant's identity is who authorized which client for which role and
// scopes, the scopes in any order; its tokens and times are not part of it.
func TestGrantIdentity(t *testing.T) {
	t.Parallel()
	c, err := oauth2.NewClient(oauth2.Config{ClientID: "record-cid", RedirectURL: "https://app.example/cb"})
	if err != nil {
		t.Fatal(err)
	}
	tok := &oauth2.Token{Account: "123456_SB1", AccessToken: "at1", Role: "3", Entity: "7",
		Scopes: []oauth2.Scope{oauth2.ScopeRESTlets, oauth2.ScopeRESTWebServices}}
	want := []string{"123456_SB1", "record-cid", "3", "7", "rest_webservices restlets"} // scopes sorted
	if got := (oauth2.Grant{Token: tok, Client: c}).Identity(); !slices.Equal(got, want) {
		t.Errorf("Identity() = %q, want %q", got, want)
	}
	own := *tok
	own.ClientID, own.AccessToken, own.IssuedAt = "token-cid", "at2", time.Now()
	if got := (oauth2.Grant{Token: &own, Client: c}).Identity(); got[1] != "token-cid" || !slices.Equal(got[2:], want[2:]) {
		t.Errorf("Identity() of a token with its own client = %q", got)
	}
	if got := (oauth2.Grant{}).Identity(); got != nil {
		t.Errorf("Identity() without a token = %q, want nil", got)
	}
}

// Validate wants a token with an access or a refresh token, for the
// target's account when both name one.
func TestGrantValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		tok     *oauth2.Token
		account string
		ok      bool
	}{
		{nil, "123456", false},
		{&oauth2.Token{Account: "123456"}, "123456", false},
		{&oauth2.Token{Account: "123456", AccessToken: "at"}, "123456", true},
		{&oauth2.Token{Account: "123456", RefreshToken: "rt"}, "123456", true},
		{&oauth2.Token{Account: "123456", AccessToken: "at"}, "654321", false},
		{&oauth2.Token{AccessToken: "at"}, "654321", true},
		{&oauth2.Token{Account: "123456", AccessToken: "at"}, "", true},
	} {
		err := oauth2.Grant{Token: tt.tok}.Validate(nsdist.AccountID(tt.account))
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, distribution.ErrCredential)) {
			t.Errorf("Validate(%v, %q) = %v, want ok %v", tt.tok, tt.account, err, tt.ok)
		}
	}
}

// An M2MKey names a missing certificate id or key; its identity is the
// client ID (its Client's, if set), the certificate id and the public key.
func TestM2MKeyValidateAndIdentity(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []oauth2.M2MKey{{Key: key}, {CertificateID: "cert-1"}} {
		if err := k.Validate(""); !errors.Is(err, distribution.ErrCredential) {
			t.Errorf("Validate(%v) = %v, want ErrCredential", k, err)
		}
	}
	k := oauth2.M2MKey{CertificateID: "cert-1", Key: key, ClientID: "cid"}
	if err := k.Validate(""); err != nil {
		t.Errorf("Validate: %v", err)
	}
	id := k.Identity()
	if id[0] != "cid" || id[1] != "cert-1" || id[2] == "" {
		t.Errorf("Identity() = %q", id)
	}
	c, err := oauth2.NewClient(oauth2.Config{ClientID: "record-cid", RedirectURL: "https://app.example/cb"})
	if err != nil {
		t.Fatal(err)
	}
	k.Client = c
	if got := k.Identity(); got[0] != "record-cid" || got[2] != id[2] {
		t.Errorf("Identity() with a Client = %q", got)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k.Key = other
	if got := k.Identity(); got[2] == id[2] {
		t.Error("another key under the same certificate id has the same identity")
	}
}
