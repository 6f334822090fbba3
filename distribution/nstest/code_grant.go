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
	tok, access, refresh, err := s.codeGrantLocking(a, email, in.ClientID)
	if err != nil {
		return nil, err
	}
	tok.AccessToken, tok.RefreshToken = s.seal(access, refresh)
	return tok, nil
}

// codeGrantLocking runs the grant under the server's lock; the tokens it
// returns are still to be sealed.
func (s *Server) codeGrantLocking(a *Account, email, clientID string) (*oauth2.Token, *o2Token, *o2Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.byClientIDLocked(clientID)
	if rec == nil {
		return nil, nil, nil, fmt.Errorf("%w: no record has client id %s…", ErrUnknownIntegration, clientID[:min(8, len(clientID))])
	}
	u := a.users[strings.ToLower(email)]
	role := u.Roles[0].ID
	if f := s.grantChecksLocked(a, rec, u.Email, role); f != nil {
		return nil, nil, nil, fmt.Errorf("nstest: %s: the grant was refused (%s)", f.err, f.detail)
	}
	now := s.now()
	if !(s.codeGrant == CodeGrantNotInstalled && a.cfg.RequireApproval) {
		a.autoInstallLocked(rec, ChannelOAuth2, u.Email)
	}
	ch := &o2Chain{account: a.id, clientID: rec.ClientID, appID: rec.ApplicationID, email: u.Email, role: role, entity: u.EntityID,
		scopes: append([]string(nil), rec.Scopes...), public: rec.PublicClient, oit: now}
	a.auditLocked(u.Email, rec.ApplicationID, "", true, "")
	refreshExp := s.refreshExpiry(ch, rec, now)
	tok := &oauth2.Token{Account: a.id, ClientID: rec.ClientID, TokenType: "bearer", Expiry: now.Add(accessLifetime), RefreshExpiry: refreshExp,
		Role: role, Entity: u.EntityID, Public: rec.PublicClient, IssuedAt: now, GrantedAt: now}
	if rec.PublicClient {
		tok.RotationDeadline = now.Add(rec.MaxTokenRotation)
	}
	for _, sc := range ch.scopes {
		tok.Scopes = append(tok.Scopes, oauth2.Scope(sc))
	}
	access, refresh := s.mintLocked(ch, now.Add(accessLifetime), refreshExp)
	return tok, access, refresh, nil
}
