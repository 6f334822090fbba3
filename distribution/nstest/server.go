package nstest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/soap"
)

// GenericHost is the generic SuiteTalk host that serves getDataCenterUrls.
const GenericHost = "webservices.netsuite.com"

// Server is a fake NetSuite hosting many accounts. Requests reach it
// through [Server.Transport], which routes every NetSuite host name to it,
// so a soap.Client needs only soap.WithTransport.
type Server struct {
	srv   *httptest.Server
	tls   bool
	clock func() time.Time
	seed  uint64

	mu            sync.RWMutex
	accounts      map[nsdist.AccountID]*Account
	byHost        map[string]*Account
	integrations  map[string]*Integration // by application id
	byConsumerKey map[string]*Integration
	faults        Faults
	reqTokens     map[string]*requestToken
	restNonces    map[string]bool
	requests      atomic.Uint64
	transport     *http.Transport
	codeGrant     CodeGrantApproval
	o2            oauth2State // guarded by mu
	listener      net.Listener
	middleware    func(http.Handler) http.Handler
	readHeader    time.Duration // http.Server.ReadHeaderTimeout; 0: none
	idle          time.Duration // http.Server.IdleTimeout; 0: none
}

// Option configures a Server.
type Option func(*Server)

// WithTLS serves HTTPS instead of plain HTTP.
func WithTLS() Option { return func(s *Server) { s.tls = true } }

// WithClock sets the fake's clock (server time, timestamp checks). A nil
// clock is refused: NewServer panics with a message, as httptest does for a
// bad setup, rather than failing on the first request.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panic("nstest: WithClock(nil): pass a func() time.Time, e.g. time.Now")
	}
	return func(s *Server) { s.clock = now }
}

// WithSeed makes fault injection deterministic: the same seed gives the
// same decisions for the same account and request number.
func WithSeed(seed uint64) Option { return func(s *Server) { s.seed = seed } }

// WithFaults sets fault injection for every account.
func WithFaults(f Faults) Option { return func(s *Server) { s.faults = f } }

// WithListener serves the fake on l instead of a new loopback listener,
// so that clients outside the process (any language, a browser) can reach
// it over real TCP. They name the NetSuite host in the Host header. The
// fake owns l from then on: Close closes it.
func WithListener(l net.Listener) Option {
	if l == nil {
		panic("nstest: WithListener(nil): pass an open net.Listener")
	}
	return func(s *Server) { s.listener = l }
}

// WithMiddleware serves mw(fake) instead of the fake itself, for a
// program that adds its own paths (an administration API, say) in front
// of the fake's NetSuite hosts. A nil mw is ignored.
func WithMiddleware(mw func(http.Handler) http.Handler) Option {
	return func(s *Server) { s.middleware = mw }
}

// WithServerTimeouts sets the listener's http.Server ReadHeaderTimeout
// (how long a client may take to send a request's headers) and
// IdleTimeout (how long a kept-alive connection may wait for its next
// request), for a fake that clients outside the process reach over TCP
// ([WithListener]). Zero or a negative value leaves that timeout unset, as
// httptest does.
func WithServerTimeouts(readHeader, idle time.Duration) Option {
	return func(s *Server) { s.readHeader, s.idle = max(readHeader, 0), max(idle, 0) }
}

// Faults is what the fake injects. Rates are probabilities in [0,1].
type Faults struct {
	Latency              time.Duration // added to every request
	Jitter               time.Duration // plus up to this much more
	ConcurrencyFaultRate float64       // answer with the concurrency fault of the request's auth mode
	HTTP503Rate          float64       // answer 503 with an HTML page
	TruncateRate         float64       // cut the response body in half and drop the connection
	ResetRate            float64       // drop the connection without an answer
}

// NewServer starts a fake NetSuite. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		clock:         time.Now,
		accounts:      map[nsdist.AccountID]*Account{},
		byHost:        map[string]*Account{},
		integrations:  map[string]*Integration{},
		byConsumerKey: map[string]*Integration{},
	}
	for _, o := range opts {
		o(s)
	}
	var h http.Handler = s
	if s.middleware != nil {
		h = s.middleware(s)
	}
	s.srv = httptest.NewUnstartedServer(h)
	s.srv.Config.ReadHeaderTimeout, s.srv.Config.IdleTimeout = s.readHeader, s.idle
	if s.listener != nil {
		s.srv.Listener.Close() //nolint:errcheck // the unused loopback listener
		s.srv.Listener = s.listener
	}
	if s.tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	addr := s.srv.Listener.Addr().String()
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	s.transport = &http.Transport{DialContext: dial, MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	if s.tls {
		pool := x509.NewCertPool()
		pool.AddCert(s.srv.Certificate())
		s.transport.TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: "example.com", MinVersion: tls.VersionTLS12}
	}
	return s
}

// Close shuts the server down.
func (s *Server) Close() {
	s.transport.CloseIdleConnections()
	s.srv.Close()
}

// URL is the listener's address (requests must still name a NetSuite host).
func (s *Server) URL() string { return s.srv.URL }

// Requests returns how many requests the fake has received.
func (s *Server) Requests() uint64 { return s.requests.Load() }

// Transport routes requests for every NetSuite host to the fake. A host
// the fake does not know fails as DNS would ("no such host").
func (s *Server) Transport() http.RoundTripper { return routeTransport{s} }

// ClientOptions are the soap options a client needs to talk to the fake.
func (s *Server) ClientOptions() []soap.Option {
	return []soap.Option{soap.WithTransport(s.Transport())}
}

type routeTransport struct{ s *Server }

func (t routeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Hostname()
	if !t.s.knownHost(host) {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	r := req.Clone(req.Context())
	r.Host = req.URL.Host
	r.URL.Host = t.s.srv.Listener.Addr().String()
	r.URL.Scheme = "http"
	if t.s.tls {
		r.URL.Scheme = "https"
	}
	return t.s.transport.RoundTrip(r)
}

func (s *Server) knownHost(host string) bool {
	if host == GenericHost {
		return true
	}
	if isRESTHost(host) {
		_, ok := s.restAccount(host)
		return ok
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.byHost[host]
	return ok
}

func (s *Server) now() time.Time { return s.clock() }

// Reset forgets every account, integration record, token, session,
// authorization code and OAuth 2.0 grant, as if the server had just
// started; its options (clock, seed, faults, listener) stay. Accounts and
// records obtained before are detached from the server.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts = map[nsdist.AccountID]*Account{}
	s.byHost = map[string]*Account{}
	s.integrations = map[string]*Integration{}
	s.byConsumerKey = map[string]*Integration{}
	s.reqTokens = nil
	s.restNonces = nil
	s.o2 = oauth2State{}
}

// AddAccount adds an account (canonical or host form id).
func (s *Server) AddAccount(id string, cfg AccountConfig) (*Account, error) {
	aid, err := nsdist.ParseAccountID(id)
	if err != nil {
		return nil, err
	}
	if cfg.ConcurrencyLimit <= 0 {
		cfg.ConcurrencyLimit = 5
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[aid]; ok {
		return nil, fmt.Errorf("nstest: account %s exists", aid)
	}
	a := &Account{s: s, id: aid, cfg: cfg}
	s.accounts[aid] = a
	if cfg.DataCenterHost != "" {
		s.byHost[cfg.DataCenterHost] = a
	} else {
		s.byHost[aid.SuiteTalkHost()] = a
	}
	return a, nil
}

// MustAddAccount is AddAccount that panics, for test setup.
func (s *Server) MustAddAccount(id string, cfg AccountConfig) *Account {
	a, err := s.AddAccount(id, cfg)
	if err != nil {
		panic(err)
	}
	return a
}

// Account returns an account by id.
func (s *Server) Account(id string) (*Account, bool) {
	aid, err := nsdist.ParseAccountID(id)
	if err != nil {
		return nil, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.accounts[aid]
	return a, ok
}

// SetFaults sets fault injection for this account, replacing the server's.
func (a *Account) SetFaults(f Faults) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.inject = &f
}

// SetUnavailable makes the account answer ACCT_TEMP_UNAVAILABLE between from and to.
func (a *Account) SetUnavailable(from, to time.Time) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.unavail = [2]time.Time{from, to}
}

// roll returns a deterministic number in [0,1) for (seed, account, n, salt).
func (s *Server) roll(account nsdist.AccountID, n uint64, salt byte) float64 {
	h := fnv.New64a()
	var b [17]byte
	binary.LittleEndian.PutUint64(b[:8], s.seed)
	binary.LittleEndian.PutUint64(b[8:16], n)
	b[16] = salt
	h.Write(b[:])
	h.Write([]byte(account))
	// FNV alone mixes its last bytes poorly into the high bits: finish with splitmix64
	z := h.Sum64() + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / float64(uint64(1)<<53)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func sortInstalls(in []Install) {
	sort.Slice(in, func(i, j int) bool {
		if !in[i].InstalledAt.Equal(in[j].InstalledAt) {
			return in[i].InstalledAt.Before(in[j].InstalledAt)
		}
		return in[i].ApplicationID < in[j].ApplicationID
	})
}

func hostOnly(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		return h[:i]
	}
	return h
}
