package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

// Refresher hands out customers' OAuth 2.0 access tokens from the store
// and refreshes each credential on one replica at a time. A public
// client's refresh token works once: two replicas that spend it both lose
// the customer's authorization. Token takes the credential's lease, reads
// the latest token again (another replica may have refreshed it while this
// one waited), refreshes only if it is still due, saves the new token, and
// only then releases the lease. Within a process, callers of one
// credential queue for it before they ask for the lease. Use NewRefresher;
// it is safe for concurrent use.
type Refresher struct {
	client   *oauth2.Client
	tokens   *OAuth2Tokens
	leases   *Leases
	now      func() time.Time
	ahead    time.Duration
	leaseTTL time.Duration
	replica  string

	mu      sync.Mutex
	locks   map[OAuth2Key]chan struct{}
	unsaved map[OAuth2Key]*oauth2.Token
}

// String describes the refresher without its client's secret or the
// tokens it holds: fmt would otherwise print its unexported fields raw
// under a verb such as %s.
func (r *Refresher) String() string {
	return fmt.Sprintf("sqlstore.Refresher{replica:%s ahead:%v}", r.replica, r.ahead)
}

// GoString describes the refresher without secrets.
func (r *Refresher) GoString() string { return r.String() }

// Format prints the redacted form for every verb.
func (r *Refresher) Format(f fmt.State, _ rune) { io.WriteString(f, r.String()) } //nolint:errcheck

// LogValue describes the refresher without secrets.
func (r *Refresher) LogValue() slog.Value {
	return slog.GroupValue(slog.String("replica", r.replica), slog.Duration("ahead", r.ahead))
}

// WithRefreshAhead refreshes a token this long before it expires (default
// 2 minutes, as oauth2.Client).
func WithRefreshAhead(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 || d >= oauth2.AccessTokenLifetime {
			return fmt.Errorf("sqlstore: refresh-ahead %s must be between 0 and 1h", d)
		}
		o.ahead = d
		return nil
	}
}

// WithLeaseTTL sets how long a refresh may hold its lease before another
// replica may take over (default 2 minutes: longer than a token request
// with its retries; the refresh itself ends within half of it). For a
// Journal, it is how long a rollout that died keeps its record's lease
// (default 30 s; a live one renews it every third).
func WithLeaseTTL(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("sqlstore: lease TTL %s must be positive", d)
		}
		o.leaseTTL = d
		return nil
	}
}

// WithReplica names this replica in lease owners (default: host and
// process id), so that a stuck lease says who holds it.
func WithReplica(name string) Option {
	return func(o *options) error {
		if name == "" {
			return errors.New("sqlstore: empty replica name")
		}
		o.owner = name
		return nil
	}
}

// NewRefresher returns a refresher of tokens' credentials through c,
// serialized across processes by leases. Options: [WithClock] (give it
// the clock c uses), [WithRefreshAhead], [WithLeaseTTL], [WithReplica].
func NewRefresher(c *oauth2.Client, tokens *OAuth2Tokens, leases *Leases, opts ...Option) (*Refresher, error) {
	if c == nil || tokens == nil || leases == nil {
		return nil, errors.New("sqlstore: NewRefresher needs a client, the tokens and the leases")
	}
	o := options{now: time.Now, ahead: 2 * time.Minute, leaseTTL: 2 * time.Minute}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("sqlstore: nil Option")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	r := &Refresher{client: c, tokens: tokens, leases: leases, now: o.now, ahead: o.ahead, leaseTTL: o.leaseTTL, replica: o.owner,
		locks: map[OAuth2Key]chan struct{}{}, unsaved: map[OAuth2Key]*oauth2.Token{}}
	return r, nil
}

// LeaseName returns the name of the lease that guards k's refresh for tenant.
func LeaseName(tenant string, k OAuth2Key) string {
	h := sha256.Sum256(assocData("oauth2 refresh", tenant, string(k.Account), k.ClientID, k.Role, k.Entity))
	return "oauth2-refresh:" + hex.EncodeToString(h[:16])
}

func (r *Refresher) lock(ctx context.Context, k OAuth2Key) (func(), error) {
	r.mu.Lock()
	ch := r.locks[k]
	if ch == nil {
		ch = make(chan struct{}, 1)
		r.locks[k] = ch
	}
	r.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("sqlstore: waiting for a refresh of account %s: %w", k.Account, ctx.Err())
	}
}

// Token returns a valid access token for k, refreshing it first when it
// expires within the refresh-ahead window. Across every replica that
// shares the database, one refresh request is sent per due token. On a
// *oauth2.SaveError the token is valid but not yet stored: this Refresher
// keeps it and saves it on the next call (meanwhile other replicas see
// the spent one).
func (r *Refresher) Token(ctx context.Context, k OAuth2Key) (*oauth2.Token, error) {
	if tok, err := r.tokens.Load(ctx, k); err != nil {
		return nil, err
	} else if tok.Valid(r.now().Add(r.ahead)) {
		return tok, nil // the common case: no lock, no lease
	}
	unlock, err := r.lock(ctx, k)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if nt := r.pendingSave(k); nt != nil {
		if err := r.tokens.SaveToken(ctx, nt); err != nil {
			return nt, &oauth2.SaveError{Token: nt, Err: err}
		}
		r.saved(k)
	}
	name := LeaseName(r.tokens.tenant, k)
	owner := NewOwner()
	if r.replica != "" {
		owner = r.replica + "/" + owner
	}
	if err := r.leases.Acquire(ctx, name, owner, r.leaseTTL); err != nil {
		return nil, err
	}
	// Release even when ctx has ended, so that others need not wait the TTL.
	defer r.leases.Release(context.WithoutCancel(ctx), name, owner) //nolint:errcheck // an unreleased lease expires
	tok, err := r.tokens.Load(ctx, k)
	if err != nil {
		return nil, err
	}
	now := r.now()
	if tok.Valid(now.Add(r.ahead)) {
		return tok, nil // another replica refreshed it while this one waited
	}
	if tok.M2M || tok.RefreshToken == "" {
		if tok.Valid(now) {
			return tok, nil
		}
		return nil, fmt.Errorf("sqlstore: the access token of account %s expired and it has no refresh token (client credentials: get a new one with a fresh assertion)", k.Account)
	}
	// The request runs to its end even if ctx ends (a spent refresh
	// token's successor must not be dropped), but within half the lease:
	// past the lease, another replica may refresh the same token.
	detached, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.leaseTTL/2)
	defer cancel()
	nt, err := r.client.Refresh(detached, tok)
	if err != nil {
		return r.refreshFailed(context.WithoutCancel(ctx), k, tok, now, err)
	}
	if err := r.tokens.SaveToken(detached, nt); err != nil {
		r.mu.Lock()
		r.unsaved[k] = nt
		r.mu.Unlock()
		return nt, &oauth2.SaveError{Token: nt, Err: err}
	}
	return nt, nil
}

// refreshFailed decides what a failed refresh gives the caller. A refresh
// ahead of expiry that failed for a passing cause keeps the old token,
// still valid. A refused refresh token may have been spent by another
// replica whose lease this one outlived: when the store now holds a newer
// valid token, that one is the answer, not ErrReauthorize.
func (r *Refresher) refreshFailed(ctx context.Context, k OAuth2Key, tok *oauth2.Token, now time.Time, err error) (*oauth2.Token, error) {
	if nsdist.Retryable(err) && tok.Valid(now) {
		return tok, nil
	}
	if errors.Is(err, oauth2.ErrReauthorize) {
		if cur, lerr := r.tokens.Load(ctx, k); lerr == nil && cur.RefreshToken != tok.RefreshToken && cur.Valid(r.now()) {
			return cur, nil
		}
	}
	return nil, err
}

func (r *Refresher) pendingSave(k OAuth2Key) *oauth2.Token {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unsaved[k]
}

func (r *Refresher) saved(k OAuth2Key) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.unsaved, k)
}
