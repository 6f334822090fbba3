package sqlstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist/distribution/sqlstore"
)

// Mutation testing (.ci/mutation, sqlstore-refresh) leaves Acquire's
// jitter, wait/2 + rand.N(wait), alive: a longer or shorter (even negative)
// pause between polls changes when a waiter gets the lease, never whether,
// and the tests make no timing assertions. Those mutants are equivalent.

// TryAcquire refuses a lease it could not describe: no name, no owner, or
// a TTL that is not positive (a zero TTL would be expired at once).
// Holder of a lease nobody ever took is the empty owner and the zero time.
func TestLeaseArguments(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		l, err := sqlstore.NewLeases(ctx, b.open(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, owner string
			ttl         time.Duration
		}{{"", "A", time.Second}, {"cred-1", "", time.Second}, {"cred-1", "A", 0}, {"cred-1", "A", -time.Second}} {
			if ok, err := l.TryAcquire(ctx, tt.name, tt.owner, tt.ttl); ok || err == nil {
				t.Errorf("TryAcquire(%q, %q, %s) = %v, %v; want an error", tt.name, tt.owner, tt.ttl, ok, err)
			}
		}
		if owner, until, err := l.Holder(ctx, "cred-1"); owner != "" || !until.IsZero() || err != nil {
			t.Errorf("Holder of a lease never taken = %q, %v, %v; want nobody", owner, until, err)
		}
		if err := l.Acquire(ctx, "cred-1", "A", time.Minute); err != nil {
			t.Fatalf("Acquire of a free lease: %v", err)
		}
		if owner, _, err := l.Holder(ctx, "cred-1"); owner != "A" || err != nil {
			t.Errorf("Holder after Acquire = %q, %v; want A", owner, err)
		}
		// a bad argument is an error at once, not a wait for ctx to end
		if err := l.Acquire(ctx, "cred-2", "A", 0); err == nil || errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "held by") {
			t.Errorf("Acquire with a zero TTL = %v, want the argument error", err)
		}
	})
}

// Acquire with a context that has already ended does not take a free
// lease: it reports the context's error.
func TestLeaseAcquireEndedContext(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		l, err := sqlstore.NewLeases(t.Context(), b.open(t))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := l.Acquire(ctx, "cred-1", "A", time.Minute); !errors.Is(err, context.Canceled) {
			t.Errorf("Acquire with an ended context = %v, want context.Canceled", err)
		}
	})
}
