package tba

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/internal/jsonhint"
	"github.com/nsdist/nsdist/internal/redact"
	"github.com/nsdist/nsdist/soap"
)

// EnvCredentials reads credentials from environment variables named after
// the reference, upper-cased with non-alphanumerics as underscores:
// NETSUITE_<REF>_CONSUMER_KEY, _CONSUMER_SECRET, _TOKEN, _TOKEN_SECRET for
// TBA, or _EMAIL, _PASSWORD, _ROLE, _APP_ID for user credentials. It is a
// distribution.CredentialSource for the auth values tba and passport.
type EnvCredentials struct {
	// Lookup defaults to os.LookupEnv.
	Lookup func(string) (string, bool)
}

// Credential implements distribution.CredentialSource.
func (e EnvCredentials) Credential(_ context.Context, ref distribution.CredentialRef) (distribution.Credential, error) {
	look := e.Lookup
	if look == nil {
		look = os.LookupEnv
	}
	prefix := "NETSUITE_" + envName(ref.Ref) + "_"
	get := func(k string) string { v, _ := look(prefix + k); return v }
	// name the variables that are missing, not the Go fields they fill
	unset := func(keys ...string) error {
		var missing []string
		for _, k := range keys {
			if get(k) == "" {
				missing = append(missing, prefix+k)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		return fmt.Errorf("%w for %q: set %s", distribution.ErrNoCredentials, ref.Ref, strings.Join(missing, ", "))
	}
	var e2 secretEntry
	switch {
	case get("CONSUMER_KEY") != "":
		if err := unset("CONSUMER_SECRET", "TOKEN", "TOKEN_SECRET"); err != nil {
			return nil, err
		}
		e2 = secretEntry{ConsumerKey: get("CONSUMER_KEY"), ConsumerSecret: get("CONSUMER_SECRET"), Token: get("TOKEN"), TokenSecret: get("TOKEN_SECRET")}
	case get("EMAIL") != "":
		if err := unset("PASSWORD", "APP_ID"); err != nil {
			return nil, err
		}
		e2 = secretEntry{Email: get("EMAIL"), Password: get("PASSWORD"), Role: get("ROLE"), AppID: get("APP_ID")}
	default:
		return nil, fmt.Errorf("%w for %q: set %sCONSUMER_KEY, %sCONSUMER_SECRET, %sTOKEN and %sTOKEN_SECRET", distribution.ErrNoCredentials, ref.Ref, prefix, prefix, prefix, prefix)
	}
	return e2.credential(ref)
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

// FileCredentials is a JSON secrets file: an object from reference to
// {"consumer_key","consumer_secret","token","token_secret"} or
// {"email","password","role","app_id"}. nsdist refuses to read it when
// users other than its owner can read or write it. It is a
// distribution.CredentialSource for the auth values tba and passport.
type FileCredentials struct {
	entries map[string]secretEntry
}

type secretEntry struct {
	ConsumerKey    string `json:"consumer_key"`
	ConsumerSecret string `json:"consumer_secret"`
	Token          string `json:"token"`
	TokenSecret    string `json:"token_secret"`
	Email          string `json:"email"`
	Password       string `json:"password"`
	Role           string `json:"role"`
	AppID          string `json:"app_id"`
}

// credential builds the row's credential: a TBA token or user credentials,
// as the row's auth column says, on the row's endpoint version.
func (e secretEntry) credential(ref distribution.CredentialRef) (distribution.Credential, error) {
	var v soap.Version
	if ref.Version != "" {
		var err error
		if v, err = soap.ParseVersion(ref.Version); err != nil {
			return nil, &distribution.FieldError{Field: "version", Err: err}
		}
	}
	tbaEntry := e.ConsumerKey != ""
	switch {
	case ref.Auth != "tba" && ref.Auth != "passport":
		return nil, &distribution.FieldError{Field: "auth", Err: fmt.Errorf("%q: want tba or passport", ref.Auth)}
	case ref.Auth == "tba" && !tbaEntry:
		return nil, &distribution.FieldError{Field: "auth", Err: fmt.Errorf("row says tba but the credentials for %q are passport", ref.Ref)}
	case ref.Auth == "passport" && tbaEntry:
		return nil, &distribution.FieldError{Field: "auth", Err: fmt.Errorf("row says passport but the credentials for %q are tba", ref.Ref)}
	case tbaEntry:
		return Credential{Consumer: Consumer{Key: e.ConsumerKey, Secret: e.ConsumerSecret}, Token: Token{ID: e.Token, Secret: e.TokenSecret}, Version: v}, nil
	}
	check := v
	if check.IsZero() {
		check = soap.DefaultVersion
	}
	u := UserCredentials{Email: e.Email, Password: e.Password, Role: e.Role, ApplicationID: e.AppID, Version: v}
	if err := u.Passport(ref.Account).Check(check); err != nil {
		if v.IsZero() {
			err = fmt.Errorf("%w (set the version column to 2020_1 or older for user credentials)", err)
		}
		return nil, err
	}
	return u, nil
}

// ErrInsecureFile is returned for a secrets file others can read or
// write, owned by another user, a symbolic link, or not a regular file.
var ErrInsecureFile = errors.New("tba: secrets file is not private to this user")

// OpenFileCredentials reads a secrets file. It opens the file once, does
// not follow a symbolic link, and checks the open file: a regular file,
// owned by the current user, with no permission for group or others.
func OpenFileCredentials(path string) (*FileCredentials, error) {
	b, err := readSecretsFile(path)
	if err != nil {
		return nil, err
	}
	fc := &FileCredentials{}
	if err := json.Unmarshal(b, &fc.entries); err != nil {
		return nil, fmt.Errorf("tba: secrets file %s is not a JSON object of references: %s", path, jsonhint.Describe(b, err))
	}
	return fc, nil
}

// Credential implements distribution.CredentialSource.
func (f *FileCredentials) Credential(_ context.Context, ref distribution.CredentialRef) (distribution.Credential, error) {
	e, ok := f.entries[ref.Ref]
	if !ok {
		return nil, fmt.Errorf("%w for %q in the secrets file", distribution.ErrNoCredentials, ref.Ref)
	}
	return e.credential(ref)
}

// String never shows the secrets.
func (f *FileCredentials) String() string {
	return fmt.Sprintf("tba.FileCredentials{%d references, secrets %s}", len(f.entries), redact.Placeholder)
}

// GoString never shows the secrets.
func (f *FileCredentials) GoString() string { return f.String() }

// Format prints the redacted form for every verb.
func (f *FileCredentials) Format(s fmt.State, _ rune) { io.WriteString(s, f.String()) } //nolint:errcheck
