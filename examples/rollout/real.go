package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/sqlstore"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/internal/nsbase"
	"github.com/nsdist/nsdist/soap"
)

// real is what -targets sets up: the targets with their credentials, the
// transport (to -netsuite-base, if given) and the OAuth 2.0 prober.
type real struct {
	record    approval.Record
	targets   []distribution.Target
	transport http.RoundTripper
	aiOpts    []distribution.Option
	close     func()
	refs      map[nsdist.AccountID]string // the tba and passport rows' references
}

// bySource sends each targets-file row to the source of its auth column.
type bySource map[string]distribution.CredentialSource

func (b bySource) Credential(ctx context.Context, ref distribution.CredentialRef) (distribution.Credential, error) {
	if src, ok := b[ref.Auth]; ok {
		return src.Credential(ctx, ref)
	}
	switch ref.Auth {
	case "oauth2":
		return nil, &distribution.FieldError{Field: "auth", Err: fmt.Errorf("oauth2 rows need -tokens sqlite:PATH|postgres://URL (the store examples/oauth2 -store and examples/connect -db write) and -client-id")}
	}
	return b["tba"].Credential(ctx, ref) // its builders name the auth values it knows
}

// realMode loads -targets and everything the rows need; every error is
// found before anything is sent (exit 2).
func realMode(ctx context.Context, o options, wrap func(http.RoundTripper) http.RoundTripper) (*real, error) {
	// the record's boxes are not known here; every channel a row may name
	// is allowed, and NetSuite's answer says the rest
	r := &real{close: func() {}, record: approval.Record{Name: o.recordName, TBA: true, TBAAuthFlow: true, TBAIssueToken: true,
		UserCredentials: true, OAuth2CodeGrant: true, OAuth2ClientCredentials: true}}
	if o.base != "" {
		rt, err := nsbase.Transport(o.base, soap.DefaultHTTPClient().Transport)
		if err != nil {
			return nil, &exitError{2, err}
		}
		r.transport = rt
	}
	if wrap != nil {
		if r.transport == nil {
			r.transport = soap.DefaultHTTPClient().Transport
		}
		r.transport = wrap(r.transport)
	}
	soapCreds := rollout.Credentials{Builders: map[string]distribution.CredentialBuilder{"tba": tba.BuildCredential, "passport": tba.BuildCredential}}
	if o.secrets != "" {
		sf, err := rollout.OpenSecretsFile(o.secrets)
		if err != nil {
			return nil, &exitError{2, err}
		}
		soapCreds.File = sf
	}
	m2mCreds := soapCreds
	m2mCreds.Builders = map[string]distribution.CredentialBuilder{"m2m": oauth2.BuildM2MKey}
	src := bySource{"tba": soapCreds, "passport": soapCreds, "m2m": m2mCreds}
	var opts []oauth2.Option
	if r.transport != nil {
		opts = append(opts, oauth2.WithTransport(r.transport))
	}
	id := o.clientID
	if id == "" {
		id = "m2m-rows" // never sent: an m2m row's own client_id replaces it
	}
	client, err := oauth2.NewClient(oauth2.Config{ClientID: id, ClientSecret: os.Getenv("NETSUITE_CLIENT_SECRET")}, opts...)
	if err != nil {
		return nil, &exitError{2, err}
	}
	r.aiOpts = append(r.aiOpts, distribution.WithProber(oauth2.NewProber(client)))
	if o.tokens != "" {
		store, leases, closeStore, err := openTokens(ctx, o.tokens)
		if err != nil {
			return nil, &exitError{2, err}
		}
		r.close = closeStore
		src["oauth2"] = sqlstore.OAuth2Source{Tokens: store, ClientID: o.clientID, Refresher: func(tenant string) *sqlstore.Refresher {
			rf, err := sqlstore.NewRefresher(client, store.OAuth2(tenant), leases)
			if err != nil {
				return nil // the credential's client refreshes then, and Save stores the token
			}
			return rf
		}}
	}
	rec := &refRecorder{next: src, refs: map[nsdist.AccountID]string{}}
	r.refs = rec.refs
	t, err := rollout.LoadTargets(ctx, o.targets, rec)
	if err != nil {
		r.close()
		return nil, &exitError{2, fmt.Errorf("%w\nnothing sent; rollout -h describes the targets file", err)}
	}
	r.targets = t
	return r, nil
}

// openTokens opens -tokens with the key in NSDIST_STORE_KEY, and the
// leases that make a refresh single across processes.
func openTokens(ctx context.Context, dsn string) (*sqlstore.TokenStore, *sqlstore.Leases, func(), error) {
	key, err := sqlstore.ParseKey(os.Getenv("NSDIST_STORE_KEY"))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("-tokens: NSDIST_STORE_KEY: %w", err)
	}
	keys, err := sqlstore.NewKeyring(key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("-tokens: %w", err)
	}
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("-tokens: %w", err)
	}
	ts, err := sqlstore.NewTokenStore(ctx, db, keys)
	if err == nil {
		var leases *sqlstore.Leases
		if leases, err = sqlstore.NewLeases(ctx, db); err == nil {
			return ts, leases, func() { _ = db.Close() }, nil
		}
	}
	_ = db.Close()
	return nil, nil, nil, fmt.Errorf("-tokens: %w", err)
}
