package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/sqlstore"
)

// checkState asks REST serverTime whether the grant's record is Enabled
// and says so on stderr in approval's words: "state: Enabled" (exit 0),
// "state: not enabled: ..." with the administrator's step (exit 3), or,
// when NetSuite gave no answer, "state: unknown: ..." (exit 1).
func checkState(ctx context.Context, clientID string, tok *oauth2.Token, opts []oauth2.Option, stderr io.Writer) int {
	c, err := oauth2.NewClient(oauth2.Config{ClientID: clientID}, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "state: unknown:", oneLine(err.Error()))
		return 1
	}
	_, err = c.ServerTime(ctx, tok)
	if err == nil {
		fmt.Fprintln(stderr, "state: Enabled")
		return 0
	}
	if nsdist.Retryable(err) || errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "state: unknown:", oneLine(err.Error()))
		return 1
	}
	d := approval.Evaluate(approval.Input{Channel: approval.ChannelOAuth2, Record: approval.Record{OAuth2CodeGrant: true},
		Target: approval.TargetAccount{Account: tok.Account}, Date: time.Now()})
	exp := approval.Explain(d, approval.Observation{Observed: oauth2.Observe(err), TokenIssuedAt: tok.IssuedAt})
	line := exp.Sentence
	if exp.NextStep != "" && !strings.Contains(line, exp.NextStep) {
		line += "; " + exp.NextStep
	}
	fmt.Fprintln(stderr, "state: not enabled:", oneLine(line))
	return 3
}

// tokenStore is -store's token store for -tenant.
type tokenStore struct {
	close  func()
	tokens *sqlstore.OAuth2Tokens
}

// openStore opens -store, or returns nil without it; -store and -tenant
// come together, and the key comes from NSDIST_STORE_KEY.
func openStore(ctx context.Context, dsn, tenant string) (*tokenStore, error) {
	switch {
	case dsn == "" && tenant == "":
		return nil, nil
	case dsn == "" || strings.TrimSpace(tenant) == "":
		return nil, errors.New("-store and -tenant go together: the store keeps each token under a vendor tenant")
	}
	key, err := sqlstore.ParseKey(os.Getenv("NSDIST_STORE_KEY"))
	if err != nil {
		return nil, fmt.Errorf("-store: NSDIST_STORE_KEY: %w", err)
	}
	keys, err := sqlstore.NewKeyring(key)
	if err != nil {
		return nil, fmt.Errorf("-store: %w", err)
	}
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("-store: %w", err)
	}
	ts, err := sqlstore.NewTokenStore(ctx, db, keys)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("-store: %w", err)
	}
	return &tokenStore{close: func() { _ = db.Close() }, tokens: ts.OAuth2(tenant)}, nil
}

func (s *tokenStore) save(ctx context.Context, tok *oauth2.Token) error {
	return s.tokens.SaveToken(ctx, tok)
}
