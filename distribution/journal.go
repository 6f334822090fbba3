package distribution

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/nsdist/nsdist/soap"
)

// Entry is one target's recorded result.
type Entry struct {
	Run       string         `json:"run"`
	Time      time.Time      `json:"time"`
	Account   soap.AccountID `json:"account"`
	Outcome   string         `json:"outcome"`
	Attempts  int            `json:"attempts"`
	NextStep  string         `json:"next_step"`
	Channel   string         `json:"channel,omitempty"`
	Predicted string         `json:"predicted_state,omitempty"`
	Sentence  string         `json:"sentence,omitempty"`
	NSID      string         `json:"nsid,omitempty"`
	Error     string         `json:"error,omitempty"`
}

// Journal records each target's terminal result durably, so that a re-run
// skips finished targets. Implementations must be safe for concurrent use.
type Journal interface {
	// Latest returns the latest entry per account from earlier runs.
	Latest() map[soap.AccountID]Entry
	// Record stores one result; when it returns nil the entry is durable.
	Record(e Entry) error
	// Begin marks the start of a run.
	Begin(run string) error
	Close() error
}

// FileJournal is an append-only JSON Lines file. Record returns once its
// line is on disk; lines written by concurrent workers share one fsync
// (group commit), so durability per result does not cost one fsync per line.
type FileJournal struct {
	f      *os.File
	latest map[soap.AccountID]Entry

	mu      sync.Mutex
	cond    *sync.Cond
	pending bytes.Buffer
	waiters int
	gen     uint64 // generations synced
	err     error
	closed  bool
	syncing bool
}

var _ Journal = (*FileJournal)(nil)

// OpenJournal opens or creates a journal. A last line torn by a crash is
// cut off; the latest line per account wins.
func OpenJournal(path string) (*FileJournal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("distribution: journal: %w", err)
	}
	latest, good, err := readJournal(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("distribution: journal %s: %w", path, err)
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("distribution: journal %s: cut torn line: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	j := &FileJournal{f: f, latest: latest}
	j.cond = sync.NewCond(&j.mu)
	return j, nil
}

// readJournal returns the latest entry per account and the offset after
// the last complete, valid line.
func readJournal(r io.Reader) (map[soap.AccountID]Entry, int64, error) {
	latest := map[soap.AccountID]Entry{}
	br := bufio.NewReaderSize(r, 64<<10)
	var good int64
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var probe struct {
				Outcome *string `json:"outcome"`
			}
			var e Entry
			if json.Unmarshal(line, &probe) != nil || json.Unmarshal(line, &e) != nil {
				// a complete but corrupt line: stop here, the rest is suspect
				return latest, good, nil
			}
			if probe.Outcome != nil && e.Account != "" {
				latest[e.Account] = e
			}
			good += int64(len(line))
		}
		if errors.Is(err, io.EOF) {
			return latest, good, nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

// Latest returns the latest entry per account found when the journal was opened.
func (j *FileJournal) Latest() map[soap.AccountID]Entry {
	out := make(map[soap.AccountID]Entry, len(j.latest))
	for k, v := range j.latest {
		out[k] = v
	}
	return out
}

// Begin writes a run header line (it has no outcome field).
func (j *FileJournal) Begin(run string) error {
	b, _ := json.Marshal(struct {
		Run   string    `json:"run"`
		Start time.Time `json:"start"`
	}{run, time.Now().UTC()})
	return j.write(b)
}

// Record appends e and returns when it is on disk.
func (j *FileJournal) Record(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return j.write(b)
}

func (j *FileJournal) write(line []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errors.New("distribution: journal closed")
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
	j.waiters++
	for j.gen < target && j.err == nil {
		if !j.syncing {
			j.flushLocked()
			continue
		}
		j.cond.Wait()
	}
	j.waiters--
	return j.err
}

// flushLocked writes and syncs everything pending; it releases the lock
// while on disk so that more lines gather for the next sync.
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
		j.err = fmt.Errorf("distribution: journal write: %w", err)
	}
	j.gen++
	j.syncing = false
	j.cond.Broadcast()
}

// Close closes the file.
func (j *FileJournal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	return j.f.Close()
}

// MemoryJournal keeps entries in memory, for tests and callers that store
// results elsewhere.
type MemoryJournal struct {
	mu      sync.Mutex
	Entries []Entry
	Runs    []string
}

var _ Journal = (*MemoryJournal)(nil)

// Latest returns the latest entry per account.
func (m *MemoryJournal) Latest() map[soap.AccountID]Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[soap.AccountID]Entry{}
	for _, e := range m.Entries {
		out[e.Account] = e
	}
	return out
}

// Begin records a run.
func (m *MemoryJournal) Begin(run string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Runs = append(m.Runs, run)
	return nil
}

// Record appends e.
func (m *MemoryJournal) Record(e Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Entries = append(m.Entries, e)
	return nil
}

// Close does nothing.
func (m *MemoryJournal) Close() error { return nil }
