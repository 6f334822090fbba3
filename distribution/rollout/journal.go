package rollout

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
)

// Entry is one target's recorded result. Record names the integration
// record the rollout distributed (its name, as WithRecordName gives it):
// a journal may hold the rollouts of several records, and one record's
// result is never taken for another's.
type Entry struct {
	Run       string                  `json:"run"`
	Record    string                  `json:"record"`
	Time      time.Time               `json:"time"`
	Account   nsdist.AccountID        `json:"account"`
	Label     string                  `json:"label,omitempty"` // the target's label, for the report of a re-run
	Outcome   distribution.Outcome    `json:"outcome"`
	Attempts  int                     `json:"attempts"`
	NextStep  string                  `json:"next_step"`
	Channel   approval.Channel        `json:"channel,omitempty"`
	Auth      string                  `json:"auth,omitempty"` // Result.Auth: tba, passport, oauth2, m2m
	Predicted approval.PredictedState `json:"predicted_state,omitempty"`
	Sentence  string                  `json:"sentence,omitempty"`
	NSID      string                  `json:"nsid,omitempty"`
	Error     string                  `json:"error,omitempty"`
	// Fingerprint is the target's credential's [distribution.Fingerprint]:
	// a digest of its identity, never a secret. Empty is unknown: a line
	// an older nsdist wrote, or a credential that is not Identified.
	Fingerprint string `json:"credential_fingerprint,omitempty"`
	// ReauthorizeBy is the result's [distribution.Result.ReauthorizeBy].
	ReauthorizeBy time.Time `json:"reauthorize_by,omitzero"`
}

// Journal records each target's terminal result durably, so that a re-run
// skips finished targets. Implementations must be safe for concurrent use.
// [FileJournal] serves one process; distribution/sqlstore has a journal in
// SQLite or PostgreSQL for several writers.
type Journal interface {
	// Latest returns, per account, the latest entry recorded for record
	// (by this run or earlier ones).
	Latest(ctx context.Context, record string) (map[nsdist.AccountID]Entry, error)
	// Begin marks the start of a run of record.
	Begin(ctx context.Context, run, record string) error
	// Record stores one result; when it returns nil the entry is durable.
	// Recording the same (run, account) again replaces the entry. An
	// entry the journal cannot store while it can store others (too
	// large, say) is refused with an error that wraps ErrEntryRefused:
	// Run then fails that target and goes on. Any other error means the
	// journal itself failed, and Run stops starting targets.
	Record(ctx context.Context, e Entry) error
	Close() error
}

// MaxJournalLine caps a journal line. A longer line met when the journal
// is opened is reported and skipped without being held in memory whole;
// Record shortens an entry's free text so that its line fits.
const MaxJournalLine = 1 << 20

// maxJournalText caps each free-text field of a recorded entry.
const maxJournalText = 16 << 10

// journalFormat is the version in a file journal's header line.
const journalFormat = 2

// ErrEntryRefused is wrapped by a Journal's Record for one entry it cannot
// store while it can store others: an entry whose line would exceed
// MaxJournalLine, one without a run or an account. Run fails that target
// with an [*EntryError] and goes on with the others.
var ErrEntryRefused = errors.New("rollout: journal refused the entry")

// EntryError is the error of a target whose result the journal refused
// (see [ErrEntryRefused]): Run reports the target failed with it, since a
// re-run could not know what happened there, and goes on with the others.
type EntryError struct {
	// Outcome is what the target ended with before the journal refused
	// its result.
	Outcome distribution.Outcome
	// Err is the journal's refusal.
	Err error
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("rollout: the journal refused this target's result (%s), so a re-run checks it again: %v", e.Outcome, e.Err)
}

// Unwrap returns the journal's refusal.
func (e *EntryError) Unwrap() error { return e.Err }

// Cause is the short cause a report groups such targets by.
func (e *EntryError) Cause() string { return "the journal refused the result" }

// ErrJournalLocked is returned by OpenJournal when another process has the
// journal open; the error names that process.
var ErrJournalLocked = errors.New("rollout: journal in use by another process")

// LineError is a journal line OpenJournal did not use: not JSON, longer
// than MaxJournalLine, or bound to another journal. The line stays in the
// file; only a torn last line (no newline: a write cut by a crash) is
// cut off, and is reported with Cut set.
type LineError struct {
	Path   string
	Line   int // 1-based
	Reason string
	Cut    bool
}

func (e *LineError) Error() string {
	what := "kept, not used"
	if e.Cut {
		what = "cut off"
	}
	return fmt.Sprintf("rollout: journal %s line %d: %s (%s)", e.Path, e.Line, e.Reason, what)
}

// FileJournal is an append-only JSON Lines file for one process at a time.
//
// The first line is a header that gives the journal a random identity;
// every later line carries it, with the record and run it belongs to, so
// that lines pasted from another journal are never taken as this one's.
// OpenJournal opens the file with O_APPEND and an exclusive lock (flock;
// a second process gets ErrJournalLocked naming the holder). Record
// returns once its line is on disk; lines written by concurrent workers
// share one fsync (group commit), so durability per result does not cost
// one fsync per line.
type FileJournal struct {
	f        *os.File
	path     string
	lockPath string
	id       string
	problems []*LineError

	mu      sync.Mutex
	latest  map[string]map[nsdist.AccountID]Entry // by record
	cond    *sync.Cond
	pending bytes.Buffer
	gen     uint64 // generations synced
	err     error
	closed  bool
	syncing bool
}

var _ Journal = (*FileJournal)(nil)

// journalHeader is a file journal's first line.
type journalHeader struct {
	Format  int       `json:"nsdist_journal"`
	Journal string    `json:"journal"`
	Created time.Time `json:"created"`
}

// runLine marks the start of a run; it has no outcome field.
type runLine struct {
	Journal string    `json:"journal"`
	Run     string    `json:"run"`
	Record  string    `json:"record"`
	Start   time.Time `json:"start"`
}

// entryLine is a result line: the entry with the journal's identity.
type entryLine struct {
	Journal string `json:"journal"`
	Entry
}

// OpenJournal opens or creates a journal and takes its lock. It reads the
// latest entry per record and account; a last line torn by a crash is cut
// off, and every line it cannot use is kept and listed by Problems.
func OpenJournal(path string) (*FileJournal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("rollout: journal: %w", err)
	}
	lockPath := path + ".lock"
	if err := lockFile(f); err != nil {
		_ = f.Close()
		if errors.Is(err, errLocked) {
			holder := "another process"
			if h := readHolder(lockPath); h != "" {
				holder = h
			}
			return nil, fmt.Errorf("%w: %s is held by %s; wait for it to end, or give each process a journal of its own (a SQL journal takes rollouts of several records at once)", ErrJournalLocked, path, holder)
		}
		return nil, fmt.Errorf("rollout: journal %s: lock: %w", path, err)
	}
	j := &FileJournal{f: f, path: path, lockPath: lockPath}
	j.cond = sync.NewCond(&j.mu)
	if err := j.load(); err != nil {
		_ = f.Close()
		return nil, err
	}
	host, _ := os.Hostname()
	// who holds the lock, for the error a second process gets
	writeHolder(lockPath, fmt.Appendf(nil, "pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339)))
	return j, nil
}

// writeHolder writes the holder note through a new file renamed over
// path: a symlink planted at path is replaced, never followed.
func writeHolder(path string, note []byte) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return // informative only
	}
	_, werr := f.Write(note)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		_ = os.Remove(f.Name())
	}
}

// readHolder reads the holder note, only from a regular file.
func readHolder(path string) string {
	if st, err := os.Lstat(path); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b[:min(len(b), 200)]))
}

// load reads the file, cuts a torn last line, and writes the header of a
// journal that has none.
func (j *FileJournal) load() error {
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rollout: journal %s: %w", j.path, err)
	}
	good, size, err := j.read(j.f)
	if err != nil {
		return fmt.Errorf("rollout: journal %s: %w", j.path, err)
	}
	if size > good {
		if err := j.f.Truncate(good); err != nil {
			return fmt.Errorf("rollout: journal %s: cut torn line: %w", j.path, err)
		}
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("rollout: journal %s: %w", j.path, err)
		}
	}
	if j.id != "" {
		return nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("rollout: journal id: %w", err)
	}
	j.id = hex.EncodeToString(b[:])
	line, _ := json.Marshal(journalHeader{Format: journalFormat, Journal: j.id, Created: time.Now().UTC()})
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("rollout: journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("rollout: journal %s: %w", j.path, err)
	}
	if good == 0 {
		syncDir(filepath.Dir(j.path)) // a new file: make its name durable too
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() //nolint:errcheck // not every system syncs directories
		_ = d.Close()
	}
}

// read scans the journal: it returns the offset after the last complete
// line and the bytes read. Memory stays within MaxJournalLine plus a
// buffer, however long a line is.
func (j *FileJournal) read(r io.Reader) (good, size int64, err error) {
	j.latest = map[string]map[nsdist.AccountID]Entry{}
	br := bufio.NewReaderSize(r, 64<<10)
	var acc []byte
	overlong := false
	lineNo := 0
	for {
		chunk, rerr := br.ReadSlice('\n')
		size += int64(len(chunk))
		if !overlong {
			if len(acc)+len(chunk) > MaxJournalLine+1 {
				overlong, acc = true, nil
			} else {
				acc = append(acc, chunk...)
			}
		}
		if errors.Is(rerr, bufio.ErrBufferFull) {
			continue
		}
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			lineNo++
			if overlong {
				j.problem(lineNo, fmt.Sprintf("longer than %d bytes", MaxJournalLine), false)
			} else {
				j.line(lineNo, acc)
			}
			good = size
			acc, overlong = acc[:0], false
		}
		if errors.Is(rerr, io.EOF) {
			if size > good {
				j.problem(lineNo+1, fmt.Sprintf("torn: %d bytes without a newline, from a write a crash interrupted", size-good), true)
			}
			return good, size, nil
		}
		if rerr != nil {
			return 0, 0, rerr
		}
	}
}

// maxProblems bounds the problems kept; the last one says how many more.
const maxProblems = 100

func (j *FileJournal) problem(line int, reason string, cut bool) {
	switch {
	case len(j.problems) < maxProblems || cut:
		j.problems = append(j.problems, &LineError{Path: j.path, Line: line, Reason: reason, Cut: cut})
	case len(j.problems) == maxProblems:
		j.problems = append(j.problems, &LineError{Path: j.path, Line: line, Reason: "and more lines not used; the first ones are listed"})
	}
}

// line takes one complete line.
func (j *FileJournal) line(n int, b []byte) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return
	}
	var probe struct {
		Format  *int    `json:"nsdist_journal"`
		Journal string  `json:"journal"`
		Outcome *string `json:"outcome"`
	}
	var e Entry
	if err := json.Unmarshal(b, &probe); err != nil {
		j.problem(n, "not JSON: "+truncateText(err.Error(), 100), false)
		return
	}
	switch {
	case probe.Format != nil && j.id == "":
		if probe.Journal == "" {
			j.problem(n, "a header without a journal id", false)
			return
		}
		j.id = probe.Journal
	case probe.Format != nil && probe.Journal != j.id:
		j.problem(n, fmt.Sprintf("the header of another journal (%s); its lines are not used", probe.Journal), false)
	case probe.Format != nil:
	case probe.Journal == "":
		j.problem(n, "bound to no journal (written by an older nsdist or another program)", false)
	case probe.Journal != j.id:
		j.problem(n, fmt.Sprintf("belongs to journal %s, not this one (%s)", truncateText(probe.Journal, 40), j.id), false)
	case probe.Outcome == nil:
		// a run line
	default:
		if err := json.Unmarshal(b, &e); err != nil || e.Account == "" || e.Run == "" {
			j.problem(n, "a result without a run or an account", false)
			return
		}
		j.remember(e)
	}
}

func (j *FileJournal) remember(e Entry) {
	m := j.latest[e.Record]
	if m == nil {
		m = map[nsdist.AccountID]Entry{}
		j.latest[e.Record] = m
	}
	m[e.Account] = e
}

// Problems returns the lines OpenJournal did not use, in file order (at
// most about 100): each is a *LineError with its line number.
func (j *FileJournal) Problems() []*LineError {
	return append([]*LineError(nil), j.problems...)
}

// ID returns the journal's identity, from its header line.
func (j *FileJournal) ID() string { return j.id }

// Latest returns the latest entry per account recorded for record.
func (j *FileJournal) Latest(_ context.Context, record string) (map[nsdist.AccountID]Entry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make(map[nsdist.AccountID]Entry, len(j.latest[record]))
	for k, v := range j.latest[record] {
		out[k] = v
	}
	return out, nil
}

// Begin writes a run line (it has no outcome field).
func (j *FileJournal) Begin(_ context.Context, run, record string) error {
	b, err := json.Marshal(runLine{Journal: j.id, Run: run, Record: record, Start: time.Now().UTC()})
	if err != nil {
		return fileJournalErr(fmt.Errorf("rollout: journal %s: %w", j.path, err))
	}
	return j.write(b)
}

// Record appends e and returns when it is on disk. Free text longer than
// 16 KiB per field is shortened. ctx is not consulted: the fsync is short
// and a line already written is durable whether or not the caller waits.
func (j *FileJournal) Record(_ context.Context, e Entry) error {
	if e.Run == "" || e.Account == "" {
		return fileJournalErr(fmt.Errorf("%w (journal %s): an entry needs a run and an account", ErrEntryRefused, j.path))
	}
	e.NextStep, e.Sentence, e.Error = truncateText(e.NextStep, maxJournalText), truncateText(e.Sentence, maxJournalText), truncateText(e.Error, maxJournalText)
	b, err := json.Marshal(entryLine{Journal: j.id, Entry: e})
	if err != nil {
		return fileJournalErr(fmt.Errorf("%w (journal %s): %w", ErrEntryRefused, j.path, err))
	}
	if len(b) >= MaxJournalLine {
		return fileJournalErr(fmt.Errorf("%w (journal %s): an entry of %d bytes exceeds the %d-byte line cap", ErrEntryRefused, j.path, len(b), MaxJournalLine))
	}
	if err := j.write(b); err != nil {
		return err
	}
	j.mu.Lock()
	j.remember(e)
	j.mu.Unlock()
	return nil
}

// fileJournalError is an error of a FileJournal's Begin or Record. Its
// text already says "rollout: journal" and the file, so a Rollout returns
// it as it is rather than wrapping it in the same words again.
type fileJournalError struct{ err error }

func (e *fileJournalError) Error() string { return e.err.Error() }
func (e *fileJournalError) Unwrap() error { return e.err }

func fileJournalErr(err error) error { return &fileJournalError{err} }

// journalError is a journal's error as a Rollout returns it: with
// "rollout: journal" in front, unless a FileJournal already said so.
func journalError(err error) error {
	var fe *fileJournalError
	if errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("rollout: journal: %w", err)
}

// truncateText shortens s to at most n bytes on a rune boundary.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func (j *FileJournal) write(line []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fileJournalErr(fmt.Errorf("rollout: journal %s is closed", j.path))
	}
	if j.err != nil {
		return j.err
	}
	j.pending.Write(line)
	j.pending.WriteByte('\n')
	target := j.gen + 1
	if j.syncing {
		target = j.gen + 2 // the sync in progress does not hold this line
	}
	for j.gen < target && j.err == nil {
		if !j.syncing {
			j.flushLocked()
			continue
		}
		j.cond.Wait()
	}
	return j.err
}

// flushLocked writes and syncs everything pending in one write (O_APPEND:
// at the end of the file, whole); it releases the lock while on disk so
// that more lines gather for the next sync.
func (j *FileJournal) flushLocked() {
	j.syncing = true
	buf := append([]byte(nil), j.pending.Bytes()...)
	j.pending.Reset()
	j.mu.Unlock()
	_, err := j.f.Write(buf)
	if err == nil {
		err = j.f.Sync()
	}
	j.mu.Lock()
	if err != nil && j.err == nil {
		j.err = fileJournalErr(fmt.Errorf("rollout: journal write to %s: %w", j.path, err))
	}
	j.gen++
	j.syncing = false
	j.cond.Broadcast()
}

// Close releases the lock and closes the file. A child process that this
// process is starting at that moment holds the lock until it has exec'd
// (an flock follows the open file into a fork): reopening right away can
// then get ErrJournalLocked for that instant.
func (j *FileJournal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	os.Remove(j.lockPath) //nolint:errcheck // informative only
	return j.f.Close()
}

// MemoryJournal keeps entries in memory, for tests and callers that store
// results elsewhere. The zero value is ready to use.
type MemoryJournal struct {
	mu      sync.Mutex
	Entries []Entry
	Runs    []string
}

var _ Journal = (*MemoryJournal)(nil)

// Latest returns the latest entry per account recorded for record.
func (m *MemoryJournal) Latest(_ context.Context, record string) (map[nsdist.AccountID]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[nsdist.AccountID]Entry{}
	for _, e := range m.Entries {
		if e.Record == record {
			out[e.Account] = e
		}
	}
	return out, nil
}

// Begin records a run.
func (m *MemoryJournal) Begin(_ context.Context, run, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Runs = append(m.Runs, run)
	return nil
}

// Record appends e.
func (m *MemoryJournal) Record(_ context.Context, e Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Entries = append(m.Entries, e)
	return nil
}

// Close does nothing.
func (m *MemoryJournal) Close() error { return nil }
