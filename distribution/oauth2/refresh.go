package oauth2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	xoauth2 "golang.org/x/oauth2"
)

// Refresh spends tok's refresh token for a new access token
// (section_158082518856). It returns a new Token and leaves tok alone.
// A confidential client gets no new refresh token: the original one stays
// until its 7-day expiry. A public client gets a new refresh token and the
// old one is spent; save the result before anything else, or use a
// [Credential], which does. invalid_grant comes back as an *Error that
// matches ErrReauthorize.
//
// Refresh itself is not single-flight: two concurrent calls with one
// public-client token spend it twice and one fails. Use [Client.Credential].
func (c *Client) Refresh(ctx context.Context, tok *Token) (*Token, error) {
	if tok == nil || tok.RefreshToken == "" {
		return nil, fmt.Errorf("%w: the token has no refresh token (client credentials tokens are renewed with a new assertion)", ErrConfig)
	}
	if tok.ClientID != "" && tok.ClientID != c.cfg.ClientID {
		return nil, fmt.Errorf("%w: the token belongs to client %s, not this client %s", ErrConfig, abbrev(tok.ClientID), abbrev(c.cfg.ClientID))
	}
	now := c.now()
	if !tok.RotationDeadline.IsZero() && !now.Before(tok.RotationDeadline) {
		return nil, &Error{Op: OpRefresh, Account: tok.Account, Code: CodeInvalidGrant, Description: "the rotation window closed (nsdist did not send the refresh)", public: true, rotation: c.cfg.MaxTokenRotation}
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
	tr, life, err := c.tokenCall(ctx, OpRefresh, tok.Account, form, tok.RefreshToken, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	now = c.now()
	nt := tok.clone()
	nt.AccessToken, nt.Expiry, nt.IssuedAt = tr.AccessToken, now.Add(life), now
	if tr.RefreshToken != "" && tr.RefreshToken != tok.RefreshToken {
		nt.RefreshToken = tr.RefreshToken
		if tok.Public {
			c.setRefreshExpiry(nt, now)
		}
	}
	return nt, nil
}

// Revoke revokes tok's refresh token and the access tokens issued with it
// (section_161071224088); for a token without one it revokes the access
// token. It also forgets any Credential for tok in this client.
func (c *Client) Revoke(ctx context.Context, tok *Token) error {
	if tok == nil || (tok.RefreshToken == "" && tok.AccessToken == "") {
		return fmt.Errorf("%w: nothing to revoke", ErrConfig)
	}
	if err := tok.Account.Validate(); err != nil {
		return fmt.Errorf("oauth2: revoke: %w", err)
	}
	value := tok.RefreshToken
	if value == "" {
		value = tok.AccessToken
	}
	form := url.Values{"token": {value}}
	auth, secrets := c.clientAuth(form)
	secrets = append(secrets, tok.RefreshToken, tok.AccessToken)
	resp, err := c.do(ctx, &request{op: OpRevoke, account: tok.Account, method: http.MethodPost, host: tok.Account.SuiteTalkHost(), path: RevokePath, form: form, auth: auth, secrets: secrets})
	if err != nil {
		return err
	}
	c.creds.Delete(credKey(tok))
	if resp.status/100 == 2 {
		return nil
	}
	_, _, err = decodeTokenResponse(OpRevoke, tok.Account, resp, secrets)
	if err == nil {
		err = fmt.Errorf("%w: revoke for account %s: http %d", ErrResponse, tok.Account, resp.status)
	}
	return err
}

// SaveFunc persists a token. A Credential calls it with every new token
// before it hands the token out: for a public client the previous refresh
// token is already spent, so the new one must be kept first.
type SaveFunc func(ctx context.Context, tok *Token) error

// SaveError is returned when a refreshed token could not be saved. The
// new token is kept in memory (the old refresh token is spent and must not
// be lost) and saving is tried again on the next call.
type SaveError struct {
	Token *Token // the new token, valid
	Err   error
}

func (e *SaveError) Error() string {
	return fmt.Sprintf("oauth2: the refreshed token for account %s could not be saved (nsdist keeps it in memory and saves again on the next call): %v", e.Token.Account, e.Err)
}

// Unwrap returns the store's error.
func (e *SaveError) Unwrap() error { return e.Err }

// Credential hands out a customer's access token, refreshing ahead of
// expiry. Refresh is single-flight per credential (account, client, role,
// entity) within one Client: however many goroutines ask, one refresh
// request is sent and the others wait for its result, so a public client's
// one-time refresh token is never spent twice. Across processes, give
// every replica the same store and a lease (see distribution/sqlstore).
type Credential struct {
	c  *Client
	st *credState
}

type credState struct {
	lock    chan struct{} // a mutex waiters can leave when their ctx ends
	tok     *Token
	save    SaveFunc
	unsaved bool
}

func credKey(t *Token) string {
	return string(t.Account) + "\x00" + t.ClientID + "\x00" + t.Role + "\x00" + t.Entity
}

// Credential returns the credential for tok, shared with every other
// Credential this client made for the same account, client, role and
// entity. save (may be nil) is called with each new token before it is
// used; a token given here that is newer than the one held replaces it.
func (c *Client) Credential(tok *Token, save SaveFunc) *Credential {
	t := tok.clone()
	if t.ClientID == "" {
		t.ClientID = c.cfg.ClientID
	}
	fresh := &credState{lock: make(chan struct{}, 1), tok: t, save: save}
	v, loaded := c.creds.LoadOrStore(credKey(t), fresh)
	st := v.(*credState)
	if loaded {
		st.lock <- struct{}{}
		if t.IssuedAt.After(st.tok.IssuedAt) {
			st.tok = t
		}
		if save != nil {
			st.save = save
		}
		<-st.lock
	}
	return &Credential{c: c, st: st}
}

// Token returns a valid token, refreshing it first when it expires within
// the client's refresh-ahead window. The refresh request runs to its end
// even if ctx is cancelled meanwhile, so that a spent refresh token's
// successor is never dropped. On a *SaveError the returned token is valid
// but was not persisted.
func (cr *Credential) Token(ctx context.Context) (*Token, error) {
	st := cr.st
	select {
	case st.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("oauth2: waiting for a refresh of account %s: %w", st.tok.Account, ctx.Err())
	}
	defer func() { <-st.lock }()
	c := cr.c
	if st.unsaved && st.save != nil {
		if err := st.save(ctx, st.tok.clone()); err != nil {
			return st.tok.clone(), &SaveError{Token: st.tok.clone(), Err: err}
		}
		st.unsaved = false
	}
	now := c.now()
	if st.tok.Valid(now.Add(c.ahead)) {
		return st.tok.clone(), nil
	}
	if st.tok.M2M || st.tok.RefreshToken == "" {
		if st.tok.Valid(now) {
			return st.tok.clone(), nil
		}
		return nil, &Error{Op: OpRefresh, Account: st.tok.Account, Code: CodeInvalidGrant, Description: "the access token expired and there is no refresh token"}
	}
	// Detach from ctx's cancellation (not its values): the HTTP client's
	// timeout still bounds the call.
	nt, err := c.Refresh(context.WithoutCancel(ctx), st.tok)
	if err != nil {
		if st.tok.Valid(now) && isTemporary(err) {
			c.logger.LogAttrs(ctx, slog.LevelDebug, "oauth2 refresh ahead failed, token still valid", slog.String("account", string(st.tok.Account)))
			return st.tok.clone(), nil
		}
		return nil, err
	}
	st.tok = nt
	if st.save != nil {
		if err := st.save(ctx, nt.clone()); err != nil {
			st.unsaved = true
			return nt.clone(), &SaveError{Token: nt.clone(), Err: err}
		}
	}
	return nt.clone(), nil
}

func isTemporary(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	return !errors.Is(err, ErrResponse)
}

// TokenSource returns the credential as an oauth2.TokenSource for
// golang.org/x/oauth2's http client. Each Token call goes through the
// credential, so refresh stays single-flight.
func (cr *Credential) TokenSource(ctx context.Context) xoauth2.TokenSource {
	return credSource{ctx: ctx, cr: cr}
}

type credSource struct {
	ctx context.Context
	cr  *Credential
}

func (s credSource) Token() (*xoauth2.Token, error) {
	t, err := s.cr.Token(s.ctx)
	if err != nil {
		return nil, err
	}
	return t.OAuth2(), nil
}

// ReauthorizeBy is when the user must authorize again at the latest:
// the refresh token's expiry or the rotation deadline, whichever is first
// (zero when unknown, as for client credentials).
func (t *Token) ReauthorizeBy() time.Time {
	d := t.RefreshExpiry
	if !t.RotationDeadline.IsZero() && (d.IsZero() || t.RotationDeadline.Before(d)) {
		d = t.RotationDeadline
	}
	return d
}
