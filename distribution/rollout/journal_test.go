package rollout_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/rollout"

	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
)

const testRecord = "Acme Sync"

func entry(run string, i int, outcome string) rollout.Entry {
	return rollout.Entry{Run: run, Record: testRecord, Time: time.Date(2026, 5, 1, 0, 0, i, 0, time.UTC),
		Account: nsdist.AccountID(strconv.Itoa(3000000 + i)), Outcome: distribution.Outcome(outcome), Attempts: 1}
}

// writeJournal creates a journal at path with n enabled results of run.
func writeJournal(t *testing.T, path, run string, n int) {
	t.Helper()
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Begin(t.Context(), run, testRecord); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := j.Record(t.Context(), entry(run, i, "enabled")); err != nil {
			t.Fatal(err)
		}
	}
}

func openLatest(t *testing.T, path, record string) (map[nsdist.AccountID]rollout.Entry, []*rollout.LineError) {
	t.Helper()
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	latest, err := j.Latest(t.Context(), record)
	if err != nil {
		t.Fatal(err)
	}
	return latest, j.Problems()
}

type problem struct {
	Line int
	Cut  bool
}

func problems(ps []*rollout.LineError) []problem {
	out := []problem{}
	for _, p := range ps {
		out = append(out, problem{p.Line, p.Cut})
	}
	return out
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// insertLine puts s as its own line before line n (1-based) of the file.
func insertLine(t *testing.T, path string, n int, s string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	lines = append(lines[:n-1], append([]string{s + "\n"}, lines[n-1:]...)...)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestJournalDamage: what OpenJournal keeps, cuts and reports. Lines: 1
// header, 2 run, 3–102 results of accounts 0–99.
func TestJournalDamage(t *testing.T) {
	t.Parallel()
	otherJournal := func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "other.jsonl")
		writeJournal(t, p, "other-run", 1)
		b, _ := os.ReadFile(p)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		return lines[len(lines)-1] // "enabled" for account 0, from another journal
	}
	tests := []struct {
		name         string
		damage       func(t *testing.T, path string)
		wantAccounts int
		wantProblems []problem
		wantSuffix   string // the file still ends so
	}{
		{"intact", func(*testing.T, string) {}, 100, []problem{}, "}\n"},
		{"garbage line in the middle is kept and reported", func(t *testing.T, p string) {
			insertLine(t, p, 52, "garbage \x00 not json")
		}, 100, []problem{{52, false}}, "}\n"},
		{"torn last line is cut", func(t *testing.T, p string) {
			appendTo(t, p, `{"journal":"x","run":"r","account":"3000200","outco`)
		}, 100, []problem{{103, true}}, "}\n"},
		{"garbage middle line and torn last line", func(t *testing.T, p string) {
			insertLine(t, p, 10, "{{{")
			appendTo(t, p, `{"journal":"x"`)
		}, 100, []problem{{10, false}, {104, true}}, "}\n"},
		{"a complete bad last line is kept", func(t *testing.T, p string) {
			appendTo(t, p, "not json\n")
		}, 100, []problem{{103, false}}, "not json\n"},
		{"a legacy line bound to no journal is not used", func(t *testing.T, p string) {
			appendTo(t, p, `{"run":"old","record":"Acme Sync","account":"3000500","outcome":"enabled"}`+"\n")
		}, 100, []problem{{103, false}}, "}\n"},
		{"a line from another journal is not used", func(t *testing.T, p string) {
			// account 0 is in this journal too: the other line must not
			// replace it, so it is moved out of the way first
			line := strings.Replace(otherJournal(t, filepath.Dir(p)), `"account":"3000000"`, `"account":"3000777"`, 1)
			appendTo(t, p, line+"\n")
		}, 100, []problem{{103, false}}, "}\n"},
		{"another journal's header and lines are not used", func(t *testing.T, p string) {
			o := filepath.Join(filepath.Dir(p), "other2.jsonl")
			writeJournal(t, o, "r2", 150)
			b, _ := os.ReadFile(o)
			appendTo(t, p, string(b))
		}, 100, append([]problem{{103, false}}, func() []problem {
			var ps []problem
			for l := 104; l <= 104+150 && len(ps) < 100; l++ { // run line and 150 results, 100 listed
				ps = append(ps, problem{l, false})
			}
			return append(ps[:99], problem{203, false})
		}()...), "}\n"},
		{"a header without an id", func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, append([]byte(`{"nsdist_journal":2}`+"\n"), b...), 0o600) //nolint:errcheck
		}, 100, []problem{{1, false}}, "}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "j.jsonl")
			writeJournal(t, path, "run-1", 100)
			tt.damage(t, path)
			before, _ := os.ReadFile(path)
			latest, ps := openLatest(t, path, testRecord)
			if len(latest) != tt.wantAccounts {
				t.Errorf("Latest: %d accounts, want %d", len(latest), tt.wantAccounts)
			}
			for a, e := range latest {
				if e.Run != "run-1" || e.Outcome != "enabled" || e.Account != a {
					t.Errorf("Latest[%s] = %+v", a, e)
				}
			}
			if diff := cmp.Diff(tt.wantProblems, problems(ps)); diff != "" {
				t.Errorf("Problems() mismatch (-want +got):\n%s\n%v", diff, ps)
			}
			after, _ := os.ReadFile(path)
			if !strings.HasSuffix(string(after), tt.wantSuffix) {
				t.Errorf("the journal ends %q", after[max(0, len(after)-40):])
			}
			if cut := len(before) - len(after); cut < 0 || (cut > 0) != slicesContainCut(ps) || !bytes.HasPrefix(before, after) {
				t.Errorf("OpenJournal changed the file beyond cutting a torn tail (%d bytes before, %d after)", len(before), len(after))
			}
			for _, p := range ps {
				if !strings.Contains(p.Error(), fmt.Sprintf("line %d:", p.Line)) {
					t.Errorf("problem %q does not name its line", p.Error())
				}
			}
		})
	}
}

func slicesContainCut(ps []*rollout.LineError) bool {
	for _, p := range ps {
		if p.Cut {
			return true
		}
	}
	return false
}

// TestJournalBinding: entries are taken only for their record, the latest
// per account wins, and a re-opened journal appends after what it read.
func TestJournalBinding(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	ctx := t.Context()
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	e := func(run, record, outcome string) rollout.Entry {
		return rollout.Entry{Run: run, Record: record, Account: "123456", Outcome: distribution.Outcome(outcome), Time: time.Unix(1, 0).UTC()}
	}
	for _, x := range []rollout.Entry{e("r1", "A", "awaiting_approval"), e("r1", "B", "enabled"), e("r2", "A", "enabled"), e("r3", "B", "failed")} {
		if err := j.Record(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	id := j.ID()
	j.Close()
	tests := []struct {
		record string
		want   map[nsdist.AccountID]rollout.Entry
	}{
		{"A", map[nsdist.AccountID]rollout.Entry{"123456": e("r2", "A", "enabled")}},
		{"B", map[nsdist.AccountID]rollout.Entry{"123456": e("r3", "B", "failed")}},
		{"C", map[nsdist.AccountID]rollout.Entry{}},
	}
	j, err = rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.ID() != id || len(id) != 32 {
		t.Errorf("journal id %q after reopening, want %q", j.ID(), id)
	}
	for _, tt := range tests {
		got, err := j.Latest(ctx, tt.record)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Latest(%q) mismatch (-want +got):\n%s", tt.record, diff)
		}
	}
	if err := j.Record(ctx, rollout.Entry{Account: "1"}); err == nil {
		t.Error("Record without a run succeeded")
	}
}

// TestJournalLocked: a second opener gets ErrJournalLocked naming the
// holder, and gets the journal once the holder closes it.
func TestJournalLocked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rollout.OpenJournal(path)
	if !errors.Is(err, rollout.ErrJournalLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d on ", os.Getpid())) {
		t.Errorf("second OpenJournal = %v, want ErrJournalLocked naming pid %d", err, os.Getpid())
	}
	j.Close()
	j2, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatalf("OpenJournal after Close: %v", err)
	}
	j2.Close()
}

// TestJournalLongLines: a 200 MB line costs no more than the line cap to
// skip, and an entry with huge text is shortened to fit.
func TestJournalLongLines(t *testing.T) { //nolint:paralleltest // measures allocations
	path := filepath.Join(t.TempDir(), "j.jsonl")
	writeJournal(t, path, "run-1", 10)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	const huge = 200 << 20
	if err := f.Truncate(st.Size() + huge); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	appendTo(t, path, "\n")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	long := entry("run-2", 10, "failed")
	long.Error = strings.Repeat("é", 3<<20)
	if err := j.Record(t.Context(), long); err != nil {
		t.Fatal(err)
	}
	j.Close()

	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	latest, ps := openLatest(t, path, testRecord)
	runtime.ReadMemStats(&m1)
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 8<<20 {
		t.Errorf("opening a journal with a 200 MB line allocated %d MiB, want at most 8", alloc>>20)
	}
	if diff := cmp.Diff([]problem{{13, false}}, problems(ps)); diff != "" {
		t.Errorf("Problems() mismatch (-want +got):\n%s", diff)
	}
	got := latest[long.Account]
	if len(latest) != 11 || len(got.Error) > 20<<10 || !strings.HasPrefix(got.Error, "ééé") || !strings.HasSuffix(got.Error, "…") {
		t.Errorf("%d accounts; the long entry's error has %d bytes", len(latest), len(got.Error))
	}
}

// The two-process test re-runs this binary as a journal writer.
const (
	writerEnv  = "NSDIST_JOURNAL_WRITER"
	writerNEnv = "NSDIST_JOURNAL_WRITER_N"
	// after this many results the writer waits to be killed (0: never)
	writerStopEnv = "NSDIST_JOURNAL_WRITER_STOP"
)

// TestJournalWriterProcess is the child of TestJournalTwoProcessesKill;
// it does nothing in a normal run.
func TestJournalWriterProcess(t *testing.T) { //nolint:paralleltest // a child process
	path := os.Getenv(writerEnv)
	if path == "" {
		return
	}
	n, _ := strconv.Atoi(os.Getenv(writerNEnv))
	stop, _ := strconv.Atoi(os.Getenv(writerStopEnv))
	os.Exit(journalWriter(path, n, stop))
}

// journalWriter waits for the journal (printing "locked: <error>" the
// first time it is refused), then records every account of 0..n-1 that
// the journal does not hold yet, four at a time, printing "ack <i>" once
// each is durable. After stop results (when stop > 0) it waits to be killed.
func journalWriter(path string, n, stop int) int {
	var j *rollout.FileJournal
	var err error
	for said := false; ; {
		j, err = rollout.OpenJournal(path)
		if err == nil {
			break
		}
		if !errors.Is(err, rollout.ErrJournalLocked) {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		if !said {
			fmt.Printf("locked: %v\n", err)
			said = true
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx := context.Background()
	have, _ := j.Latest(ctx, testRecord)
	run := fmt.Sprintf("pid-%d", os.Getpid())
	if err := j.Begin(ctx, run, testRecord); err != nil {
		return 3
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range next {
				if err := j.Record(ctx, entry(run, i, "enabled")); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %d\n", i)
				out.Flush()
				mu.Unlock()
				time.Sleep(time.Millisecond) // pace the writer so the kill lands mid-way
			}
		})
	}
	sent := 0
	for i := range n {
		if _, ok := have[entry(run, i, "").Account]; !ok {
			if sent == stop && stop > 0 {
				select {} // until SIGKILL
			}
			next <- i
			sent++
		}
	}
	close(next)
	wg.Wait()
	j.Close()
	return 0
}

type child struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	acks   map[int]int
	locked string
	done   chan struct{}
}

func startWriter(t *testing.T, path string, n, stop int) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalWriterProcess$")
	cmd.Env = append(os.Environ(), writerEnv+"="+path, writerNEnv+"="+strconv.Itoa(n), writerStopEnv+"="+strconv.Itoa(stop),
		// the race detector otherwise waits a second when the child exits
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, acks: map[int]int{}, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			if rest, ok := strings.CutPrefix(line, "ack "); ok {
				i, _ := strconv.Atoi(rest)
				c.acks[i]++
			} else if rest, ok := strings.CutPrefix(line, "locked: "); ok {
				c.locked = rest
			}
			c.mu.Unlock()
		}
		io.Copy(io.Discard, out) //nolint:errcheck
	}()
	return c
}

func (c *child) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.acks)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestJournalTwoProcessesKill: process A writes; process B, started
// meanwhile, is refused with A's pid and waits; A is killed with SIGKILL
// mid-way; B takes the journal over and finishes. Every result either
// acknowledged is in the journal exactly once.
func TestJournalTwoProcessesKill(t *testing.T) { //nolint:paralleltest // forks a child: see helpers_test.go
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	const n = 600
	path := filepath.Join(t.TempDir(), "two.jsonl")
	a := startWriter(t, path, n, 250) // killed after 150, in the middle of 250
	waitFor(t, "A's first results", func() bool { return a.count() >= 20 })
	b := startWriter(t, path, n, 0)
	waitFor(t, "B to be refused", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.locked != "" })
	waitFor(t, "A's results", func() bool { return a.count() >= 150 })
	a.cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck
	if err := a.cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("A ended with %v, not by the kill", err)
	}
	<-a.done
	if err := b.cmd.Wait(); err != nil {
		t.Fatalf("B: %v", err)
	}
	<-b.done
	if want := fmt.Sprintf("pid %d on ", a.cmd.Process.Pid); !strings.Contains(b.locked, want) {
		t.Errorf("B was refused with %q, want the holder named (%q)", b.locked, want)
	}
	if a.count() >= n {
		t.Fatalf("A finished before the kill (%d results)", a.count())
	}

	// count every result line of the file
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := map[int]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct {
			Account string  `json:"account"`
			Outcome *string `json:"outcome"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		if e.Outcome != nil {
			i, _ := strconv.Atoi(e.Account)
			lines[i-3000000]++
		}
	}
	lost, dup := 0, 0
	for i := range n {
		acked := a.acks[i] + b.acks[i]
		switch {
		case lines[i] == 0 && acked > 0:
			lost++
		case lines[i] > 1:
			dup++
		case lines[i] == 0:
			t.Errorf("account %d was never recorded", i)
		}
	}
	t.Logf("file journal, two processes, kill -9: A acknowledged %d, B %d; lost %d, duplicated %d", len(a.acks), len(b.acks), lost, dup)
	if lost != 0 || dup != 0 {
		t.Errorf("lost %d acknowledged results, %d duplicated", lost, dup)
	}
}

// A symlink planted at the journal's .lock path is replaced, not followed.
func TestJournalLockSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "j.jsonl")
	if err := os.Symlink(victim, path+".lock"); err != nil {
		t.Skip("no symlinks here:", err)
	}
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("the symlink's target was written: %q", b)
	}
}

// lineLen is the length of the line Record writes for e in journal id
// (without its newline): the entry with the journal's identity first.
func lineLen(t *testing.T, id string, e rollout.Entry) int {
	t.Helper()
	b, err := json.Marshal(struct {
		Journal string `json:"journal"`
		rollout.Entry
	}{id, e})
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// sized returns an entry for account whose line in journal id has exactly
// n bytes; NSID, which Record does not shorten, makes up the length (an
// ASCII letter adds one byte to the line).
func sized(t *testing.T, id string, account nsdist.AccountID, n int) rollout.Entry {
	t.Helper()
	e := rollout.Entry{Run: "r", Record: testRecord, Time: time.Unix(1, 0).UTC(), Account: account, Outcome: "enabled", NSID: "x"}
	e.NSID = strings.Repeat("x", 1+n-lineLen(t, id, e))
	return e
}

// TestJournalRecordLineCap: Record refuses a line of MaxJournalLine bytes
// and writes one a byte shorter, which a re-opened journal reads.
func TestJournalRecordLineCap(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	id := j.ID()
	if err := j.Record(t.Context(), sized(t, id, "1", rollout.MaxJournalLine)); err == nil || !strings.Contains(err.Error(), "line cap") {
		t.Errorf("Record of a %d-byte line = %v, want the line cap error", rollout.MaxJournalLine, err)
	}
	fits := sized(t, id, "2", rollout.MaxJournalLine-1)
	if err := j.Record(t.Context(), fits); err != nil {
		t.Errorf("Record of a %d-byte line: %v", rollout.MaxJournalLine-1, err)
	}
	j.Close()
	latest, ps := openLatest(t, path, testRecord)
	if len(latest) != 1 || latest["2"].NSID != fits.NSID || len(ps) != 0 {
		t.Errorf("re-opened: %d accounts, NSID of %d bytes, problems %v; want account 2 whole", len(latest), len(latest["2"].NSID), ps)
	}
}

// TestJournalReadLineCap: OpenJournal reads a line of MaxJournalLine bytes
// (before its newline) and skips one a byte longer.
func TestJournalReadLineCap(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	id := j.ID()
	j.Close()
	b, _ := json.Marshal(struct {
		Journal string `json:"journal"`
		rollout.Entry
	}{id, sized(t, id, "3", rollout.MaxJournalLine-1)})
	if len(b) != rollout.MaxJournalLine-1 {
		t.Fatalf("sized line has %d bytes, want %d", len(b), rollout.MaxJournalLine-1)
	}
	// padded with blanks: MaxJournalLine bytes for account 3, one more for 4
	other := bytes.Replace(b, []byte(`"account":"3"`), []byte(`"account":"4"`), 1)
	appendTo(t, path, string(b)+" \n"+string(other)+"  \n")
	latest, ps := openLatest(t, path, testRecord)
	got := []nsdist.AccountID{}
	for a := range latest {
		got = append(got, a)
	}
	if diff := cmp.Diff([]nsdist.AccountID{"3"}, got); diff != "" {
		t.Errorf("accounts read (-want +got):\n%s", diff)
	}
	// lines: 1 header, 2 account 3, 3 account 4
	if diff := cmp.Diff([]problem{{3, false}}, problems(ps)); diff != "" {
		t.Errorf("Problems() mismatch (-want +got):\n%s\n%v", diff, ps)
	}
}

// TestJournalTruncateText: free text is kept up to 16 KiB and otherwise
// cut on a rune boundary, with an ellipsis.
func TestJournalTruncateText(t *testing.T) {
	t.Parallel()
	const limit = 16 << 10
	tests := []struct {
		name, text, want string
	}{
		{"short", "boom", "boom"},
		{"exactly the cap", strings.Repeat("a", limit), strings.Repeat("a", limit)},
		{"one byte over", strings.Repeat("a", limit+1), strings.Repeat("a", limit) + "…"},
		{"cut on a rune start", strings.Repeat("é", limit), strings.Repeat("é", limit/2) + "…"},
		{"cut inside a rune", "a" + strings.Repeat("é", limit), "a" + strings.Repeat("é", limit/2-1) + "…"},
		{"no rune start at all", strings.Repeat("\x80", limit+10), "…"},
	}
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for i, tt := range tests {
		e := entry("run-1", i, "failed")
		e.Error, e.Sentence, e.NextStep = tt.text, tt.text, tt.text
		if err := j.Record(t.Context(), e); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, _ := j.Latest(t.Context(), testRecord)
		g := got[e.Account]
		for field, v := range map[string]string{"Error": g.Error, "Sentence": g.Sentence, "NextStep": g.NextStep} {
			if v != tt.want {
				t.Errorf("%s: %s has %d bytes %q…, want %d bytes", tt.name, field, len(v), v[:min(len(v), 8)], len(tt.want))
			}
		}
	}
}

// TestJournalRecordVisibleAndClosed: a recorded entry is in Latest at
// once, without reopening; after Close, Record fails and keeps nothing.
func TestJournalRecordVisibleAndClosed(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	e := entry("run-1", 1, "enabled")
	if err := j.Record(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	got, _ := j.Latest(t.Context(), testRecord)
	if diff := cmp.Diff(map[nsdist.AccountID]rollout.Entry{e.Account: e}, got); diff != "" {
		t.Errorf("Latest after Record (-want +got):\n%s", diff)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	late := entry("run-1", 2, "enabled")
	if err := j.Record(t.Context(), late); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Record after Close = %v, want an error", err)
	}
	if err := j.Begin(t.Context(), "run-2", testRecord); err == nil {
		t.Error("Begin after Close succeeded")
	}
	if got, _ := j.Latest(t.Context(), testRecord); len(got) != 1 {
		t.Errorf("Latest after a refused Record has %d accounts, want 1", len(got))
	}
}

// TestJournalTornReason: the torn tail's problem says how many bytes were cut.
func TestJournalTornReason(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	writeJournal(t, path, "run-1", 2)
	tail := `{"journal":"x"` // 14 bytes, no newline
	appendTo(t, path, tail)
	_, ps := openLatest(t, path, testRecord)
	if len(ps) != 1 {
		t.Fatalf("Problems() = %v, want one", ps)
	}
	want := &rollout.LineError{Path: path, Line: 5, Reason: "torn: 14 bytes without a newline, from a write a crash interrupted", Cut: true}
	if diff := cmp.Diff(want, ps[0]); diff != "" {
		t.Errorf("torn tail problem (-want +got):\n%s", diff)
	}
}

// TestJournalHolderNoteTempFile: when the holder note cannot be renamed
// into place (a directory has its name), its temporary file is removed.
func TestJournalHolderNoteTempFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "j.jsonl")
	if err := os.MkdirAll(filepath.Join(path+".lock", "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	names, err := filepath.Glob(filepath.Join(dir, ".j.jsonl.lock.*"))
	if err != nil || len(names) != 0 {
		t.Errorf("temporary holder notes left behind: %v %v", names, err)
	}
	_, err = rollout.OpenJournal(path)
	if err == nil || !strings.Contains(err.Error(), "held by another process") {
		t.Errorf("second OpenJournal = %v, want the holder unnamed", err)
	}
}

// tokenCred is an Identified credential of the TBA channel: its value is
// its identity.
type tokenCred string

func (tokenCred) Channel() approval.Channel       { return approval.ChannelTBA }
func (tokenCred) Validate(nsdist.AccountID) error { return nil }
func (c tokenCred) Identity() []string            { return []string{string(c)} }

// countingEnabler enables every target and counts them.
type countingEnabler struct{ n atomic.Int64 }

func (c *countingEnabler) Distribute(ctx context.Context, t distribution.Target) distribution.Result {
	c.n.Add(1)
	return enabler{}.Distribute(ctx, t)
}

// A journal line written before nsdist kept credential fingerprints still
// loads. It names no credential, so a target whose credential has an
// identity is checked again, once: its new line names the credential. A
// credential without an identity is compared by channel alone, as before.
func TestJournalLineWithoutFingerprint(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rollout.jsonl")
	writeJournal(t, path, "old", 2)
	if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("credential_fingerprint")) {
		t.Fatalf("the old journal names a credential:\n%s", b)
	}
	latest, ps := openLatest(t, path, testRecord)
	if len(latest) != 2 || len(ps) != 0 || latest["3000000"].Fingerprint != "" {
		t.Fatalf("old journal: %d entries, problems %v, fingerprint %q", len(latest), ps, latest["3000000"].Fingerprint)
	}
	targets := []distribution.Target{{Account: "3000000", Credential: tokenCred("T1")}, {Account: "3000001", Credential: chanCred(approval.ChannelTBA)}}
	d := &countingEnabler{}
	for _, want := range []struct{ sent, rechecked, fromJournal int }{{1, 1, 1}, {0, 0, 2}} {
		j, err := rollout.OpenJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		before := d.n.Load()
		rep, err := fastRollout(t, d, rollout.WithJournal(j), rollout.WithRecordName(testRecord)).Run(t.Context(), targets)
		j.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := struct{ sent, rechecked, fromJournal int }{int(d.n.Load() - before), rep.Rechecked, rep.FromJournal()}
		if got != want {
			t.Errorf("run: {sent rechecked fromJournal} = %+v, want %+v", got, want)
		}
	}
}

// stutter returns the first word that an error's text uses twice as a
// "word:" prefix ("rollout: journal: rollout: journal closed" gives
// "rollout"), or "". A package or step names itself once; the next layer
// adds what it knows, not the same words again.
func stutter(msg string) string {
	seen := map[string]bool{}
	for _, seg := range strings.Split(msg, ": ") {
		if seg == "" || strings.ContainsAny(seg, " \t/\\.") {
			continue // a sentence, a path or a file name, not a prefix
		}
		if seen[seg] {
			return seg
		}
		seen[seg] = true
	}
	return ""
}

func TestStutter(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]string{
		"rollout: journal: rollout: journal closed":                     "rollout",
		"distribution: journal: distribution: journal: disk full":       "distribution",
		"rollout: journal /tmp/j.jsonl: write: no space left on device": "",
		"rollout: journal: sqlstore: journal rollout: begin: timeout":   "",
		"rollout: t.csv:2: label: control character U+001B":             "",
	} {
		if got := stutter(msg); got != want {
			t.Errorf("stutter(%q) = %q, want %q", msg, got, want)
		}
	}
}

// FuzzJournalRead: any bytes in a journal file open without a panic: the
// journal is opened with its problems listed (at most 101), or refused
// with an error, and Latest answers.
func FuzzJournalRead(f *testing.F) {
	good := `{"format":2,"journal":"0123456789abcdef0123456789abcdef","created":"2026-11-01T00:00:00Z"}
{"run":"r1","record":"Acme Sync","time":"2026-11-01T00:00:01Z","account":"1234567","outcome":"enabled","attempts":1,"next_step":""}
`
	for _, s := range []string{good, good[:40], good + "{not json\n", good + `{"run":"","account":"bad id!"}` + "\n", "\n\n\n", "", "\x00\xff\n", good + "torn"} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "j.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := rollout.OpenJournal(path)
		if err != nil {
			return
		}
		defer j.Close()
		if n := len(j.Problems()); n > 101 {
			t.Fatalf("%d problems kept", n)
		}
		if _, err := j.Latest(t.Context(), "Acme Sync"); err != nil {
			t.Fatalf("Latest: %v", err)
		}
	})
}

// closingJournal closes its file journal once the run has begun, so that
// the run's Record calls fail as a full disk would make them fail.
type closingJournal struct{ *rollout.FileJournal }

func (j closingJournal) Begin(ctx context.Context, run, record string) error {
	if err := j.FileJournal.Begin(ctx, run, record); err != nil {
		return err
	}
	return j.Close()
}

// foreignJournal is a caller's own journal whose writes fail.
type foreignJournal struct{ rollout.MemoryJournal }

func (*foreignJournal) Record(context.Context, rollout.Entry) error { return errors.New("disk full") }

// The errors of opening a journal and of a run that cannot write to it
// say "rollout" and "journal" once each: the rollout wraps a journal's
// error with what it was doing only when the journal did not already say
// it, and a foreign journal's bare error still gets the context.
func TestJournalErrorsNameThemselvesOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	locked := filepath.Join(dir, "locked.jsonl")
	holder, err := rollout.OpenJournal(locked)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	run := func(j rollout.Journal) error {
		t.Helper()
		r, err := rollout.New(enabler{}, rollout.WithJournal(j), rollout.WithRecordName(testRecord))
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Run(t.Context(), []distribution.Target{{Account: "123456"}})
		return err
	}
	open := func(path string) *rollout.FileJournal {
		t.Helper()
		j, err := rollout.OpenJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	tests := []struct {
		name string
		err  func() error
		want string // in the error's text
	}{
		{"open: no such folder", func() error { _, err := rollout.OpenJournal(filepath.Join(dir, "no", "j.jsonl")); return err }, "no such file"},
		{"open: a folder", func() error { _, err := rollout.OpenJournal(dir); return err }, "is a directory"},
		{"open: locked", func() error { _, err := rollout.OpenJournal(locked); return err }, "in use by another process"},
		{"record: an empty entry", func() error { return open(filepath.Join(dir, "e.jsonl")).Record(t.Context(), rollout.Entry{}) }, "needs a run and an account"},
		{"run: the journal closed before it begins", func() error {
			j := open(filepath.Join(dir, "c.jsonl"))
			j.Close()
			return run(j)
		}, "closed"},
		{"run: the journal closed after it began", func() error { return run(closingJournal{open(filepath.Join(dir, "r.jsonl"))}) }, "closed"},
		{"run: a foreign journal's bare error", func() error { return run(&foreignJournal{}) }, "rollout: journal: disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one with %q", err, tt.want)
			}
			if w := stutter(err.Error()); w != "" {
				t.Errorf("error %q says %q twice", err, w)
			}
			if !strings.HasPrefix(err.Error(), "rollout: ") {
				t.Errorf("error %q does not begin with the package's prefix", err)
			}
		})
	}
}
