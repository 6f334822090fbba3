package distribution_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist/distribution"
)

// MemoryPending's limits refuse new flows and never push out one in
// progress; expiry frees the places; a state is taken once.
func TestMemoryPending(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	m := &distribution.MemoryPending[string]{Max: 5, PerSource: 2, TTL: time.Minute, Now: func() time.Time { return now }}
	put := func(state, source string) error {
		return m.Put(t.Context(), state, distribution.Pending[string]{Flow: "secret-" + state, Source: source, Created: now})
	}
	for i, src := range []string{"a", "a", "b", "b", "c"} {
		if err := put(strconv.Itoa(i), src); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	if err := put("x", "a"); !errors.Is(err, distribution.ErrTooManyPending) {
		t.Errorf("third flow from one source: %v, want ErrTooManyPending", err)
	}
	if err := put("y", "d"); !errors.Is(err, distribution.ErrTooManyPending) {
		t.Errorf("a flow past Max: %v, want ErrTooManyPending", err)
	}
	if err := put("4", "e"); err == nil {
		t.Error("a state already pending was put again")
	}
	p, err := m.Take(t.Context(), "0")
	if err != nil || p.Flow != "secret-0" {
		t.Fatalf("Take(0) = %v, %v", p.Flow, err)
	}
	if _, err := m.Take(t.Context(), "0"); !errors.Is(err, distribution.ErrNoPending) {
		t.Errorf("second Take: %v, want ErrNoPending", err)
	}
	if err := put("z", "a"); err != nil {
		t.Errorf("a place freed by Take: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := m.Take(t.Context(), "1"); !errors.Is(err, distribution.ErrNoPending) {
		t.Errorf("an expired flow: %v, want ErrNoPending", err)
	}
	for i := range 5 {
		if err := put("late"+strconv.Itoa(i), "src"+strconv.Itoa(i)); err != nil {
			t.Fatalf("after expiry, put %d: %v", i, err)
		}
	}
	for _, out := range []string{fmt.Sprintf("%v", m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m)} {
		if strings.Contains(out, "secret") {
			t.Errorf("a MemoryPending prints its flows: %s", out)
		}
	}
}

func TestMemoryPendingZeroValue(t *testing.T) {
	t.Parallel()
	var m distribution.MemoryPending[int]
	for i := range 20 {
		if err := m.Put(t.Context(), strconv.Itoa(i), distribution.Pending[int]{Flow: i, Created: time.Now()}); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	if err := m.Put(t.Context(), "20", distribution.Pending[int]{Created: time.Now()}); !errors.Is(err, distribution.ErrTooManyPending) {
		t.Errorf("21st flow from one source: %v", err)
	}
	if p, err := m.Take(t.Context(), "7"); err != nil || p.Flow != 7 {
		t.Errorf("Take(7) = %v, %v", p.Flow, err)
	}
}

// A Pending logged through slog's JSON handler shows no part of its flow.
func TestPendingLogValue(t *testing.T) {
	t.Parallel()
	type flow struct{ Verifier string }
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("pending", "p", distribution.Pending[flow]{Flow: flow{"v3rifier-secret"}, Tenant: "acme"})
	if strings.Contains(b.String(), "v3rifier-secret") || !strings.Contains(b.String(), "acme") {
		t.Errorf("slog JSON: %s", b.String())
	}
}
