//go:build unix

package tba_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/tba"
)

// TestOpenFileCredentialsRefusesUnsafeFiles: a secrets file must be a
// regular file of this user, private to it, and named directly.
func TestOpenFileCredentialsRefusesUnsafeFiles(t *testing.T) {
	t.Parallel()
	const body = `{"acme":{"consumer_key":"k","consumer_secret":"s","token":"t","token_secret":"ts"}}`
	write := func(t *testing.T, dir string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, "secrets.json")
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    func(t *testing.T, dir string) string
		wantErr error
	}{
		{"private regular file", func(t *testing.T, dir string) string { return write(t, dir, 0o600) }, nil},
		{"readable by others", func(t *testing.T, dir string) string { return write(t, dir, 0o644) }, tba.ErrInsecureFile},
		{"writable by the group", func(t *testing.T, dir string) string { return write(t, dir, 0o620) }, tba.ErrInsecureFile},
		{"symlink to a private file", func(t *testing.T, dir string) string {
			target := write(t, dir, 0o600)
			link := filepath.Join(dir, "link.json")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link
		}, tba.ErrInsecureFile},
		{"a directory", func(t *testing.T, dir string) string {
			d := filepath.Join(dir, "d")
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
			return d
		}, tba.ErrInsecureFile},
		{"a FIFO (would block a plain read)", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "fifo")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
			return p
		}, tba.ErrInsecureFile},
		{"owned by another user", func(t *testing.T, dir string) string {
			p := write(t, dir, 0o600)
			if os.Geteuid() != 0 {
				t.Skip("only root can give a file away")
			}
			if err := os.Chown(p, 4242, 4242); err != nil {
				t.Fatal(err)
			}
			return p
		}, tba.ErrInsecureFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fc, err := tba.OpenFileCredentials(tt.path(t, t.TempDir()))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("OpenFileCredentials() = %v, %v; want error %v", fc, err, tt.wantErr)
			}
			if err == nil {
				if _, err := fc.Credential(t.Context(), distribution.CredentialRef{Account: "123456", Auth: "tba", Ref: "acme"}); err != nil {
					t.Errorf("Credentials(acme): %v", err)
				}
			}
		})
	}
}
