package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/rollout"
)

// Journal is a rollout journal in the tables nsdist_journal and
// nsdist_journal_runs, safe with many writers at once (processes and
// goroutines): one row per (journal name, run, account), so recording the
// same result again replaces it rather than adding one; Latest gives, per
// account, the entry of the given record with the latest Time (then the
// first recorded). Concurrent Record calls share one transaction (group
// commit). A database can hold many journals, each under its own name.
// Each row keeps the whole entry as JSON, its credential fingerprint
// included (no column of its own); a row an older nsdist wrote without
// one reads as an entry without a fingerprint.
//
// One rollout of a record at a time: Begin takes the lease
// "journal:<name>:<record>" (nsdist_leases) and keeps it, renewed, until
// Close; a second rollout of the same record on the same journal, from
// any process, gets rollout.ErrJournalLocked naming the holder. A holder
// that dies without Close loses the lease after its TTL (WithLeaseTTL,
// default 30 s). Rollouts of other records share the journal freely. Use
// NewJournal.
type Journal struct {
	base
	name     string
	leases   *Leases
	owner    string
	leaseTTL time.Duration
	held     []string      // the leases Begin took
	stop     chan struct{} // ends the renewal

	mu       sync.Mutex
	queue    []*journalWrite
	flushing bool
	closed   bool
}

var _ rollout.Journal = (*Journal)(nil)

type journalWrite struct {
	e    rollout.Entry
	line []byte
	done chan error    // the batch's outcome
	lead chan struct{} // this writer flushes the next batch
}

// maxBatch bounds the rows of one group commit (7 parameters each, well
// under SQLite's and PostgreSQL's limits).
const maxBatch = 256

// NewJournal migrates db's schema and returns the journal called name
// (empty: "default").
func NewJournal(ctx context.Context, db *sql.DB, name string, opts ...Option) (*Journal, error) {
	if name == "" {
		name = "default"
	}
	b, o, err := newBase(ctx, db, opts)
	if err != nil {
		return nil, err
	}
	ttl := o.leaseTTL
	if ttl == 0 {
		ttl = 30 * time.Second
	}
	owner := NewOwner()
	if o.owner != "" {
		owner = o.owner + "/" + owner
	}
	return &Journal{base: b, name: name, leases: &Leases{base: b}, owner: owner, leaseTTL: ttl, stop: make(chan struct{})}, nil
}

// Name returns the journal's name.
func (j *Journal) Name() string { return j.name }

// Latest implements rollout.Journal.
func (j *Journal) Latest(ctx context.Context, record string) (map[nsdist.AccountID]rollout.Entry, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT account, entry FROM nsdist_journal
	WHERE journal = $1 AND record = $2 ORDER BY account, time_ms, id`, j.name, record)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: journal %s: %w", j.name, err)
	}
	defer func() { _ = rows.Close() }()
	out := map[nsdist.AccountID]rollout.Entry{}
	for rows.Next() {
		var account, entry string
		if err := rows.Scan(&account, &entry); err != nil {
			return nil, fmt.Errorf("sqlstore: journal %s: %w", j.name, err)
		}
		var e rollout.Entry
		if err := json.Unmarshal([]byte(entry), &e); err != nil {
			return nil, fmt.Errorf("sqlstore: journal %s: the entry of account %s is not JSON: %w", j.name, account, err)
		}
		out[nsdist.AccountID(account)] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: journal %s: %w", j.name, err)
	}
	return out, nil
}

// Begin implements rollout.Journal. It takes the record's lease first: a
// second rollout of the record on this journal is refused with
// rollout.ErrJournalLocked.
func (j *Journal) Begin(ctx context.Context, run, record string) error {
	if run == "" {
		return errors.New("sqlstore: journal: empty run")
	}
	if err := j.lock(ctx, record); err != nil {
		return err
	}
	_, err := j.db.ExecContext(ctx, `INSERT INTO nsdist_journal_runs (journal, run, record, started_ms) VALUES ($1, $2, $3, $4)
	ON CONFLICT (journal, run) DO NOTHING`, j.name, run, record, j.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("sqlstore: journal %s: begin: %w", j.name, err)
	}
	return nil
}

// Record implements rollout.Journal: it returns once the entry is
// committed. An entry without a run or an account is refused with
// rollout.ErrEntryRefused. ctx is checked before the entry joins a batch; after that
// Record waits for the batch, whose transaction has its own 1-minute bound.
func (j *Journal) Record(ctx context.Context, e rollout.Entry) error {
	if e.Run == "" || e.Account == "" {
		return fmt.Errorf("sqlstore: journal: %w: an entry needs a run and an account", rollout.ErrEntryRefused)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("sqlstore: journal: %w: %w", rollout.ErrEntryRefused, err)
	}
	w := &journalWrite{e: e, line: line, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return errors.New("sqlstore: journal closed")
	}
	j.queue = append(j.queue, w)
	lead := !j.flushing
	j.flushing = true
	j.mu.Unlock()
	if lead {
		j.flush()
	}
	for {
		select {
		case err := <-w.done:
			return err
		case <-w.lead:
			j.flush()
		}
	}
}

// flush writes one batch, then hands the next batch to its first writer,
// so that no caller flushes for others for long.
func (j *Journal) flush() {
	j.mu.Lock()
	n := min(len(j.queue), maxBatch)
	batch := j.queue[:n:n]
	j.queue = j.queue[n:]
	j.mu.Unlock()
	err := j.write(batch)
	for _, w := range batch {
		w.done <- err
	}
	j.mu.Lock()
	if len(j.queue) > 0 {
		j.queue[0].lead <- struct{}{}
	} else {
		j.flushing = false
	}
	j.mu.Unlock()
}

func (j *Journal) write(batch []*journalWrite) error {
	if len(batch) == 0 {
		return nil
	}
	// the last write of a (run, account) wins; rows go in key order so
	// that concurrent transactions lock them in the same order
	type key struct{ run, account string }
	last := map[key]*journalWrite{}
	for _, w := range batch {
		last[key{w.e.Run, string(w.e.Account)}] = w
	}
	keys := make([]key, 0, len(last))
	for k := range last {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].run != keys[b].run {
			return keys[a].run < keys[b].run
		}
		return keys[a].account < keys[b].account
	})
	var q strings.Builder
	q.WriteString(`INSERT INTO nsdist_journal (journal, run, account, record, time_ms, outcome, entry) VALUES `)
	args := make([]any, 0, 7*len(keys))
	for i, k := range keys {
		w := last[k]
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
		args = append(args, j.name, w.e.Run, string(w.e.Account), w.e.Record, w.e.Time.UnixMilli(), string(w.e.Outcome), string(w.line))
	}
	q.WriteString(` ON CONFLICT (journal, run, account) DO UPDATE SET record = excluded.record, time_ms = excluded.time_ms,
	outcome = excluded.outcome, entry = excluded.entry`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := j.db.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("sqlstore: journal %s: record %d entries: %w", j.name, len(keys), err)
	}
	return nil
}

// Close stops further writes and gives up the journal's leases; it does
// not close the database.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	close(j.stop)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, name := range j.held {
		errs = append(errs, j.leases.Release(ctx, name, j.owner))
	}
	return errors.Join(errs...)
}

// lock takes the record's lease, and renews it every third of its TTL
// until Close.
func (j *Journal) lock(ctx context.Context, record string) error {
	name := "journal:" + j.name + ":" + record
	ok, err := j.leases.TryAcquire(ctx, name, j.owner, j.leaseTTL)
	if err != nil {
		return fmt.Errorf("sqlstore: journal %s: %w", j.name, err)
	}
	if !ok {
		holder, until, _ := j.leases.Holder(ctx, name)
		return fmt.Errorf("%w: journal %s has a rollout of %q running, held by %s until %s unless renewed; wait for it to end (a holder that died lets go after %s)",
			rollout.ErrJournalLocked, j.name, record, holder, until.UTC().Format(time.RFC3339), j.leaseTTL)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("sqlstore: journal %s is closed", j.name)
	}
	if !slices.Contains(j.held, name) {
		j.held = append(j.held, name)
		go j.renew(name) //nolint:gosec // G118: the lease lives until Close, past the ctx of Begin
	}
	return nil
}

func (j *Journal) renew(name string) {
	t := time.NewTicker(j.leaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), j.leaseTTL/3)
			_, _ = j.leases.TryAcquire(ctx, name, j.owner, j.leaseTTL) // a failed renewal is tried again at the next tick
			cancel()
		}
	}
}
