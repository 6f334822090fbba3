package rollout_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := nstest.NewServer(nstest.WithListener(ln), nstest.WithSeed(9), nstest.WithFaults(nstest.Faults{Latency: latency}))
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
type toAddr struct {
	addr string
	t    *http.Transport
}

func (r toAddr) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Host = req.URL.Host
	out.URL.Scheme, out.URL.Host = "http", r.addr
	return r.t.RoundTrip(out)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru) //nolint:errcheck
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRolloutChannels rolls out to 10,000 accounts per channel (TBA
// getServerTime, OAuth 2.0 REST serverTime) at NetSuite's pace (300 ms per
// round trip) and a fast one (5 ms), concurrency 256, with the fake in a
// child process. It reports wall time as a ratio of the ideal bound
// N × latency / concurrency (one round trip per target) and the client's
// CPU microseconds per target.
//
//	go test ./distribution -run '^$' -bench RolloutChannels -benchtime 1x
func BenchmarkRolloutChannels(b *testing.B) {
	const n, concurrency = 10000, 256
	for _, ch := range []string{"tba", "oauth2"} {
		for _, latency := range []time.Duration{300 * time.Millisecond, 5 * time.Millisecond} {
			b.Run(fmt.Sprintf("%s/%s", ch, latency), func(b *testing.B) {
				cmd := exec.Command(os.Args[0], "-test.run=^TestBenchFakeChild$")
				cmd.Env = append(os.Environ(), "NSDIST_BENCH_CHILD=1", "NSDIST_BENCH_N="+strconv.Itoa(n), "NSDIST_BENCH_LATENCY="+latency.String(), "NSDIST_BENCH_CHANNEL="+ch)
				stdin, _ := cmd.StdinPipe()
				stdout, _ := cmd.StdoutPipe()
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				defer func() { stdin.Close(); cmd.Wait() }() //nolint:errcheck
				var w benchWorld
				if err := json.NewDecoder(bufio.NewReader(stdout)).Decode(&w); err != nil {
					b.Fatal(err)
				}
				rt := toAddr{addr: w.Addr, t: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second}}
				oc, err := oauth2.NewClient(oauth2.Config{ClientID: w.ClientID, ClientSecret: w.ClientSecret}, oauth2.WithTransport(rt))
				if err != nil {
					b.Fatal(err)
				}
				targets := make([]distribution.Target, 0, n)
				now := time.Now()
				for _, t := range w.Targets {
					tg := distribution.Target{Account: t.Account, TokenIssuedAt: now}
					if ch == "tba" {
						tg.Credential = tba.Credential{Consumer: tba.Consumer{Key: t.ConsumerKey, Secret: t.ConsumerSecret}, Token: tba.Token{ID: t.TokenID, Secret: t.TokenSecret}}
					} else {
						tg.Credential = oauth2.Grant{Token: &oauth2.Token{Account: t.Account, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
							Expiry: now.Add(time.Hour), Role: t.Role, Entity: t.Entity, IssuedAt: now}}
					}
					targets = append(targets, tg)
				}
				ai, err := distribution.NewAutoInstaller(w.Record, distribution.WithProber(oauth2.NewProber(oc)), tba.WithProber(soap.WithTransport(rt)))
				if err != nil {
					b.Fatal(err)
				}
				ideal := time.Duration(n) * latency / concurrency
				for b.Loop() {
					r, err := rollout.New(ai, rollout.WithConcurrency(concurrency))
					if err != nil {
						b.Fatal(err)
					}
					cpu0, start := cpuTime(), time.Now()
					rep, err := r.Run(b.Context(), targets)
					wall, cpu := time.Since(start), cpuTime()-cpu0
					if err != nil {
						b.Fatal(err)
					}
					if c := rep.Counts(); c[distribution.OutcomeEnabled]+c[distribution.OutcomeAwaitingApproval] != n {
						b.Fatalf("counts %v", c)
					}
					b.ReportMetric(float64(wall)/float64(ideal), "x-ideal")
					b.ReportMetric(float64(cpu.Microseconds())/n, "client-cpu-us/target")
				}
			})
		}
	}
}
