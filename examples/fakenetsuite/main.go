// Command fakenetsuite serves nstest's fake NetSuite over real TCP, for
// clients in any language: pytest with requests or zeep, Node, Postman, a
// browser, Playwright.
//
//	go run ./examples/fakenetsuite -config FILE [-addr 127.0.0.1:0] \
//	    [-latency D] [-fault-rate F] [-seed N] [-code-grant-approval installs_waiting|not_installed] [-v]
//
// Once it accepts connections it prints one line on stdout,
// "listening on http://HOST:PORT", and logs only on stderr. SIGINT or
// SIGTERM stops it (exit 0). A bad config or bad flags exit 2 with a
// one-line reason on stderr; a listener that cannot be opened exits 1.
//
// Requests name the NetSuite host in the Host header (the port is
// ignored): SOAP at <host id>.suitetalk.api.netsuite.com/services/NetSuitePort_<version>,
// REST (serverTime, the OAuth 2.0 token and revoke endpoints) under
// /services/rest/ on the same host, the TBA token endpoints on
// <host id>.restlets.api.netsuite.com, the login and consent pages on
// <host id>.app.netsuite.com and system.netsuite.com, getDataCenterUrls on
// webservices.netsuite.com. A Host that names no NetSuite host (a
// browser's 127.0.0.1:PORT) gets the UI pages as system.netsuite.com and
// 421 elsewhere.
//
// A request body larger than 1 MiB gets 413; a client that takes more than
// 10 s to send its headers, or leaves a connection idle for 2 minutes, is
// disconnected.
//
// The admin API, JSON, is for tests and tools, not for web pages: the Host
// header must be the server's own address (127.0.0.1:PORT, localhost:PORT
// or [::1]:PORT, against DNS rebinding), and a request a browser marks as
// coming from another site (Sec-Fetch-Site cross-site or same-site, an
// Origin other than the server's own) or a POST whose body is not JSON
// (Content-Type: application/json; reset and bundle take no body) gets
// 403 with a one-line JSON error:
//
//	GET  /_fake/accounts/<id>/integrations              [{"name","state","installed_by","application_id"}]
//	POST /_fake/accounts/<id>/integrations/<name>/state {"state":"Enabled"|"Blocked"} → 204
//	GET  /_fake/accounts/<id>/audit                     the Login Audit Trail: [{"time","user","status","detail","application"}]
//	POST /_fake/accounts/<id>/preferences               {"require_approval":true|false} → 204
//	POST /_fake/accounts/<id>/integrations/<name>/bundle  install as a bundle does (Enabled) → 204;
//	                                                      409 {"error"} when the account already has the record
//	GET  /_fake/integrations                            every record with its credentials
//	POST /_fake/reset                                   back to the config's state → 204
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nsdist/nsdist/distribution/nstest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// limits protect the server from slow and large requests; tests shorten
// them.
type limits struct {
	readHeader time.Duration // http.Server.ReadHeaderTimeout: a slowloris client is cut off
	idle       time.Duration // http.Server.IdleTimeout: a kept-alive connection waiting for its next request
	maxBody    int64         // request body cap, answered 413: SOAP envelopes, token requests and admin bodies are a few KiB
}

var defaultLimits = limits{readHeader: 10 * time.Second, idle: 2 * time.Minute, maxBody: 1 << 20}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, defaultLimits)
}

func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, lim limits) int {
	fs := flag.NewFlagSet("fakenetsuite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: fakenetsuite -config FILE [-addr 127.0.0.1:0] [-latency D] [-fault-rate F] [-seed N]
Serves the fake NetSuite over TCP; prints "listening on http://HOST:PORT" once ready.
Exit status: 0 stopped by SIGINT/SIGTERM, 1 cannot listen, 2 bad flags or config.
`)
		fs.PrintDefaults()
	}
	cfgFile := fs.String("config", "", "the JSON config: accounts, users, integration records, tokens (required)")
	addr := fs.String("addr", "127.0.0.1:0", "listen address (port 0: any free port)")
	latency := fs.Duration("latency", 0, "added to every SOAP and REST request")
	faultRate := fs.Float64("fault-rate", 0, "share of SOAP and REST requests answered with a concurrency fault (0 to 1)")
	seed := fs.Uint64("seed", 1, "seed of the fault injection (same seed, same decisions)")
	codeGrant := fs.String("code-grant-approval", "installs_waiting", "when an account requires approval, the code grant installs the record Waiting for Approval (installs_waiting) or not at all (not_installed)")
	verbose := fs.Bool("v", false, "log every request on stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "fakenetsuite: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q", fs.Arg(0))
	case *cfgFile == "":
		return usage("-config FILE is required")
	case *latency < 0:
		return usage("-latency %v is negative", *latency)
	case !(*faultRate >= 0 && *faultRate <= 1):
		return usage("-fault-rate %v is not between 0 and 1", *faultRate)
	}
	var mode nstest.CodeGrantApproval
	switch *codeGrant {
	case "installs_waiting":
		mode = nstest.CodeGrantInstallsWaiting
	case "not_installed":
		mode = nstest.CodeGrantNotInstalled
	default:
		return usage("-code-grant-approval %q: want installs_waiting or not_installed", *codeGrant)
	}
	data, err := os.ReadFile(*cfgFile)
	if err != nil {
		return usage("config: %v", err)
	}
	cfg, err := parseConfig(data)
	if err != nil {
		return usage("%s", oneLine(err.Error()))
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "fakenetsuite: %v\n", err)
		return 1
	}
	w := &world{cfg: cfg, log: log, maxBody: lim.maxBody, own: ownHosts(ln.Addr())}
	mw := w.front
	if *verbose {
		mw = func(next http.Handler) http.Handler { return logRequests(log, w.front(next)) }
	}
	fake := nstest.NewServer(nstest.WithListener(ln), nstest.WithMiddleware(mw), nstest.WithSeed(*seed),
		nstest.WithServerTimeouts(lim.readHeader, lim.idle),
		nstest.WithFaults(nstest.Faults{Latency: *latency, ConcurrencyFaultRate: *faultRate}), nstest.WithCodeGrantApproval(mode))
	w.mu.Lock()
	w.fake = fake
	w.mu.Unlock()
	if err := w.load(); err != nil { // what the fake itself refuses: a redirect URI, a scope
		fake.Close()
		return usage("%s", oneLine(err.Error()))
	}
	log.Info("fakenetsuite: ready", "accounts", len(cfg.Accounts), "integrations", len(cfg.Integrations), "tokens", len(cfg.Tokens),
		"latency", *latency, "fault_rate", *faultRate, "seed", *seed)
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())

	<-ctx.Done()
	log.Info("fakenetsuite: stopping")
	done := make(chan struct{})
	go func() { fake.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		log.Warn("fakenetsuite: requests still running after 10s; exiting anyway")
	}
	return 0
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: rw}
		defer func() {
			log.Info("request", "method", r.Method, "host", r.Host, "path", r.URL.Path, "status", sw.status, "soapaction", r.Header.Get("SOAPAction"), "took", time.Since(start).Round(time.Microsecond))
		}()
		next.ServeHTTP(sw, r)
	})
}
