package distribution

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/internal/redact"
	"github.com/nsdist/nsdist/soap"
)

// CredentialSource looks up a target's credentials by reference. Target
// files name a reference, never a secret; a vendor plugs in its vault.
type CredentialSource interface {
	Credentials(ctx context.Context, account nsdist.AccountID, ref string) (soap.Auth, error)
}

// ErrNoCredentials is returned when a source has nothing for a reference.
var ErrNoCredentials = errors.New("distribution: no credentials")

// EnvCredentials reads credentials from environment variables named after
// the reference, upper-cased with non-alphanumerics as underscores:
// NETSUITE_<REF>_CONSUMER_KEY, _CONSUMER_SECRET, _TOKEN, _TOKEN_SECRET for
// TBA, or _EMAIL, _PASSWORD, _ROLE, _APP_ID for user credentials.
type EnvCredentials struct {
	// Lookup defaults to os.LookupEnv.
	Lookup func(string) (string, bool)
}

// Credentials implements CredentialSource.
func (e EnvCredentials) Credentials(_ context.Context, account nsdist.AccountID, ref string) (soap.Auth, error) {
	look := e.Lookup
	if look == nil {
		look = os.LookupEnv
	}
	prefix := "NETSUITE_" + envName(ref) + "_"
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
		return fmt.Errorf("%w for %q: set %s", ErrNoCredentials, ref, strings.Join(missing, ", "))
	}
	if v := get("CONSUMER_KEY"); v != "" {
		if err := unset("CONSUMER_SECRET", "TOKEN", "TOKEN_SECRET"); err != nil {
			return nil, err
		}
		return &soap.TokenAuth{Account: account, ConsumerKey: v, ConsumerSecret: get("CONSUMER_SECRET"), TokenID: get("TOKEN"), TokenSecret: get("TOKEN_SECRET")}, nil
	}
	if v := get("EMAIL"); v != "" {
		if err := unset("PASSWORD", "APP_ID"); err != nil {
			return nil, err
		}
		return &soap.Passport{Email: v, Password: get("PASSWORD"), Account: account, Role: get("ROLE"), ApplicationID: get("APP_ID")}, nil
	}
	return nil, fmt.Errorf("%w for %q: set %sCONSUMER_KEY, %sCONSUMER_SECRET, %sTOKEN and %sTOKEN_SECRET", ErrNoCredentials, ref, prefix, prefix, prefix, prefix)
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
// users other than its owner can read or write it.
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

// ErrInsecureFile is returned for a secrets file others can read or
// write, owned by another user, a symbolic link, or not a regular file.
var ErrInsecureFile = errors.New("distribution: secrets file is not private to this user")

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
		return nil, fmt.Errorf("distribution: secrets file %s is not a JSON object of references: %s", path, syntaxHint(b, err))
	}
	return fc, nil
}

// syntaxHint describes a JSON error by line without quoting the file (which holds secrets).
func syntaxHint(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at line %d", bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))+1)
	}
	return "wrong shape"
}

// Credentials implements CredentialSource.
func (f *FileCredentials) Credentials(_ context.Context, account nsdist.AccountID, ref string) (soap.Auth, error) {
	e, ok := f.entries[ref]
	if !ok {
		return nil, fmt.Errorf("%w for %q in the secrets file", ErrNoCredentials, ref)
	}
	if e.ConsumerKey != "" {
		return &soap.TokenAuth{Account: account, ConsumerKey: e.ConsumerKey, ConsumerSecret: e.ConsumerSecret, TokenID: e.Token, TokenSecret: e.TokenSecret}, nil
	}
	return &soap.Passport{Email: e.Email, Password: e.Password, Account: account, Role: e.Role, ApplicationID: e.AppID}, nil
}

// String never shows the secrets.
func (f *FileCredentials) String() string {
	return fmt.Sprintf("distribution.FileCredentials{%d references, secrets %s}", len(f.entries), redact.Placeholder)
}

// GoString never shows the secrets.
func (f *FileCredentials) GoString() string { return f.String() }

// Format prints the redacted form for every verb.
func (f *FileCredentials) Format(s fmt.State, _ rune) { io.WriteString(s, f.String()) } //nolint:errcheck

// RowError is one bad row of a targets file.
type RowError struct {
	File  string
	Line  int
	Field string
	Err   error
}

func (e *RowError) Error() string {
	s := fmt.Sprintf("%s:%d", e.File, e.Line)
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Err.Error()
}

func (e *RowError) Unwrap() error { return e.Err }

type targetRow struct {
	Account         string `json:"account"`
	Label           string `json:"label"`
	Auth            string `json:"auth"`
	RequireApproval string `json:"require_approval"`
	Credentials     string `json:"credentials"`
	TokenIssuedAt   string `json:"token_issued_at"`
	Version         string `json:"version"`
	line            int
}

// targetColumns are the columns (CSV) or keys (JSON) of a targets file.
var targetColumns = []string{"account", "label", "auth", "require_approval", "credentials", "token_issued_at", "version"}

// LoadTargets reads a CSV (header: account,label,auth,require_approval,
// credentials,token_issued_at,version; only account is required) or JSON
// (an array of objects with those keys) targets file, validates every row
// before anything is sent, and looks up each row's credentials by
// reference. JSON is recognised by content (the first character is [ or
// {), whatever the file's name; a UTF-8 byte order mark, as Excel writes
// one, is skipped. A column or key it does not know is an error that names
// it. label is the vendor's name for the customer, carried into reports.
// All bad rows are reported at once, each with its line number.
func LoadTargets(ctx context.Context, path string, creds CredentialSource) ([]Target, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("distribution: targets: %w", err)
	}
	name := filepath.Base(path)
	rows, err := parseTargets(name, b)
	if err != nil {
		return nil, err
	}
	var (
		errs    []error
		targets []Target
		seen    = map[nsdist.AccountID]int{}
	)
	bad := func(r targetRow, field string, err error) {
		errs = append(errs, &RowError{File: name, Line: r.line, Field: field, Err: err})
	}
	for _, r := range rows {
		n := len(errs)
		acct, err := nsdist.ParseAccountID(r.Account)
		if err != nil {
			bad(r, "account", err)
		} else if l, dup := seen[acct]; dup {
			bad(r, "account", fmt.Errorf("%w: %s is also on line %d", ErrDuplicateTarget, acct, l))
		} else {
			seen[acct] = r.line
		}
		mode := strings.ToLower(strings.TrimSpace(r.Auth))
		if mode == "" {
			mode = "tba"
		}
		if mode != "tba" && mode != "passport" {
			bad(r, "auth", fmt.Errorf("%q: want tba or passport", r.Auth))
		}
		pref, err := approval.ParsePreference(r.RequireApproval)
		if err != nil {
			bad(r, "require_approval", err)
		}
		var issued time.Time
		if s := strings.TrimSpace(r.TokenIssuedAt); s != "" {
			if issued, err = time.Parse(time.RFC3339, s); err != nil {
				bad(r, "token_issued_at", fmt.Errorf("%q: want RFC 3339, e.g. 2026-11-26T19:00:00Z", s))
			}
		}
		var v soap.Version
		if s := strings.TrimSpace(r.Version); s != "" {
			if v, err = soap.ParseVersion(s); err != nil {
				bad(r, "version", err)
			}
		}
		ref := strings.TrimSpace(r.Credentials)
		if ref == "" {
			bad(r, "credentials", errors.New("empty: name a reference into the credential source (never a secret)"))
		}
		if len(errs) > n {
			continue
		}
		auth, err := creds.Credentials(ctx, acct, ref)
		if err != nil {
			bad(r, "credentials", err)
			continue
		}
		if auth.Mode() != soap.AuthMode(mode) {
			bad(r, "auth", fmt.Errorf("row says %s but the credentials for %q are %s", mode, ref, auth.Mode()))
			continue
		}
		check := v
		if check.IsZero() {
			check = soap.DefaultVersion
		}
		if err := auth.Check(check); err != nil {
			if mode == "passport" && v.IsZero() {
				err = fmt.Errorf("%w (set the version column to 2020_1 or older for user credentials)", err)
			}
			bad(r, "credentials", err)
			continue
		}
		targets = append(targets, Target{Account: acct, Label: strings.TrimSpace(r.Label), Auth: auth, TokenIssuedAt: issued, RequireApproval: pref, Version: v})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("distribution: targets file %s has no targets", name)
	}
	return targets, nil
}

// parseTargets reads the rows of a targets file: JSON when its first
// character (after a byte order mark and white space) is [ or {, CSV
// otherwise.
func parseTargets(name string, b []byte) ([]targetRow, error) {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return nil, fmt.Errorf("distribution: targets file %s is empty (want a CSV header line, %s, or a JSON array of objects)", name, strings.Join(targetColumns, ","))
	case t[0] == '{':
		return nil, &RowError{File: name, Line: lineAt(b, int64(bytes.IndexByte(b, '{'))), Err: errors.New(`a JSON object: want an array of objects, [{"account": "123456", "credentials": "acme"}, …]`)}
	case t[0] == '[':
		return jsonRows(name, b)
	}
	return csvRows(name, b)
}

func lineAt(b []byte, off int64) int {
	return bytes.Count(b[:max(0, min(int(off), len(b)))], []byte("\n")) + 1
}

// maxRowErrors bounds the malformed CSV lines reported before giving up.
const maxRowErrors = 20

func csvRows(name string, b []byte) ([]targetRow, error) {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, &RowError{File: name, Line: 1, Err: fmt.Errorf("no header line: %w", csvCause(err))}
	}
	want := strings.Join(targetColumns, ",")
	col := map[string]int{}
	var errs []error
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		switch {
		case k == "" && i == len(header)-1 && i > 0: // a trailing comma
			continue
		case !slices.Contains(targetColumns, k):
			errs = append(errs, &RowError{File: name, Line: 1, Field: truncate(h, 40), Err: fmt.Errorf("unknown column (want %s; secrets never go in a targets file)", want)})
		case hasKey(col, k):
			errs = append(errs, &RowError{File: name, Line: 1, Field: k, Err: errors.New("column appears twice")})
		default:
			col[k] = i
		}
	}
	if _, ok := col["account"]; !ok && len(errs) == 0 {
		errs = append(errs, &RowError{File: name, Line: 1, Err: fmt.Errorf("header has no account column (want %s)", want)})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var rows []targetRow
	lastLine := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l := lastLine + 1
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				l = pe.StartLine
			}
			errs = append(errs, &RowError{File: name, Line: l, Err: csvCause(err)})
			if len(errs) >= maxRowErrors || l <= lastLine {
				break
			}
			lastLine = l
			continue
		}
		// FieldPos is only valid after a successful Read
		line, _ := cr.FieldPos(0)
		lastLine = line
		if strings.HasPrefix(strings.TrimSpace(rec[0]), "#") {
			continue
		}
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		rows = append(rows, targetRow{Account: get("account"), Label: get("label"), Auth: get("auth"), RequireApproval: get("require_approval"),
			Credentials: get("credentials"), TokenIssuedAt: get("token_issued_at"), Version: get("version"), line: line})
	}
	return rows, errors.Join(errs...)
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// csvCause is a CSV parse error without its own "record on line N" prefix:
// the RowError already names the line.
func csvCause(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("malformed CSV: %w", pe.Err)
	}
	return err
}

func jsonRows(name string, b []byte) ([]targetRow, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, &RowError{File: name, Line: 1, Err: fmt.Errorf("malformed JSON: %s", syntaxHint(b, err))}
	}
	var rows []targetRow
	for dec.More() {
		start := dec.InputOffset()
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, &RowError{File: name, Line: lineAt(b, start), Err: errors.New("want an object per target")}
			}
			return nil, &RowError{File: name, Line: lineAt(b, start), Err: fmt.Errorf("malformed JSON: %s", syntaxHint(b, err))}
		}
		// point at the object's opening brace, past the comma and white space
		objLine := lineAt(b, start)
		if i := bytes.IndexByte(b[start:], '{'); i >= 0 {
			objLine = lineAt(b, start+int64(i))
		}
		keys := make([]string, 0, len(raw))
		for k := range raw {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		r := targetRow{line: objLine}
		for _, k := range keys {
			var s string
			switch v := raw[k].(type) {
			case string:
				s = v
			case nil:
			case bool, float64:
				s = fmt.Sprint(v)
			default:
				return nil, &RowError{File: name, Line: objLine, Field: truncate(k, 40), Err: errors.New("want a string")}
			}
			switch k {
			case "account":
				r.Account = s
			case "label":
				r.Label = s
			case "auth":
				r.Auth = s
			case "require_approval":
				r.RequireApproval = s
			case "credentials":
				r.Credentials = s
			case "token_issued_at":
				r.TokenIssuedAt = s
			case "version":
				r.Version = s
			default:
				return nil, &RowError{File: name, Line: objLine, Field: truncate(k, 40), Err: fmt.Errorf("unknown field (want %s; secrets never go in a targets file)", strings.Join(targetColumns, ", "))}
			}
		}
		rows = append(rows, r)
	}
	if _, err := dec.Token(); err != nil {
		return nil, &RowError{File: name, Line: lineAt(b, dec.InputOffset()), Err: fmt.Errorf("malformed JSON: %s", syntaxHint(b, err))}
	}
	return rows, nil
}
