package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/sqlstore"
)

// refRecorder remembers each TBA or passport row's credentials reference,
// the tenant its migration invitation is bound to.
type refRecorder struct {
	next distribution.CredentialSource
	mu   sync.Mutex
	refs map[nsdist.AccountID]string
}

func (r *refRecorder) Credential(ctx context.Context, ref distribution.CredentialRef) (distribution.Credential, error) {
	if ref.Auth == "" || ref.Auth == "tba" || ref.Auth == "passport" {
		r.mu.Lock()
		r.refs[ref.Account] = ref.Ref
		r.mu.Unlock()
	}
	return r.next.Credential(ctx, ref)
}

// checkInviteBase checks -invite-base: the Connect app's public URL.
func checkInviteBase(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("-invite-base %q: want the Connect app's https://host[/path], whose /invite/<token> starts the OAuth 2.0 code grant", base)
	}
	return nil
}

// invite makes a migration invitation for every customer of the report
// still on TBA that has not authorized with OAuth 2.0 yet (no token or M2M
// credential in the store under the row's reference as its tenant), and
// puts the links in the report.
func invite(ctx context.Context, o options, refs map[nsdist.AccountID]string, rep *rollout.Report) error {
	key, err := sqlstore.ParseKey(os.Getenv("NSDIST_STORE_KEY"))
	if err != nil {
		return fmt.Errorf("-invite-base: NSDIST_STORE_KEY: %w", err)
	}
	keys, err := sqlstore.NewKeyring(key)
	if err != nil {
		return fmt.Errorf("-invite-base: %w", err)
	}
	db, err := sqlstore.Open(ctx, o.tokens)
	if err != nil {
		return fmt.Errorf("-invite-base: -tokens: %w", err)
	}
	defer func() { _ = db.Close() }()
	inv, err := sqlstore.NewInvitations(ctx, db, keys)
	if err != nil {
		return fmt.Errorf("-invite-base: %w", err)
	}
	store, err := sqlstore.NewTokenStore(ctx, db, keys)
	if err != nil {
		return fmt.Errorf("-invite-base: %w", err)
	}
	rep.Invitations, rep.Moved = map[nsdist.AccountID]string{}, map[nsdist.AccountID]bool{}
	for _, res := range rep.StillOnTBA() {
		tenant := refs[res.Account]
		moved, err := store.Moved(ctx, tenant, res.Account)
		if err != nil {
			return fmt.Errorf("-invite-base: %w", err)
		}
		if moved {
			rep.Moved[res.Account] = true
			continue
		}
		tok, err := inv.Issue(ctx, tenant, res.Account)
		if err != nil {
			return fmt.Errorf("-invite-base: %w", err)
		}
		rep.Invitations[res.Account] = strings.TrimSuffix(o.inviteBase, "/") + "/invite/" + tok
	}
	return nil
}
