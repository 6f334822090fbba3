package rollout_test

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/rollout"
)

func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkRollout runs the rollout phase over 10,000 fake accounts at 50 ms
// latency with concurrency 256 and reports its wall time against the ideal
// bound N × round trips × latency / concurrency (one round trip per TBA
// target), the peak live heap, the heap each finished result keeps, and
// the heap per target in flight (live heap less the finished results, over
// the concurrency). The faults variant injects 30% concurrency faults;
// compare its ns/op with the fault-free one of the same run.
//
//	go test ./distribution -run '^$' -bench Rollout -benchtime 1x
func BenchmarkRollout(b *testing.B) {
	for _, bc := range []struct {
		name string
		rate float64
	}{{"fault-free", 0}, {"faults-30pct", 0.3}} {
		b.Run(bc.name, func(b *testing.B) {
			const n, concurrency, latency = 10000, 256, 50 * time.Millisecond
			s := simulate(b, n, 3, nstest.Faults{Latency: latency, ConcurrencyFaultRate: bc.rate})
			ai := s.installer(b)
			ideal := time.Duration(n) * latency / concurrency
			for b.Loop() {
				runtime.GC()
				base := liveHeap()
				var done atomic.Int64
				type sample struct{ live, done uint64 }
				var samples []sample
				stop := make(chan struct{})
				var wg sync.WaitGroup
				wg.Go(func() {
					t := time.NewTicker(10 * time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
							samples = append(samples, sample{liveHeap(), uint64(done.Load())})
						}
					}
				})
				r, err := rollout.New(ai, rollout.WithConcurrency(concurrency),
					rollout.WithProgress(func(e rollout.Event) { done.Store(int64(e.Done)) }))
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				rep, err := r.Run(b.Context(), s.targets)
				wall := time.Since(start)
				close(stop)
				wg.Wait()
				if err != nil {
					b.Fatal(err)
				}
				if c := rep.Counts(); c["failed"] != 0 || c["enabled"]+c["awaiting_approval"] != n {
					b.Fatalf("counts %v", c)
				}
				runtime.GC()
				perResult := float64(int64(liveHeap())-int64(base)) / n
				var peak, inflight float64
				for _, sm := range samples {
					peak = max(peak, float64(sm.live))
					inflight = max(inflight, (float64(sm.live)-float64(base)-perResult*float64(sm.done))/concurrency)
				}
				runtime.KeepAlive(rep)
				b.ReportMetric(float64(wall)/float64(ideal), "x-ideal")
				b.ReportMetric(peak/(1<<20), "peak-live-MiB")
				b.ReportMetric(perResult/1024, "KiB/result")
				b.ReportMetric(inflight/1024, "KiB/in-flight")
			}
		})
	}
}
