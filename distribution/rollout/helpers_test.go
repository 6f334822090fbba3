package rollout_test

import (
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"
)

// credentialOf turns the fake's SOAP credentials into the SOAP channel's.
func credentialOf(a soap.Auth) distribution.Credential {
	switch a := a.(type) {
	case *soap.TokenAuth:
		return tba.Credential{Consumer: tba.Consumer{Key: a.ConsumerKey, Secret: a.ConsumerSecret}, Token: tba.Token{ID: a.TokenID, Secret: a.TokenSecret}}
	case *soap.Passport:
		return tba.UserCredentials{Email: a.Email, Password: a.Password, Role: a.Role, ApplicationID: a.ApplicationID}
	}
	return nil
}
