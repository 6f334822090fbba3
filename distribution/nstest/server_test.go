package nstest_test

import (
	"bytes"
	"errors"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/soap"
)

// TestInjectionRateIsStrict: a fault is injected when the request's draw
// is below the rate, never when it equals it, so a rate is the fault's
// probability. The draws are the seed's (request n of the account).
func TestInjectionRateIsStrict(t *testing.T) {
	t.Parallel()
	const seed = 7
	transport := func(err error) bool {
		var te *soap.TransportError
		return errors.As(err, &te) || errors.Is(err, soap.ErrTruncated)
	}
	tests := []struct {
		name     string
		salt     byte
		passport bool
		set      func(rate float64) nstest.Faults
		injected func(error) bool
	}{
		{"reset", 'r', false, func(r float64) nstest.Faults { return nstest.Faults{ResetRate: r} }, transport},
		{"503", '5', false, func(r float64) nstest.Faults { return nstest.Faults{HTTP503Rate: r} }, func(err error) bool {
			var h *soap.HTTPError
			return errors.As(err, &h) && h.StatusCode == http.StatusServiceUnavailable
		}},
		{"truncate", 't', false, func(r float64) nstest.Faults { return nstest.Faults{TruncateRate: r} }, transport},
		{"TBA concurrency", 'c', false, func(r float64) nstest.Faults { return nstest.Faults{ConcurrencyFaultRate: r} }, func(err error) bool {
			return faultCode(err) == "WS_REQUEST_BLOCKED exceededConcurrentRequestLimitFault"
		}},
		{"user concurrency", 'c', true, func(r float64) nstest.Faults { return nstest.Faults{ConcurrencyFaultRate: r} }, func(err error) bool {
			return faultCode(err) == "WS_CONCUR_SESSION_DISALLWD exceededRequestLimitFault"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, false, nstest.WithSeed(seed))
			var c *soap.Client
			if tt.passport {
				f.customer.AddUser(nstest.User{Email: "ann@customer.example", Password: "pw"})
				c = f.client(t, &soap.Passport{Email: "ann@customer.example", Password: "pw", Account: f.customer.ID(), Role: "3", ApplicationID: f.rec.ApplicationID}, soap.WithVersion(soap.V2020_1))
			} else {
				auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
				if err != nil {
					t.Fatal(err)
				}
				c = f.client(t, auth)
			}
			for n := uint64(1); n <= 4; n++ {
				draw := nstest.Roll(seed, f.customer.ID(), n, tt.salt)
				rate, want := draw, false // on the draw: not injected
				if n%2 == 0 {
					rate, want = math.Nextafter(draw, 1), true // just above it
				}
				f.customer.SetFaults(tt.set(rate))
				_, err := c.Do(t.Context(), soap.OpGetServerTime)
				if got := err != nil && tt.injected(err); got != want || (!want && err != nil) {
					t.Errorf("request %d, draw %v, rate %v: error %v, want injected %v", n, draw, rate, err, want)
				}
			}
		})
	}
}

// TestJitterDelaysByTheDraw: a request waits Latency plus its draw times
// Jitter.
func TestJitterDelaysByTheDraw(t *testing.T) {
	t.Parallel()
	const jitter = 300 * time.Millisecond
	seed, draw := uint64(0), 0.0
	for seed = 1; ; seed++ { // a seed whose first draw waits 150 to 210 ms
		if draw = nstest.Roll(seed, "123456_SB1", 1, 'j'); draw >= 0.5 && draw <= 0.7 {
			break
		}
	}
	f := setup(t, false, nstest.WithSeed(seed))
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	f.customer.SetFaults(nstest.Faults{Jitter: jitter})
	start := time.Now()
	if _, err := f.client(t, auth).Do(t.Context(), soap.OpGetServerTime); err != nil {
		t.Fatal(err)
	}
	if took, want := time.Since(start), time.Duration(draw*float64(jitter)); took < want {
		t.Errorf("the request took %v, want at least %v (draw %v of %v)", took, want, draw, jitter)
	}
}

// recordWriter keeps what the fake writes.
type recordWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *recordWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

// TestTruncatedAnswerIsHalf: a truncated answer announces its full length,
// writes the first half and drops the connection (http.ErrAbortHandler).
func TestTruncatedAnswerIsHalf(t *testing.T) {
	t.Parallel()
	type seen struct {
		length  string
		written int
		abort   bool
	}
	got := make(chan seen, 1)
	f := setup(t, false, nstest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw := &recordWriter{ResponseWriter: w}
			defer func() {
				p := recover()
				got <- seen{w.Header().Get("Content-Length"), rw.body.Len(), p == http.ErrAbortHandler} //nolint:errorlint // the value panicked with
				if p != nil {
					panic(p)
				}
			}()
			next.ServeHTTP(rw, r)
		})
	}))
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	f.customer.SetFaults(nstest.Faults{TruncateRate: 1})
	if _, err := f.client(t, auth).Do(t.Context(), soap.OpGetServerTime); err == nil {
		t.Error("a truncated answer was taken")
	}
	s := <-got
	full, _ := strconv.Atoi(s.length)
	if full == 0 || s.written != full/2 || !s.abort {
		t.Errorf("Content-Length %q, %d bytes written, aborted %v; want half of the announced length, then an abort", s.length, s.written, s.abort)
	}
}

// TestUnavailableWindow: ACCT_TEMP_UNAVAILABLE from the window's start,
// inclusive, to its end, exclusive; a window without a start is none.
func TestUnavailableWindow(t *testing.T) {
	t.Parallel()
	base := time.Now()
	clk := &clock{t: base}
	f := setup(t, false, nstest.WithClock(clk.Now))
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	c := f.client(t, auth)
	at := func(d time.Duration) string {
		clk.mu.Lock()
		clk.t = base.Add(d)
		clk.mu.Unlock()
		_, err := c.Do(t.Context(), soap.OpGetServerTime)
		return faultCode(err)
	}
	const down = "ACCT_TEMP_UNAVAILABLE unexpectedErrorFault"
	f.customer.SetUnavailable(time.Time{}, base.Add(time.Hour))
	got := []string{at(0)}
	f.customer.SetUnavailable(base.Add(10*time.Second), base.Add(20*time.Second))
	for _, d := range []time.Duration{9 * time.Second, 10 * time.Second, 15 * time.Second, 20 * time.Second, 30 * time.Second} {
		got = append(got, at(d))
	}
	if diff := cmp.Diff([]string{"ok", "ok", down, down, "ok", "ok"}, got); diff != "" {
		t.Errorf("answers at 0 (no start), 9s, 10s, 15s, 20s, 30s (-want +got):\n%s", diff)
	}
}
