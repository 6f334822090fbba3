package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/internal/jsonhint"
	"github.com/nsdist/nsdist/internal/redact"
)

// Credentials is a distribution.CredentialSource for targets files: a
// row's reference names its secrets, in a secrets file when File is set,
// or else in NETSUITE_<REF>_<KEY> variables (the reference upper-cased,
// anything but letters and digits as underscores), and the builder for the
// row's auth column makes the credential from them.
type Credentials struct {
	// Builders make the credential of each auth column value, e.g. "tba"
	// and "passport": tba.BuildCredential.
	Builders map[string]distribution.CredentialBuilder
	// File, if set, is the secrets file; the environment is not read then.
	File *SecretsFile
	// Lookup reads a variable; nil is os.LookupEnv.
	Lookup func(string) (string, bool)
}

// Credential implements distribution.CredentialSource.
func (c Credentials) Credential(_ context.Context, ref distribution.CredentialRef) (distribution.Credential, error) {
	build := c.Builders[ref.Auth]
	if build == nil {
		auths := make([]string, 0, len(c.Builders))
		for a := range c.Builders {
			auths = append(auths, a)
		}
		slices.Sort(auths)
		return nil, &distribution.FieldError{Field: "auth", Err: fmt.Errorf("%q: want %s", ref.Auth, strings.Join(auths, " or "))}
	}
	if c.File != nil {
		e, ok := c.File.entries[ref.Ref]
		if !ok {
			return nil, fmt.Errorf("%w for %q in the secrets file", distribution.ErrNoCredentials, ref.Ref)
		}
		return build(ref, fileSecrets{ref: ref.Ref, m: e})
	}
	look := c.Lookup
	if look == nil {
		look = os.LookupEnv
	}
	return build(ref, envSecrets{ref: ref.Ref, prefix: "NETSUITE_" + envName(ref.Ref) + "_", look: look})
}

type envSecrets struct {
	ref, prefix string
	look        func(string) (string, bool)
}

func (e envSecrets) Get(key string) string { v, _ := e.look(e.prefix + strings.ToUpper(key)); return v }

func (e envSecrets) Missing(keys ...string) error {
	var names []string
	for _, k := range keys {
		if e.Get(k) == "" {
			names = append(names, e.prefix+strings.ToUpper(k))
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("%w for %q: set %s", distribution.ErrNoCredentials, e.ref, strings.Join(names, ", "))
}

func envName(ref string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, ref)
}

type fileSecrets struct {
	ref string
	m   map[string]string
}

func (f fileSecrets) Get(key string) string { return f.m[key] }

func (f fileSecrets) Missing(keys ...string) error {
	var names []string
	for _, k := range keys {
		if strings.TrimSpace(f.m[k]) == "" {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("%w for %q: the secrets file's entry has no %s", distribution.ErrNoCredentials, f.ref, strings.Join(names, ", no "))
}

// SecretsFile is a JSON secrets file: an object from reference to an
// object of secrets, such as {"consumer_key", "consumer_secret", "token",
// "token_secret"} or {"email", "password", "role", "app_id"}. nsdist
// refuses to read it when users other than its owner can read or write it.
type SecretsFile struct {
	entries map[string]map[string]string
}

// ErrInsecureFile is returned for a secrets file others can read or
// write, owned by another user, a symbolic link, or not a regular file.
var ErrInsecureFile = errors.New("rollout: secrets file is not private to this user")

// OpenSecretsFile reads a secrets file. It opens the file once, does not
// follow a symbolic link, and checks the open file: a regular file, owned
// by the current user, with no permission for group or others.
func OpenSecretsFile(path string) (*SecretsFile, error) {
	b, err := readSecretsFile(path)
	if err != nil {
		return nil, err
	}
	sf := &SecretsFile{}
	if err := json.Unmarshal(b, &sf.entries); err != nil {
		return nil, fmt.Errorf("rollout: secrets file %s is not a JSON object of references to objects of strings: %s", path, jsonhint.Describe(b, err))
	}
	return sf, nil
}

// String never shows the secrets.
func (f *SecretsFile) String() string {
	return fmt.Sprintf("rollout.SecretsFile{%d references, secrets %s}", len(f.entries), redact.Placeholder)
}

// GoString never shows the secrets.
func (f *SecretsFile) GoString() string { return f.String() }

// Format prints the redacted form for every verb.
func (f *SecretsFile) Format(s fmt.State, _ rune) { io.WriteString(s, f.String()) } //nolint:errcheck

// readCapped reads the opened secrets file, refusing one over
// maxSecretsFile bytes.
func readCapped(f io.Reader, path string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, maxSecretsFile+1))
	if err != nil {
		return nil, fmt.Errorf("rollout: secrets file: %w", err)
	}
	if len(b) > maxSecretsFile {
		return nil, fmt.Errorf("rollout: secrets file %s is larger than %d bytes", path, maxSecretsFile)
	}
	return b, nil
}
