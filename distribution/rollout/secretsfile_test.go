//go:build unix

package rollout_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/tba"
)

// TestOpenSecretsFileRefusesUnsafeFiles: a secrets file must be a
// regular file of this user, private to it, and named directly.
func TestOpenSecretsFileRefusesUnsafeFiles(t *testing.T) {
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
		{"readable by others", func(t *testing.T, dir string) string { return write(t, dir, 0o644) }, rollout.ErrInsecureFile},
		{"writable by the group", func(t *testing.T, dir string) string { return write(t, dir, 0o620) }, rollout.ErrInsecureFile},
		{"symlink to a private file", func(t *testing.T, dir string) string {
			target := write(t, dir, 0o600)
			link := filepath.Join(dir, "link.json")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link
		}, rollout.ErrInsecureFile},
		{"a directory", func(t *testing.T, dir string) string {
			d := filepath.Join(dir, "d")
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
			return d
		}, rollout.ErrInsecureFile},
		{"a FIFO (would block a plain read)", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "fifo")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
			return p
		}, rollout.ErrInsecureFile},
		{"owned by another user", func(t *testing.T, dir string) string {
			p := write(t, dir, 0o600)
			if os.Geteuid() != 0 {
				t.Skip("only root can give a file away")
			}
			if err := os.Chown(p, 4242, 4242); err != nil {
				t.Fatal(err)
			}
			return p
		}, rollout.ErrInsecureFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sf, err := rollout.OpenSecretsFile(tt.path(t, t.TempDir()))
			fc := rollout.Credentials{Builders: map[string]distribution.CredentialBuilder{"tba": tba.BuildCredential}, File: sf}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("OpenSecretsFile() = %v, %v; want error %v", sf, err, tt.wantErr)
			}
			if err == nil {
				if _, err := fc.Credential(t.Context(), distribution.CredentialRef{Account: "123456", Auth: "tba", Ref: "acme"}); err != nil {
					t.Errorf("Credentials(acme): %v", err)
				}
			}
		})
	}
}

// A secrets file that cannot be opened is reported under this package's
// prefix (it said "distribution: secrets:", the package's old name).
func TestOpenSecretsFileErrorPrefix(t *testing.T) {
	t.Parallel()
	_, err := rollout.OpenSecretsFile(filepath.Join(t.TempDir(), "missing.json"))
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "rollout: secrets file: ") || stutter(err.Error()) != "" {
		t.Errorf("OpenSecretsFile(missing) = %v, want os.ErrNotExist under \"rollout: secrets file: \"", err)
	}
}
