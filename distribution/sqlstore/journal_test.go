package sqlstore_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/sqlstore"
)

func jentry(run, record string, i int, outcome string, at time.Time) rollout.Entry {
	return rollout.Entry{Run: run, Record: record, Time: at, Account: nsdist.AccountID(strconv.Itoa(3000000 + i)), Outcome: distribution.Outcome(outcome), Attempts: 1}
}

func TestJournal(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.open(t)
		j, err := sqlstore.NewJournal(ctx, db, "")
		if err != nil {
			t.Fatal(err)
		}
		other, err := sqlstore.NewJournal(ctx, db, "other")
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Begin(ctx, "r1", "A"); err != nil {
			t.Fatal(err)
		}
		if err := j.Begin(ctx, "r1", "A"); err != nil {
			t.Errorf("Begin twice: %v", err)
		}
		at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
		steps := []struct {
			name string
			j    *sqlstore.Journal
			e    rollout.Entry
		}{
			{"first result", j, jentry("r1", "A", 1, "awaiting_approval", at(1))},
			{"the same (run, target) again replaces it", j, jentry("r1", "A", 1, "failed", at(2))},
			{"another target", j, jentry("r1", "A", 2, "enabled", at(3))},
			{"a later run", j, jentry("r2", "A", 1, "enabled", at(10))},
			{"another record's enabled result", j, jentry("r3", "B", 2, "enabled", at(20))},
			{"another journal's result", other, jentry("r4", "A", 2, "failed", at(30))},
		}
		for _, s := range steps {
			if err := s.j.Record(ctx, s.e); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		tests := []struct {
			j      *sqlstore.Journal
			record string
			want   map[nsdist.AccountID]rollout.Entry
		}{
			{j, "A", map[nsdist.AccountID]rollout.Entry{"3000001": steps[3].e, "3000002": steps[2].e}},
			{j, "B", map[nsdist.AccountID]rollout.Entry{"3000002": steps[4].e}},
			{j, "C", map[nsdist.AccountID]rollout.Entry{}},
			{other, "A", map[nsdist.AccountID]rollout.Entry{"3000002": steps[5].e}},
		}
		for _, tt := range tests {
			got, err := tt.j.Latest(ctx, tt.record)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("journal %s: Latest(%q) mismatch (-want +got):\n%s", tt.j.Name(), tt.record, diff)
			}
		}
		var rows int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM nsdist_journal WHERE journal = 'default' AND run = 'r1'`).Scan(&rows); err != nil || rows != 2 {
			t.Errorf("run r1 has %d rows (%v), want 2: one per target", rows, err)
		}

		// many writers: 2 replicas × 8 goroutines × 40 results, some
		// recorded twice
		var wg sync.WaitGroup
		for r := range 2 {
			jr, err := sqlstore.NewJournal(ctx, b.open(t), "many")
			if err != nil {
				t.Fatal(err)
			}
			for g := range 8 {
				wg.Go(func() {
					for i := range 40 {
						n := (r*8+g)*40 + i
						e := jentry("m", "A", n, "enabled", at(n))
						if err := jr.Record(ctx, e); err != nil {
							t.Errorf("Record: %v", err)
						}
						if i%10 == 0 {
							if err := jr.Record(ctx, e); err != nil {
								t.Errorf("Record again: %v", err)
							}
						}
					}
				})
			}
		}
		wg.Wait()
		many, _ := sqlstore.NewJournal(ctx, db, "many")
		got, err := many.Latest(ctx, "A")
		if err != nil || len(got) != 640 {
			t.Errorf("many writers: Latest has %d accounts (%v), want 640", len(got), err)
		}
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM nsdist_journal WHERE journal = 'many'`).Scan(&rows); err != nil || rows != 640 {
			t.Errorf("many writers: %d rows (%v), want 640", rows, err)
		}
		// an entry it cannot store is refused alone: the rollout fails
		// that target and goes on
		if err := j.Record(ctx, rollout.Entry{Run: "r5", Record: "A"}); !errors.Is(err, rollout.ErrEntryRefused) {
			t.Errorf("Record without an account = %v, want rollout.ErrEntryRefused", err)
		}
		j.Close()
		if err := j.Record(ctx, jentry("r9", "A", 9, "enabled", at(99))); err == nil {
			t.Error("Record after Close succeeded")
		}
	})
}

// The kill test re-runs this binary as a journal writer (see TestMain).
const (
	sqlWriterDSN = "NSDIST_SQLJOURNAL_DSN"
	sqlWriterRun = "NSDIST_SQLJOURNAL_RUN"
	sqlWriterN   = "NSDIST_SQLJOURNAL_N"
	// after this many results the writer waits to be killed (0: never)
	sqlWriterStop = "NSDIST_SQLJOURNAL_STOP"
	// the record (default "Acme Sync"), and "wait" to retry a Begin the
	// lease refuses, for up to 30 s
	sqlWriterRecord = "NSDIST_SQLJOURNAL_RECORD"
	sqlWriterWait   = "NSDIST_SQLJOURNAL_WAIT"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(sqlWriterDSN); dsn != "" {
		n, _ := strconv.Atoi(os.Getenv(sqlWriterN))
		stop, _ := strconv.Atoi(os.Getenv(sqlWriterStop))
		os.Exit(sqlJournalWriter(dsn, os.Getenv(sqlWriterRun), n, stop))
	}
	os.Exit(m.Run())
}

// sqlJournalWriter records accounts 0..n-1 of run, four at a time,
// printing "ack <i>" once each is committed. After stop results (when
// stop > 0) it waits to be killed.
func sqlJournalWriter(dsn, run string, n, stop int) int {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	j, err := sqlstore.NewJournal(ctx, db, "kill", sqlstore.WithLeaseTTL(time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	record := os.Getenv(sqlWriterRecord)
	if record == "" {
		record = "Acme Sync"
	}
	err = j.Begin(ctx, run, record)
	for deadline := time.Now().Add(30 * time.Second); errors.Is(err, rollout.ErrJournalLocked) && os.Getenv(sqlWriterWait) != "" && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		err = j.Begin(ctx, run, record)
	}
	if errors.Is(err, rollout.ErrJournalLocked) {
		fmt.Println("locked:", err)
		return 4
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer j.Close()
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	next := make(chan int)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range next {
				if err := j.Record(ctx, jentry(run, record, i, "enabled", time.Now())); err != nil {
					fmt.Fprintln(os.Stderr, err)
					failed.Store(true)
					continue
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %d\n", i)
				out.Flush()
				mu.Unlock()
				time.Sleep(time.Millisecond) // pace the writer so the kill lands mid-way
			}
		})
	}
	for i := range n {
		if i == stop && stop > 0 {
			select {} // until SIGKILL
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if failed.Load() {
		return 3
	}
	return 0
}

type writer struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	acks map[int]bool
	done chan struct{}
}

func startSQLWriter(t *testing.T, dsn, run string, n, stop int, env ...string) *writer {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), env...), sqlWriterDSN+"="+dsn, sqlWriterRun+"="+run, sqlWriterN+"="+strconv.Itoa(n), sqlWriterStop+"="+strconv.Itoa(stop),
		// the race detector otherwise waits a second when the child exits
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &writer{cmd: cmd, acks: map[int]bool{}, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				i, _ := strconv.Atoi(rest)
				w.mu.Lock()
				w.acks[i] = true
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *writer) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acks)
}

// TestJournalTwoProcessesKill: processes A and B write one SQL journal at
// once; A is killed with SIGKILL mid-way. Every result A or B acknowledged
// is there; A's run, resumed by a new process, ends with each target once.
func TestJournalTwoProcessesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		const n = 300
		// two rollouts of two records: one journal takes both at once
		a := startSQLWriter(t, b.dsn, "A", n, 150, sqlWriterRecord+"=Acme Sync") // killed after 100, in the middle of 150
		bw := startSQLWriter(t, b.dsn, "B", n, 0, sqlWriterRecord+"=Acme Cloud")
		deadline := time.Now().Add(60 * time.Second)
		for a.count() < 100 {
			if time.Now().After(deadline) {
				t.Fatal("timed out waiting for A's results")
			}
			time.Sleep(2 * time.Millisecond)
		}
		a.cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck
		if err := a.cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("A ended with %v, not by the kill", err)
		}
		<-a.done
		if err := bw.cmd.Wait(); err != nil {
			t.Fatalf("B: %v", err)
		}
		<-bw.done
		if a.count() >= n {
			t.Fatalf("A finished before the kill")
		}
		db := b.open(t)
		rows := func(run string) map[int]int {
			t.Helper()
			r, err := db.QueryContext(ctx, `SELECT account FROM nsdist_journal WHERE journal = 'kill' AND run = $1`, run)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			m := map[int]int{}
			for r.Next() {
				var acct string
				if err := r.Scan(&acct); err != nil {
					t.Fatal(err)
				}
				i, _ := strconv.Atoi(acct)
				m[i-3000000]++
			}
			return m
		}
		lost, dup := 0, 0
		for run, w := range map[string]*writer{"A": a, "B": bw} {
			got := rows(run)
			for i := range w.acks {
				if got[i] == 0 {
					lost++
				}
			}
			for _, c := range got {
				if c > 1 {
					dup++
				}
			}
		}
		if bc := bw.count(); bc != n {
			t.Errorf("B acknowledged %d of %d", bc, n)
		}
		// A's run resumes in a new process once the dead one's lease has
		// expired: recording again is idempotent
		a2 := startSQLWriter(t, b.dsn, "A", n, 0, sqlWriterRecord+"=Acme Sync", sqlWriterWait+"=1")
		if err := a2.cmd.Wait(); err != nil {
			t.Fatalf("A resumed: %v", err)
		}
		<-a2.done
		gotA := rows("A")
		for _, c := range gotA {
			if c > 1 {
				dup++
			}
		}
		t.Logf("%s journal, two processes, kill -9: A acknowledged %d before the kill, B %d; lost %d, duplicated %d; after resuming A has %d rows for %d targets",
			b.name, a.count(), bw.count(), lost, dup, len(gotA), n)
		if lost != 0 || dup != 0 || len(gotA) != n {
			t.Errorf("lost %d acknowledged results, %d duplicated; run A has %d targets, want %d", lost, dup, len(gotA), n)
		}
	})
}

// TestJournalOneRolloutPerRecord: while process A runs a rollout of a
// record on a SQL journal, process B's rollout of the same record is
// refused before it records anything; once A is killed, its lease expires
// and B's run goes through.
func TestJournalOneRolloutPerRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		rec := sqlWriterRecord + "=Solo " + b.name + randomHex(4)
		a := startSQLWriter(t, b.dsn, "A", 10, 5, rec)
		for deadline := time.Now().Add(30 * time.Second); a.count() < 5; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("timed out waiting for A's results")
			}
		}
		var out bytes.Buffer
		second := exec.Command(os.Args[0], "-test.run=^$")
		second.Env = append(os.Environ(), rec, sqlWriterDSN+"="+b.dsn, sqlWriterRun+"=B", sqlWriterN+"=10", sqlWriterStop+"=0")
		second.Stdout = &out
		if err := second.Run(); second.ProcessState.ExitCode() != 4 || !strings.Contains(out.String(), "rollout: journal in use") || !strings.Contains(out.String(), "held by") {
			t.Fatalf("a second rollout of the record: exit %d (%v): %s", second.ProcessState.ExitCode(), err, out.String())
		}
		a.cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck
		_ = a.cmd.Wait()
		<-a.done
		bw := startSQLWriter(t, b.dsn, "B", 10, 0, rec, sqlWriterWait+"=1")
		if err := bw.cmd.Wait(); err != nil {
			t.Fatalf("B after A's lease expired: %v", err)
		}
		<-bw.done
		if bw.count() != 10 {
			t.Errorf("B recorded %d of 10", bw.count())
		}
	})
}

// BenchmarkJournal measures each journal's write throughput in one run:
// 16 goroutines record distinct results, each durable when Record
// returns (fsync for the file, synchronous=FULL for SQLite, a commit for
// PostgreSQL).
//
//	NSDIST_TEST_POSTGRES=postgres://… go test ./distribution/sqlstore -run '^$' -bench Journal -benchtime 3s
func BenchmarkJournal(b *testing.B) {
	kinds := []string{"file", "sqlite", "postgres"}
	for _, kind := range kinds {
		b.Run(kind, func(b *testing.B) {
			var j rollout.Journal
			switch kind {
			case "file":
				fj, err := rollout.OpenJournal(filepath.Join(b.TempDir(), "bench.jsonl"))
				if err != nil {
					b.Fatal(err)
				}
				j = fj
			default:
				be := newBackend(b, kind)
				db, err := sqlstore.Open(context.Background(), be.dsn)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				sj, err := sqlstore.NewJournal(context.Background(), db, "bench")
				if err != nil {
					b.Fatal(err)
				}
				j = sj
			}
			defer j.Close()
			var seq atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(seq.Add(1))
					if err := j.Record(context.Background(), jentry("bench", "Acme Sync", i, "enabled", t0)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// tokenCred is an Identified credential of the TBA channel: its value is
// its identity (a token id).
type tokenCred string

func (tokenCred) Channel() approval.Channel       { return approval.ChannelTBA }
func (tokenCred) Validate(nsdist.AccountID) error { return nil }
func (c tokenCred) Identity() []string            { return []string{string(c)} }

// enabler enables every target and counts them.
type enabler struct{ n atomic.Int64 }

func (d *enabler) Distribute(_ context.Context, t distribution.Target) distribution.Result {
	d.n.Add(1)
	return distribution.Result{Account: t.Account, Outcome: distribution.OutcomeEnabled, Channel: t.Credential.Channel()}
}

// The SQL journal keeps each result's credential fingerprint (in the
// entry's JSON, so the table needs no column), and reads a row an older
// nsdist wrote without one: a re-run checks again a target whose
// credential changed or is not named, and skips the one already proven.
// The database holds the fingerprint, not the credential's identity.
func TestJournalCredentialFingerprint(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.open(t)
		j, err := sqlstore.NewJournal(ctx, db, "")
		if err != nil {
			t.Fatal(err)
		}
		// a row as an older nsdist wrote it: no credential_fingerprint
		if _, err := db.ExecContext(ctx, `INSERT INTO nsdist_journal (journal, run, account, record, time_ms, outcome, entry)
		VALUES ('default', 'old', '3000000', 'Acme Sync', 1, 'enabled', $1)`,
			`{"run":"old","record":"Acme Sync","time":"2026-01-01T00:00:00Z","account":"3000000","outcome":"enabled","attempts":1,"next_step":"","channel":"tba"}`); err != nil {
			t.Fatal(err)
		}
		if got, err := j.Latest(ctx, "Acme Sync"); err != nil || len(got) != 1 || got["3000000"].Fingerprint != "" {
			t.Fatalf("Latest of an old row = %v, %v; want it, without a fingerprint", got, err)
		}
		const t1, t2 = "token-id-4f0c9d2e7b1a6358", "token-id-9a8b7c6d5e4f3021"
		d := &enabler{}
		steps := []struct {
			name            string
			cred            tokenCred
			sent, rechecked int
		}{
			{"an old row names no credential", t1, 1, 1},
			{"the same credential is skipped", t1, 0, 0},
			{"another credential is checked again", t2, 1, 1},
			{"and then skipped", t2, 0, 0},
		}
		for _, st := range steps {
			r, err := rollout.New(d, rollout.WithJournal(j), rollout.WithRecordName("Acme Sync"))
			if err != nil {
				t.Fatal(err)
			}
			before := d.n.Load()
			rep, err := r.Run(ctx, []distribution.Target{{Account: "3000000", Credential: st.cred}})
			if err != nil {
				t.Fatal(err)
			}
			if sent := int(d.n.Load() - before); sent != st.sent || rep.Rechecked != st.rechecked {
				t.Errorf("%s: sent %d, rechecked %d; want %d, %d", st.name, sent, rep.Rechecked, st.sent, st.rechecked)
			}
		}
		got, err := j.Latest(ctx, "Acme Sync")
		if err != nil || got["3000000"].Fingerprint != distribution.Fingerprint(tokenCred(t2)) {
			t.Errorf("Latest fingerprint = %q (%v), want the second credential's", got["3000000"].Fingerprint, err)
		}
		if b.raw != nil {
			if s := containsAny(b.raw(t), t1, t2); s != "" {
				t.Errorf("the database holds a credential's identity %q", s)
			}
		}
	})
}
