package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportRefusedBeforeSending: a -report that names the journal's file,
// however spelled (./x, a relative or absolute path, a symbolic link to it
// or through a linked folder, sqlite:PATH), and an existing report file
// that is read-only are refused before anything is sent: exit 2, one line
// on stderr, the files as they were.
func TestReportRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	journal := filepath.Join(dir, "j.jsonl")
	const kept = "the journal, untouched\n"
	if err := os.WriteFile(journal, []byte(kept), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(journal, filepath.Join(dir, "link.json")))
	must(os.Symlink("later.jsonl", filepath.Join(dir, "dangling.json"))) // later.jsonl does not exist yet
	must(os.Symlink(dir, filepath.Join(dir, "alias")))
	must(os.Mkdir(filepath.Join(dir, "sub"), 0o700))
	readOnly := filepath.Join(dir, "old-report.json")
	must(os.WriteFile(readOnly, []byte(kept), 0o444))
	cwd, err := os.Getwd()
	must(err)
	rel, err := filepath.Rel(cwd, journal)
	must(err)
	tests := []struct {
		name, journal, report, want string
	}{
		{"the same path", journal, journal, "name the same file"},
		{"./ and ..", journal, dir + "/./sub/../j.jsonl", "name the same file"},
		{"relative and absolute", journal, rel, "name the same file"},
		{"a symbolic link to the journal", journal, filepath.Join(dir, "link.json"), "name the same file"},
		{"a link to a journal not created yet", filepath.Join(dir, "later.jsonl"), filepath.Join(dir, "dangling.json"), "name the same file"},
		{"through a linked folder", filepath.Join(dir, "later.jsonl"), filepath.Join(dir, "alias", "later.jsonl"), "name the same file"},
		{"the file of a sqlite journal", "sqlite:" + filepath.Join(dir, "j.db"), filepath.Join(dir, "alias", "j.db"), "name the same file"},
		{"an existing read-only report", "", readOnly, "exists and is read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"-accounts", "3", "-latency", "0s", "-report", tt.report}
			if tt.journal != "" {
				args = append(args, "-journal", tt.journal)
			}
			code, out, errOut := runCode(t, t.Context(), args...)
			if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("rollout %v: exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, one line on stderr saying %q", args, code, out, errOut, tt.want)
			}
		})
	}
	t.Cleanup(func() {
		for _, p := range []string{journal, readOnly} {
			if b, err := os.ReadFile(p); err != nil || string(b) != kept {
				t.Errorf("%s now holds %d bytes (%v): it was written", p, len(b), err)
			}
		}
		for _, p := range []string{"later.jsonl", "j.db"} {
			if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
				t.Errorf("%s was created", p)
			}
		}
	})
}

// TestSameFile: the spellings that name one file, and some that do not.
func TestSameFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{filepath.Join(dir, "a"), filepath.Join(dir, "hard"), true},
		{filepath.Join(dir, "a"), dir + "//a", true},
		{filepath.Join(dir, "a"), filepath.Join(dir, "b"), false},
		{filepath.Join(dir, "new"), filepath.Join(dir, "new.csv"), false},
		{filepath.Join(dir, "new"), filepath.Join(dir, "x", "..", "new"), true},
	}
	for _, tt := range tests {
		if got := sameFile(tt.a, tt.b); got != tt.want {
			t.Errorf("sameFile(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
