package tba

import (
	"fmt"

	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/soap"
)

var _ distribution.CredentialBuilder = BuildCredential

// BuildCredential is the SOAP channel's distribution.CredentialBuilder: for
// the auth column tba it builds a [Credential] from consumer_key,
// consumer_secret, token and token_secret; for passport it builds
// [UserCredentials] from email, password, role (optional) and app_id, on
// the row's endpoint version (2020_1 or older). A row whose secrets are of
// the other kind is refused, naming both.
func BuildCredential(ref distribution.CredentialRef, s distribution.Secrets) (distribution.Credential, error) {
	var v soap.Version
	if ref.Version != "" {
		var err error
		if v, err = soap.ParseVersion(ref.Version); err != nil {
			return nil, &distribution.FieldError{Field: "version", Err: err}
		}
	}
	tbaSecrets, userSecrets := s.Get("consumer_key") != "", s.Get("email") != ""
	switch {
	case ref.Auth == "tba" && userSecrets && !tbaSecrets:
		return nil, &distribution.FieldError{Field: "auth", Err: fmt.Errorf("row says tba but the credentials for %q are passport", ref.Ref)}
	case ref.Auth == "passport" && tbaSecrets && !userSecrets:
		return nil, &distribution.FieldError{Field: "auth", Err: fmt.Errorf("row says passport but the credentials for %q are tba", ref.Ref)}
	case ref.Auth == "tba":
		if err := s.Missing("consumer_key", "consumer_secret", "token", "token_secret"); err != nil {
			return nil, err
		}
		return Credential{Consumer: Consumer{Key: s.Get("consumer_key"), Secret: s.Get("consumer_secret")},
			Token: Token{ID: s.Get("token"), Secret: s.Get("token_secret")}, Version: v}, nil
	}
	if err := s.Missing("email", "password", "app_id"); err != nil {
		return nil, err
	}
	check := v
	if check.IsZero() {
		check = soap.DefaultVersion
	}
	u := UserCredentials{Email: s.Get("email"), Password: s.Get("password"), Role: s.Get("role"), ApplicationID: s.Get("app_id"), Version: v}
	if err := u.Passport(ref.Account).Check(check); err != nil {
		if v.IsZero() {
			err = fmt.Errorf("%w (set the version column to 2020_1 or older for user credentials)", err)
		}
		return nil, err
	}
	return u, nil
}
