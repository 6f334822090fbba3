package rollout_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"
)

// benchWorld is what the fake child process tells the benchmark: where it
// listens and the credentials its customers just gave.
type benchWorld struct {
	Addr         string
	ClientID     string
	ClientSecret string
	Record       approval.Record
	Targets      []benchTarget
}

type benchTarget struct {
	Account                                           nsdist.AccountID
	ConsumerKey, ConsumerSecret, TokenID, TokenSecret string
	AccessToken, RefreshToken, Role, Entity           string
}

// TestBenchFakeChild is not a test: the channel benchmark re-executes the
// test binary into it, so that the fake NetSuite runs in a process of its
// own and the benchmark's CPU time is the client's alone.
func TestBenchFakeChild(t *testing.T) {
	if os.Getenv("NSDIST_BENCH_CHILD") == "" {
		t.Skip("run by BenchmarkRolloutChannels only")
	}
	n, _ := strconv.Atoi(os.Getenv("NSDIST_BENCH_N"))
	latency, _ := time.ParseDuration(os.Getenv("NSDIST_BENCH_LATENCY"))
	faults, _ := strconv.ParseFloat(os.Getenv("NSDIST_BENCH_FAULTS"), 64)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := nstest.NewServer(nstest.WithListener(ln), nstest.WithSeed(9), nstest.WithFaults(nstest.Faults{Latency: latency, ConcurrencyFaultRate: faults}))
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true,
		OAuth2CodeGrant: true, RedirectURIs: []string{"https://app.acme.example/cb"}, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	w := benchWorld{Addr: ln.Addr().String(), ClientID: rec.ClientID, ClientSecret: rec.ClientSecret,
		Record: approval.Record{Name: rec.Name, Owner: vendor.ID(), TBA: true, TBAAuthFlow: true, OAuth2CodeGrant: true}}
	for i := range n {
		id := nsdist.AccountID(fmt.Sprintf("%d", 5000000+i))
		a := fake.MustAddAccount(string(id), nstest.AccountConfig{RequireApproval: i%3 == 0, ConcurrencyLimit: 5})
		bt := benchTarget{Account: id}
		if os.Getenv("NSDIST_BENCH_CHANNEL") == "tba" {
			auth, err := fake.IssueTBAToken(a.ID(), rec)
			if err != nil {
				t.Fatal(err)
			}
			bt.ConsumerKey, bt.ConsumerSecret, bt.TokenID, bt.TokenSecret = auth.Consumer.Key, auth.Consumer.Secret, auth.Token.ID, auth.Token.Secret
		} else {
			g, err := fake.CompleteCodeGrant(a.ID(), rec)
			if err != nil {
				t.Fatal(err)
			}
			bt.AccessToken, bt.RefreshToken, bt.Role, bt.Entity = g.AccessToken, g.RefreshToken, g.Role, g.Entity
		}
		w.Targets = append(w.Targets, bt)
	}
	if err := json.NewEncoder(os.Stdout).Encode(w); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, os.Stdin) //nolint:errcheck // serve until the benchmark closes stdin
}

// toAddr sends every NetSuite host to the fake child, keeping the Host.
// It copies the request shallowly, URL apart: the transport changes
// neither, and a deep Clone per request was the harness's own cost.
type toAddr struct {
	addr string
	t    *http.Transport
}

func (r toAddr) RoundTrip(req *http.Request) (*http.Response, error) {
	out, u := *req, *req.URL
	out.Host = req.URL.Host
	u.Scheme, u.Host = "http", r.addr
	out.URL = &u
	return r.t.RoundTrip(&out)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru) //nolint:errcheck
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapNow is the live heap the last GC marked, the number of GCs so far,
// and the CPU time GCs have taken.
func heapNow() (live, cycles uint64, gcCPU float64) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Float64()
}

func liveHeap() uint64 {
	live, _, _ := heapNow()
	return live
}

// benchFake is a fake NetSuite in a child process, with n customers who
// authorized on one channel, and the targets and clients that reach it.
type benchFake struct {
	w       benchWorld
	rt      toAddr
	targets []distribution.Target
	ai      *distribution.AutoInstaller
}

func startBenchFake(b *testing.B, n int, ch string, latency time.Duration, faults float64) *benchFake {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchFakeChild$")
	cmd.Env = append(os.Environ(), "NSDIST_BENCH_CHILD=1", "NSDIST_BENCH_N="+strconv.Itoa(n), "NSDIST_BENCH_LATENCY="+latency.String(),
		"NSDIST_BENCH_CHANNEL="+ch, "NSDIST_BENCH_FAULTS="+strconv.FormatFloat(faults, 'f', -1, 64))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() }) //nolint:errcheck
	f := &benchFake{}
	if err := json.NewDecoder(bufio.NewReader(stdout)).Decode(&f.w); err != nil {
		b.Fatal(err)
	}
	f.rt = toAddr{addr: f.w.Addr, t: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second}}
	b.Cleanup(f.rt.t.CloseIdleConnections)
	oc, err := oauth2.NewClient(oauth2.Config{ClientID: f.w.ClientID, ClientSecret: f.w.ClientSecret}, oauth2.WithTransport(f.rt))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for _, t := range f.w.Targets {
		tg := distribution.Target{Account: t.Account, TokenIssuedAt: now}
		if ch == "tba" {
			tg.Credential = tba.Credential{Consumer: tba.Consumer{Key: t.ConsumerKey, Secret: t.ConsumerSecret}, Token: tba.Token{ID: t.TokenID, Secret: t.TokenSecret}}
		} else {
			tg.Credential = oauth2.Grant{Token: &oauth2.Token{Account: t.Account, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
				Expiry: now.Add(time.Hour), Role: t.Role, Entity: t.Entity, IssuedAt: now}}
		}
		f.targets = append(f.targets, tg)
	}
	f.w.Targets = nil
	if f.ai, err = distribution.NewAutoInstaller(f.w.Record, distribution.WithProber(oauth2.NewProber(oc)), tba.WithProber(soap.WithTransport(f.rt))); err != nil {
		b.Fatal(err)
	}
	return f
}

// bareEnvelope is the size and shape of the getServerTime request the SDK
// sends, with a tokenPassport the fake refuses: the baseline pays for the
// bytes, not for the answer's meaning.
var bareEnvelope = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:messages_2025_2.platform.webservices.netsuite.com" xmlns:core="urn:core_2025_2.platform.webservices.netsuite.com"><soapenv:Header><urn:tokenPassport><core:account>ACCT</core:account><core:consumerKey>` +
	strings.Repeat("a", 64) + `</core:consumerKey><core:token>` + strings.Repeat("b", 64) + `</core:token><core:nonce>` + strings.Repeat("c", 20) +
	`</core:nonce><core:timestamp>1700000000</core:timestamp><core:signature algorithm="HMAC-SHA256">` + strings.Repeat("d", 44) +
	`</core:signature></urn:tokenPassport></soapenv:Header><soapenv:Body><urn:getServerTime/></soapenv:Body></soapenv:Envelope>`

// bareRun is the baseline: one request of the channel's kind per target,
// from as many goroutines as the rollout's concurrency, through the same
// transport, with nothing but net/http: a POST of a getServerTime envelope
// (TBA) or a GET of REST serverTime with the target's Bearer token. It
// returns the client CPU per target.
func (f *benchFake) bareRun(b *testing.B, ch string, concurrency int) time.Duration {
	b.Helper()
	hc := &http.Client{Transport: f.rt}
	next := make(chan int)
	var failed atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	for range concurrency {
		wg.Go(func() {
			for i := range next {
				t := f.targets[i]
				var req *http.Request
				if ch == "tba" {
					body := strings.Replace(bareEnvelope, "ACCT", string(t.Account), 1)
					req, _ = http.NewRequestWithContext(b.Context(), http.MethodPost, "https://"+t.Account.SuiteTalkHost()+"/services/NetSuitePort_2025_2", strings.NewReader(body))
					req.Header.Set("Content-Type", "text/xml; charset=utf-8")
					req.Header.Set("SOAPAction", `"getServerTime"`)
				} else {
					req, _ = http.NewRequestWithContext(b.Context(), http.MethodGet, "https://"+t.Account.SuiteTalkHost()+"/services/rest/system/v1/serverTime", nil)
					req.Header.Set("Authorization", "Bearer "+t.Credential.(oauth2.Grant).Token.AccessToken) //nolint:forcetypeassert // made above
				}
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body) //nolint:errcheck
				resp.Body.Close()
			}
		})
	}
	for i := range f.targets {
		next <- i
	}
	close(next)
	wg.Wait()
	if failed.Load() > 0 {
		b.Fatalf("the baseline lost %d requests", failed.Load())
	}
	return (cpuTime() - cpu0) / time.Duration(len(f.targets))
}

// counting is the AutoInstaller, counting the attempts that finished.
type counting struct {
	ai   *distribution.AutoInstaller
	done atomic.Int64
}

func (c *counting) Distribute(ctx context.Context, t distribution.Target) distribution.Result {
	defer c.done.Add(1)
	return c.ai.Distribute(ctx, t)
}

func (c *counting) Attempt(ctx context.Context, t distribution.Target) distribution.Result {
	defer c.done.Add(1)
	return c.ai.Attempt(ctx, t)
}

// runCost is what one rollout cost the client.
type runCost struct {
	wall, cpu          time.Duration
	retries            int
	perResult, perLive float64 // bytes: kept per finished result; live per target in flight
	peak               uint64  // the largest live heap seen
}

// measureRun runs the rollout and measures it. The live heap is what a
// GC marked: the sampler reads it every 10 ms and keeps the readings of a
// GC that ended since the last one (no older than 10 ms), with the number
// of targets done then; when half the targets are done it forces one GC,
// whose CPU it takes off the run's. What a target in flight holds is the
// live heap less the base and the results finished by then (the results
// slice is made for every target at the start), over the targets in
// flight, from the readings between 20% and 80% done.
func measureRun(b *testing.B, ai *distribution.AutoInstaller, targets []distribution.Target, concurrency int) runCost {
	b.Helper()
	n := len(targets)
	d := &counting{ai: ai}
	r, err := rollout.New(d, rollout.WithConcurrency(concurrency))
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	base := liveHeap()
	var samples []heapSample
	var forcedCPU float64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { samples, forcedCPU = sampleHeap(stop, &d.done, n) })
	cpu0, start := cpuTime(), time.Now()
	rep, err := r.Run(b.Context(), targets)
	c := runCost{wall: time.Since(start), cpu: cpuTime() - cpu0}
	close(stop)
	wg.Wait()
	c.cpu -= time.Duration(forcedCPU * float64(time.Second))
	if err != nil {
		b.Fatal(err)
	}
	if cs := rep.Counts(); cs[distribution.OutcomeEnabled]+cs[distribution.OutcomeAwaitingApproval] != n {
		b.Fatalf("counts %v", cs)
	}
	for _, res := range rep.Results {
		c.retries += res.Attempts - 1
	}
	runtime.GC()
	c.perResult = float64(int64(liveHeap())-int64(base)) / float64(n)
	runtime.KeepAlive(rep)
	slot := float64(unsafe.Sizeof(distribution.Result{}))
	for _, sm := range samples {
		c.peak = max(c.peak, sm.live)
		inFlight := min(concurrency, n-int(sm.done))
		if sm.done < uint64(n)/5 || sm.done > uint64(n)*4/5 || inFlight <= 0 {
			continue // the ramps: few targets in flight
		}
		held := float64(base) + slot*float64(n) + (c.perResult-slot)*float64(sm.done)
		c.perLive = max(c.perLive, (float64(sm.live)-held)/float64(inFlight))
	}
	return c
}

type heapSample struct{ live, done uint64 }

// sampleHeap is measureRun's sampler; it returns the readings and the
// CPU seconds of the GC it forced.
func sampleHeap(stop <-chan struct{}, done *atomic.Int64, n int) (samples []heapSample, forcedCPU float64) {
	tk := time.NewTicker(10 * time.Millisecond)
	defer tk.Stop()
	_, lastCycles, _ := heapNow()
	forced := false
	for {
		select {
		case <-stop:
			return samples, forcedCPU
		case <-tk.C:
		}
		k := uint64(done.Load())
		if !forced && k >= uint64(n)/2 {
			forced = true
			_, _, cpu0 := heapNow()
			runtime.GC()
			_, _, cpu1 := heapNow()
			forcedCPU = cpu1 - cpu0
		}
		live, cycles, _ := heapNow()
		if cycles != lastCycles {
			lastCycles = cycles
			samples = append(samples, heapSample{live, k})
		}
	}
}

// BenchmarkRolloutChannels rolls out to 10,000 accounts per channel (TBA
// getServerTime, OAuth 2.0 REST serverTime), concurrency 256, with the
// fake in a child process so that the CPU measured is the client's: at
// NetSuite's pace (300 ms per round trip), at a fast one (5 ms), and at
// 300 ms with 30% concurrency faults. Beside each rollout, in the same
// run, the baseline sends one bare net/http request of the same kind per
// target (bareRun). It reports:
//
//   - client-cpu-us/target and bare-cpu-us/target, and their ratio;
//
//   - x-ideal: wall time over N × latency / concurrency (one round trip
//     per target), and bare-x-ideal for the baseline;
//
//   - with faults, retries and x-retry-floor: wall time over
//     (N + retries) × latency / concurrency;
//
//   - KiB/in-flight and KiB/result (see measureRun), and peak-live-MiB.
//
//     go test ./distribution/rollout -run '^$' -bench RolloutChannels -benchtime 1x -benchmem
func BenchmarkRolloutChannels(b *testing.B) {
	const n, concurrency = 10000, 256
	for _, ch := range []string{"tba", "oauth2"} {
		for _, bc := range []struct {
			name    string
			latency time.Duration
			faults  float64
		}{{"300ms", 300 * time.Millisecond, 0}, {"5ms", 5 * time.Millisecond, 0}, {"300ms-faults30", 300 * time.Millisecond, 0.3}} {
			b.Run(ch+"/"+bc.name, func(b *testing.B) {
				f := startBenchFake(b, n, ch, bc.latency, bc.faults)
				ideal := time.Duration(n) * bc.latency / concurrency
				for b.Loop() {
					// the labels split a CPU profile: -tagfocus phase=rollout
					var bare, bareWall time.Duration
					var c runCost
					pprof.Do(b.Context(), pprof.Labels("phase", "bare"), func(context.Context) {
						bareStart := time.Now()
						bare = f.bareRun(b, ch, concurrency)
						bareWall = time.Since(bareStart)
					})
					pprof.Do(b.Context(), pprof.Labels("phase", "rollout"), func(context.Context) {
						c = measureRun(b, f.ai, f.targets, concurrency)
					})
					cpu := float64(c.cpu.Microseconds()) / n
					b.ReportMetric(cpu, "client-cpu-us/target")
					b.ReportMetric(float64(bare.Nanoseconds())/1000, "bare-cpu-us/target")
					b.ReportMetric(cpu/(float64(bare.Nanoseconds())/1000), "cpu/bare")
					b.ReportMetric(float64(c.wall)/float64(ideal), "x-ideal")
					b.ReportMetric(float64(bareWall)/float64(ideal), "bare-x-ideal")
					if bc.faults > 0 {
						floor := time.Duration(n+c.retries) * bc.latency / concurrency
						b.ReportMetric(float64(c.retries), "retries")
						b.ReportMetric(float64(c.wall)/float64(floor), "x-retry-floor")
					}
					b.ReportMetric(c.perLive/1024, "KiB/in-flight")
					b.ReportMetric(c.perResult/1024, "KiB/result")
					b.ReportMetric(float64(c.peak)/(1<<20), "peak-live-MiB")
				}
			})
		}
	}
}

// peakRSS samples the process's resident set every 10 ms until stop
// closes, and returns the largest seen, in bytes.
func peakRSS(stop <-chan struct{}) uint64 {
	tk := time.NewTicker(10 * time.Millisecond)
	defer tk.Stop()
	var peak uint64
	for {
		if b, err := os.ReadFile("/proc/self/statm"); err == nil {
			var size, rss uint64
			if _, err := fmt.Sscan(string(b), &size, &rss); err == nil {
				peak = max(peak, rss*uint64(os.Getpagesize()))
			}
		}
		select {
		case <-stop:
			return peak
		case <-tk.C:
		}
	}
}

// BenchmarkRolloutScale rolls out to 1,000, 10,000 and 100,000 accounts
// per channel at 5 ms per round trip, concurrency 256, the fake in a
// child process, and reports per size: wall time over the ideal, client
// CPU per target, the peak live heap, the live heap per finished result,
// and the peak resident set (Linux; the targets themselves included).
// Cost that grows linearly shows as flat per-target figures. Run the
// sizes in one process, smallest first: the resident set only grows.
//
//	go test ./distribution/rollout -run '^$' -bench RolloutScale -benchtime 1x
func BenchmarkRolloutScale(b *testing.B) {
	const concurrency, latency = 256, 5 * time.Millisecond
	for _, ch := range []string{"tba", "oauth2"} {
		for _, n := range []int{1000, 10000, 100000} {
			b.Run(fmt.Sprintf("%s/%d", ch, n), func(b *testing.B) {
				f := startBenchFake(b, n, ch, latency, 0)
				ideal := time.Duration(n) * latency / concurrency
				for b.Loop() {
					stop := make(chan struct{})
					rss := make(chan uint64, 1)
					go func() { rss <- peakRSS(stop) }()
					c := measureRun(b, f.ai, f.targets, concurrency)
					close(stop)
					b.ReportMetric(float64(c.wall)/float64(ideal), "x-ideal")
					b.ReportMetric(float64(c.cpu.Microseconds())/float64(n), "client-cpu-us/target")
					b.ReportMetric(float64(c.peak)/(1<<20), "peak-live-MiB")
					b.ReportMetric(c.perResult/1024, "KiB/result")
					b.ReportMetric(float64(<-rss)/(1<<20), "peak-RSS-MiB")
				}
			})
		}
	}
}
