package nstest

import (
	"fmt"
	"strings"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

// CompleteCodeGrant stands in for a customer completing the authorization
// code grant without a browser: an administrator of the target (created if
// the account has none) allows the integration, and the token endpoint
// answers. It returns the SDK's token, ready for an oauth2.Grant.
// As in NetSuite, that installs the record in the target with the State
// the account's preference gives (section_158081952044, section_4429293934),
// or, under WithCodeGrantApproval(CodeGrantNotInstalled) with approval
// required, does not install it. The tokens work with the fake's token,
// revoke and REST endpoints like any others.
func (s *Server) CompleteCodeGrant(target nsdist.AccountID, in *Integration) (*oauth2.Token, error) {
	a, ok := s.Account(string(target))
	if !ok {
		return nil, fmt.Errorf("%w %s", ErrUnknownAccount, target)
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
		return nil, fmt.Errorf("%w: no record has client id %s…", ErrUnknownIntegration, in.ClientID[:min(8, len(in.ClientID))])
	}
	u := a.users[strings.ToLower(email)]
	role := u.Roles[0].ID
	if f := s.grantChecksLocked(a, rec, u.Email, role); f != nil {
		return nil, fmt.Errorf("nstest: %s: the grant was refused (%s)", f.err, f.detail)
	}
	now := s.now()
	if !(s.codeGrant == CodeGrantNotInstalled && a.cfg.RequireApproval) {
		a.autoInstallLocked(rec, ChannelOAuth2, u.Email)
	}
	ch := &o2Chain{account: a.id, clientID: rec.ClientID, appID: rec.ApplicationID, email: u.Email, role: role, entity: u.EntityID,
		scopes: append([]string(nil), rec.Scopes...), public: rec.PublicClient, oit: now}
	a.auditLocked(u.Email, rec.ApplicationID, "", true, "")
	tok := &oauth2.Token{Account: a.id, ClientID: rec.ClientID, TokenType: "bearer",
		AccessToken: s.mintLocked(ch, false, now.Add(accessLifetime)), Expiry: now.Add(accessLifetime),
		RefreshToken: s.mintLocked(ch, true, s.refreshExpiry(ch, rec, now)), RefreshExpiry: s.refreshExpiry(ch, rec, now),
		Role: role, Entity: u.EntityID, Public: rec.PublicClient, IssuedAt: now, GrantedAt: now}
	if rec.PublicClient {
		tok.RotationDeadline = now.Add(rec.MaxTokenRotation)
	}
	for _, sc := range ch.scopes {
		tok.Scopes = append(tok.Scopes, oauth2.Scope(sc))
	}
	return tok, nil
}
