//go:build !unix

package rollout

import (
	"fmt"
	"os"
)

const maxSecretsFile = 8 << 20

// readSecretsFile opens path once and checks the open file: a regular
// file, not a symbolic link, that no other user can read or write (as far
// as the platform's permission bits say).
func readSecretsFile(path string) ([]byte, error) {
	if li, err := os.Lstat(path); err == nil && li.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%w: %s is a symbolic link; point to the file itself", ErrInsecureFile, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rollout: secrets file: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("rollout: secrets file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrInsecureFile, path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %v; run chmod 600 %s", ErrInsecureFile, path, fi.Mode().Perm(), path)
	}
	return readCapped(f, path)
}
