package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nsdist/nsdist/distribution"
)

// meter is the live progress line on stderr: done/total, rate, retries, a
// steady ETA and the counts per outcome. On a terminal it is redrawn in
// place a few times a second; otherwise (a file, a pipe, CI) it prints a
// plain line every few seconds. It is fed by rollout.WithResults,
// which never drops a result, so the counts are exact.
type meter struct {
	w     io.Writer
	tty   bool
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	total   int
	done    int
	journal int // results taken from the journal: not sent, not in the rate
	retries int
	counts  map[distribution.Outcome]int
	start   time.Time
	// the rate is an exponentially weighted moving average of the
	// finishing rate, sampled at each tick, so that the ETA does not jump
	// with every burst of retries
	rate       float64
	lastSample time.Time
	lastSent   int
	width      int // of the line last drawn on a terminal
	stopped    bool
	stop       chan struct{}
	wg         sync.WaitGroup
}

// isTerminal reports whether w is a character device (a terminal), without
// a dependency: a file or a pipe is not.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func newMeter(w io.Writer, total int) *meter {
	m := &meter{w: w, tty: isTerminal(w), total: total, counts: map[distribution.Outcome]int{}, now: time.Now, stop: make(chan struct{})}
	m.every = 5 * time.Second
	if m.tty {
		m.every = 250 * time.Millisecond
	}
	m.start = m.now()
	m.lastSample = m.start
	return m
}

// Start draws the line periodically until Stop.
func (m *meter) Start() {
	m.wg.Go(func() {
		t := time.NewTicker(m.every)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				m.mu.Lock()
				m.sampleLocked()
				m.drawLocked(false)
				m.mu.Unlock()
			}
		}
	})
}

// Result counts one finished target.
func (m *meter) Result(r distribution.Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done++
	m.counts[r.Outcome]++
	if r.FromJournal {
		m.journal++
		return
	}
	m.retries += max(r.Attempts-1, 0)
}

// Stop draws the final line (ending it on a terminal).
func (m *meter) Stop(interrupted bool) {
	close(m.stop)
	m.wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopped = interrupted
	m.drawLocked(true)
}

func (m *meter) sampleLocked() {
	now := m.now()
	dt := now.Sub(m.lastSample).Seconds()
	if dt <= 0 {
		return
	}
	sent := m.done - m.journal
	inst := float64(sent-m.lastSent) / dt
	const alpha = 0.3
	if m.rate == 0 {
		m.rate = inst
	} else {
		m.rate = alpha*inst + (1-alpha)*m.rate
	}
	m.lastSample, m.lastSent = now, sent
}

func (m *meter) line(final bool) string {
	var b strings.Builder
	pct := 100
	if m.total > 0 {
		pct = 100 * m.done / m.total
	}
	fmt.Fprintf(&b, "progress: %d/%d (%d%%)", m.done, m.total, pct)
	elapsed := m.now().Sub(m.start)
	rate := m.rate
	if final || rate == 0 {
		if s := elapsed.Seconds(); s > 0 {
			rate = float64(m.done-m.journal) / s
		}
	}
	if rate > 0 {
		fmt.Fprintf(&b, ", %.0f/s", rate)
	}
	fmt.Fprintf(&b, ", %d %s", m.retries, plural(m.retries, "retry", "retries"))
	switch {
	case final:
		fmt.Fprintf(&b, ", took %v", elapsed.Round(100*time.Millisecond))
	case rate > 0 && m.done < m.total:
		eta := time.Duration(float64(m.total-m.done) / rate * float64(time.Second))
		fmt.Fprintf(&b, ", eta %v", roundETA(eta))
	}
	var parts []string
	for _, o := range distribution.Outcomes() {
		if n := m.counts[o]; n > 0 || o == distribution.OutcomeEnabled {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(string(o), "_", " "), n))
		}
	}
	b.WriteString(" | " + strings.Join(parts, ", "))
	if m.journal > 0 {
		fmt.Fprintf(&b, " (%d from the journal)", m.journal)
	}
	if final && m.stopped {
		fmt.Fprintf(&b, " | interrupted: %d not reached", m.total-m.done)
	}
	return b.String()
}

// roundETA keeps the ETA steady to read: whole seconds, then 5 s, then minutes.
func roundETA(d time.Duration) time.Duration {
	switch {
	case d < time.Minute:
		return d.Round(time.Second)
	case d < 10*time.Minute:
		return d.Round(5 * time.Second)
	}
	return d.Round(time.Minute)
}

func (m *meter) drawLocked(final bool) {
	s := m.line(final)
	if !m.tty {
		fmt.Fprintln(m.w, s)
		return
	}
	// redraw in place: back to the start of the line, then clear what is left of the last one
	pad := ""
	if n := m.width - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	m.width = len(s)
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(m.w, "\r%s%s%s", s, pad, end)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
