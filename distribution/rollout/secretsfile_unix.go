//go:build unix

package rollout

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// maxSecretsFile bounds the secrets file: a few thousand references.
const maxSecretsFile = 8 << 20

// readSecretsFile opens path once, without following a symlink, and checks
// the open descriptor (not the path, which could be swapped between a
// check and the read): a regular file, owned by this process's user, that
// no other user can read or write.
func readSecretsFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%w: %s is a symbolic link; point to the file itself", ErrInsecureFile, path)
		}
		return nil, fmt.Errorf("rollout: secrets file: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("rollout: secrets file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file (%v)", ErrInsecureFile, path, fi.Mode().Type())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return nil, fmt.Errorf("%w: %s belongs to user %d, not to this user (%d); run chown or copy it", ErrInsecureFile, path, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %v; run chmod 600 %s", ErrInsecureFile, path, fi.Mode().Perm(), path)
	}
	return readCapped(f, path)
}
