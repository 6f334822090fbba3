package nstest_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/soap"
)

// BenchmarkIdleAccounts adds 10,000 accounts and reports the heap each
// idle account takes (target: under 2 KiB).
//
//	go test ./distribution/nstest -run '^$' -bench . -benchmem
func BenchmarkIdleAccounts(b *testing.B) {
	const n = 10000
	var perAccount float64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		fake := nstest.NewServer()
		for i := range n {
			fake.MustAddAccount(fmt.Sprintf("%d", 1000000+i), nstest.AccountConfig{RequireApproval: i%3 == 0})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		// the previous iteration's server may still be reachable from its
		// closing goroutines at "before": keep the largest measurement
		perAccount = max(perAccount, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n)
		runtime.KeepAlive(fake)
		fake.Close()
	}
	b.ReportMetric(perAccount, "B/account")
}

// BenchmarkConcurrentRequests runs 500 concurrent getServerTime requests
// against 10,000 accounts (each request to a different account).
func BenchmarkConcurrentRequests(b *testing.B) {
	const accounts, workers = 10000, 500
	fake := nstest.NewServer()
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1", nstest.AccountConfig{})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "bench", TBA: true, TBAIssueToken: true})
	if err != nil {
		b.Fatal(err)
	}
	clients := make([]*soap.Client, accounts)
	for i := range clients {
		id := fmt.Sprintf("%d", 2000000+i)
		a := fake.MustAddAccount(id, nstest.AccountConfig{})
		auth, err := tokenAuth(fake, a.ID(), rec)
		if err != nil {
			b.Fatal(err)
		}
		if clients[i], err = soap.NewClient(id, append(fake.ClientOptions(), soap.WithAuth(auth))...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		next := make(chan int)
		for range workers {
			wg.Go(func() {
				for i := range next {
					if _, err := clients[i].Do(b.Context(), soap.OpGetServerTime); err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
				}
			})
		}
		for i := range accounts {
			next <- i
		}
		close(next)
		wg.Wait()
		if firstErr != nil {
			b.Fatal(firstErr)
		}
	}
	b.ReportMetric(float64(accounts), "requests/op")
}
