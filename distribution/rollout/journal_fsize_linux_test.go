package rollout_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nsdist/nsdist/distribution/rollout"
)

// fsizeEnv names the journal TestJournalFullDiskProcess writes to.
const fsizeEnv = "NSDIST_JOURNAL_FSIZE"

// TestJournalFullDiskProcess is the child of TestJournalWriteFailure; it
// does nothing in a normal run.
func TestJournalFullDiskProcess(t *testing.T) { //nolint:paralleltest // a child process
	path := os.Getenv(fsizeEnv)
	if path == "" {
		return
	}
	if err := fullDisk(path); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// fullDisk records one entry, then caps the process's file size just
// above the journal's (RLIMIT_FSIZE: a write past it fails with EFBIG, as
// on a full disk) and checks that the failed write is reported, stays
// reported, and leaves Latest as it was.
func fullDisk(path string) error {
	ctx := context.Background()
	signal.Ignore(syscall.SIGXFSZ)
	j, err := rollout.OpenJournal(path)
	if err != nil {
		return err
	}
	defer j.Close()
	if err := j.Record(ctx, entry("run-1", 0, "enabled")); err != nil {
		return fmt.Errorf("first Record: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	lim := &syscall.Rlimit{}
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, lim); err != nil {
		return err
	}
	lim.Cur = uint64(st.Size()) + 20
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, lim); err != nil {
		return err
	}
	if err := j.Record(ctx, entry("run-1", 1, "enabled")); err == nil || !strings.Contains(err.Error(), "journal write") {
		return fmt.Errorf("Record past the file size limit = %w, want a write error", err)
	}
	if err := j.Record(ctx, entry("run-1", 2, "enabled")); err == nil || !strings.Contains(err.Error(), "journal write") {
		return fmt.Errorf("Record after a failed write = %w, want the write error again", err)
	}
	got, _ := j.Latest(ctx, testRecord)
	if len(got) != 1 {
		return fmt.Errorf("Latest holds %d accounts after failed writes, want 1", len(got))
	}
	return nil
}

// TestJournalWriteFailure: a write the file system refuses fails Record
// (and every later one), and the entry is not taken as recorded.
func TestJournalWriteFailure(t *testing.T) { //nolint:paralleltest // forks a child: see helpers_test.go
	path := filepath.Join(t.TempDir(), "j.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalFullDiskProcess$")
	cmd.Env = append(os.Environ(), fsizeEnv+"="+path,
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
}
