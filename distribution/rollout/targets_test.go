package rollout_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"
)

var soapBuilders = map[string]distribution.CredentialBuilder{"tba": tba.BuildCredential, "passport": tba.BuildCredential}

func env(m map[string]string) rollout.Credentials {
	return rollout.Credentials{Builders: soapBuilders, Lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

var tbaEnv = map[string]string{
	"NETSUITE_ACME_CONSUMER_KEY": "ck", "NETSUITE_ACME_CONSUMER_SECRET": "consumer-secret-value",
	"NETSUITE_ACME_TOKEN": "tok", "NETSUITE_ACME_TOKEN_SECRET": "token-secret-value",
	"NETSUITE_LEGACY_EMAIL": "a@b.c", "NETSUITE_LEGACY_PASSWORD": "pw-secret", "NETSUITE_LEGACY_ROLE": "3", "NETSUITE_LEGACY_APP_ID": "C4A2541D-16FB-4845-B8A2-8B8A34BDBB61",
}

func writeFile(t *testing.T, name, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadTargetsCSV(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "targets.csv", "account,auth,require_approval,credentials,token_issued_at,version\n"+
		"123456-sb1,tba,unknown,acme,2026-11-26T19:00:00Z,\n"+
		"654321,,true,acme,,2025.2\n"+
		"777777,passport,false,legacy,,2020_1\n", 0o644)
	ts, err := rollout.LoadTargets(t.Context(), p, env(tbaEnv))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 3 || ts[0].Account != "123456_SB1" || ts[0].TokenIssuedAt.IsZero() || ts[1].RequireApproval != approval.PreferenceRequired || ts[2].Credential.Channel() != approval.ChannelCredentials || ts[2].Credential.(tba.UserCredentials).Version != soap.V2020_1 {
		t.Errorf("targets = %+v", ts)
	}
}

func TestLoadTargetsBadRows(t *testing.T) {
	t.Parallel()
	csvBody := "account,auth,require_approval,credentials\n" +
		"123456,tba,unknown,acme\n" +
		"not an id,tba,,acme\n" +
		"222222,oauth,,acme\n" +
		"333333,tba,maybe,acme\n" +
		"123456,tba,,acme\n" +
		"444444,tba,,\n" +
		"555555,tba,,nobody\n" +
		"666666,passport,,legacy\n" // legacy on the default 2025_2 endpoint
	_, err := rollout.LoadTargets(t.Context(), writeFile(t, "t.csv", csvBody, 0o644), env(tbaEnv))
	var rows []*rollout.RowError
	for _, e := range flatten(err) {
		var re *rollout.RowError
		if errors.As(e, &re) {
			rows = append(rows, re)
		}
	}
	want := []string{"t.csv:3: account", "t.csv:4: auth", "t.csv:5: require_approval", "t.csv:6: account", "t.csv:7: credentials", "t.csv:8: credentials", "t.csv:9: credentials"}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Field))
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("rows:\n got %v\nwant %v\nerr: %v", got, want, err)
	}
	if strings.Contains(err.Error(), "secret-value") || strings.Contains(err.Error(), "pw-secret") {
		t.Errorf("error leaks a secret: %v", err)
	}

	jsonBody := "[\n  {\"account\": \"123456\", \"credentials\": \"acme\"},\n  {\"account\": \"x\", \"credentials\": \"acme\"}\n]"
	_, err = rollout.LoadTargets(t.Context(), writeFile(t, "t.json", jsonBody, 0o644), env(tbaEnv))
	var re *rollout.RowError
	if !errors.As(err, &re) || re.Line != 3 || re.Field != "account" {
		t.Errorf("json bad row: %v", err)
	}
	_, err = rollout.LoadTargets(t.Context(), writeFile(t, "s.json", `[{"account":"1","credentials":"acme","token_secret":"x"}]`, 0o644), env(tbaEnv))
	if err == nil || !strings.Contains(err.Error(), "secrets never go in a targets file") {
		t.Errorf("secret in targets file: %v", err)
	}
	_, err = rollout.LoadTargets(t.Context(), writeFile(t, "m.json", `[{"account":`, 0o644), env(tbaEnv))
	if !errors.As(err, &re) {
		t.Errorf("malformed json: %v", err)
	}
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestCredentialsFromSecretsFile(t *testing.T) {
	t.Parallel()
	body := `{"acme": {"consumer_key": "ck", "consumer_secret": "cs-secret", "token": "tk", "token_secret": "ts-secret"}}`
	if _, err := openSecrets(writeFile(t, "open.json", body, 0o644)); !errors.Is(err, rollout.ErrInsecureFile) {
		t.Errorf("world-readable secrets file: %v", err)
	}
	fc, err := openSecrets(writeFile(t, "ok.json", body, 0o600))
	if err != nil {
		t.Fatal(err)
	}
	a, err := fc.Credential(t.Context(), distribution.CredentialRef{Account: "123456", Auth: "tba", Ref: "acme"})
	if err != nil || a.Channel() != approval.ChannelTBA {
		t.Fatalf("%v %v", a, err)
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s %v %+v %#v", fc.File, fc.File, fc.File, fc.File, fc, fc, fc), fmt.Sprintf("%v %+v %#v", a, a, a)} {
		if strings.Contains(s, "cs-secret") || strings.Contains(s, "ts-secret") {
			t.Errorf("printed secret: %s", s)
		}
	}
	if _, err := fc.Credential(t.Context(), distribution.CredentialRef{Account: "1", Auth: "tba", Ref: "nope"}); !errors.Is(err, distribution.ErrNoCredentials) {
		t.Errorf("unknown ref: %v", err)
	}
	bad := writeFile(t, "bad.json", "{\n\"acme\": {\"consumer_secret\": \"hunter2\",}\n}", 0o600)
	if _, err := openSecrets(bad); err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("malformed secrets: %v", err)
	}
}

func TestReportRenderings(t *testing.T) {
	t.Parallel()
	s := simulate(t, 12, 3, noFaults)
	rep, err := fastRollout(t, s.installer(t)).Run(t.Context(), s.targets)
	if err != nil {
		t.Fatal(err)
	}
	var js, cs strings.Builder
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteCSV(&cs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"results"`, `"account": "3000000"`, `"outcome": "awaiting_approval"`, `"next_step"`, `"attempts": 1`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	if lines := strings.Count(cs.String(), "\n"); lines != 13 {
		t.Errorf("CSV has %d lines", lines)
	}
	sum := rep.Summary()
	if !strings.Contains(sum, "enabled                  8") || !strings.Contains(sum, "awaiting_approval        4") || !strings.Contains(sum, "Setup > Integration > Manage Integrations") {
		t.Errorf("summary:\n%s", sum)
	}
	for _, tg := range s.targets {
		a := tg.Credential.(tba.Credential)
		if strings.Contains(js.String(), a.Token.Secret) || strings.Contains(cs.String(), a.Consumer.Secret) {
			t.Error("report leaks a secret")
		}
	}
}

// What a new user's targets file looks like: saved by Excel (a byte order
// mark), JSON in a file of any name, a label column, a typo in a column, a
// quote left open.
func TestLoadTargetsRoughEdges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, body string
		wantLabels       []string
		wantErr          []string // substrings of the error
	}{
		{name: "excel BOM", file: "t.csv", body: "\ufeffaccount,label,credentials\r\n123456,Acme Corp,acme\r\n", wantLabels: []string{"Acme Corp"}},
		{name: "JSON by content", file: "targets.txt", body: "  [{\"account\": \"123456\", \"label\": \"Acme\", \"credentials\": \"acme\"}]", wantLabels: []string{"Acme"}},
		{name: "JSON with BOM", file: "t.json", body: "\ufeff[{\"account\": \"123456\", \"credentials\": \"acme\"}]", wantLabels: []string{""}},
		{name: "JSON object", file: "t.json", body: "{\"account\": \"123456\"}", wantErr: []string{"t.json:1", "a JSON object: want an array of objects"}},
		{name: "unknown column", file: "t.csv", body: "account,credentials,token_secret,lable\n123456,acme,x,y\n", wantErr: []string{"t.csv:1: token_secret: unknown column", "t.csv:1: lable: unknown column"}},
		{name: "column twice", file: "t.csv", body: "account,account,credentials\n123456,123456,acme\n", wantErr: []string{"t.csv:1: account: column appears twice"}},
		{name: "open quote", file: "t.csv", body: "account,credentials\n\"123456,acme\n", wantErr: []string{"t.csv:2: malformed CSV"}},
		{name: "bare quote", file: "t.csv", body: "account,credentials\n12\"3456,acme\n654321,acme\n", wantErr: []string{"t.csv:2: malformed CSV"}},
		{name: "empty", file: "t.csv", body: "\ufeff \n", wantErr: []string{"t.csv is empty"}},
		{name: "JSON trailing garbage", file: "t.json", body: "[{\"account\": \"123456\", \"credentials\": \"acme\"}", wantErr: []string{"t.json:1: malformed JSON"}},
		{name: "JSON array of arrays", file: "t.json", body: "[[1]]", wantErr: []string{"want an object per target"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, err := rollout.LoadTargets(t.Context(), writeFile(t, tt.file, tt.body, 0o644), env(tbaEnv))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("LoadTargets(%q) = %d targets, want an error", tt.body, len(ts))
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("LoadTargets(%q) error %q lacks %q", tt.body, err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadTargets(%q): %v", tt.body, err)
			}
			var labels []string
			for _, tg := range ts {
				labels = append(labels, tg.Label)
			}
			if diff := cmp.Diff(tt.wantLabels, labels); diff != "" {
				t.Errorf("LoadTargets(%q) labels mismatch (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

// LoadTargets never panics and returns targets or an error, never both or neither.
func FuzzLoadTargets(f *testing.F) {
	for _, s := range []string{
		"account,label,auth,require_approval,credentials,token_issued_at,version\n123456,Acme,tba,unknown,acme,2026-11-26T19:00:00Z,2025_2\n",
		"\ufeffaccount,credentials\r\n123456,acme\r\n",
		"account,credentials\n\"123456,acme\n",
		"account,credentials\n12\"34,acme\n\"5\"\"6\",x\n",
		`[{"account": "123456", "label": "Acme", "credentials": "acme"}, {"account": "654321", "credentials": "acme", "auth": "tba"}]`,
		`{"account": 1}`, `[1, {"a": [`, "", "#\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	creds := env(tbaEnv)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, fmt.Sprintf("t%d", n.Add(1)))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		ts, err := rollout.LoadTargets(t.Context(), p, creds)
		if (err == nil) == (len(ts) == 0) {
			t.Errorf("LoadTargets(%q) = %d targets, error %v", b, len(ts), err)
		}
	})
}

// Incomplete NETSUITE_* variables name the variables to set, not Go fields.
func TestCredentialsNameMissingVariables(t *testing.T) {
	t.Parallel()
	e := env(map[string]string{"NETSUITE_ACME_CONSUMER_KEY": "ck", "NETSUITE_ACME_TOKEN": "tok", "NETSUITE_OLD_EMAIL": "a@b.c"})
	_, err := e.Credential(t.Context(), distribution.CredentialRef{Account: "123456", Auth: "tba", Ref: "acme"})
	if !errors.Is(err, distribution.ErrNoCredentials) || !strings.Contains(err.Error(), "NETSUITE_ACME_CONSUMER_SECRET, NETSUITE_ACME_TOKEN_SECRET") ||
		strings.Contains(err.Error(), "ConsumerSecret") {
		t.Errorf("TBA: %v", err)
	}
	_, err = e.Credential(t.Context(), distribution.CredentialRef{Account: "123456", Auth: "passport", Ref: "old", Version: "2020_1"})
	if err == nil || !strings.Contains(err.Error(), "NETSUITE_OLD_PASSWORD, NETSUITE_OLD_APP_ID") {
		t.Errorf("passport: %v", err)
	}
}

// openSecrets opens a secrets file as the SOAP channel's credential source.
func openSecrets(path string) (rollout.Credentials, error) {
	sf, err := rollout.OpenSecretsFile(path)
	return rollout.Credentials{Builders: soapBuilders, File: sf}, err
}

// utf16 encodes s as UTF-16, little- or big-endian, with or without a
// byte order mark, as Excel's "Unicode Text" and PowerShell save it.
func utf16(s string, bigEndian, bom bool) string {
	var b []byte
	put := func(u uint16) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	if bom {
		put(0xfeff)
	}
	for _, r := range s {
		put(uint16(r)) // the test texts are ASCII
	}
	return string(b)
}

// A targets file saved as UTF-16 is named as such, with what to do,
// instead of a CSV or JSON error quoting its raw bytes.
func TestLoadTargetsUTF16(t *testing.T) {
	t.Parallel()
	const csvText = "account,label,credentials\r\n123456,Acme,acme\r\n"
	const jsonText = `[{"account": "123456", "credentials": "acme"}]`
	tests := []struct {
		name, body string
	}{
		{"CSV, little-endian with BOM", utf16(csvText, false, true)},
		{"CSV, little-endian without BOM", utf16(csvText, false, false)},
		{"CSV, big-endian with BOM", utf16(csvText, true, true)},
		{"CSV, big-endian without BOM", utf16(csvText, true, false)},
		{"JSON, little-endian with BOM", utf16(jsonText, false, true)},
		{"JSON, big-endian without BOM", utf16(jsonText, true, false)},
		{"one short line", utf16("account\n", false, false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := rollout.LoadTargets(t.Context(), writeFile(t, "t.csv", tt.body, 0o644), env(tbaEnv))
			if !errors.Is(err, rollout.ErrTargetsUTF16) {
				t.Fatalf("LoadTargets(UTF-16) error = %v, want rollout.ErrTargetsUTF16", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "t.csv") || !strings.Contains(msg, "the targets file is UTF-16; save it as UTF-8 (CSV UTF-8 in Excel)") {
				t.Errorf("error %q: want the file's name and what to do", msg)
			}
			if strings.ContainsAny(msg, "\x00\ufffd") || !utf8.ValidString(msg) {
				t.Errorf("error %q carries the file's raw bytes", msg)
			}
		})
	}
}

// Control characters (an ANSI escape sequence, BEL, a line break) in any
// cell, CSV or JSON, are refused with the line and the column, before
// anything is sent: they would reach the text summary and the terminal.
// Column and key names are never echoed raw either.
func TestLoadTargetsControlCharacters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, body string
		want             []string // substrings of the error
	}{
		{"ANSI escape in a CSV label", "t.csv", "account,label,credentials\n123456,\x1b[2J\x1b[31mAcme,acme\n", []string{"t.csv:2: label: control character U+001B"}},
		{"BEL in a CSV account", "t.csv", "account,label,credentials\n123456,Acme,acme\n654321\a,Beta,acme\n", []string{"t.csv:3: account: control character U+0007"}},
		{"line break inside a quoted CSV label", "t.csv", "account,label,credentials\n123456,\"Ac\nme\",acme\n", []string{"t.csv:2: label: control character U+000A"}},
		{"C1 CSI in a CSV credentials cell", "t.csv", "account,credentials\n123456,ac\u009bme\n", []string{"t.csv:2: credentials: control character U+009B"}},
		{"tab inside a cell", "t.csv", "account,label,credentials\n123456,Ac\tme,acme\n", []string{"t.csv:2: label: control character U+0009"}},
		{"escape in a JSON label", "t.json", "[\n{\"account\": \"123456\", \"credentials\": \"acme\"},\n{\"account\": \"654321\", \"label\": \"\\u001b]0;pwned\\u0007\", \"credentials\": \"acme\"}]", []string{"t.json:3: label: control character U+001B"}},
		{"escape in a CSV column name", "t.csv", "account,la\x1b[5mbel,credentials\n123456,Acme,acme\n", []string{`t.csv:1: "la\x1b[5mbel": unknown column`}},
		{"escape in a JSON key", "t.json", "[{\"account\": \"123456\", \"x\\u001b[5m\": \"y\"}]", []string{`t.json:1: "x\x1b[5m": unknown field`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, err := rollout.LoadTargets(t.Context(), writeFile(t, tt.file, tt.body, 0o644), env(tbaEnv))
			if err == nil {
				t.Fatalf("LoadTargets(%q) = %d targets, want an error", tt.body, len(ts))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadTargets(%q) error %q lacks %q", tt.body, err, w)
				}
			}
			if strings.ContainsFunc(err.Error(), func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) {
				t.Errorf("LoadTargets(%q) error %q carries a control character", tt.body, err)
			}
		})
	}
	// tabs and line ends around a value are white space, trimmed as before
	ts, err := rollout.LoadTargets(t.Context(), writeFile(t, "t.csv", "account,label,credentials\r\n\t123456,Acme\t,acme \r\n", 0o644), env(tbaEnv))
	if err != nil || len(ts) != 1 || ts[0].Label != "Acme" {
		t.Errorf("white space around values: %v, %v", ts, err)
	}
}

// A 50 MB CSV file whose quote is never closed fails with the line the
// quoted field starts on, and reading it allocates about one copy of the
// file (it allocated 450 MiB before). Not parallel: it reads the
// process's allocation counters, which parallel tests would move.
func TestLoadTargetsBrokenQuoteMemory(t *testing.T) {
	body := "account,label,credentials\n123456,Acme,acme\n\"654321,Beta,acme\n" + strings.Repeat("777777,Gamma,acme\n", 50<<20/18)
	p := writeFile(t, "big.csv", body, 0o644)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := rollout.LoadTargets(t.Context(), p, env(tbaEnv))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "big.csv:3:") || !strings.Contains(err.Error(), "quote") {
		t.Errorf("LoadTargets(50 MB, a quote left open on line 3) error = %v, want line 3 and the quote", err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d-byte file with a broken quote: %d bytes allocated (%.2f×)", len(body), alloc, float64(alloc)/float64(len(body)))
	if alloc > uint64(len(body))*5/4 {
		t.Errorf("allocated %d bytes for a %d-byte file: want at most 1.25× (one copy of the file)", alloc, len(body))
	}
}

// A targets file over 64 MiB is refused before it is read, saying so.
func TestLoadTargetsTooLarge(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "huge.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64<<20 + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	_, err = rollout.LoadTargets(t.Context(), p, env(tbaEnv))
	if !errors.Is(err, rollout.ErrTargetsTooLarge) || !strings.Contains(err.Error(), "huge.csv") || !strings.Contains(err.Error(), "64 MiB") {
		t.Errorf("LoadTargets(64 MiB + 1) error = %v, want rollout.ErrTargetsTooLarge naming the file and 64 MiB", err)
	}
}

// A quote left open after another malformed line: both are reported, the
// lines before the quote's still read; a quote closed within the line or
// escaped ("") is no error.
func TestLoadTargetsOpenQuoteAfterBadRows(t *testing.T) {
	t.Parallel()
	body := "account,label,credentials\n12\"34,x,acme\n123456, \"Acme, \"\"Inc\"\"\",acme\n654321,x,\"acme\n777777,x,acme\n"
	_, err := rollout.LoadTargets(t.Context(), writeFile(t, "t.csv", body, 0o644), env(tbaEnv))
	if err != nil && strings.Contains(err.Error(), "t.csv:3") {
		t.Errorf("LoadTargets(%q) error %v: line 3 is good CSV", body, err)
	}
	for _, w := range []string{"t.csv:2: malformed CSV", "t.csv:4: malformed CSV: a quoted field starts on this line and is never closed"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("LoadTargets(%q) error %v lacks %q", body, err, w)
		}
	}
}
