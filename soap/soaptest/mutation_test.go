package soaptest_test

import (
	"bytes"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/soap"
	"github.com/nsdist/nsdist/soap/soaptest"
)

// holds is a middleware that keeps a request marked with X-Hold inside
// the fake, holding its concurrency slot, until the test releases it: the
// fake has taken the slot when it writes the answer, and gives it back
// when the handler returns.
type holds struct {
	mu    sync.Mutex
	gates map[string]*gate
	all   []*gate
}

type gate struct {
	arrived, release, done chan struct{}
	err                    chan error
	once                   sync.Once
}

func (g *gate) let() { g.once.Do(func() { close(g.release) }) }

type holdWriter struct {
	http.ResponseWriter
	g       *gate
	written bool
}

func (w *holdWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.written = true
		close(w.g.arrived)
		<-w.g.release
	}
	return w.ResponseWriter.Write(b)
}

func (h *holds) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		g := h.gates[r.Header.Get("X-Hold")]
		h.mu.Unlock()
		if g == nil {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&holdWriter{ResponseWriter: w, g: g}, r)
		close(g.done)
	})
}

type markTransport struct {
	rt http.RoundTripper
	id string
}

func (m markTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Hold", m.id)
	return m.rt.RoundTrip(r)
}

// heldFixture is a fake whose requests can be held in flight.
func heldFixture(t *testing.T, opts ...soaptest.Option) (*fixture, *holds) {
	t.Helper()
	h := &holds{gates: map[string]*gate{}}
	f := setup(t, false, append(opts, soaptest.WithMiddleware(h.middleware))...)
	t.Cleanup(func() { // before the fake closes: it waits for held requests
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, g := range h.all {
			g.let()
		}
	})
	return f, h
}

// hold sends a getServerTime that stays in the fake until released.
func (h *holds) hold(t *testing.T, f *fixture, auth soap.Auth, opts ...soap.Option) *gate {
	t.Helper()
	g := &gate{arrived: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{}), err: make(chan error, 1)}
	h.mu.Lock()
	id := strconv.Itoa(len(h.all) + 1)
	h.gates[id] = g
	h.all = append(h.all, g)
	h.mu.Unlock()
	c := f.client(t, auth, append(opts, soap.WithTransport(markTransport{f.fake.Transport(), id}))...)
	go func() {
		_, err := c.Do(t.Context(), soap.OpGetServerTime)
		g.err <- err
	}()
	select {
	case <-g.arrived:
	case err := <-g.err:
		t.Fatalf("held request answered at once: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("held request never reached the fake's answer")
	}
	return g
}

// free lets a held request finish and checks that it succeeded.
func free(t *testing.T, g *gate) {
	t.Helper()
	g.let()
	<-g.done
	if err := <-g.err; err != nil {
		t.Errorf("held request: %v", err)
	}
}

// faultCode returns the fault's NetSuite code and kind, or "ok".
func faultCode(err error) string {
	var fault *soap.Fault
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &fault):
		return fault.NSCode + " " + fault.Kind
	}
	return err.Error()
}

// TestConcurrencyLimitsHeld pins the limits with requests held in flight:
// the account limit for TBA, one request per user for user credentials
// and ten for a Concurrent Web Services User; a finished request gives
// its slot back.
func TestConcurrencyLimitsHeld(t *testing.T) {
	t.Parallel()
	const (
		tbaBlocked  = "WS_REQUEST_BLOCKED exceededConcurrentRequestLimitFault"
		userBlocked = "WS_CONCUR_SESSION_DISALLWD exceededRequestLimitFault"
	)
	tests := []struct {
		name    string
		tba     bool
		cws     bool
		slots   int
		blocked string
	}{
		{"TBA, account limit 3", true, false, 3, tbaBlocked},
		{"user credentials", false, false, 1, userBlocked},
		{"Concurrent Web Services User", false, true, 10, userBlocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, h := heldFixture(t)
			var auth soap.Auth
			var opts []soap.Option
			if tt.tba {
				f.customer.SetConcurrencyLimit(tt.slots)
				a, err := f.fake.Connect(f.customer.ID(), f.rec)
				if err != nil {
					t.Fatal(err)
				}
				auth = a
			} else {
				f.customer.AddUser(soaptest.User{Email: "ann@customer.example", Password: "pw", ConcurrentWebServicesUser: tt.cws})
				auth = &soap.Passport{Email: "ann@customer.example", Password: "pw", Account: f.customer.ID(), Role: "3", ApplicationID: f.rec.ApplicationID}
				opts = []soap.Option{soap.WithVersion(soap.V2020_1)}
			}
			probe := func() string {
				_, err := f.client(t, auth, opts...).Do(t.Context(), soap.OpGetServerTime)
				return faultCode(err)
			}
			var held []*gate
			for range tt.slots - 1 {
				held = append(held, h.hold(t, f, auth, opts...))
			}
			got := []string{probe()} // one slot left
			held = append(held, h.hold(t, f, auth, opts...))
			got = append(got, probe()) // none left
			free(t, held[0])
			held = append(held[1:], h.hold(t, f, auth, opts...))
			got = append(got, probe()) // a freed slot, taken again
			for _, g := range held {
				free(t, g)
			}
			got = append(got, probe(), probe()) // every slot back
			if diff := cmp.Diff([]string{"ok", tt.blocked, tt.blocked, "ok", "ok"}, got); diff != "" {
				t.Errorf("probes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUserConcurrencyIsPerUser: a user's request in flight blocks that
// user's other requests, by passport (any case of the e-mail) or session,
// and no one else's.
func TestUserConcurrencyIsPerUser(t *testing.T) {
	t.Parallel()
	f, h := heldFixture(t)
	pp := func(email string) *soap.Passport {
		return &soap.Passport{Email: email, Password: "pw", Account: f.customer.ID(), Role: "3", ApplicationID: f.rec.ApplicationID}
	}
	f.customer.AddUser(soaptest.User{Email: "ann@customer.example", Password: "pw"})
	f.customer.AddUser(soaptest.User{Email: "bob@customer.example", Password: "pw"})
	v := soap.WithVersion(soap.V2020_1)
	sess, err := f.client(t, pp("ann@customer.example"), v).Login(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	g := h.hold(t, f, pp("ann@customer.example"), v)
	do := func(c *soap.Client) string { _, err := c.Do(t.Context(), soap.OpGetServerTime); return faultCode(err) }
	_, serr := sess.Do(t.Context(), soap.OpGetServerTime)
	got := map[string]string{
		"ann":           do(f.client(t, pp("ann@customer.example"), v)),
		"ANN":           do(f.client(t, pp("ANN@Customer.Example"), v)),
		"ann's session": faultCode(serr),
		"bob":           do(f.client(t, pp("bob@customer.example"), v)),
	}
	free(t, g)
	_, serr = sess.Do(t.Context(), soap.OpGetServerTime)
	got["ann's session after"] = faultCode(serr)
	blocked := "WS_CONCUR_SESSION_DISALLWD exceededRequestLimitFault"
	want := map[string]string{"ann": blocked, "ANN": blocked, "ann's session": blocked, "bob": "ok", "ann's session after": "ok"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests while ann's is in flight (-want +got):\n%s", diff)
	}
}

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
		set      func(rate float64) soaptest.Faults
		injected func(error) bool
	}{
		{"reset", 'r', false, func(r float64) soaptest.Faults { return soaptest.Faults{ResetRate: r} }, transport},
		{"503", '5', false, func(r float64) soaptest.Faults { return soaptest.Faults{HTTP503Rate: r} }, func(err error) bool {
			var h *soap.HTTPError
			return errors.As(err, &h) && h.StatusCode == http.StatusServiceUnavailable
		}},
		{"truncate", 't', false, func(r float64) soaptest.Faults { return soaptest.Faults{TruncateRate: r} }, transport},
		{"TBA concurrency", 'c', false, func(r float64) soaptest.Faults { return soaptest.Faults{ConcurrencyFaultRate: r} }, func(err error) bool {
			return faultCode(err) == "WS_REQUEST_BLOCKED exceededConcurrentRequestLimitFault"
		}},
		{"user concurrency", 'c', true, func(r float64) soaptest.Faults { return soaptest.Faults{ConcurrencyFaultRate: r} }, func(err error) bool {
			return faultCode(err) == "WS_CONCUR_SESSION_DISALLWD exceededRequestLimitFault"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, false, soaptest.WithSeed(seed))
			var c *soap.Client
			if tt.passport {
				f.customer.AddUser(soaptest.User{Email: "ann@customer.example", Password: "pw"})
				c = f.client(t, &soap.Passport{Email: "ann@customer.example", Password: "pw", Account: f.customer.ID(), Role: "3", ApplicationID: f.rec.ApplicationID}, soap.WithVersion(soap.V2020_1))
			} else {
				auth, err := f.fake.Connect(f.customer.ID(), f.rec)
				if err != nil {
					t.Fatal(err)
				}
				c = f.client(t, auth)
			}
			for n := uint64(1); n <= 4; n++ {
				draw := soaptest.Roll(seed, f.customer.ID(), n, tt.salt)
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
		if draw = soaptest.Roll(seed, "123456_SB1", 1, 'j'); draw >= 0.5 && draw <= 0.7 {
			break
		}
	}
	f := setup(t, false, soaptest.WithSeed(seed))
	auth, err := f.fake.Connect(f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	f.customer.SetFaults(soaptest.Faults{Jitter: jitter})
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
	f := setup(t, false, soaptest.WithMiddleware(func(next http.Handler) http.Handler {
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
	auth, err := f.fake.Connect(f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	f.customer.SetFaults(soaptest.Faults{TruncateRate: 1})
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
	f := setup(t, false, soaptest.WithClock(clk.Now))
	auth, err := f.fake.Connect(f.customer.ID(), f.rec)
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

// TestLoginAuditKeepsTheLatest: the Login Audit Trail holds up to 1000
// entries; the next one drops the older half.
func TestLoginAuditKeepsTheLatest(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	emails := func() (n int, first, last string) {
		log := f.customer.LoginAudit()
		return len(log), log[0].Email, log[len(log)-1].Email
	}
	type trail struct {
		N           int
		First, Last string
	}
	soaptest.AuditFailures(f.customer, 0, 1000)
	var got []trail
	n, first, last := emails()
	got = append(got, trail{n, first, last})
	soaptest.AuditFailures(f.customer, 1000, 1)
	n, first, last = emails()
	got = append(got, trail{n, first, last})
	if diff := cmp.Diff([]trail{{1000, "0", "999"}, {501, "500", "1000"}}, got); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}
}

// TestLoginRoleList: login answers with the user's roles, the first one
// the default and the one the passport named the logged-in role, and with
// an nsId in documentInfo; a fault carries no documentInfo.
func TestLoginRoleList(t *testing.T) {
	t.Parallel()
	f, pp := legacySetup(t, false, true)
	clerk := soaptest.Role{ID: "1001", Name: "Integration Clerk", WebServices: true}
	f.customer.AddUser(soaptest.User{Email: "two@customer.example", Password: "pw2", Roles: []soaptest.Role{soaptest.AdministratorRole, clerk}})
	pp.Email, pp.Password, pp.Role = "two@customer.example", "pw2", clerk.ID
	s, err := f.client(t, pp, soap.WithVersion(soap.V2020_1)).Login(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []soap.Role{
		{ID: "3", Name: "Administrator", IsDefault: true},
		{ID: "1001", Name: "Integration Clerk", IsLoggedIn: true},
	}
	if diff := cmp.Diff(want, s.Session.Roles); diff != "" {
		t.Errorf("wsRoleList (-want +got):\n%s", diff)
	}
	if s.Session.UserName != "two@customer.example" || s.NSID == "" {
		t.Errorf("login answer: user %q, nsId %q; want the user's email and an nsId", s.Session.UserName, s.NSID)
	}

	// A refusal: a fault body and no header.
	pp.Password = "wrong"
	_, body := post(t, f, f.customer.ID().SuiteTalkHost(), soap.V2020_1, passportBody(t, pp, soap.V2020_1))
	if !bytes.Contains(body, []byte("Fault>")) || bytes.Contains(body, []byte("documentInfo")) || bytes.Contains(body, []byte("Header")) {
		t.Errorf("refusal = %s; want a fault without a SOAP header", body)
	}
}

// TestBearerRefusalOrigin: a Bearer token of a Blocked record is refused
// with IntegrationBlocked, which Oracle documents; the same value for a
// record Waiting for Approval is the fake's inference and marked so.
func TestBearerRefusalOrigin(t *testing.T) {
	t.Parallel()
	type got struct {
		Status int
		Value  string
		Origin soaptest.DetailOrigin
	}
	tests := []struct {
		name            string
		requireApproval bool
		block           bool
		want            got
	}{
		{"Enabled", false, false, got{http.StatusOK, "", ""}},
		{"Blocked", false, true, got{http.StatusUnauthorized, "IntegrationBlocked", soaptest.DetailDocumented}},
		{"Waiting for Approval", true, false, got{http.StatusUnauthorized, "IntegrationBlocked", soaptest.DetailInferred}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newO2(t, tt.requireApproval)
			in := f.record(t, soaptest.IntegrationSpec{OAuth2CodeGrant: true})
			access, _ := f.tokens(t, in)
			if tt.block {
				if err := f.cust.Block(in.ApplicationID); err != nil {
					t.Fatal(err)
				}
			}
			st := f.time(t, access)
			a := lastAudit(t, f.cust)
			if diff := cmp.Diff(tt.want, got{st, a.Value(), a.Origin}); diff != "" {
				t.Errorf("serverTime with the Bearer token (-want +got):\n%s", diff)
			}
		})
	}
}
