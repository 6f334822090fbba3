package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/nsdist/nsdist/distribution/oauth2"
)

// Reauthorization is a stored OAuth 2.0 authorization that ends: by By,
// the customer must authorize again (oauth2.Token.ReauthorizeBy).
type Reauthorization struct {
	Tenant string
	Key    OAuth2Key
	By     time.Time
	// Public is true for a public client (its token chain ends), false
	// for a confidential one (its refresh token expires).
	Public bool
}

// Reauthorizations lists every stored OAuth 2.0 authorization, of every
// tenant, that ends before the given time, soonest first: what a vendor
// must ask its customers to renew. M2M credentials never end that way and
// are left out. Each row is opened to read its deadline; a row no key of
// the keyring opens stops the listing with a *DecryptError.
func (s *TokenStore) Reauthorizations(ctx context.Context, before time.Time) ([]Reauthorization, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tenant, kind, account, client_id, role, entity, key_id, sealed, version
	FROM nsdist_tokens WHERE kind = $1`, kindOAuth2)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: reauthorizations: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Reauthorization
	for rows.Next() {
		var k rowKey
		var keyID string
		var sealed []byte
		var version int64
		if err := rows.Scan(&k.tenant, &k.kind, &k.account, &k.clientID, &k.role, &k.entity, &keyID, &sealed, &version); err != nil {
			return nil, fmt.Errorf("sqlstore: reauthorizations: %w", err)
		}
		pt, err := s.keys.open("nsdist_tokens", k.String(), keyID, sealed, k.ad(version))
		if err != nil {
			return nil, err
		}
		var tok oauth2.Token
		if err := json.Unmarshal(pt, &tok); err != nil {
			return nil, fmt.Errorf("sqlstore: token %s: decrypted but not a token: %w", k, err)
		}
		if by := tok.ReauthorizeBy(); !by.IsZero() && by.Before(before) {
			out = append(out, Reauthorization{Tenant: k.tenant, Key: KeyOf(&tok), By: by, Public: tok.Public})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: reauthorizations: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Reauthorization) int { return a.By.Compare(b.By) })
	return out, nil
}
