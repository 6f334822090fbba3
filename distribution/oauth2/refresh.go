package oauth2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/nsdist/nsdist"
)

// Refresh spends tok's refresh token for a new access token
// (section_158082518856). It returns a new Token and leaves tok alone.
// A confidential client gets no new refresh token: the original one stays
// until its 7-day expiry. A public client gets a new refresh token and the
// old one is spent; save the result before anything else, or use a
// [Refresher], which does. invalid_grant comes back as an *Error that
// matches ErrReauthorize.
//
// Refresh itself is not single-flight: two concurrent calls with one
// public-client token spend it twice and one fails. Use [Client.Refresher].
func (c *Client) Refresh(ctx context.Context, tok *Token) (*Token, error) {
	if tok == nil || tok.RefreshToken == "" {
		return nil, fmt.Errorf("%w: the token has no refresh token (client credentials tokens are renewed with a new assertion)", ErrConfig)
	}
	if tok.ClientID != "" && tok.ClientID != c.cfg.ClientID {
		return nil, fmt.Errorf("%w: the token belongs to client %s, not this client %s", ErrConfig, abbrev(tok.ClientID), abbrev(c.cfg.ClientID))
	}
	now := c.now()
	if !tok.RotationDeadline.IsZero() && !now.Before(tok.RotationDeadline) {
		return nil, stepped(&Error{Op: OpRefresh, Account: tok.Account, Code: CodeInvalidGrant, Description: "the rotation window closed (nsdist did not send the refresh)", public: true, rotation: c.cfg.MaxTokenRotation})
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
// token. Revoking a refresh token also makes this client forget the
// credential's state, so that a later Refresher starts from the token it
// is given.
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
	if resp.status/100 == 2 {
		if tok.RefreshToken != "" { // the authorization is over; an access token alone ends nothing
			if _, had := c.creds.LoadAndDelete(credKey(tok, c.cfg.ClientID)); had {
				c.credCount.Add(-1)
			}
		}
		return nil
	}
	_, _, err = decodeTokenResponse(OpRevoke, tok.Account, resp, secrets)
	if err == nil {
		err = fmt.Errorf("%w: revoke for account %s: http %d", ErrResponse, tok.Account, resp.status)
	}
	return err
}

// SaveFunc persists a token. A Refresher calls it with every new token
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

// Refresher hands out a customer's access token, refreshing ahead of
// expiry. Refresh is single-flight per credential (account, client, role,
// entity) within one Client: however many goroutines ask, one refresh
// request is sent and the others wait for its result, so a public client's
// one-time refresh token is never spent twice. Across processes, give
// every replica the same store and a lease (see distribution/sqlstore).
type Refresher struct {
	c   *Client
	st  *credState
	err error // a Refresher made from a nil token
}

type credState struct {
	account nsdist.AccountID // immutable: messages read it without the lock
	key     string           // immutable: its key in Client.creds

	refs atomic.Int64 // Refreshers not released (see release)

	mu        sync.Mutex
	tok       *Token
	save      SaveFunc
	unsaved   bool
	spent     bool    // a refresh rotated the refresh token: the caller's copy is spent
	refreshed bool    // tok came from a refresh: kept while it is valid, so that one refresh serves every attempt
	flight    *flight // the refresh in progress, or nil
	dead      bool    // forgotten, out of Client.creds: take a new one
}

// flight is one refresh: it runs on its own goroutine, bounded by
// flightTimeout and not by any caller's context, and stores and saves its
// result even when every caller has given up.
type flight struct {
	done    chan struct{}
	tok     *Token
	err     error
	saveErr error
}

// flightTimeout bounds a refresh and the save after it, whatever the HTTP
// client's own timeout.
const flightTimeout = 60 * time.Second

func credKey(t *Token, clientID string) string {
	if t.ClientID != "" {
		clientID = t.ClientID
	}
	return string(t.Account) + "\x00" + clientID + "\x00" + t.Role + "\x00" + t.Entity
}

// Refresher returns the refresher for tok, shared with every other
// Refresher this client made for the same account, client, role and
// entity. save (may be nil) is called with each new token before it is
// used; a token given here that is newer than the one held replaces it.
func (c *Client) Refresher(tok *Token, save SaveFunc) *Refresher {
	if tok == nil {
		return &Refresher{c: c, err: fmt.Errorf("%w: nil token", ErrConfig)}
	}
	t := tok.clone()
	if t.ClientID == "" {
		t.ClientID = c.cfg.ClientID
	}
	key := credKey(t, c.cfg.ClientID)
	for {
		v, loaded := c.creds.LoadOrStore(key, &credState{account: t.Account, key: key, tok: t, save: save})
		if !loaded {
			c.stored()
		}
		st := v.(*credState) //nolint:forcetypeassert // the map holds only these
		st.mu.Lock()
		if st.dead { // released while we looked it up: it is out of the map
			st.mu.Unlock()
			continue
		}
		st.refs.Add(1)
		if loaded {
			if t.IssuedAt.After(st.tok.IssuedAt) {
				st.tok = t
			}
			if save != nil {
				st.save = save
			}
		}
		st.mu.Unlock()
		return &Refresher{c: c, st: st}
	}
}

// release lets the client forget cr's credential once no Refresher holds
// it, unless forgetting would lose something (see forgetLocked). It never
// waits: when the state is busy, whoever holds it decides (a flight when
// it lands, a Refresher when it is released, the next sweep). A Refresher
// must not be used after release. The Prober releases its Refreshers, so
// that a rollout's client does not keep every target's token for its
// life.
func (cr *Refresher) release() {
	st := cr.st
	if st == nil || st.refs.Add(-1) > 0 || !st.mu.TryLock() {
		return
	}
	defer st.mu.Unlock()
	cr.c.forgetLocked(st, cr.c.now())
}

// forgetLocked drops st from the client when nothing needs it: no
// Refresher holds it, no refresh is in flight, no token waits to be
// saved, no refresh rotated the refresh token (the caller's copy is spent,
// and the credential's next attempt must use the new one), and a token the
// client refreshed is due for another refresh (until then it serves every
// attempt, with no second refresh). st.mu is held.
func (c *Client) forgetLocked(st *credState, now time.Time) {
	if st.refs.Load() > 0 || st.flight != nil || st.unsaved || st.spent || st.dead || (st.refreshed && st.tok.Valid(now.Add(c.ahead))) {
		return
	}
	st.dead = true
	if c.creds.CompareAndDelete(st.key, st) {
		c.credCount.Add(-1)
	}
}

// stored counts a new credential state, and sweeps the states once as
// many have been stored since the last sweep as there are: a refreshed
// token's state is forgotten only when it is due again, which no release
// sees. Amortized, a state costs one more look.
func (c *Client) stored() {
	n := c.credCount.Add(1)
	if c.sinceSweep.Add(1) < max(1024, n) {
		return
	}
	c.sinceSweep.Store(0)
	now := c.now()
	c.creds.Range(func(_, v any) bool {
		if st := v.(*credState); st.mu.TryLock() { //nolint:forcetypeassert // the map holds only these
			c.forgetLocked(st, now)
			st.mu.Unlock()
		}
		return true
	})
}

// Token returns a valid token, refreshing it first when it expires within
// the client's refresh-ahead window. It returns when ctx ends, but the
// refresh it started runs to its end (at most a minute) and its token is
// saved: a spent refresh token's successor is never dropped. On a
// *SaveError the returned token is valid but was not persisted.
func (cr *Refresher) Token(ctx context.Context) (*Token, error) {
	if cr.err != nil {
		return nil, cr.err
	}
	st, c := cr.st, cr.c
	st.mu.Lock()
	if st.unsaved && st.save != nil && st.flight == nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flightTimeout)
		err := st.save(sctx, st.tok.clone())
		cancel()
		if err != nil {
			tok := st.tok.clone()
			st.mu.Unlock()
			return tok, &SaveError{Token: tok, Err: err}
		}
		st.unsaved = false
	}
	now := c.now()
	if st.flight == nil && st.tok.Valid(now.Add(c.ahead)) {
		tok := st.tok.clone()
		st.mu.Unlock()
		return tok, nil
	}
	if st.flight == nil && (st.tok.M2M || st.tok.RefreshToken == "") {
		defer st.mu.Unlock()
		if st.tok.Valid(now) {
			return st.tok.clone(), nil
		}
		return nil, stepped(&Error{Op: OpRefresh, Account: st.account, Code: CodeInvalidGrant, Description: "the access token expired and there is no refresh token"})
	}
	old := st.tok.clone()
	f := st.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		st.flight = f
		go cr.fly(context.WithoutCancel(ctx), f, old)
	}
	st.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("oauth2: waiting for a refresh of account %s (it goes on and its token will be kept): %w", st.account, ctx.Err())
	}
	switch {
	case f.err != nil:
		if old.Valid(c.now()) && isTemporary(f.err) {
			c.logger.LogAttrs(ctx, slog.LevelDebug, "oauth2 refresh ahead failed, token still valid", slog.String("account", string(st.account)))
			return old, nil
		}
		return nil, f.err
	case f.saveErr != nil:
		return f.tok.clone(), &SaveError{Token: f.tok.clone(), Err: f.saveErr}
	}
	return f.tok.clone(), nil
}

// fly refreshes old, keeps and saves the result, and lands the flight.
func (cr *Refresher) fly(ctx context.Context, f *flight, old *Token) {
	st := cr.st
	ctx, cancel := context.WithTimeout(ctx, flightTimeout)
	defer cancel()
	nt, err := cr.c.Refresh(ctx, old)
	st.mu.Lock()
	defer func() {
		st.flight = nil
		cr.c.forgetLocked(st, cr.c.now()) // its holders may all have been released during the flight
		st.mu.Unlock()
		close(f.done)
	}()
	if err != nil {
		f.err = err
		return
	}
	st.tok, f.tok, st.refreshed = nt, nt, true
	st.spent = st.spent || nt.RefreshToken != old.RefreshToken
	if st.save != nil {
		if serr := st.save(ctx, nt.clone()); serr != nil {
			st.unsaved, f.saveErr = true, serr
		}
	}
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
func (cr *Refresher) TokenSource(ctx context.Context) xoauth2.TokenSource {
	return credSource{ctx: ctx, cr: cr}
}

type credSource struct {
	ctx context.Context
	cr  *Refresher
}

func (s credSource) Token() (*xoauth2.Token, error) {
	t, err := s.cr.Token(s.ctx)
	if err != nil {
		return nil, err
	}
	return t.OAuth2(), nil
}
