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
	m2m    *sqlstore.M2MCredentials
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
	return &tokenStore{close: func() { _ = db.Close() }, tokens: ts.OAuth2(tenant), m2m: ts.M2M(tenant)}, nil
}

func (s *tokenStore) save(ctx context.Context, tok *oauth2.Token) error {
	return s.tokens.SaveToken(ctx, tok)
}

// handOff registers -m2m-key's certificate for tok's role and entity and
// stores the M2M credential beside the token. A refusal is said on stderr
// ("m2m: not registered: ...") and is not a failure: the code-grant token
// is kept. An error is returned only when the key cannot be read or the
// credential cannot be stored.
func handOff(ctx context.Context, f *flags, tok *oauth2.Token, st *tokenStore, opts []oauth2.Option, stderr io.Writer) error {
	keyPEM, err := os.ReadFile(f.m2mKey)
	if err != nil {
		return fmt.Errorf("-m2m-key: %w", err)
	}
	key, err := oauth2.ParsePrivateKey(keyPEM)
	if err != nil {
		return fmt.Errorf("-m2m-key: %w", err)
	}
	c, err := oauth2.NewClient(oauth2.Config{ClientID: f.clientID, ClientSecret: f.secret}, opts...)
	if err != nil {
		return err
	}
	h, err := c.HandOffToM2M(ctx, tok, key)
	if err != nil {
		why := oneLine(err.Error())
		var oe *oauth2.Error
		if errors.As(err, &oe) && oe.NextStep != "" {
			why += "; " + oe.NextStep
		}
		fmt.Fprintln(stderr, "m2m: not registered:", strings.TrimPrefix(why, "oauth2: "))
		return nil
	}
	cred := sqlstore.M2MCredential{Account: tok.Account, ClientID: f.clientID, CertificateID: h.CertificateID, Role: h.Role, Entity: h.Entity,
		KeyPEM: keyPEM, RegisteredAt: time.Now(), ValidUntil: h.ValidUntil}
	if err := st.m2m.Save(ctx, cred); err != nil {
		return fmt.Errorf("-store: certificate %s is registered but the M2M credential was not stored: %w", h.CertificateID, err)
	}
	fmt.Fprintf(stderr, "m2m: certificate %s registered\n", h.CertificateID)
	return nil
}
