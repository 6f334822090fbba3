package nstest_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist/soap"

	"errors"
	"regexp"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/distribution/nstest"

	"net/http"
	"strconv"
	"sync"
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
func heldFixture(t *testing.T, opts ...nstest.Option) (*fixture, *holds) {
	t.Helper()
	h := &holds{gates: map[string]*gate{}}
	f := setup(t, false, append(opts, nstest.WithMiddleware(h.middleware))...)
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
				a, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
				if err != nil {
					t.Fatal(err)
				}
				auth = a
			} else {
				f.customer.AddUser(nstest.User{Email: "ann@customer.example", Password: "pw", ConcurrentWebServicesUser: tt.cws})
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
	f.customer.AddUser(nstest.User{Email: "ann@customer.example", Password: "pw"})
	f.customer.AddUser(nstest.User{Email: "bob@customer.example", Password: "pw"})
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

// TestLoginRoleList: login answers with the user's roles, the first one
// the default and the one the passport named the logged-in role, and with
// an nsId in documentInfo; a fault carries no documentInfo.
func TestLoginRoleList(t *testing.T) {
	t.Parallel()
	f, pp := legacySetup(t, false, true)
	clerk := nstest.Role{ID: "1001", Name: "Integration Clerk", WebServices: true}
	f.customer.AddUser(nstest.User{Email: "two@customer.example", Password: "pw2", Roles: []nstest.Role{nstest.AdministratorRole, clerk}})
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

// faultOf returns the *soap.Fault inside err, or fails the test.
func faultOf(t *testing.T, err error) *soap.Fault {
	t.Helper()
	var f *soap.Fault
	if !errors.As(err, &f) {
		t.Fatalf("error = %v, want a *soap.Fault", err)
	}
	return f
}

func passportBody(t *testing.T, pp *soap.Passport, v soap.Version) []byte {
	t.Helper()
	r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2020_1, Auth: pp}
	b, err := r.Encode("", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("_2020_1."), []byte("_"+strings.ReplaceAll(v.String(), ".", "_")+"."))
}

// TestPassportRefusedFrom2020_2 sends the same valid user credentials to
// 2020_1, where they work, and to every later endpoint, where Oracle says
// they are not processed (section_4389727047): only the version differs.
func TestPassportRefusedFrom2020_2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v       soap.Version
		wantErr bool
	}{
		{soap.V2020_1, false},
		{soap.V2020_2, true},
		{soap.V2025_2, true},
	}
	for _, tt := range tests {
		t.Run(tt.v.String(), func(t *testing.T) {
			t.Parallel()
			f, pp := legacySetup(t, false, true)
			_, err := raw(t, f, f.customer.ID().SuiteTalkHost(), tt.v, passportBody(t, pp, tt.v))
			_, installed := f.customer.Install(f.rec.ApplicationID)
			if !tt.wantErr {
				if err != nil || !installed {
					t.Fatalf("valid passport on %s: error %v, installed %v; want success and an install", tt.v, err, installed)
				}
				return
			}
			fault := faultOf(t, err)
			got := []string{fault.Kind, fault.NSCode, lastAudit(t, f.customer).Value(), string(lastAudit(t, f.customer).Origin)}
			want := []string{"invalidCredentialsFault", "USER_ERROR", "fake:PassportNotSupported", "fake"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("passport on %s mismatch (-want +got):\n%s", tt.v, diff)
			}
			if !strings.Contains(fault.String, tt.v.String()) {
				t.Errorf("faultstring %q does not name the endpoint", fault.String)
			}
			if installed {
				t.Error("a refused passport installed the record")
			}
		})
	}
}

// TestLoginAuditDetails pins each refusal's Detail value and whether
// Oracle documents it, infers it, or the fake made it up.
func TestLoginAuditDetails(t *testing.T) {
	t.Parallel()
	type result struct {
		FaultString string
		Value       string
		Origin      nstest.DetailOrigin
	}
	tokenReq := func(t *testing.T, requireApproval bool, prepare func(*fixture), edit func([]byte) []byte, nonce string) (*fixture, []byte) {
		t.Helper()
		f := setup(t, requireApproval)
		auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
		if err != nil {
			t.Fatal(err)
		}
		if prepare != nil {
			prepare(f)
		}
		r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: auth}
		b, err := r.Encode(nonce, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			b = edit(b)
		}
		return f, b
	}
	passReq := func(t *testing.T, requireApproval bool, prepare func(*fixture), edit func(*soap.Passport), strip bool) (*fixture, []byte) {
		t.Helper()
		f, pp := legacySetup(t, requireApproval, true)
		if prepare != nil {
			prepare(f)
		}
		if edit != nil {
			edit(pp)
		}
		b := passportBody(t, pp, soap.V2020_1)
		if strip {
			b = regexp.MustCompile(`<[^>]*applicationInfo>.*</[^>]*applicationInfo>`).ReplaceAll(b, nil)
		}
		return f, b
	}
	block := func(f *fixture) {
		if err := f.customer.Block(f.rec.ApplicationID); err != nil {
			t.Fatal(err)
		}
	}
	bundle := func(f *fixture) {
		if err := f.customer.InstallBundle(f.rec.ApplicationID, "installer"); err != nil {
			t.Fatal(err)
		}
		block(f)
	}
	const invalid = "Invalid login attempt."
	tests := []struct {
		name    string
		request func(t *testing.T) (*fixture, []byte, soap.Version)
		want    result
	}{
		{"tba: Blocked", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, block, nil, "nonceBlockedaaaaaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "consumer_key_refused", nstest.DetailDocumented}},
		{"tba: Waiting for Approval", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, true, nil, nil, "nonceWaitingaaaaaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "consumer_key_refused", nstest.DetailInferred}},
		{"tba: nonce of 5 characters", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, nil, "abcde")
			return f, b, soap.V2025_2
		}, result{invalid, "nonce_rejected", nstest.DetailInferred}},
		{"tba: nonce of 65 characters", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, nil, strings.Repeat("n", 65))
			return f, b, soap.V2025_2
		}, result{invalid, "nonce_rejected", nstest.DetailInferred}},
		{"tba: nonce of 64 characters is fine, the signature is not", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`HMAC-SHA256">`), []byte(`HMAC-SHA256">AAAA`), 1)
			}, strings.Repeat("n", 64))
			return f, b, soap.V2025_2
		}, result{invalid, "InvalidSignature", nstest.DetailDocumented}},
		{"tba: nonce of 6 characters is fine, the signature is not", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`HMAC-SHA256">`), []byte(`HMAC-SHA256">AAAA`), 1)
			}, "nnnnnn")
			return f, b, soap.V2025_2
		}, result{invalid, "InvalidSignature", nstest.DetailDocumented}},
		{"tba: lower-case sandbox id", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, func(b []byte) []byte { return bytes.Replace(b, []byte(">123456_SB1<"), []byte(">123456_sb1<"), 1) }, "nonceLowerCaseaaaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "fake:InvalidAccount", nstest.DetailFake}},
		{"tba: bad signature", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`HMAC-SHA256">`), []byte(`HMAC-SHA256">AAAA`), 1)
			}, "nonceSignatureaaaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "InvalidSignature", nstest.DetailDocumented}},
		{"tba: no timestamp", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, func(b []byte) []byte {
				return regexp.MustCompile(`(<core:timestamp>)[^<]*`).ReplaceAll(b, []byte("$1"))
			}, "nonceNoTimestampaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "MissingTokenPassportRequiredFields", nstest.DetailDocumented}},
		{"tba: record no longer installed", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, func(f *fixture) { nstest.DropInstall(f.customer, f.rec.ApplicationID) }, nil, "nonceUninstalledaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "consumer_key_unknown", nstest.DetailInferred}},
		{"tba: role without SOAP Web Services", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f := setup(t, false)
			f.customer.AddUser(nstest.User{Email: "clerk@customer.example", Roles: []nstest.Role{{ID: "1002", Name: "Clerk"}}})
			tok, err := f.fake.IssueToken(f.customer.ID(), "clerk@customer.example", "1002", f.rec.ConsumerKey)
			if err != nil {
				t.Fatal(err)
			}
			auth := &soap.TokenAuth{Account: f.customer.ID(), ConsumerKey: f.rec.ConsumerKey, ConsumerSecret: f.rec.ConsumerSecret, TokenID: tok.ID, TokenSecret: tok.Secret}
			r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: auth}
			b, err := r.Encode("nonceNoPermissionaaa", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return f, b, soap.V2025_2
		}, result{"You do not have permission to access SOAP web services feature.", "permission_denied", nstest.DetailDocumented}},
		{"passport: role without SOAP Web Services", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, func(f *fixture) {
				f.customer.AddUser(nstest.User{Email: "ops@customer.example", Password: "pw1", Roles: []nstest.Role{{ID: "1002", Name: "Clerk"}}})
			}, func(p *soap.Passport) { p.Role = "1002" }, false)
			return f, b, soap.V2020_1
		}, result{"You do not have permission to access SOAP web services feature.", "permission_denied", nstest.DetailInferred}},
		{"passport: no application id", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, nil, nil, true)
			return f, b, soap.V2020_1
		}, result{"Application ID mandatory but missing.", "fake:MissingApplicationId", nstest.DetailFake}},
		{"passport: wrong password", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, nil, func(p *soap.Passport) { p.Password = "wrong" }, false)
			return f, b, soap.V2020_1
		}, result{invalid, "fake:InvalidCredentials", nstest.DetailFake}},
		{"passport: unknown role", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, nil, func(p *soap.Passport) { p.Role = "1001" }, false)
			return f, b, soap.V2020_1
		}, result{invalid, "fake:InvalidRole", nstest.DetailFake}},
		{"passport: unknown application id", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, nil, func(p *soap.Passport) { p.ApplicationID = "00000000-0000-0000-0000-000000000000" }, false)
			return f, b, soap.V2020_1
		}, result{invalid, "fake:InvalidApplicationId", nstest.DetailFake}},
		{"passport: Waiting for Approval", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, true, nil, nil, false)
			return f, b, soap.V2020_1
		}, result{invalid, "fake:RecordWaitingForApproval", nstest.DetailFake}},
		{"passport: Blocked", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, bundle, nil, false)
			return f, b, soap.V2020_1
		}, result{invalid, "fake:RecordBlocked", nstest.DetailFake}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, body, v := tt.request(t)
			_, err := raw(t, f, f.customer.ID().SuiteTalkHost(), v, body)
			a := lastAudit(t, f.customer)
			got := result{FaultString: faultOf(t, err).String, Value: a.Value(), Origin: a.Origin}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("refusal mismatch (-want +got):\n%s", diff)
			}
			if a.Success || (a.Origin == nstest.DetailFake) != strings.HasPrefix(a.Detail, "fake:") {
				t.Errorf("audit entry %+v: a value the fake made up must start with fake:, and only such a value", a)
			}
		})
	}
}

// TestRequestShapeRules: two authentication headers are ambiguous
// (section_1509544929), and a request nested deeper than the fake reads is
// refused rather than walked.
func TestRequestShapeRules(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: auth}
	tba, err := r.Encode("nonceShapeRulesaaaaa", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	withPassport := bytes.Replace(tba, []byte("<soapenv:Header>"), []byte(`<soapenv:Header><msg:passport><core:email>a@b.example</core:email><core:password>pw</core:password><core:account>123456_SB1</core:account><core:role internalId="3"/></msg:passport>`), 1)
	deep := func(n int) []byte {
		return bytes.Replace(tba, []byte("<msg:getServerTime/>"), []byte("<msg:getServerTime>"+strings.Repeat("<x>", n)+strings.Repeat("</x>", n)+"</msg:getServerTime>"), 1)
	}
	tests := []struct {
		name string
		body []byte
		want string // faultstring prefix; empty for success
	}{
		{"tokenPassport and passport", withPassport, "Ambiguous authentication"},
		{"nested 300 levels", deep(300), "Unable to parse the request: elements nested too deeply."},
		{"nested 200 levels", bytes.Replace(deep(200), []byte("nonceShapeRulesaaaaa"), []byte("nonceShapeRulesbbbbb"), 1), ""},
	}
	for _, tt := range tests { // sequential: one token, nonces matter
		_, err := raw(t, f, f.customer.ID().SuiteTalkHost(), soap.V2025_2, tt.body)
		if tt.want == "" {
			// the signature covers the nonce: a changed nonce fails the
			// signature, which proves the request was parsed to the end
			if a := lastAudit(t, f.customer); a.Value() != "InvalidSignature" {
				t.Errorf("%s: error %v, audit %+v; want the request read to the end (InvalidSignature)", tt.name, err, a)
			}
			continue
		}
		if got := faultOf(t, err).String; !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: faultstring %q, want %q", tt.name, got, tt.want)
		}
	}
}

// The fake reads requests nested up to its bound and refuses one level
// more: an envelope with 253 levels under getServerTime is answered, 254
// get the "nested too deeply" fault (the bound counts the envelope's own
// levels too).
func TestNestingBoundIsExact(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	auth, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		depth   int
		refused bool
	}{{253, false}, {254, true}} {
		r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: auth}
		env, err := r.Encode("nonceNestingBound"+strings.Repeat("b", i+1), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		body := bytes.Replace(env, []byte("<msg:getServerTime/>"),
			[]byte("<msg:getServerTime>"+strings.Repeat("<x>", tc.depth)+strings.Repeat("</x>", tc.depth)+"</msg:getServerTime>"), 1)
		_, err = raw(t, f, f.customer.ID().SuiteTalkHost(), soap.V2025_2, body)
		switch {
		case tc.refused && (err == nil || !strings.Contains(err.Error(), "nested too deeply")):
			t.Errorf("depth %d: %v, want the nesting fault", tc.depth, err)
		case !tc.refused && err != nil:
			t.Errorf("depth %d: %v, want an answer", tc.depth, err)
		}
	}
}
