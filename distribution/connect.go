package distribution

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// A Connect flow is a "Connect NetSuite" button in a vendor's web app:
// tba.Connect runs TBA's three-step flow and oauth2.Connect the OAuth 2.0
// code grant, with one design. The start is refused when another site
// made the browser send it; the flow is bound to the browser that started
// it and kept, single use, in a PendingStore until its callback; the
// callback's token is saved for the vendor's tenant that started it; and
// the outcome is a Result explained in approval's words.

// Pending is a started Connect flow waiting for its callback. F is the
// channel's own part: the OAuth 2.0 Authorization with its PKCE verifier,
// or TBA's request token. A store must keep it sealed: it holds secrets.
type Pending[F any] struct {
	Flow F
	// Session is a hash of the browser's binding cookie, never the cookie.
	Session string
	// Tenant is the vendor's own customer that started the flow.
	Tenant string
	// Source is where the start came from (the client's address, or what
	// the vendor's Connect.Source says), for the per-source limit.
	Source  string
	Created time.Time
}

// LogValue never shows the flow: slog's JSON handler would otherwise
// marshal it, and its JSON form (what a store seals) carries its secrets.
func (p Pending[F]) LogValue() slog.Value {
	return slog.GroupValue(slog.String("tenant", p.Tenant), slog.String("source", p.Source), slog.Time("created", p.Created))
}

// ErrNoPending is returned by a PendingStore for a state it does not hold
// (unknown, expired, or already taken).
var ErrNoPending = errors.New("no pending authorization for this state (unknown, expired, used already, or started in another browser): start again")

// ErrTooManyPending is returned by a PendingStore that is full for the
// flow's source or in total: a flood of starts is refused rather than
// pushing out the flows real users started. The Connect handlers answer
// 429 with Retry-After.
var ErrTooManyPending = errors.New("too many sign-ins to NetSuite are in progress: finish or close the others, or try again in a few minutes")

// PendingStore keeps started flows by state. Take must be single use
// across every replica that shares the store: the first Take of a state
// gets it, every later one gets ErrNoPending. A store refuses a Put with
// ErrTooManyPending rather than evicting a flow before its TTL.
// MemoryPending serves one process; distribution/sqlstore has one in a
// database for several replicas.
type PendingStore[F any] interface {
	Put(ctx context.Context, state string, p Pending[F]) error
	Take(ctx context.Context, state string) (Pending[F], error)
}

// ConnectOutcome is what a Connect callback learned, for its page.
type ConnectOutcome struct {
	// Connected is true once the customer's token was obtained: issuing
	// it installed the record.
	Connected bool
	// Result is the token's check: the record Enabled, most likely
	// waiting for approval, or refused, in approval's words. Its Outcome
	// is empty when no token was obtained or no check was made.
	Result Result
	// Tenant is the vendor's customer that started the flow.
	Tenant string
	// Err is why no token was obtained, or why it could not be stored.
	Err error
}

// MemoryPending is a PendingStore in memory, for one process. The zero
// value is ready to use: flows live 15 minutes (TTL); at most 10,000 are
// kept (Max) and at most 20 per source (PerSource). When either limit is
// reached, Put refuses with ErrTooManyPending: no flow is evicted before
// its TTL, so a flood cannot push out the flows real users started.
type MemoryPending[F any] struct {
	TTL       time.Duration
	Max       int
	PerSource int
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time

	mu       sync.Mutex
	m        map[string]Pending[F]
	order    []string // states in Put order, for expiry
	bySource map[string]int
}

func (s *MemoryPending[F]) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *MemoryPending[F]) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return 15 * time.Minute
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// expireLocked forgets flows past their TTL, oldest first.
func (s *MemoryPending[F]) expireLocked(now time.Time) {
	for len(s.order) > 0 {
		p, ok := s.m[s.order[0]]
		if ok && now.Sub(p.Created) <= s.ttl() {
			return
		}
		if ok {
			s.forgetLocked(s.order[0], p)
		}
		s.order = s.order[1:]
	}
}

func (s *MemoryPending[F]) forgetLocked(state string, p Pending[F]) {
	delete(s.m, state)
	if s.bySource[p.Source]--; s.bySource[p.Source] <= 0 {
		delete(s.bySource, p.Source)
	}
}

// Put implements PendingStore.
func (s *MemoryPending[F]) Put(_ context.Context, state string, p Pending[F]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m, s.bySource = map[string]Pending[F]{}, map[string]int{}
	}
	s.expireLocked(s.now())
	if _, dup := s.m[state]; dup {
		return errors.New("state already pending")
	}
	if len(s.m) >= orDefault(s.Max, 10000) || s.bySource[p.Source] >= orDefault(s.PerSource, 20) {
		return ErrTooManyPending
	}
	s.m[state] = p
	s.bySource[p.Source]++
	s.order = append(s.order, state)
	return nil
}

// Take implements PendingStore.
func (s *MemoryPending[F]) Take(_ context.Context, state string) (Pending[F], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[state]
	if ok {
		s.forgetLocked(state, p) // single use, whatever happens next
	}
	if !ok || s.now().Sub(p.Created) > s.ttl() {
		return Pending[F]{}, ErrNoPending
	}
	return p, nil
}

// Len is the number of flows kept, expired ones included until the next Put.
func (s *MemoryPending[F]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// String never shows the flows: they hold secrets.
func (s *MemoryPending[F]) String() string {
	return fmt.Sprintf("distribution.MemoryPending{%d flows}", s.Len())
}

// GoString never shows the flows.
func (s *MemoryPending[F]) GoString() string { return s.String() }
