package rollout_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/tba"

	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"

	"github.com/nsdist/nsdist/soap"
)

var noFaults = fakeFaults()

type sim struct {
	fake     *nstest.Server
	record   approval.Record
	in       *nstest.Integration
	targets  []distribution.Target
	requires map[nsdist.AccountID]bool
	nonces   *nonceLog
}

// nonceLog records every nonce the client sends, to prove none is reused.
type nonceLog struct {
	mu   sync.Mutex
	seen map[string]int
}

func (n *nonceLog) source() soap.NonceSource {
	return func() (string, error) {
		s, err := soap.RandomNonce()
		n.mu.Lock()
		n.seen[s]++
		n.mu.Unlock()
		return s, err
	}
}

func simulate(t testing.TB, n, requireEvery int, faults nstest.Faults) *sim {
	t.Helper()
	fake := nstest.NewServer(nstest.WithSeed(3), nstest.WithFaults(faults))
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true,
		ConsumerKey: fixedHex("consumer key"), ConsumerSecret: fixedHex("consumer secret")})
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{fake: fake, in: rec, requires: map[nsdist.AccountID]bool{}, nonces: &nonceLog{seen: map[string]int{}},
		record: approval.Record{Name: rec.Name, Owner: vendor.ID(), TBA: true, TBAAuthFlow: true}}
	for i := range n {
		id := nsdist.AccountID(fmt.Sprintf("%d", 3000000+i))
		req := requireEvery > 0 && i%requireEvery == 0
		a := fake.MustAddAccount(string(id), nstest.AccountConfig{RequireApproval: req})
		s.requires[id] = req
		a.AddUser(nstest.User{Email: "admin@customer.example", Password: "pw"})
		tok, err := fake.IssueTokenWith(a.ID(), "admin@customer.example", nstest.AdministratorRole.ID, rec.ConsumerKey, fixedHex("token id", string(id)), fixedHex("token secret", string(id)))
		if err != nil {
			t.Fatal(err)
		}
		auth := tba.Credential{Consumer: tba.Consumer{Key: rec.ConsumerKey, Secret: rec.ConsumerSecret}, Token: tba.Token{ID: tok.ID, Secret: tok.Secret}}
		s.targets = append(s.targets, distribution.Target{Account: id, Credential: auth, TokenIssuedAt: time.Now()})
	}
	return s
}

// fixedHex is 64 hex digits that depend on parts alone: every simulation
// names the same record and tokens, as a vendor's re-run does, so that a
// resume in a fresh fake (TestKillAndResume) presents the credentials the
// killed run recorded.
func fixedHex(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

func (s *sim) installer(t testing.TB, opts ...distribution.Option) *distribution.AutoInstaller {
	t.Helper()
	base := []distribution.Option{tba.WithProber(soap.WithTransport(s.fake.Transport()), soap.WithNonceSource(s.nonces.source()))}
	ai, err := distribution.NewAutoInstaller(s.record, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return ai
}

func fastRollout(t testing.TB, d distribution.Distributor, opts ...rollout.Option) *rollout.Rollout {
	t.Helper()
	r, err := rollout.New(d, append([]rollout.Option{rollout.WithBackoff(time.Millisecond, 20*time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRolloutMixedPreferences(t *testing.T) {
	t.Parallel()
	s := simulate(t, 120, 3, nstest.Faults{})
	rep, err := fastRollout(t, s.installer(t)).Run(t.Context(), s.targets)
	if err != nil {
		t.Fatal(err)
	}
	counts := rep.Counts()
	if counts["enabled"] != 80 || counts["awaiting_approval"] != 40 || len(rep.Results) != 120 {
		t.Fatalf("counts = %v, want 80 enabled and 40 awaiting approval", counts)
	}
	for _, r := range rep.Results {
		want := distribution.OutcomeEnabled
		if s.requires[r.Account] {
			want = distribution.OutcomeAwaitingApproval
		}
		if r.Outcome != want || r.Attempts != 1 || r.Channel != approval.ChannelTBA || r.Decision.InitialState != approval.StateUnknown {
			t.Errorf("%s: %+v", r.Account, r)
		}
		if want == "enabled" && r.NSID == "" {
			t.Errorf("%s: no nsId", r.Account)
		}
		if want == "awaiting_approval" && (!strings.Contains(r.Explanation.Sentence, "most likely waiting for approval") || !errors.Is(r.Err, soap.ErrAuthRejected)) {
			t.Errorf("%s: %s / %v", r.Account, r.Explanation.Sentence, r.Err)
		}
	}
}

func TestRolloutWithConcurrencyFaults(t *testing.T) {
	t.Parallel()
	s := simulate(t, 200, 4, nstest.Faults{ConcurrencyFaultRate: 0.3})
	j := &rollout.MemoryJournal{}
	var events []rollout.Event
	var mu sync.Mutex
	rep, err := fastRollout(t, s.installer(t), rollout.WithJournal(j), rollout.WithProgress(func(e rollout.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})).Run(t.Context(), s.targets)
	if err != nil {
		t.Fatal(err)
	}
	counts := rep.Counts()
	if counts["enabled"] != 150 || counts["awaiting_approval"] != 50 {
		t.Errorf("counts = %v, want every target terminal: 150 enabled, 50 awaiting", counts)
	}
	recorded := map[nsdist.AccountID]int{}
	retried := 0
	for _, e := range j.Entries {
		recorded[e.Account]++
		if e.Attempts > 1 {
			retried++
		}
	}
	for a, n := range recorded {
		if n != 1 {
			t.Errorf("%s recorded %d times", a, n)
		}
	}
	if len(recorded) != 200 || retried == 0 {
		t.Errorf("recorded %d targets, %d retried", len(recorded), retried)
	}
	for nonce, n := range s.nonces.seen {
		if n > 1 {
			t.Errorf("nonce %s used %d times", nonce, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	last := events[len(events)-1]
	if last.Type != rollout.EventDone || last.Done != 200 || last.Counts["enabled"] != 150 {
		t.Errorf("last event = %+v", last)
	}
	kinds := map[rollout.EventType]bool{}
	for _, e := range events {
		kinds[e.Type] = true
	}
	if !kinds[rollout.EventStarted] || !kinds[rollout.EventFinished] || !kinds[rollout.EventRetrying] {
		t.Errorf("event types seen: %v", kinds)
	}
}

func TestRolloutJournalRerun(t *testing.T) {
	t.Parallel()
	s := simulate(t, 30, 3, nstest.Faults{})
	path := filepath.Join(t.TempDir(), "rollout.jsonl")
	run := func() *rollout.Report {
		j, err := rollout.OpenJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		rep, err := fastRollout(t, s.installer(t), rollout.WithJournal(j)).Run(t.Context(), s.targets)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	first := run()
	if c := first.Counts(); c["enabled"] != 20 || c["awaiting_approval"] != 10 {
		t.Fatalf("first run counts %v", c)
	}
	// Meanwhile two administrators approve.
	approved := 0
	for _, tg := range s.targets {
		if s.requires[tg.Account] && approved < 2 {
			a, _ := s.fake.Account(string(tg.Account))
			for _, inst := range a.Installs() {
				a.Approve(inst.ApplicationID) //nolint:errcheck
			}
			approved++
		}
	}
	before := s.fake.Requests()
	second := run()
	if sent := s.fake.Requests() - before; sent != 10 {
		t.Errorf("re-run sent %d requests, want 10 (enabled targets are skipped)", sent)
	}
	c := second.Counts()
	if c["enabled"] != 22 || c["awaiting_approval"] != 8 || len(second.Results) != 30 {
		t.Errorf("second run counts %v", c)
	}
	fromJournal := 0
	for _, r := range second.Results {
		if r.FromJournal {
			fromJournal++
		}
	}
	if fromJournal != 20 {
		t.Errorf("%d results from the journal, want 20", fromJournal)
	}
	// a line torn by a crash is cut off on open
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"run":"x","account":"3000001","outco`) //nolint:errcheck
	f.Close()
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if latest, _ := j.Latest(t.Context(), s.record.Name); len(latest) != 30 {
		t.Errorf("latest after torn line: %d accounts", len(latest))
	}
	j.Close()
	b, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("torn line not cut: %q", b[len(b)-40:])
	}
}

func TestRolloutCancel(t *testing.T) {
	t.Parallel()
	s := simulate(t, 60, 0, nstest.Faults{Latency: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	var once sync.Once
	j := &rollout.MemoryJournal{}
	r := fastRollout(t, s.installer(t), rollout.WithConcurrency(4), rollout.WithJournal(j), rollout.WithProgress(func(e rollout.Event) {
		if e.Done >= 8 {
			once.Do(cancel)
		}
	}))
	start := time.Now()
	rep, err := r.Run(ctx, s.targets)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("cancel took %v", time.Since(start))
	}
	if rep == nil || !rep.Interrupted || len(rep.Results) < 8 || len(rep.Results) >= 60 {
		t.Fatalf("report after cancel: %+v", rep)
	}
	if cap(rep.Results) != len(rep.Results) {
		t.Errorf("the report keeps room for %d results and holds %d", cap(rep.Results), len(rep.Results))
	}
	if len(j.Entries) != len(rep.Results) {
		t.Errorf("journal has %d entries, report %d: every finished result must be kept", len(j.Entries), len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Outcome != "enabled" {
			t.Errorf("%s: %s", r.Account, r.Outcome)
		}
	}
}

// TestRolloutCancelledBeforeAnyResult: a run stopped before any target
// finished reports no results as nil, as before the results slice was
// made for every target at the start (its JSON says null).
func TestRolloutCancelledBeforeAnyResult(t *testing.T) {
	t.Parallel()
	s := simulate(t, 5, 0, nstest.Faults{Latency: time.Second})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rep, err := fastRollout(t, s.installer(t)).Run(ctx, s.targets)
	if !errors.Is(err, context.Canceled) || rep == nil || rep.Results != nil {
		t.Fatalf("err %v, report %+v: want cancelled with nil results", err, rep)
	}
}

func TestRolloutRetryBudget(t *testing.T) {
	t.Parallel()
	s := simulate(t, 20, 0, nstest.Faults{ConcurrencyFaultRate: 1})
	rep, err := fastRollout(t, s.installer(t), rollout.WithRetryBudget(5)).Run(t.Context(), s.targets)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, r := range rep.Results {
		total += r.Attempts
		if r.Outcome != "failed" {
			t.Errorf("%s: %s", r.Account, r.Outcome)
		}
	}
	if total != 25 {
		t.Errorf("attempts = %d, want 20 + a budget of 5 retries", total)
	}
}

func TestRolloutRefusesBadTargets(t *testing.T) {
	t.Parallel()
	s := simulate(t, 2, 0, nstest.Faults{})
	bad := append(append([]distribution.Target{}, s.targets...), s.targets[0], distribution.Target{Account: "not-an-id"})
	before := s.fake.Requests()
	_, err := fastRollout(t, s.installer(t)).Run(t.Context(), bad)
	if !errors.Is(err, rollout.ErrDuplicateTarget) || !errors.Is(err, nsdist.ErrInvalidAccountID) {
		t.Errorf("error = %v", err)
	}
	var te *rollout.TargetsError
	if !errors.As(err, &te) || len(te.Targets) != 2 || te.Targets[0].Index != 3 || te.Targets[1].Index != 4 {
		t.Errorf("errors.As(*TargetsError) = %+v", te)
	}
	if s.fake.Requests() != before {
		t.Error("requests were sent before validation finished")
	}
}

func TestAutoInstallerPreflightSendsNothing(t *testing.T) {
	t.Parallel()
	s := simulate(t, 1, 0, nstest.Faults{})
	ai := s.installer(t)
	before := s.fake.Requests()
	pp := &soap.Passport{Email: "a@b.c", Password: "pw", Account: s.targets[0].Account, Role: "3", ApplicationID: "C4A2541D-16FB-4845-B8A2-8B8A34BDBB61"}
	res := ai.Distribute(t.Context(), distribution.Target{Account: s.targets[0].Account, Credential: credentialOf(pp)})
	if res.Outcome != "misconfigured" || !errors.Is(res.Err, distribution.ErrPreflight) || res.Attempts != 0 {
		t.Errorf("result = %+v", res)
	}
	if s.fake.Requests() != before {
		t.Error("a preflight refusal sent a request")
	}
	res = ai.Distribute(t.Context(), distribution.Target{Account: s.targets[0].Account})
	if res.Outcome != "misconfigured" || !errors.Is(res.Err, distribution.ErrCredential) || !strings.Contains(res.NextStep(), "no credential") {
		t.Errorf("no credentials: %+v", res)
	}
}

func TestAutoInstallerLegacyPath(t *testing.T) {
	t.Parallel()
	fake := nstest.NewServer()
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("654321", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456_SB2", nstest.AccountConfig{RequireApproval: true})
	cust.AddUser(nstest.User{Email: "ops@c.example", Password: "pw"})
	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Legacy", UserCredentials: true})
	ai, err := distribution.NewAutoInstaller(approval.Record{Name: "Legacy", Owner: vendor.ID(), UserCredentials: true},
		tba.WithProber(soap.WithVersion(soap.V2020_1), soap.WithTransport(fake.Transport())))
	if err != nil {
		t.Fatal(err)
	}
	pp := &soap.Passport{Email: "ops@c.example", Password: "pw", Account: cust.ID(), Role: "3", ApplicationID: rec.ApplicationID}
	res := ai.Distribute(t.Context(), distribution.Target{Account: cust.ID(), Credential: credentialOf(pp), RequireApproval: approval.PreferenceRequired})
	if res.Outcome != "awaiting_approval" || res.Decision.InitialState != approval.StateWaitingForApproval || res.Channel != approval.ChannelCredentials {
		t.Fatalf("result = %+v", res)
	}
	cust.Approve(rec.ApplicationID) //nolint:errcheck
	res = ai.Distribute(t.Context(), distribution.Target{Account: cust.ID(), Credential: credentialOf(pp), RequireApproval: approval.PreferenceRequired})
	if res.Outcome != "enabled" || res.NSID == "" {
		t.Fatalf("after approval: %+v", res)
	}
}

// The kill-and-resume test re-runs this binary as a child, which rolls out
// with a journal until it is killed with SIGKILL; the parent then resumes.
const childEnv = "NSDIST_ROLLOUT_CHILD_JOURNAL"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		childRollout(path)
		return
	}
	os.Exit(m.Run())
}

func childRollout(path string) {
	t := &testing.T{}
	s := simulate(t, 400, 0, nstest.Faults{Latency: 5 * time.Millisecond})
	j, err := rollout.OpenJournal(path)
	if err != nil {
		os.Exit(3)
	}
	r, _ := rollout.New(s.installer(t), rollout.WithJournal(j), rollout.WithConcurrency(8))
	r.Run(context.Background(), s.targets) //nolint:errcheck
	os.Exit(0)
}

func TestKillAndResume(t *testing.T) { //nolint:paralleltest // forks a child: see helpers_test.go
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "crash.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if n := countResults(t, path); n >= 40 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck
	cmd.Wait()                          //nolint:errcheck
	recorded := countResults(t, path)
	if recorded < 40 || recorded >= 400 {
		t.Fatalf("child recorded %d results before the kill", recorded)
	}
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	prev, _ := j.Latest(t.Context(), "Acme Sync")
	if len(prev) < recorded-0 {
		t.Errorf("journal keeps %d of %d recorded results", len(prev), recorded)
	}
	// resume: the same accounts in a fresh fake
	s := simulate(t, 400, 0, nstest.Faults{})
	before := s.fake.Requests()
	rep, err := fastRollout(t, s.installer(t), rollout.WithJournal(j)).Run(t.Context(), s.targets)
	j.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sent := int(s.fake.Requests() - before); sent != 400-len(prev) {
		t.Errorf("resume sent %d requests, want %d", sent, 400-len(prev))
	}
	if c := rep.Counts(); c["enabled"] != 400 {
		t.Errorf("after resume: %v", c)
	}
	// no run recorded a target twice
	f, _ := os.Open(path)
	defer f.Close()
	perRun := map[string]map[string]int{}
	sc := bufio.NewScanner(f)
	run := ""
	for sc.Scan() {
		var e struct {
			Header  *int    `json:"nsdist_journal"`
			Run     string  `json:"run"`
			Account string  `json:"account"`
			Outcome *string `json:"outcome"`
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		if e.Header != nil {
			continue
		}
		if e.Outcome == nil {
			run = e.Run
			perRun[run] = map[string]int{}
			continue
		}
		if e.Run != run {
			t.Errorf("result line of run %q under header %q", e.Run, run)
		}
		perRun[run][e.Account]++
		if perRun[run][e.Account] > 1 {
			t.Errorf("run %s recorded %s twice", run, e.Account)
		}
	}
	if len(perRun) != 2 {
		t.Errorf("%d runs in the journal, want 2", len(perRun))
	}
}

func countResults(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), `"outcome"`)
}

func fakeFaults() nstest.Faults { return nstest.Faults{} }

// A 429 with Retry-After holds the target that long in a rollout too, not
// just the rollout's own short backoff.
func TestRolloutHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"serverTime":"2026-11-27T00:00:00.000Z"}`)
	}))
	t.Cleanup(srv.Close)
	oc, err := oauth2.NewClient(oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ai, err := distribution.NewAutoInstaller(approval.Record{Name: "Acme", OAuth2CodeGrant: true}, distribution.WithProber(oauth2.NewProber(oc)))
	if err != nil {
		t.Fatal(err)
	}
	tok := &oauth2.Token{Account: "123456", AccessToken: "at", Expiry: time.Now().Add(time.Hour)}
	r := fastRollout(t, ai)
	start := time.Now()
	rep, err := r.Run(t.Context(), []distribution.Target{{Account: "123456", Credential: oauth2.Grant{Token: tok}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("the retry came after %s, before the server's Retry-After of 1s", d)
	}
	if rep.Results[0].Outcome != distribution.OutcomeEnabled || rep.Results[0].Attempts != 2 {
		t.Errorf("result %+v", rep.Results[0])
	}
}

// A Distributor that answers for another account, with an unknown outcome,
// or that panics, cannot corrupt the report or take the rollout down.
type liar struct{}

func (liar) Distribute(_ context.Context, t distribution.Target) distribution.Result {
	switch t.Account {
	case "3":
		panic("boom")
	case "2":
		return distribution.Result{Account: "999999", Outcome: "bogus"}
	}
	return distribution.Result{Account: "999999", Outcome: distribution.OutcomeEnabled}
}

// WithClock stamps the journal and WithLogger hears what the rollout
// survives (a distributor that panics), at Debug.
func TestRolloutClockAndLogger(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	j := &rollout.MemoryJournal{}
	r, err := rollout.New(liar{}, rollout.WithJournal(j), rollout.WithRecordName("Acme Sync"), rollout.WithClock(func() time.Time { return at }),
		rollout.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(t.Context(), []distribution.Target{{Account: "1"}, {Account: "3"}}); err != nil {
		t.Fatal(err)
	}
	latest, err := j.Latest(t.Context(), "Acme Sync")
	if err != nil || len(latest) != 2 {
		t.Fatalf("journal: %v, %v", latest, err)
	}
	for a, e := range latest {
		if !e.Time.Equal(at) {
			t.Errorf("%s recorded at %s, want the clock's %s", a, e.Time, at)
		}
	}
	if !strings.Contains(logs.String(), "the distributor panicked") || !strings.Contains(logs.String(), "account=3") {
		t.Errorf("log lacks the panic of account 3:\n%s", logs.String())
	}
	for _, bad := range []rollout.Option{rollout.WithClock(nil), rollout.WithLogger(nil)} {
		if _, err := rollout.New(liar{}, bad); err == nil {
			t.Error("a nil clock or logger was accepted")
		}
	}
}

func TestRolloutDistributorThatLies(t *testing.T) {
	t.Parallel()
	var seen atomic.Int32
	r, err := rollout.New(liar{}, rollout.WithResults(func(distribution.Result) {
		if seen.Add(1) == 1 {
			panic("callback boom")
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(t.Context(), []distribution.Target{{Account: "1"}, {Account: "2"}, {Account: "3"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[nsdist.AccountID]distribution.Outcome{}
	for _, res := range rep.Results {
		got[res.Account] = res.Outcome
	}
	want := map[nsdist.AccountID]distribution.Outcome{"1": "enabled", "2": "failed", "3": "failed"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results %v, want %v", got, want)
	}
	if seen.Load() != 3 {
		t.Errorf("the callback saw %d results after one panic, want 3", seen.Load())
	}
}

type mixedSim struct {
	sim
	channel   map[nsdist.AccountID]string // tba, oauth2, oauth2-public
	expired   int                         // OAuth 2.0 targets whose access token expired: one refresh each
	confident *oauth2.Client
}

// simulateMixed: n accounts, half TBA and half OAuth 2.0 (of those, half
// public clients, the rest confidential), exactly round(n×share) requiring
// approval, spread over the channels.
func simulateMixed(t testing.TB, n int, share float64, faults nstest.Faults) *mixedSim {
	t.Helper()
	fake := nstest.NewServer(nstest.WithSeed(5))
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	redirect := []string{"https://app.acme.example/netsuite/callback"}
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true,
		OAuth2CodeGrant: true, RedirectURIs: redirect, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync Mobile", OAuth2CodeGrant: true, PublicClient: true,
		RedirectURIs: redirect, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	clientFor := func(in *nstest.Integration) *oauth2.Client {
		c, err := oauth2.NewClient(oauth2.Config{ClientID: in.ClientID, ClientSecret: in.ClientSecret}, oauth2.WithTransport(fake.Transport()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	confidential, public := clientFor(rec), clientFor(pub)
	s := &mixedSim{sim: sim{fake: fake, requires: map[nsdist.AccountID]bool{}, nonces: &nonceLog{seen: map[string]int{}},
		record: approval.Record{Name: rec.Name, Owner: vendor.ID(), TBA: true, TBAAuthFlow: true, OAuth2CodeGrant: true}},
		channel: map[nsdist.AccountID]string{}, confident: confidential}
	need := int(float64(n)*share + 0.5)
	for i := range n {
		id := nsdist.AccountID(fmt.Sprintf("%d", 4000000+i))
		// every channel gets its share of approval-gated accounts: gate by position in a stride
		req := i*need/n != (i+1)*need/n
		a := fake.MustAddAccount(string(id), nstest.AccountConfig{RequireApproval: req})
		a.SetFaults(faults)
		s.requires[id] = req
		now := time.Now()
		switch i % 4 {
		case 0, 2:
			auth, err := fake.IssueTBAToken(a.ID(), rec)
			if err != nil {
				t.Fatal(err)
			}
			s.channel[id] = "tba"
			s.targets = append(s.targets, distribution.Target{Account: id, TokenIssuedAt: now,
				Credential: auth})
		default:
			in, client, kind := rec, confidential, "oauth2"
			if i%4 == 3 {
				in, client, kind = pub, public, "oauth2-public"
			}
			tok, err := fake.CompleteCodeGrant(a.ID(), in)
			if err != nil {
				t.Fatal(err)
			}
			if !req && i%8 < 4 { // an access token that expired: the prober refreshes it once
				tok.Expiry = now.Add(-time.Minute)
				s.expired++
			}
			s.channel[id] = kind
			s.targets = append(s.targets, distribution.Target{Account: id, TokenIssuedAt: now, Credential: oauth2.Grant{Token: tok, Client: client}})
		}
	}
	return s
}

func TestRolloutMixedChannels(t *testing.T) {
	t.Parallel()
	const n = 1000
	s := simulateMixed(t, n, 0.3, nstest.Faults{ConcurrencyFaultRate: 0.3})
	ai := s.installer(t, distribution.WithProber(oauth2.NewProber(s.confident)))
	var mu sync.Mutex
	seen := map[nsdist.AccountID]int{}
	rep, err := fastRollout(t, ai, rollout.WithConcurrency(64), rollout.WithMaxAttempts(15), rollout.WithRetryBudget(5*n),
		rollout.WithResults(func(r distribution.Result) { mu.Lock(); seen[r.Account]++; mu.Unlock() })).Run(t.Context(), s.targets)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[distribution.Outcome]int{}
	got := map[string]map[distribution.Outcome]int{}
	for _, tg := range s.targets {
		ch := s.channel[tg.Account]
		if want[ch] == nil {
			want[ch], got[ch] = map[distribution.Outcome]int{}, map[distribution.Outcome]int{}
		}
		o := distribution.OutcomeEnabled
		if s.requires[tg.Account] {
			o = distribution.OutcomeAwaitingApproval
		}
		want[ch][o]++
	}
	for _, r := range rep.Results {
		got[s.channel[r.Account]][r.Outcome]++
		wantCh := approval.ChannelTBA
		if s.channel[r.Account] != "tba" {
			wantCh = approval.ChannelOAuth2
		}
		if r.Channel != wantCh {
			t.Errorf("%s: channel %s, want %s", r.Account, r.Channel, wantCh)
		}
	}
	for ch := range want {
		if fmt.Sprint(want[ch]) != fmt.Sprint(got[ch]) {
			t.Errorf("%s: outcomes %v, want %v", ch, got[ch], want[ch])
		}
	}
	t.Logf("per channel: %v; requests %d", got, s.fake.Requests())
	if len(seen) != n {
		t.Errorf("the results callback saw %d targets, want %d", len(seen), n)
	}
	for a, k := range seen {
		if k != 1 {
			t.Errorf("%s delivered %d times", a, k)
		}
	}
	if r := s.fake.TokenRequests("refresh_token"); r != s.expired {
		t.Errorf("%d refresh requests for %d expired tokens: want exactly one each", r, s.expired)
	}
	for nonce, k := range s.nonces.seen {
		if k > 1 {
			t.Errorf("nonce %s used %d times", nonce, k)
		}
	}
	if c := rep.CountsByChannel(); c["oauth2"][distribution.OutcomeEnabled]+c["tba"][distribution.OutcomeEnabled] != rep.Counts()[distribution.OutcomeEnabled] {
		t.Errorf("CountsByChannel %v disagrees with Counts %v", c, rep.Counts())
	}
}

// vendorDistributor is a Distributor from outside the package: an
// Attempter whose targets each need two retries.
type contextT = context.Context

type vendorDistributor struct {
	mu    sync.Mutex
	tries map[nsdist.AccountID]int
	order []nsdist.AccountID
	full  int // Distribute calls: must stay 0
}

type vendorAttempter struct{ v *vendorDistributor }

func (a vendorAttempter) Distribute(_ contextT, t distribution.Target) distribution.Result {
	a.v.mu.Lock()
	a.v.full++
	a.v.mu.Unlock()
	return distribution.Result{Account: t.Account, Outcome: distribution.OutcomeFailed}
}

func (a vendorAttempter) Attempt(_ contextT, t distribution.Target) distribution.Result {
	a.v.mu.Lock()
	defer a.v.mu.Unlock()
	a.v.tries[t.Account]++
	a.v.order = append(a.v.order, t.Account)
	if a.v.tries[t.Account] < 3 {
		return distribution.Result{Account: t.Account, Attempts: 1, Explanation: approval.Explanation{Kind: approval.Retryable}}
	}
	return distribution.Result{Account: t.Account, Attempts: 1, Outcome: distribution.OutcomeEnabled}
}

func TestForeignAttempterRetriesOffTheWorkers(t *testing.T) {
	t.Parallel()
	v := &vendorDistributor{tries: map[nsdist.AccountID]int{}}
	r, err := rollout.New(vendorAttempter{v}, rollout.WithConcurrency(1), rollout.WithBackoff(30*time.Millisecond, 30*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	targets := []distribution.Target{{Account: "1"}, {Account: "2"}, {Account: "3"}}
	rep, err := r.Run(t.Context(), targets)
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Counts(); c[distribution.OutcomeEnabled] != 3 || v.full != 0 {
		t.Fatalf("counts %v, %d Distribute calls (want 3 enabled, 0 calls)", c, v.full)
	}
	// with one worker, a target waiting to retry must not hold it: the
	// other targets' first attempts come before its second
	if fmt.Sprint(v.order[:3]) != "[1 2 3]" {
		t.Errorf("attempt order %v: a retry held the only worker", v.order)
	}
	for _, res := range rep.Results {
		if res.Attempts != 3 {
			t.Errorf("%s: %d attempts, want 3", res.Account, res.Attempts)
		}
	}
}

// enabler enables every target.
type enabler struct{}

func (enabler) Distribute(_ context.Context, t distribution.Target) distribution.Result {
	res := distribution.Result{Account: t.Account, Label: t.Label, Outcome: distribution.OutcomeEnabled}
	if t.Credential != nil {
		res.Channel = t.Credential.Channel()
	}
	return res
}

// A re-run takes enabled targets from the journal with their labels, so
// its report still names the customers.
func TestRerunKeepsLabels(t *testing.T) {
	t.Parallel()
	j := &rollout.MemoryJournal{}
	targets := []distribution.Target{{Account: "1", Label: "Acme Ltd"}, {Account: "2", Label: "=Globex"}}
	for run := range 2 {
		r, err := rollout.New(enabler{}, rollout.WithJournal(j), rollout.WithRecordName("Acme Sync"))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := r.Run(t.Context(), targets)
		if err != nil {
			t.Fatal(err)
		}
		got := map[nsdist.AccountID]string{}
		for _, res := range rep.Results {
			if run == 1 && !res.FromJournal {
				t.Errorf("re-run: %s was sent again", res.Account)
			}
			got[res.Account] = res.Label
		}
		if got["1"] != "Acme Ltd" || got["2"] != "=Globex" {
			t.Errorf("run %d: labels %v, want the targets' labels", run+1, got)
		}
	}
}

// chanCred is a credential of a given channel.
type chanCred approval.Channel

func (c chanCred) Channel() approval.Channel       { return approval.Channel(c) }
func (c chanCred) Validate(nsdist.AccountID) error { return nil }

// A re-run checks again a target the journal has as enabled through
// another channel: its customer moved from TBA to OAuth 2.0.
func TestRerunChecksAnotherChannel(t *testing.T) {
	t.Parallel()
	j := &rollout.MemoryJournal{}
	run := func(ch approval.Channel) *rollout.Report {
		t.Helper()
		r, err := rollout.New(enabler{}, rollout.WithJournal(j), rollout.WithRecordName("Acme Sync"))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := r.Run(t.Context(), []distribution.Target{{Account: "1", Credential: chanCred(approval.ChannelTBA)}, {Account: "2", Credential: chanCred(ch)}})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	run(approval.ChannelTBA)
	rep := run(approval.ChannelOAuth2)
	if rep.FromJournal() != 1 || rep.Rechecked != 1 || !strings.Contains(rep.Summary(), "1 target enabled before through another channel or credential") {
		t.Errorf("from journal %d, rechecked %d; want 1 and 1\n%s", rep.FromJournal(), rep.Rechecked, rep.Summary())
	}
}

// A re-run checks again an account whose customer has given a new
// credential of the same channel (a new TBA token): it has never been
// proven. The credential already proven is skipped. Both journals keep a
// fingerprint, and the file holds neither a token's secret nor its id.
func TestRerunChecksAnotherCredential(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		journal func(t *testing.T) (open func() rollout.Journal, path string)
	}{
		{"file", func(t *testing.T) (func() rollout.Journal, string) {
			path := filepath.Join(t.TempDir(), "rollout.jsonl")
			return func() rollout.Journal {
				j, err := rollout.OpenJournal(path)
				if err != nil {
					t.Fatal(err)
				}
				return j
			}, path
		}},
		{"memory", func(*testing.T) (func() rollout.Journal, string) {
			m := &rollout.MemoryJournal{}
			return func() rollout.Journal { return m }, ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := simulate(t, 1, 0, nstest.Faults{})
			open, path := tt.journal(t)
			target := s.targets[0]
			t1 := target.Credential.(tba.Credential)
			t2, err := s.fake.IssueTBAToken(target.Account, s.in)
			if err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				name      string
				cred      tba.Credential
				sent      uint64
				rechecked int
			}{
				{"first run", t1, 1, 0},
				{"the same token is skipped", t1, 0, 0},
				{"a new token is checked again", t2, 1, 1},
				{"the new token, proven, is skipped", t2, 0, 0},
			}
			for _, st := range steps {
				j := open()
				target.Credential = st.cred
				before := s.fake.Requests()
				rep, err := fastRollout(t, s.installer(t), rollout.WithJournal(j)).Run(t.Context(), []distribution.Target{target})
				j.Close()
				if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				got := []any{s.fake.Requests() - before, rep.Rechecked, rep.Counts()[distribution.OutcomeEnabled]}
				if diff := cmp.Diff([]any{st.sent, st.rechecked, 1}, got); diff != "" {
					t.Errorf("%s: [requests, rechecked, enabled] mismatch (-want +got):\n%s", st.name, diff)
				}
			}
			if path == "" {
				return
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{t1.Token.Secret, t1.Token.ID, t2.Token.Secret, t2.Token.ID, t1.Consumer.Secret, t1.Consumer.Key} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("the journal holds a credential's %.4s…:\n%s", secret, b)
				}
			}
			if n := bytes.Count(b, []byte(`"credential_fingerprint":"`+distribution.Fingerprint(t2)+`"`)); n != 1 {
				t.Errorf("%d lines carry the new token's fingerprint, want 1:\n%s", n, b)
			}
		})
	}
}

// hugeNSIDServer answers every getServerTime with success and an nsId
// that starts with the tokenPassport's signature, as a server that echoes
// what it was sent would; for every 25th account (3000000, 3000025, ...)
// the nsId is 2 MiB long. It returns the signatures it saw.
func hugeNSIDServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	sigRE := regexp.MustCompile(`signature[^>]*>([^<]+)<`)
	acctRE := regexp.MustCompile(`account>([0-9]+)<`)
	var (
		mu   sync.Mutex
		sigs []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		sig, pad := "", ""
		if m := sigRE.FindSubmatch(body); m != nil {
			sig = string(m[1])
			mu.Lock()
			sigs = append(sigs, sig)
			mu.Unlock()
		}
		if m := acctRE.FindSubmatch(body); m != nil && mustAtoi(t, string(m[1]))%25 == 0 {
			pad = strings.Repeat("N", 2<<20)
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		fmt.Fprintf(w, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><platformMsgs:documentInfo xmlns:platformMsgs="urn:messages_2025_2.platform.webservices.netsuite.com"><platformMsgs:nsId>WEBSERVICES_%s_%s</platformMsgs:nsId></platformMsgs:documentInfo></soapenv:Header><soapenv:Body><getServerTimeResponse xmlns="urn:messages_2025_2.platform.webservices.netsuite.com"><getServerTimeResult><platformCore:status xmlns:platformCore="urn:core_2025_2.platform.webservices.netsuite.com" isSuccess="true"/><serverTime>2026-01-02T03:04:05.000Z</serverTime></getServerTimeResult></getServerTimeResponse></soapenv:Body></soapenv:Envelope>`,
			sig, pad)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), sigs...)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Error(err)
	}
	return n
}

// TestRolloutHugeNSID: a server that answers getServerTime with nsIds of
// 2 MiB that begin with the request's signature neither stops the rollout
// (every target is reached and recorded in the file journal) nor gets the
// signature into the results or the journal.
func TestRolloutHugeNSID(t *testing.T) {
	t.Parallel()
	srv, seen := hugeNSIDServer(t)
	rec := approval.Record{Name: "Acme Sync", Owner: "TSTDRV1234567", TBA: true, TBAAuthFlow: true}
	ai, err := distribution.NewAutoInstaller(rec, tba.WithProber(soap.WithEndpoint(srv.URL)))
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	hex := strings.Repeat("ab", 32)
	targets := make([]distribution.Target, n)
	for i := range targets {
		targets[i] = distribution.Target{Account: nsdist.AccountID(fmt.Sprint(3000000 + i)), TokenIssuedAt: time.Now(),
			Credential: tba.Credential{Consumer: tba.Consumer{Key: hex, Secret: hex}, Token: tba.Token{ID: hex, Secret: hex}}}
	}
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	rep, err := fastRollout(t, ai, rollout.WithJournal(j)).Run(t.Context(), targets)
	if err != nil {
		t.Fatalf("Run: %v (%d of %d targets not reached)", err, rep.NotReached(), n)
	}
	if c := rep.Counts(); c[distribution.OutcomeEnabled] != n {
		t.Errorf("counts %v, want %d enabled", c, n)
	}
	for _, r := range rep.Results {
		if len(r.NSID) > 4<<10 || !strings.HasPrefix(r.NSID, "WEBSERVICES_") {
			t.Errorf("%s: nsId of %d bytes %.40q, want at most 4 KiB", r.Account, len(r.NSID), r.NSID)
		}
	}
	j.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(b, []byte(`"outcome":"enabled"`)); lines != n {
		t.Errorf("journal holds %d enabled results, want %d", lines, n)
	}
	sigs := seen()
	if len(sigs) < n {
		t.Fatalf("the server saw %d signatures, want %d", len(sigs), n)
	}
	for _, sig := range sigs {
		if bytes.Contains(b, []byte(sig)) {
			t.Fatalf("the journal holds a request's signature %q", sig)
		}
	}
}

// nsidDistributor enables every target; the result for account big has an
// nsId of 2 MiB, as a foreign Distributor may return.
type nsidDistributor struct{ big nsdist.AccountID }

func (d nsidDistributor) Distribute(_ context.Context, t distribution.Target) distribution.Result {
	res := distribution.Result{Account: t.Account, Outcome: distribution.OutcomeEnabled, NSID: "WEBSERVICES_1"}
	if t.Account == d.big {
		res.NSID = strings.Repeat("N", 2<<20)
	}
	return res
}

// TestRolloutJournalRefusesOneEntry: when the journal refuses one entry
// (a line over its cap), that target is failed with a cause that says so,
// and the run goes on: every other target is reached and recorded.
func TestRolloutJournalRefusesOneEntry(t *testing.T) {
	t.Parallel()
	const n = 50
	targets := make([]distribution.Target, n)
	for i := range targets {
		targets[i] = distribution.Target{Account: nsdist.AccountID(fmt.Sprint(3000000 + i))}
	}
	big := targets[0].Account
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	rep, err := fastRollout(t, nsidDistributor{big: big}, rollout.WithJournal(j), rollout.WithConcurrency(1), rollout.WithRecordName("Acme Sync")).
		Run(t.Context(), targets)
	if err != nil {
		t.Fatalf("Run: %v (%d of %d targets not reached)", err, rep.NotReached(), n)
	}
	if c := rep.Counts(); c[distribution.OutcomeEnabled] != n-1 || c[distribution.OutcomeFailed] != 1 || rep.NotReached() != 0 {
		t.Errorf("counts %v, %d not reached; want %d enabled, 1 failed", c, rep.NotReached(), n-1)
	}
	for _, r := range rep.Results {
		if r.Account != big {
			continue
		}
		var ee *rollout.EntryError
		if r.Outcome != distribution.OutcomeFailed || !errors.As(r.Err, &ee) || ee.Outcome != distribution.OutcomeEnabled || !errors.Is(r.Err, rollout.ErrEntryRefused) {
			t.Errorf("%s: outcome %s, error %v; want failed with an *EntryError for an enabled result", r.Account, r.Outcome, r.Err)
		}
		if got := r.Cause(); got != "the journal refused the result" {
			t.Errorf("%s: cause %q", r.Account, got)
		}
		if row := r.Row(); !strings.Contains(row.Error, "line cap") || !strings.Contains(row.NextStep, "run again with the same journal") {
			t.Errorf("%s: error %q, next step %q", r.Account, row.Error, row.NextStep)
		}
	}
	latest, err := j.Latest(t.Context(), "Acme Sync")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := latest[big]; len(latest) != n-1 || ok {
		t.Errorf("journal holds %d results (the refused one: %v), want the %d others", len(latest), ok, n-1)
	}
}
