package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// checkReport refuses, before anything is sent, a -report that would
// overwrite the journal or that names an existing file it cannot write:
// both are found otherwise only after the whole rollout was sent. The
// caller exits 2 (DESIGN.md, "examples/rollout refuses before sending").
func checkReport(o options) error {
	if o.report == "" {
		return nil
	}
	if j := journalFile(o.journal); j != "" && sameFile(o.report, j) {
		return fmt.Errorf("-report %s and -journal %s name the same file: the report would overwrite the journal; give the report another name", o.report, o.journal)
	}
	fi, err := os.Stat(o.report)
	if err != nil || !fi.Mode().IsRegular() {
		return nil // a new file, a folder or a device: checkOutputs says what it makes of it
	}
	// Root may write a file whose mode says read-only; the mode is what
	// the vendor said, so it is refused for root too.
	if fi.Mode().Perm()&0o222 == 0 {
		return fmt.Errorf("-report %s exists and is read-only: make it writable (chmod u+w) or name another file", o.report)
	}
	f, err := os.OpenFile(o.report, os.O_WRONLY, 0) // no O_TRUNC: the file stays as it is
	if err != nil {
		return fmt.Errorf("-report %s exists and cannot be written (%w): make it writable or name another file", o.report, pathCause(err))
	}
	return f.Close()
}

// journalFile is the file -journal writes: the path itself, the PATH of
// sqlite:PATH, or "" for none and for a postgres:// URL.
func journalFile(spec string) string {
	switch {
	case spec == "":
		return ""
	case !isSQLJournal(spec):
		return spec
	case len(spec) >= 7 && strings.EqualFold(spec[:7], "sqlite:"):
		return spec[7:]
	}
	return ""
}

// sameFile reports whether paths a and b name one file, however they are
// spelled: ./x and x, an absolute path, a symbolic link to the other (also
// one whose target does not exist yet), a folder reached through a link,
// or a hard link.
func sameFile(a, b string) bool {
	ai, aerr := os.Stat(a)
	bi, berr := os.Stat(b)
	if aerr == nil && berr == nil {
		return os.SameFile(ai, bi)
	}
	return resolve(a) == resolve(b)
}

// resolve returns p absolute with the symbolic links on its way followed:
// its folder's, and its own, also when the file it names does not exist
// yet (within the 40 links a system follows).
func resolve(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	for range 40 {
		dir, base := filepath.Split(abs)
		if d, err := filepath.EvalSymlinks(dir); err == nil {
			dir = d
		}
		abs = filepath.Join(dir, base)
		target, err := os.Readlink(abs)
		if err != nil { // not a link, or nothing there yet
			return abs
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(dir, target)
		}
		abs = filepath.Clean(target)
	}
	return abs
}
