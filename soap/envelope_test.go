package soap_test

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/internal/xsdcheck"
	"github.com/nsdist/nsdist/soap"
)

var update = flag.Bool("update", false, "rewrite golden files")

const testAppID = "c4a2541d16fb4845b8a28b8a34bdbb61"

func tbaAuth(acct string) *soap.TokenAuth {
	return &soap.TokenAuth{
		Account:        nsdist.MustParseAccountID(acct),
		ConsumerKey:    "71cc02b731f05895561ef0862d71553a3ac99498a947c3b7beaf4a1e4a29f7c4",
		ConsumerSecret: "7278da58caf07f5c336301a601203d10a58e948efa280f0618e25fcee1ef2abd",
		TokenID:        "89e08d9767c5ac85b374415725567d05b54ecf0960ad2470894a52f741020d82",
		TokenSecret:    "060cd9ab3ffbbe1e3d3918e90165ffd37ab12acc76b4691046e2d29c7d7674c2",
	}
}

func passportAuth(acct string) *soap.Passport {
	return &soap.Passport{Email: "admin@example.com", Password: "S3cret&<pass>", Account: nsdist.MustParseAccountID(acct), Role: "3", ApplicationID: testAppID}
}

// allRequests returns every envelope nsdist can emit, by a readable name.
func allRequests(t *testing.T) map[string]*soap.Request {
	t.Helper()
	reqs := map[string]*soap.Request{}
	for _, v := range soap.Versions() {
		for _, op := range soap.Operations() {
			if !v.Supports(op) {
				continue
			}
			name := v.String() + "-" + string(op)
			switch op {
			case soap.OpGetDataCenterUrls:
				reqs[name] = &soap.Request{Operation: op, Version: v, Account: "123456_SB1"}
			case soap.OpLogin:
				reqs[name+"-passport"] = &soap.Request{Operation: op, Version: v, Auth: passportAuth("123456")}
			case soap.OpLogout:
				reqs[name+"-session"] = &soap.Request{Operation: op, Version: v, Session: true, ApplicationID: testAppID}
			default:
				reqs[name+"-tba"] = &soap.Request{Operation: op, Version: v, Auth: tbaAuth("123456_SB1")}
				if v.SupportsPassport() {
					reqs[name+"-passport"] = &soap.Request{Operation: op, Version: v, Auth: passportAuth("123456")}
					reqs[name+"-session"] = &soap.Request{Operation: op, Version: v, Session: true, ApplicationID: testAppID}
				}
			}
		}
	}
	return reqs
}

var fixedTime = time.Unix(1439829974, 0)

func TestEnvelopesValidateAgainstOfficialSchemas(t *testing.T) {
	t.Parallel()
	docs := map[string][]byte{}
	for name, r := range allRequests(t) {
		b, err := r.Encode("6obMKq0tmY8ylVOdEkA1", fixedTime)
		if err != nil {
			t.Fatalf("%s: Encode: %v", name, err)
		}
		if r.Version == soap.V2020_1 && strings.Contains(name, "Governance") && !strings.HasSuffix(name, "-tba") {
			// No public schema has both the passport era's headers and the
			// governance operations (2017_2 lacks the operations, 2023_2 the
			// passport). Validate each half against the set that has it: the
			// header with a getServerTime body, the body without the passport.
			docs[name+"-header"] = bytes.Replace(b, []byte("msg:"+string(r.Operation)+"/>"), []byte("msg:getServerTime/>"), 1)
			docs[name+"-body"] = stripPassport(t, b)
			continue
		}
		docs[name] = b
	}
	if len(docs) < 60 {
		t.Fatalf("only %d envelopes built; expected every op × version × auth", len(docs))
	}
	xsdcheck.Validate(t, docs)
}

// TestSchemaCheckRejects proves the schema check can fail: an envelope
// with the tokenPassport children in the messages namespace (Oracle's
// sample form, and a peer library's bug) is invalid.
func TestSchemaCheckRejects(t *testing.T) {
	t.Parallel()
	xsdcheck.Dir(t)
	r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2023_2, Auth: tbaAuth("123456")}
	b, err := r.Encode("abcdefghij", fixedTime)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.ReplaceAll(b, []byte("core:account"), []byte("msg:account"))
	ft := &fakeT{TB: t}
	xsdcheck.Validate(ft, map[string][]byte{"bad": bad})
	if !ft.failed {
		t.Fatal("schema check accepted a tokenPassport with children in the messages namespace")
	}
}

func stripPassport(t *testing.T, b []byte) []byte {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	for _, e := range d.FindElements("//passport") {
		e.Parent().RemoveChild(e)
	}
	out, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}

func TestGoldenEnvelopes(t *testing.T) {
	t.Parallel()
	cases := map[string]*soap.Request{
		"tba-getServerTime-2025_2":      {Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: tbaAuth("123456_SB1")},
		"getDataCenterUrls-2025_2":      {Operation: soap.OpGetDataCenterUrls, Version: soap.V2025_2, Account: "123456_SB1"},
		"passport-login-2020_1":         {Operation: soap.OpLogin, Version: soap.V2020_1, Auth: passportAuth("123456")},
		"passport-getServerTime-2017_2": {Operation: soap.OpGetServerTime, Version: soap.V2017_2, Auth: passportAuth("123456")},
		"session-logout-2020_1":         {Operation: soap.OpLogout, Version: soap.V2020_1, Session: true, ApplicationID: testAppID},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := r.Encode("6obMKq0tmY8ylVOdEkA1", fixedTime)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "requests", name+".golden")
			got = canonical(t, got)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./soap -run TestGoldenEnvelopes -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Encode(%s) mismatch (-want +got):\n%s", name, diff)
			}
		})
	}
}

// canonical re-indents through etree so golden files are readable.
func canonical(t *testing.T, b []byte) []byte {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	d.Indent(2)
	out, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRequestRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  soap.Request
		want error
	}{
		{"tba with application id", soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: tbaAuth("123456"), ApplicationID: testAppID}, soap.ErrAmbiguousAuth},
		{"passport on 2020_2", soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2020_2, Auth: passportAuth("123456")}, soap.ErrAuthNotSupported},
		{"login on 2025_2", soap.Request{Operation: soap.OpLogin, Version: soap.V2025_2, Auth: passportAuth("123456")}, soap.ErrUnsupportedOperation},
		{"governance on 2019_2", soap.Request{Operation: soap.OpGetAccountGovernanceInfo, Version: soap.V2019_2, Auth: tbaAuth("123456")}, soap.ErrUnsupportedOperation},
		{"unknown operation", soap.Request{Operation: "search", Version: soap.V2025_2, Auth: tbaAuth("123456")}, soap.ErrUnsupportedOperation},
		{"no auth", soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2}, soap.ErrCredentials},
		{"empty token secret", soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: &soap.TokenAuth{Account: "1", ConsumerKey: "a", ConsumerSecret: "b", TokenID: "c"}}, soap.ErrCredentials},
		{"empty password", soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2017_2, Auth: &soap.Passport{Email: "a", Account: "1", Role: "3", ApplicationID: testAppID}}, soap.ErrCredentials},
		{"lower-case sandbox id", soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: tbaAuth("1")}, nil},
		{"bad application id", soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2017_2, Auth: &soap.Passport{Email: "a", Password: "p", Account: "1", Role: "3", ApplicationID: "no\tpe"}}, soap.ErrInvalidApplicationID},
		{"login with tba", soap.Request{Operation: soap.OpLogin, Version: soap.V2017_2, Auth: tbaAuth("1")}, soap.ErrCredentials},
		{"logout outside a session", soap.Request{Operation: soap.OpLogout, Version: soap.V2017_2, Auth: passportAuth("1")}, soap.ErrUnsupportedOperation},
		{"session plus credentials", soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2017_2, Auth: passportAuth("1"), Session: true}, soap.ErrAmbiguousAuth},
		{"datacenter without account", soap.Request{Operation: soap.OpGetDataCenterUrls, Version: soap.V2025_2}, nsdist.ErrInvalidAccountID},
		{"zero version", soap.Request{Operation: soap.OpGetServerTime, Auth: tbaAuth("1")}, soap.ErrInvalidVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.req
			if tt.name == "lower-case sandbox id" {
				a := tbaAuth("123456_SB1")
				a.Account = "123456_sb1"
				r.Auth = a
				tt.want = nsdist.ErrInvalidAccountID
			}
			_, err := r.Encode("abcdefghij", fixedTime)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Encode() error = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "060cd9ab") || strings.Contains(err.Error(), "S3cret") {
				t.Fatalf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestNormalizeApplicationID(t *testing.T) {
	t.Parallel()
	const guid = "C4A2541D-16FB-4845-B8A2-8B8A34BDBB61"
	tests := []struct {
		in       string
		want     string
		wantErr  error // from NormalizeApplicationID
		checkErr error // from CheckApplicationID
	}{
		{guid, guid, nil, nil},
		{"c4a2541d16fb4845b8a28b8a34bdbb61", guid, nil, nil},
		{" c4a2541d-16fb-4845-b8a2-8b8a34bdbb61 ", guid, nil, nil},
		{"C4A2541D-16FB4845B8A2-8B8A34BDBB61", guid, nil, nil},
		// section_4389727047 gives no format: anything else is sent as given, with a warning
		{"C4A2541D", "C4A2541D", nil, soap.ErrUnusualApplicationID},
		{"G4A2541D16FB4845B8A28B8A34BDBB61", "G4A2541D16FB4845B8A28B8A34BDBB61", nil, soap.ErrUnusualApplicationID},
		{" legacy-app-id-7 ", "legacy-app-id-7", nil, soap.ErrUnusualApplicationID},
		{"", "", soap.ErrInvalidApplicationID, soap.ErrInvalidApplicationID},
		{"   ", "", soap.ErrInvalidApplicationID, soap.ErrInvalidApplicationID},
		// a space inside is sent as the element's text, unchanged: warned about, not refused
		{"C4A2541D 16FB", "C4A2541D 16FB", nil, soap.ErrUnusualApplicationID},
		{" C4A2541D 16FB 4845 B8A2 8B8A34BDBB61 ", "C4A2541D 16FB 4845 B8A2 8B8A34BDBB61", nil, soap.ErrUnusualApplicationID},
		// control characters are refused
		{"C4A2541D\x0016FB", "", soap.ErrInvalidApplicationID, soap.ErrInvalidApplicationID},
		{"C4A2541D\t16FB", "", soap.ErrInvalidApplicationID, soap.ErrInvalidApplicationID},
		{"C4A2541D\n16FB", "", soap.ErrInvalidApplicationID, soap.ErrInvalidApplicationID},
		{"C4A2541D\x7f16FB", "", soap.ErrInvalidApplicationID, soap.ErrInvalidApplicationID},
	}
	for _, tt := range tests {
		got, err := soap.NormalizeApplicationID(tt.in)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("NormalizeApplicationID(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err := soap.CheckApplicationID(tt.in); !errors.Is(err, tt.checkErr) || (tt.checkErr == nil) != (err == nil) {
			t.Errorf("CheckApplicationID(%q) = %v, want %v", tt.in, err, tt.checkErr)
		}
	}
}

// TestApplicationIDWithSpaceIsSent: an application id with spaces inside
// goes out as the applicationId element's text, read back unchanged, and
// the client warns about it once, saying what looks wrong.
func TestApplicationIDWithSpaceIsSent(t *testing.T) {
	t.Parallel()
	const id = "C4A2541D 16FB 4845 B8A2 8B8A34BDBB61"
	p := passportAuth("123456")
	p.ApplicationID = " " + id + " "
	for _, op := range []soap.Operation{soap.OpLogin, soap.OpGetServerTime} {
		r := &soap.Request{Operation: op, Version: soap.V2020_1, Auth: p}
		body, err := r.Encode("", time.Now())
		if err != nil {
			t.Fatalf("Encode(%s) error = %v", op, err)
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(body); err != nil {
			t.Fatalf("Encode(%s) is not XML: %v", op, err)
		}
		el := doc.FindElement("//applicationInfo/applicationId")
		if el == nil {
			t.Fatalf("Encode(%s) has no applicationId: %s", op, body)
		}
		if diff := cmp.Diff(id, el.Text()); diff != "" {
			t.Errorf("Encode(%s) applicationId mismatch (-want +got):\n%s", op, diff)
		}
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := soap.NewClient("123456", soap.WithVersion(soap.V2020_1), soap.WithAuth(p), soap.WithLogger(logger)); err != nil {
		t.Fatalf("NewClient() error = %v, want the id accepted", err)
	}
	if got := logs.String(); strings.Count(got, "unusual application id") != 1 || !strings.Contains(got, "with spaces inside") {
		t.Errorf("NewClient() logged %q, want one warning that the id has spaces inside", got)
	}
}
