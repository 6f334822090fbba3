//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package rollout

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked")

// lockFile does nothing where flock is missing: there, keep one process
// per journal yourself, or use a SQL journal.
func lockFile(*os.File) error { return nil }
