package rollout

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
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/internal/jsonhint"
	"github.com/nsdist/nsdist/internal/text"
)

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

// cells returns the row's values in the order of targetColumns.
func (r targetRow) cells() []string {
	return []string{r.Account, r.Label, r.Auth, r.RequireApproval, r.Credentials, r.TokenIssuedAt, r.Version}
}

// checkCells refuses a control character (C0, DEL or C1: an ANSI escape
// sequence, BEL, a tab, a line break inside a quoted cell) in any cell,
// naming the line and the column: a label is printed in summaries and
// reports, and an escape sequence would reach the terminal. White space
// around a value is trimmed, as before.
func checkCells(name string, rows []targetRow) error {
	var errs []error
	for _, r := range rows {
		for i, v := range r.cells() {
			if j := strings.IndexFunc(strings.TrimSpace(v), unicode.IsControl); j >= 0 {
				c, _ := utf8.DecodeRuneInString(strings.TrimSpace(v)[j:])
				errs = append(errs, &RowError{File: name, Line: r.line, Field: targetColumns[i],
					Err: fmt.Errorf("control character %U in the cell; remove it (a targets file holds plain text: no escape sequences, tabs or line breaks)", c)})
			}
		}
		if len(errs) >= maxRowErrors {
			break
		}
	}
	return errors.Join(errs...)
}

// fieldName is a column or key name as an error shows it: quoted when it
// holds a character that is not printable, so that nothing from the file
// reaches the terminal raw.
func fieldName(s string) string {
	s = text.Truncate(s, 40)
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return s
}

// LoadTargets reads a CSV (header: account,label,auth,require_approval,
// credentials,token_issued_at,version; only account is required) or JSON
// (an array of objects with those keys) targets file, validates every row
// before anything is sent, and looks up each row's credentials by
// reference. JSON is recognised by content (the first character is [ or
// {), whatever the file's name; a UTF-8 byte order mark, as Excel writes
// one, is skipped, and a file saved as UTF-16 is refused with
// [ErrTargetsUTF16]. A file over 64 MiB is refused with
// [ErrTargetsTooLarge] before it is read. A column or key it does not know is an error that names
// it. label is the vendor's name for the customer, carried into reports.
// A cell may hold no control character (an escape sequence, a tab, a line
// break): such a cell is an error naming its line and column.
// All bad rows are reported at once, each with its line number.
func LoadTargets(ctx context.Context, path string, creds distribution.CredentialSource) ([]distribution.Target, error) {
	name := filepath.Base(path)
	b, err := readTargets(path, name)
	if err != nil {
		return nil, err
	}
	rows, err := parseTargets(name, b)
	if err != nil {
		return nil, err
	}
	if err := checkCells(name, rows); err != nil {
		return nil, err
	}
	var (
		errs    []error
		targets []distribution.Target
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
		ref := strings.TrimSpace(r.Credentials)
		if ref == "" {
			bad(r, "credentials", errors.New("empty: name a reference into the credential source (never a secret)"))
		}
		if len(errs) > n {
			continue
		}
		cred, err := creds.Credential(ctx, distribution.CredentialRef{Account: acct, Auth: mode, Ref: ref, Version: strings.TrimSpace(r.Version)})
		if err == nil {
			err = cred.Validate(acct)
		}
		if err != nil {
			var fe *distribution.FieldError
			if errors.As(err, &fe) {
				bad(r, fe.Field, fe.Err)
			} else {
				bad(r, "credentials", err)
			}
			continue
		}
		targets = append(targets, distribution.Target{Account: acct, Label: strings.TrimSpace(r.Label), Credential: cred, TokenIssuedAt: issued, RequireApproval: pref})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("rollout: targets file %s has no targets", name)
	}
	return targets, nil
}

// maxTargetsFile bounds a targets file: 64 MiB holds about a million
// targets.
const maxTargetsFile = 64 << 20

// ErrTargetsTooLarge is returned, wrapped with the file's name, for a
// targets file larger than 64 MiB.
var ErrTargetsTooLarge = errors.New("the targets file is larger than 64 MiB; split it and run once per file")

// readTargets reads the file into one buffer of its size (as os.ReadFile
// does), refusing a file over maxTargetsFile before reading it, or, for
// a pipe, as soon as it has read more.
func readTargets(path, name string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rollout: targets: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	if size > maxTargetsFile {
		return nil, fmt.Errorf("rollout: %s: %w", name, ErrTargetsTooLarge)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, maxTargetsFile+1)); err != nil {
		return nil, fmt.Errorf("rollout: targets: %w", err)
	}
	if buf.Len() > maxTargetsFile {
		return nil, fmt.Errorf("rollout: %s: %w", name, ErrTargetsTooLarge)
	}
	return buf.Bytes(), nil
}

// ErrTargetsUTF16 is returned, wrapped with the file's name, for a
// targets file saved as UTF-16 (Excel's "Unicode Text", PowerShell's
// default); nsdist reads UTF-8.
var ErrTargetsUTF16 = errors.New("the targets file is UTF-16; save it as UTF-8 (CSV UTF-8 in Excel)")

// parseTargets reads the rows of a targets file: JSON when its first
// character (after a byte order mark and white space) is [ or {, CSV
// otherwise.
func parseTargets(name string, b []byte) ([]targetRow, error) {
	if isUTF16(b) {
		return nil, fmt.Errorf("rollout: %s: %w", name, ErrTargetsUTF16)
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return nil, fmt.Errorf("rollout: targets file %s is empty (want a CSV header line, %s, or a JSON array of objects)", name, strings.Join(targetColumns, ","))
	case t[0] == '{':
		return nil, &RowError{File: name, Line: lineAt(b, int64(bytes.IndexByte(b, '{'))), Err: errors.New(`a JSON object: want an array of objects, [{"account": "123456", "credentials": "acme"}, …]`)}
	case t[0] == '[':
		return jsonRows(name, b)
	}
	return csvRows(name, b)
}

// isUTF16 reports whether b looks like UTF-16 text: a UTF-16 byte order
// mark (little- or big-endian), or, in its first 64 bytes, a NUL in every
// other byte and none in the others, as ASCII text has in UTF-16. UTF-8
// text has no NUL bytes and never starts with FF FE or FE FF.
func isUTF16(b []byte) bool {
	if bytes.HasPrefix(b, []byte{0xff, 0xfe}) || bytes.HasPrefix(b, []byte{0xfe, 0xff}) {
		return true
	}
	n := min(len(b), 64) &^ 1
	even, odd := 0, 0
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	return pairs > 0 && (even == 0 && 2*odd >= pairs || odd == 0 && 2*even >= pairs)
}

func lineAt(b []byte, off int64) int {
	return bytes.Count(b[:max(0, min(int(off), len(b)))], []byte("\n")) + 1
}

// maxRowErrors bounds the malformed CSV lines reported before giving up.
const maxRowErrors = 20

// maxQuotedField bounds a quoted CSV field: a cell is a few dozen bytes,
// and a longer quoted field is a quote missing its partner that a stray
// quote far below happens to close.
const maxQuotedField = 64 << 10

// csvRows reads the rows of a CSV targets file. A quoted field that is
// never closed would make encoding/csv buffer the rest of the file (and
// copy it again); it is found first, without allocating, and reported
// with the line it starts on, after the errors of the lines before it.
func csvRows(name string, b []byte) ([]targetRow, error) {
	start, line, found := unclosedQuote(b)
	if !found {
		return parseCSV(name, b)
	}
	quoteErr := &RowError{File: name, Line: line,
		Err: fmt.Errorf("malformed CSV: a quoted field starts on this line and is never closed (or runs past %d KiB); check its quotes", maxQuotedField>>10)}
	if line == 1 {
		return nil, quoteErr
	}
	rows, err := parseCSV(name, b[:start])
	return rows, errors.Join(err, quoteErr)
}

// unclosedQuote finds the first quoted field that is never closed or runs
// past maxQuotedField, scanning as encoding/csv reads (TrimLeadingSpace;
// a bare or extraneous quote ends the line with an error there). It
// returns the offset where that field's line starts and its number.
func unclosedQuote(b []byte) (lineStart, line int, found bool) {
	line = 1
	for i := 0; i < len(b); {
		j := i // the field's first character, past leading white space
		for j < len(b) && b[j] != '\n' {
			r, n := utf8.DecodeRune(b[j:])
			if !unicode.IsSpace(r) {
				break
			}
			j += n
		}
		if j < len(b) && b[j] == '"' {
			end, newlines, closed := quotedEnd(b, j+1)
			if !closed || end-j > maxQuotedField {
				return bytes.LastIndexByte(b[:j], '\n') + 1, line, true
			}
			line += newlines
			if i = end; i < len(b) && b[i] == ',' {
				i++
				continue
			}
		} else if k := bytes.IndexAny(b[i:], ",\n\""); k >= 0 && b[i+k] == ',' {
			i += k + 1
			continue
		}
		// the line ends here, or encoding/csv stops reading it at an error
		k := bytes.IndexByte(b[i:], '\n')
		if k < 0 {
			break
		}
		i += k + 1
		line++
	}
	return 0, 0, false
}

// quotedEnd scans a quoted field's content from k: it returns the offset
// just past its closing quote and the line breaks inside ("" is a quote).
func quotedEnd(b []byte, k int) (end, newlines int, closed bool) {
	for {
		q := bytes.IndexByte(b[k:], '"')
		if q < 0 {
			return 0, 0, false
		}
		newlines += bytes.Count(b[k:k+q], []byte("\n"))
		k += q + 1
		if k < len(b) && b[k] == '"' {
			k++
			continue
		}
		return k, newlines, true
	}
}

func parseCSV(name string, b []byte) ([]targetRow, error) {
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
			errs = append(errs, &RowError{File: name, Line: 1, Field: fieldName(h), Err: fmt.Errorf("unknown column (want %s; secrets never go in a targets file)", want)})
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
		return nil, &RowError{File: name, Line: 1, Err: fmt.Errorf("malformed JSON: %s", jsonhint.Describe(b, err))}
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
			return nil, &RowError{File: name, Line: lineAt(b, start), Err: fmt.Errorf("malformed JSON: %s", jsonhint.Describe(b, err))}
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
				return nil, &RowError{File: name, Line: objLine, Field: fieldName(k), Err: errors.New("want a string")}
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
				return nil, &RowError{File: name, Line: objLine, Field: fieldName(k), Err: fmt.Errorf("unknown field (want %s; secrets never go in a targets file)", strings.Join(targetColumns, ", "))}
			}
		}
		rows = append(rows, r)
	}
	if _, err := dec.Token(); err != nil {
		return nil, &RowError{File: name, Line: lineAt(b, dec.InputOffset()), Err: fmt.Errorf("malformed JSON: %s", jsonhint.Describe(b, err))}
	}
	return rows, nil
}
