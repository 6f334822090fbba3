package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

// OAuth2Source is a distribution.CredentialSource for targets-file rows
// whose auth is oauth2: the row's credentials column names the vendor
// tenant under which the customer's token was stored (by a Connect app or
// examples/oauth2 -store), and the source loads the one token of that
// tenant for the row's account. A refreshed token is saved back to the
// store before it is used. An M2M credential stored for the account (a
// hand-off, oauth2.Client.HandOffToM2M) is used in preference: it needs
// no refresh and no re-consent, and the result's channel is m2m.
type OAuth2Source struct {
	Tokens *TokenStore
	// ClientID, if set, keeps only tokens of this integration record's
	// client.
	ClientID string
	// Refresher, if set, refreshes through the store's cross-process lease
	// (NewRefresher over the same tenant's tokens and Leases): a Connect app
	// and a rollout refreshing one public token at once make one refresh.
	// Without it the credential's client refreshes and Save stores it.
	Refresher func(tenant string) *Refresher
}

var _ distribution.CredentialSource = OAuth2Source{}

// Credential implements distribution.CredentialSource. No token for the
// account, or several (other clients, roles or users), refuse the row and
// say which.
func (s OAuth2Source) Credential(ctx context.Context, ref distribution.CredentialRef) (distribution.Credential, error) {
	if c, err := s.m2m(ctx, ref); c != nil || err != nil {
		return c, err
	}
	tenant := s.Tokens.OAuth2(ref.Ref)
	keys, err := tenant.Keys(ctx)
	if err != nil {
		return nil, err
	}
	var mine []OAuth2Key
	for _, k := range keys {
		if k.Account == ref.Account && (s.ClientID == "" || k.ClientID == s.ClientID) {
			mine = append(mine, k)
		}
	}
	switch len(mine) {
	case 0:
		return nil, fmt.Errorf("%w: tenant %q has no OAuth 2.0 token for %s: a user of %s must authorize the integration (examples/oauth2 -store … -tenant %s, or the Connect app)",
			distribution.ErrNoCredentials, ref.Ref, ref.Account, ref.Account, ref.Ref)
	case 1:
	default:
		names := make([]string, len(mine))
		for i, k := range mine {
			names[i] = fmt.Sprintf("client %.8s… role %s entity %s", k.ClientID, k.Role, k.Entity)
		}
		return nil, fmt.Errorf("%w: tenant %q holds %d tokens for %s (%s): delete all but one", distribution.ErrNoCredentials, ref.Ref, len(mine), ref.Account, strings.Join(names, "; "))
	}
	tok, err := tenant.Load(ctx, mine[0])
	if err != nil {
		return nil, err
	}
	g := oauth2.Grant{Token: tok, Save: tenant.SaveToken}
	if s.Refresher != nil {
		if r := s.Refresher(ref.Ref); r != nil {
			g.Source = keySource{r: r, k: mine[0]}
		}
	}
	return g, nil
}

// keySource is a Refresher bound to one stored credential.
type keySource struct {
	r *Refresher
	k OAuth2Key
}

func (s keySource) Token(ctx context.Context) (*oauth2.Token, error) { return s.r.Token(ctx, s.k) }

// m2m returns the account's stored M2M credential, or nil when it has none.
func (s OAuth2Source) m2m(ctx context.Context, ref distribution.CredentialRef) (distribution.Credential, error) {
	store := s.Tokens.M2M(ref.Ref)
	clients, err := store.Clients(ctx, ref.Account)
	if err != nil {
		return nil, err
	}
	var mine []string
	for _, id := range clients {
		if s.ClientID == "" || id == s.ClientID {
			mine = append(mine, id)
		}
	}
	switch len(mine) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("%w: tenant %q holds M2M credentials of %d clients for %s: give -client-id", distribution.ErrNoCredentials, ref.Ref, len(mine), ref.Account)
	}
	c, err := store.Load(ctx, ref.Account, mine[0])
	if err != nil {
		return nil, err
	}
	k, err := c.Key()
	if err != nil {
		return nil, fmt.Errorf("%w: the M2M credential of %s in tenant %q: %w", distribution.ErrNoCredentials, ref.Account, ref.Ref, err)
	}
	return k, nil
}
