package nstest_test

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
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

// BenchmarkCustomerSetup sets up 10,000 simulated customers on each
// channel, each channel on a fresh fake, in the same run: a TBA token
// issue (the baseline) and a whole OAuth 2.0 code grant. A customer is
// its account and its authorization; the authorization alone is reported
// too. It reports wall and CPU time per customer, and the ratios (the
// goal: OAuth 2.0 at most twice TBA).
func BenchmarkCustomerSetup(b *testing.B) {
	const n = 10000
	type cost struct{ wall, cpu, grantWall, grantCPU float64 }
	setup := func(grant func(*nstest.Server, nsdist.AccountID, *nstest.Integration) error) (c cost) {
		fake, rec := newBenchRecord(b)
		defer fake.Close() // and let it go: a fake left alive would slow the next set-up's GC
		accts := make([]nsdist.AccountID, n)
		runtime.GC()
		start, cpu0 := time.Now(), cpuTime(b)
		for i := range accts {
			accts[i] = fake.MustAddAccount(fmt.Sprintf("%d", 3000000+i), nstest.AccountConfig{}).ID()
		}
		mid, cpu1 := time.Now(), cpuTime(b)
		for _, a := range accts {
			if err := grant(fake, a, rec); err != nil {
				b.Fatal(err)
			}
		}
		end, cpu2 := time.Now(), cpuTime(b)
		return cost{float64(end.Sub(start).Nanoseconds()) / n, float64((cpu2 - cpu0).Nanoseconds()) / n,
			float64(end.Sub(mid).Nanoseconds()) / n, float64((cpu2 - cpu1).Nanoseconds()) / n}
	}
	issueTBA := func(f *nstest.Server, a nsdist.AccountID, rec *nstest.Integration) error {
		_, err := f.IssueTBAToken(a, rec)
		return err
	}
	codeGrant := func(f *nstest.Server, a nsdist.AccountID, rec *nstest.Integration) error {
		_, err := f.CompleteCodeGrant(a, rec)
		return err
	}
	var tba, o2 cost
	add := func(sum *cost, c cost) {
		sum.wall, sum.cpu, sum.grantWall, sum.grantCPU = sum.wall+c.wall, sum.cpu+c.cpu, sum.grantWall+c.grantWall, sum.grantCPU+c.grantCPU
	}
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 { // each channel goes first in half the rounds
			add(&tba, setup(issueTBA))
			add(&o2, setup(codeGrant))
		} else {
			add(&o2, setup(codeGrant))
			add(&tba, setup(issueTBA))
		}
	}
	per := float64(b.N)
	b.ReportMetric(tba.wall/per, "tba-ns/customer")
	b.ReportMetric(tba.cpu/per, "tba-cpu-ns/customer")
	b.ReportMetric(o2.wall/per, "oauth2-ns/customer")
	b.ReportMetric(o2.cpu/per, "oauth2-cpu-ns/customer")
	b.ReportMetric(o2.wall/tba.wall, "oauth2/tba")
	b.ReportMetric(o2.cpu/tba.cpu, "oauth2/tba-cpu")
	b.ReportMetric(o2.grantWall/tba.grantWall, "grant-only-oauth2/tba")
	b.ReportMetric(o2.grantCPU/tba.grantCPU, "grant-only-oauth2/tba-cpu")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTokenRequest is the fake's cost of one token endpoint request
// (a confidential client's refresh), beside one SOAP getServerTime as the
// baseline, each over the in-process transport.
func BenchmarkTokenRequest(b *testing.B) {
	fake, rec := benchRecord(b)
	cust := fake.MustAddAccount("4000000", nstest.AccountConfig{})
	auth, err := tokenAuth(fake, cust.ID(), rec)
	if err != nil {
		b.Fatal(err)
	}
	sc, err := soap.NewClient("4000000", append(fake.ClientOptions(), soap.WithAuth(auth))...)
	if err != nil {
		b.Fatal(err)
	}
	oc, err := oauth2.NewClient(oauth2.Config{ClientID: rec.ClientID, ClientSecret: rec.ClientSecret}, oauth2.WithTransport(fake.Transport()))
	if err != nil {
		b.Fatal(err)
	}
	tok, err := fake.CompleteCodeGrant(cust.ID(), rec)
	if err != nil {
		b.Fatal(err)
	}
	var soapNs, refreshNs float64
	for b.Loop() {
		start := time.Now()
		if _, err := sc.Do(b.Context(), soap.OpGetServerTime); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := oc.Refresh(b.Context(), tok); err != nil {
			b.Fatal(err)
		}
		soapNs += float64(mid.Sub(start).Nanoseconds())
		refreshNs += float64(time.Since(mid).Nanoseconds())
	}
	b.ReportMetric(soapNs/float64(b.N), "soap-ns/op")
	b.ReportMetric(refreshNs/float64(b.N), "refresh-ns/op")
	b.ReportMetric(refreshNs/soapNs, "refresh/soap")
}

// benchRecord is a fake with a record that both channels can install.
func benchRecord(b testing.TB) (*nstest.Server, *nstest.Integration) {
	b.Helper()
	fake, rec := newBenchRecord(b)
	b.Cleanup(fake.Close)
	return fake, rec
}

// newBenchRecord is benchRecord for a caller that closes the fake.
func newBenchRecord(b testing.TB) (*nstest.Server, *nstest.Integration) {
	b.Helper()
	fake := nstest.NewServer()
	vendor := fake.MustAddAccount("TSTDRV1", nstest.AccountConfig{})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "bench", TBA: true, TBAIssueToken: true,
		OAuth2CodeGrant: true, RedirectURIs: []string{"https://app.example.com/cb"}, Scopes: []string{"rest_webservices"}})
	if err != nil {
		fake.Close()
		b.Fatal(err)
	}
	return fake, rec
}
