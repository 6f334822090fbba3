package rollout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/internal/text"
)

// Rollout distributes one record to many targets: bounded concurrency, a
// per-account cap, retries scheduled off the worker slots with a
// rollout-wide budget, a journal so a re-run resumes, progress events, and
// a report.
type Rollout struct {
	d   distribution.Distributor
	cfg config
}

type config struct {
	concurrency int
	perAccount  int
	maxAttempts int
	budget      int // -1: 3 retries per target
	initial     time.Duration
	maxInterval time.Duration
	journal     Journal
	progress    func(Event)
	results     func(distribution.Result)
	logger      *slog.Logger
	clock       func() time.Time
	record      string
}

// Option configures a Rollout.
type Option func(*config) error

// WithConcurrency bounds the targets in flight at once (default 32).
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return errors.New("rollout: concurrency must be at least 1")
		}
		c.concurrency = n
		return nil
	}
}

// WithMaxAttempts bounds the attempts per target (default 10).
func WithMaxAttempts(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return errors.New("rollout: max attempts must be at least 1")
		}
		c.maxAttempts = n
		return nil
	}
}

// WithRetryBudget bounds the retries of the whole rollout (default: three
// per target), so that a NetSuite-wide incident cannot multiply the load.
func WithRetryBudget(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return errors.New("rollout: negative retry budget")
		}
		c.budget = n
		return nil
	}
}

// WithBackoff sets the first and the longest wait between a target's
// attempts (default 10ms doubling to 500ms, ±50% jitter). The waits are
// short because they hold no worker and the per-account cap already keeps
// the rollout from causing the concurrency faults it retries; every
// attempt is a round trip (300 ms at NetSuite's pace) in any case. What a
// run's end waits for is its unluckiest targets' chains of attempts, each
// a round trip and a wait: with 30% of requests faulted, a first wait of
// 100ms made a run 1.26 times the time its attempts need
// (BenchmarkRolloutChannels), 10ms about 1.15 times. The longest wait
// stays 500ms, so that throttling that lasts is still waited out over a
// target's ten attempts (about 2 s of waits in all). Ten attempts leave a
// target failed, with 30% of requests faulted, with odds 6 in a million.
func WithBackoff(initial, longest time.Duration) Option {
	return func(c *config) error {
		if initial <= 0 || longest < initial {
			return errors.New("rollout: want 0 < initial ≤ longest backoff")
		}
		c.initial, c.maxInterval = initial, longest
		return nil
	}
}

// WithJournal records each target's result durably; a re-run with the same
// journal skips targets whose latest result is enabled through the channel
// and credential they have now (Report.Rechecked counts the others).
func WithJournal(j Journal) Option {
	return func(c *config) error {
		if j == nil {
			return errors.New("rollout: nil Journal")
		}
		c.journal = j
		return nil
	}
}

// WithProgress receives progress events on a goroutine of its own; a slow
// callback never blocks the workers (events it cannot keep up with are
// dropped, except the last). Use WithResults for results: it drops none.
func WithProgress(f func(Event)) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("rollout: nil progress callback")
		}
		c.progress = f
		return nil
	}
}

// WithResults calls f with every finished result (those taken from the
// journal included), in finishing order, on a goroutine of its own. Unlike
// progress events, results are never dropped: a slow f delays nothing but
// itself, and Run returns only after f has seen every result, also when
// ctx ends: a callback that blocks delays Run. A panic in f is recovered
// and the next result still delivered.
func WithResults(f func(distribution.Result)) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("rollout: nil results callback")
		}
		c.results = f
		return nil
	}
}

// WithLogger logs the rollout's retries and journal writes at
// Debug; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("rollout: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithClock sets the clock; give the AutoInstaller the same one
// (WithClock) so that token ages and durations agree.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("rollout: nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithRecordName names the record in the report.
func WithRecordName(name string) Option {
	return func(c *config) error { c.record = name; return nil }
}

// New returns a rollout over d.
func New(d distribution.Distributor, opts ...Option) (*Rollout, error) {
	if d == nil {
		return nil, errors.New("rollout: nil Distributor")
	}
	cfg := config{concurrency: 32, perAccount: 1, maxAttempts: 10, budget: -1,
		initial: 10 * time.Millisecond, maxInterval: 500 * time.Millisecond, clock: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("rollout: nil Option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.record == "" {
		if r, ok := d.(interface{ Record() approval.Record }); ok {
			cfg.record = r.Record().Name
		}
	}
	return &Rollout{d: d, cfg: cfg}, nil
}

// EventType says what a progress event reports.
type EventType string

// Event types.
const (
	EventStarted  EventType = "started"
	EventRetrying EventType = "retrying"
	EventFinished EventType = "finished"
	EventDone     EventType = "done"
)

// Event is one progress report.
type Event struct {
	Type    EventType
	Account nsdist.AccountID
	Attempt int
	Outcome distribution.Outcome // for finished
	Wait    time.Duration        // for retrying
	Done    int                  // targets finished, journal included
	Total   int
	Counts  map[distribution.Outcome]int
	Elapsed time.Duration
	ETA     time.Duration // 0 when unknown
	Dropped int           // events dropped because the callback was slow
}

// TargetError is one target Run refused before sending anything.
type TargetError struct {
	Index   int // 1-based position in the targets slice
	Account nsdist.AccountID
	Err     error
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("target %d (%s): %v", e.Index, text.Truncate(string(e.Account), 40), e.Err)
}

// Unwrap returns the cause (ErrDuplicateTarget, nsdist.ErrInvalidAccountID).
func (e *TargetError) Unwrap() error { return e.Err }

// TargetsError is Run's error for bad targets: every one of them, found
// before anything was sent. errors.As reaches it, and errors.Is each cause.
type TargetsError struct {
	Targets []*TargetError
}

func (e *TargetsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rollout: %d bad %s, nothing sent", len(e.Targets), map[bool]string{true: "target", false: "targets"}[len(e.Targets) == 1])
	for i, t := range e.Targets {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(e.Targets)-10)
			break
		}
		b.WriteString("; ")
		b.WriteString(t.Error())
	}
	return b.String()
}

// Unwrap returns every target's error.
func (e *TargetsError) Unwrap() []error {
	out := make([]error, len(e.Targets))
	for i, t := range e.Targets {
		out[i] = t
	}
	return out
}

// ErrDuplicateTarget is returned when the same account appears twice.
var ErrDuplicateTarget = errors.New("rollout: duplicate target")

type task struct {
	t        distribution.Target
	fp       string // the credential's fingerprint, for the journal
	attempts int
	tries    int
	bo       *backoff.ExponentialBackOff
	started  time.Time
}

type scheduler struct {
	r      *Rollout
	ctx    context.Context
	mu     sync.Mutex
	cond   *sync.Cond
	ready  []*task
	wait   map[nsdist.AccountID][]*task
	busy   map[nsdist.AccountID]int
	open   int // tasks not yet finished
	timers map[*time.Timer]struct{}
	budget int

	results []distribution.Result
	// results not yet handed to the callback: an unbounded queue, so that a
	// slow callback neither blocks the workers nor loses a result
	rmu     sync.Mutex
	rcond   *sync.Cond
	resultQ []distribution.Result
	rclosed bool
	counts  map[distribution.Outcome]int
	done    int
	total   int
	start   time.Time
	events  chan Event
	dropped int
	jerr    error
	run     string
}

// Run distributes to every target and returns the report. Every target is
// validated before anything is sent. When ctx ends, Run stops promptly and
// returns the results finished so far with ctx's error. A result the
// journal refuses ([ErrEntryRefused]) fails its target with an
// [*EntryError] and the run goes on; when the journal itself fails, Run
// starts no more targets and returns the results finished so far with the
// journal's error.
func (r *Rollout) Run(ctx context.Context, targets []distribution.Target) (*Report, error) {
	if err := checkTargets(targets); err != nil {
		return nil, err
	}
	s := r.newScheduler(ctx, len(targets))
	rep := &Report{Record: r.cfg.record, Run: s.run, Started: s.start, Targets: len(targets)}
	prev, err := r.journalBegin(ctx, s.run)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		fp := distribution.Fingerprint(t.Credential)
		if e, ok := prev[t.Account]; ok && e.Outcome.Final() {
			if sameChannel(e, t) && sameCredential(e, fp) {
				res := fromEntry(e)
				s.finishLocked(&res, false)
				continue
			}
			rep.Rechecked++
		}
		s.ready = append(s.ready, &task{t: t, fp: fp})
		s.open++
	}
	var evWG, resWG sync.WaitGroup
	if f := r.cfg.results; f != nil {
		resWG.Go(func() { s.deliver(f) })
	}
	if r.cfg.progress != nil {
		s.events = make(chan Event, 1024)
		evWG.Go(func() {
			for e := range s.events {
				r.cfg.progress(e)
			}
		})
	}
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	var wg sync.WaitGroup
	for range min(r.cfg.concurrency, max(1, s.open)) {
		wg.Go(s.worker)
	}
	wg.Wait()
	stop()
	s.mu.Lock()
	for tm := range s.timers {
		tm.Stop()
	}
	rep.Interrupted = s.open > 0
	rep.Results, s.results = s.results, nil  // the workers are done: no copy
	if len(rep.Results) < cap(rep.Results) { // interrupted: keep no room for the targets never finished
		rep.Results = slices.Clip(slices.Clone(rep.Results))
		if len(rep.Results) == 0 {
			rep.Results = nil
		}
	}
	s.mu.Unlock()
	sort.Slice(rep.Results, func(i, j int) bool { return rep.Results[i].Account < rep.Results[j].Account })
	rep.Finished = r.cfg.clock()
	if s.events != nil {
		s.events <- s.eventLocked(EventDone, "", 0)
		close(s.events)
		evWG.Wait()
	}
	s.rmu.Lock()
	s.rclosed = true
	s.rcond.Signal()
	s.rmu.Unlock()
	resWG.Wait()
	if s.jerr != nil {
		return rep, s.jerr
	}
	if rep.Interrupted && ctx.Err() != nil {
		return rep, ctx.Err()
	}
	return rep, nil
}

// newScheduler is a run's scheduler for n targets.
func (r *Rollout) newScheduler(ctx context.Context, n int) *scheduler {
	s := &scheduler{r: r, ctx: ctx, wait: map[nsdist.AccountID][]*task{}, busy: map[nsdist.AccountID]int{},
		timers: map[*time.Timer]struct{}{}, counts: map[distribution.Outcome]int{}, total: n, start: r.cfg.clock(),
		results: make([]distribution.Result, 0, n)}
	s.cond = sync.NewCond(&s.mu)
	s.rcond = sync.NewCond(&s.rmu)
	s.budget = r.cfg.budget
	if s.budget < 0 {
		s.budget = 3 * n
	}
	s.run = newRunID()
	return s
}

// journalBegin starts the run in the journal and reads its latest results.
func (r *Rollout) journalBegin(ctx context.Context, run string) (map[nsdist.AccountID]Entry, error) {
	j := r.cfg.journal
	if j == nil {
		return nil, nil
	}
	// Begin first: a journal that refuses a second rollout of the record
	// does so before this one reads results the other is still writing.
	if err := j.Begin(ctx, run, r.cfg.record); err != nil {
		return nil, journalError(err)
	}
	prev, err := j.Latest(ctx, r.cfg.record)
	if err != nil {
		return nil, journalError(err)
	}
	return prev, nil
}

// checkTargets refuses invalid and duplicate accounts, naming every one.
func checkTargets(targets []distribution.Target) error {
	seen := map[nsdist.AccountID]int{}
	var bad []*TargetError
	for i, t := range targets {
		if err := t.Account.Validate(); err != nil {
			bad = append(bad, &TargetError{Index: i + 1, Account: t.Account, Err: err})
			continue
		}
		if j, dup := seen[t.Account]; dup {
			bad = append(bad, &TargetError{Index: i + 1, Account: t.Account, Err: fmt.Errorf("%w: also target %d", ErrDuplicateTarget, j+1)})
		}
		seen[t.Account] = i
	}
	if len(bad) > 0 {
		return &TargetsError{Targets: bad}
	}
	return nil
}

// maxRetryAfter bounds how long a server's Retry-After can hold a target.
const maxRetryAfter = 5 * time.Minute

// retryAfter is the wait a server asked for with Retry-After, bounded.
func retryAfter(err error, now time.Time) time.Duration {
	return min(nsdist.RetryAfter(err, now), maxRetryAfter)
}

// attempt runs one attempt; a Distributor that panics fails its target
// instead of taking the rollout (and the vendor's process) down.
func (s *scheduler) attempt(t distribution.Target) (res distribution.Result) {
	defer func() {
		if p := recover(); p != nil {
			s.r.cfg.logger.Debug("rollout: the distributor panicked", "account", string(t.Account), "panic", fmt.Sprint(p))
			res = distribution.Result{Account: t.Account, Label: t.Label, Outcome: distribution.OutcomeFailed, Attempts: 1,
				Explanation: approval.Explanation{Kind: approval.UnknownOutcome, Report: string(distribution.OutcomeFailed), Observed: approval.ObservedOther,
					Sentence: "the distributor panicked on this target", NextStep: "report this to the distributor's maintainers", LessLikely: []string{}},
				Err: fmt.Errorf("rollout: the distributor panicked: %v", p)}
		}
	}()
	if a, ok := s.r.d.(distribution.Attempter); ok {
		return a.Attempt(s.ctx, t)
	}
	return s.r.d.Distribute(s.ctx, t)
}

// deliver hands queued results to f until the run is over and the queue empty.
func (s *scheduler) deliver(f func(distribution.Result)) {
	for {
		s.rmu.Lock()
		for len(s.resultQ) == 0 && !s.rclosed {
			s.rcond.Wait()
		}
		batch := s.resultQ
		s.resultQ = nil
		closed := s.rclosed
		s.rmu.Unlock()
		for _, res := range batch {
			s.hand(f, res)
		}
		if closed && len(batch) == 0 {
			return
		}
	}
}

// hand gives f one result; a panicking callback loses nothing else.
func (s *scheduler) hand(f func(distribution.Result), res distribution.Result) {
	defer func() {
		if p := recover(); p != nil {
			s.r.cfg.logger.Debug("rollout: the results callback panicked", "account", string(res.Account), "panic", fmt.Sprint(p))
		}
	}()
	f(res)
}

func newRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func (s *scheduler) worker() {
	for {
		s.mu.Lock()
		var tk *task
		for {
			if s.ctx.Err() != nil || s.open == 0 || s.jerr != nil {
				s.mu.Unlock()
				return
			}
			if len(s.ready) > 0 {
				tk = s.ready[0]
				s.ready[0] = nil
				s.ready = s.ready[1:]
				if s.busy[tk.t.Account] >= s.r.cfg.perAccount {
					s.wait[tk.t.Account] = append(s.wait[tk.t.Account], tk)
					continue
				}
				break
			}
			s.cond.Wait()
		}
		s.busy[tk.t.Account]++
		tk.tries++
		if tk.tries == 1 {
			tk.started = s.r.cfg.clock()
			s.sendLocked(EventStarted, tk.t.Account, 1, "", 0)
		}
		s.mu.Unlock()

		res := normalize(s.attempt(tk.t), tk.t)
		tk.attempts += max(res.Attempts, 1)

		s.mu.Lock()
		s.releaseLocked(tk.t.Account)
		switch {
		case s.ctx.Err() != nil:
			// stopped mid-attempt: not a result; a re-run checks the target again
		case retryable(res) && tk.tries < s.r.cfg.maxAttempts && s.budget > 0:
			s.retryLocked(tk, res)
		default:
			res.Attempts = tk.attempts
			res.Duration = s.r.cfg.clock().Sub(tk.started)
			s.open--
			s.mu.Unlock()
			jerr := s.record(res, tk.fp)
			if errors.Is(jerr, ErrEntryRefused) { // this entry only: the target fails, the run goes on
				res, jerr = s.refused(res, jerr), nil
			}
			s.mu.Lock()
			if jerr != nil && s.jerr == nil {
				s.jerr = jerr
			}
			s.finishLocked(&res, true)
			if s.open == 0 {
				s.cond.Broadcast()
			}
		}
		s.mu.Unlock()
	}
}

// normalize makes a Distributor's result the target's: its account and
// label, a known outcome (an unknown or empty one is failed, with a note).
func normalize(res distribution.Result, t distribution.Target) distribution.Result {
	if res.Account != t.Account { // a result is the target's, whatever a Distributor says
		if res.Account != "" {
			res.Note = strings.TrimSpace(res.Note + " (the distributor answered for account " + text.Truncate(string(res.Account), 40) + ")")
		}
		res.Account = t.Account
	}
	if res.Outcome != "" && !res.Outcome.Valid() {
		res.Note = strings.TrimSpace(res.Note + " (unknown outcome " + text.Truncate(string(res.Outcome), 40) + ")")
		res.Outcome = distribution.OutcomeFailed
	}
	if res.Label == "" {
		res.Label = t.Label
	}
	if res.Outcome == "" { // a foreign Distributor that left it empty
		if res.Explanation.Kind == "" {
			res.Explanation = approval.Explanation{Kind: approval.UnknownOutcome, Report: string(distribution.OutcomeFailed), Sentence: "the distributor gave no outcome", LessLikely: []string{}}
		}
		res.Outcome = distribution.OutcomeOf(res.Explanation.Kind)
	}
	return res
}

// retryLocked schedules tk's next attempt after its jittered backoff (or
// the server's Retry-After, if longer), off the worker slots.
func (s *scheduler) retryLocked(tk *task, res distribution.Result) {
	s.budget--
	if tk.bo == nil {
		tk.bo = &backoff.ExponentialBackOff{InitialInterval: s.r.cfg.initial, RandomizationFactor: 0.5, Multiplier: 2,
			MaxInterval: s.r.cfg.maxInterval, MaxElapsedTime: 0, Stop: backoff.Stop, Clock: backoff.SystemClock}
		tk.bo.Reset()
	}
	wait := max(tk.bo.NextBackOff(), retryAfter(res.Err, s.r.cfg.clock()))
	s.sendLocked(EventRetrying, tk.t.Account, tk.tries, "", wait)
	var tm *time.Timer
	tm = time.AfterFunc(wait, func() {
		s.mu.Lock()
		delete(s.timers, tm)
		// a retry goes ahead of the targets not yet started, so that its
		// wait is the backoff and not the length of the queue
		s.ready = append([]*task{tk}, s.ready...)
		s.cond.Signal()
		s.mu.Unlock()
	})
	s.timers[tm] = struct{}{}
}

func (s *scheduler) releaseLocked(a nsdist.AccountID) {
	s.busy[a]--
	if s.busy[a] <= 0 {
		delete(s.busy, a)
	}
	if w := s.wait[a]; len(w) > 0 {
		s.ready = append(s.ready, w[0])
		if len(w) == 1 {
			delete(s.wait, a)
		} else {
			s.wait[a] = w[1:]
		}
		s.cond.Signal()
	}
}

func (s *scheduler) record(res distribution.Result, fp string) error {
	j := s.r.cfg.journal
	if j == nil {
		return nil
	}
	e := Entry{Run: s.run, Record: s.r.cfg.record, Time: s.r.cfg.clock().UTC(), Account: res.Account, Label: res.Label, Outcome: res.Outcome, Attempts: res.Attempts,
		NextStep: res.Explanation.NextStep, Channel: res.Channel, Auth: res.Auth, Predicted: res.Decision.InitialState, Sentence: res.Explanation.Sentence, NSID: res.NSID, Fingerprint: fp,
		ReauthorizeBy: res.ReauthorizeBy}
	if res.Err != nil {
		e.Error = res.Err.Error()
	}
	// a result obtained is recorded even while the run is being cancelled
	if err := j.Record(context.WithoutCancel(s.ctx), e); err != nil {
		return journalError(err)
	}
	return nil
}

// refused is the failed result of a target whose result the journal
// refused: what NetSuite said is kept (the nsId, the observation), the
// outcome is failed, since a re-run could not know it, and the error
// says why.
func (s *scheduler) refused(res distribution.Result, err error) distribution.Result {
	s.r.cfg.logger.Debug("rollout: the journal refused a result", "account", string(res.Account), "error", err.Error())
	was := res.Outcome
	res.Outcome = distribution.OutcomeFailed
	res.Err = &EntryError{Outcome: was, Err: err}
	res.Explanation = approval.Explanation{Kind: approval.UnknownOutcome, Report: string(distribution.OutcomeFailed), Observed: res.Explanation.Observed,
		Sentence:   fmt.Sprintf("the target ended %s, but the journal refused to record its result", was),
		NextStep:   "run again with the same journal to check this target again; if the journal refuses it again, report the error to nsdist's maintainers",
		LessLikely: []string{}}
	return res
}

func (s *scheduler) finishLocked(res *distribution.Result, emit bool) {
	s.results = append(s.results, *res) // made for every target at the start: it never grows
	s.counts[res.Outcome]++
	s.done++
	if s.r.cfg.results != nil {
		s.rmu.Lock()
		s.resultQ = append(s.resultQ, *res)
		s.rcond.Signal()
		s.rmu.Unlock()
	}
	if emit {
		s.sendLocked(EventFinished, res.Account, res.Attempts, res.Outcome, 0)
	}
}

// sendLocked queues an event without blocking; when the callback lags,
// the event is dropped (the next one carries the counts). Without a
// callback it builds nothing.
func (s *scheduler) sendLocked(t EventType, a nsdist.AccountID, attempt int, outcome distribution.Outcome, wait time.Duration) {
	if s.events == nil {
		return
	}
	e := s.eventLocked(t, a, attempt)
	e.Outcome, e.Wait = outcome, wait
	select {
	case s.events <- e:
	default:
		s.dropped++
	}
}

func (s *scheduler) eventLocked(t EventType, a nsdist.AccountID, attempt int) Event {
	counts := make(map[distribution.Outcome]int, len(s.counts))
	for k, v := range s.counts {
		counts[k] = v
	}
	elapsed := s.r.cfg.clock().Sub(s.start)
	var eta time.Duration
	if s.done > 0 && s.done < s.total {
		eta = time.Duration(float64(elapsed) / float64(s.done) * float64(s.total-s.done))
	}
	return Event{Type: t, Account: a, Attempt: attempt, Done: s.done, Total: s.total, Counts: counts, Elapsed: elapsed, ETA: eta, Dropped: s.dropped}
}

// sameChannel reports whether the journal's result came through the
// channel of the target's credential now: an account enabled under TBA
// whose customer has since authorized with OAuth 2.0 is checked again.
func sameChannel(e Entry, t distribution.Target) bool {
	return e.Channel == "" || t.Credential == nil || e.Channel == t.Credential.Channel()
}

// sameCredential reports whether the journal's result came through the
// credential whose fingerprint is fp: a new TBA token, grant or M2M
// certificate has never been proven, so its account is checked again. A
// line that names no credential (written before nsdist kept fingerprints,
// or for a credential that was not Identified) is checked again too, once:
// its new line names one. A credential that is not Identified (fp empty)
// has only its channel compared.
func sameCredential(e Entry, fp string) bool {
	return fp == "" || e.Fingerprint == fp
}

func fromEntry(e Entry) distribution.Result {
	return distribution.Result{Account: e.Account, Label: e.Label, Channel: e.Channel, Auth: e.Auth, Attempts: e.Attempts, NSID: e.NSID,
		FromJournal: true, ReauthorizeBy: e.ReauthorizeBy, Outcome: e.Outcome, Decision: approval.Decision{InitialState: e.Predicted},
		Explanation: approval.Explanation{Kind: approval.Enabled, Report: e.Outcome.String(), Sentence: e.Sentence, NextStep: e.NextStep, LessLikely: []string{}}}
}

// retryable reports whether another attempt at the target may succeed: the
// one classifier's answer for the error, or, for a Distributor whose
// Result carries no error, its explanation's kind.
func retryable(res distribution.Result) bool {
	if res.Err != nil {
		return nsdist.Retryable(res.Err)
	}
	return res.Explanation.Kind == approval.Retryable
}
