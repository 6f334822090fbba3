package nstest

import (
	"fmt"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
)

// OAuth2Grant is what a completed authorization code grant gave the app:
// the token endpoint's answer plus the redirect's role and entity.
type OAuth2Grant struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	Role         string
	Entity       string
	Scopes       []string
	IssuedAt     time.Time
}

// AuthorizeOAuth2 stands in for a customer completing the authorization code
// grant without a browser: an administrator of the target (created if the
// account has none) allows the integration, and the token endpoint answers.
// As in NetSuite, that installs the record in the target with the State
// the account's preference gives (section_158081952044, section_4429293934),
// or, under WithCodeGrantApproval(CodeGrantNotInstalled) with approval
// required, does not install it. The tokens work with the fake's token,
// revoke and REST endpoints like any others.
func (s *Server) AuthorizeOAuth2(target nsdist.AccountID, in *Integration) (OAuth2Grant, error) {
	a, ok := s.Account(string(target))
	if !ok {
		return OAuth2Grant{}, fmt.Errorf("%w %s", ErrUnknownAccount, target)
	}
	email := "admin@" + a.id.HostID() + ".example"
	s.mu.RLock()
	_, has := a.users[email]
	s.mu.RUnlock()
	if !has {
		a.AddUser(User{Email: email, Password: randomHex(16)})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.byClientIDLocked(in.ClientID)
	if rec == nil {
		return OAuth2Grant{}, fmt.Errorf("%w: no record has client id %s…", ErrUnknownIntegration, in.ClientID[:min(8, len(in.ClientID))])
	}
	u := a.users[strings.ToLower(email)]
	role := u.Roles[0].ID
	if f := s.grantChecksLocked(a, rec, u.Email, role); f != nil {
		return OAuth2Grant{}, fmt.Errorf("nstest: %s: the grant was refused (%s)", f.err, f.detail)
	}
	now := s.now()
	if !(s.codeGrant == CodeGrantNotInstalled && a.cfg.RequireApproval) {
		a.autoInstallLocked(rec, ChannelOAuth2, u.Email)
	}
	ch := &o2Chain{account: a.id, clientID: rec.ClientID, appID: rec.ApplicationID, email: u.Email, role: role, entity: u.EntityID,
		scopes: append([]string(nil), rec.Scopes...), public: rec.PublicClient, oit: now}
	a.auditLocked(u.Email, rec.ApplicationID, "", true, "")
	return OAuth2Grant{
		AccessToken: s.mintLocked(ch, false, now.Add(accessLifetime)), RefreshToken: s.mintLocked(ch, true, s.refreshExpiry(ch, rec, now)),
		ExpiresIn: accessLifetime, Role: role, Entity: u.EntityID, Scopes: ch.scopes, IssuedAt: now,
	}, nil
}
