package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"

	"github.com/google/go-cmp/cmp"
)

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"userinfo, query and fragment go", "https://user:pw@host.example:8443/p/a?token=s3cret&x=1#frag", "https://host.example:8443/p/a"},
		{"force query goes", "https://host.example/p?", "https://host.example/p"},
		{"plain stays", "https://123456.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2", "https://123456.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, URL(u)); diff != "" {
				t.Errorf("URL(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if u.User == nil && strings.Contains(tt.in, "@") {
				t.Error("URL changed its argument")
			}
		})
	}
	if got := URL(nil); got != "" {
		t.Errorf("URL(nil) = %q, want empty", got)
	}
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"password element", `<p:passport><p:password>hunter2</p:password></p:passport>`, 200, `<p:passport><p:password>[REDACTED]</p:password></p:passport>`},
		{"unprefixed signature with attribute", `<signature algorithm="HMAC-SHA256">c2lnbmF0dXJl</signature>`, 200, `<signature algorithm="HMAC-SHA256">[REDACTED]</signature>`},
		{"every secret element", `<nonce>n0nce</nonce><consumerSecret>cs</consumerSecret><tokenSecret>ts</tokenSecret>`, 200, `<nonce>[REDACTED]</nonce><consumerSecret>[REDACTED]</consumerSecret><tokenSecret>[REDACTED]</tokenSecret>`},
		{"self-closing element kept", `<password/><x>1</x>`, 200, `<password/><x>1</x>`},
		{"a name inside another is not a secret", `<nonceCount>3</nonceCount><mypassword>x</mypassword>`, 200, `<nonceCount>3</nonceCount><mypassword>x</mypassword>`},
		{"cut inside the open tag", `<a><password attr="`, 200, `<a><[REDACTED]`},
		{"cut inside the value", `<password>hunt`, 200, `<password>[REDACTED]`},
		{"truncated to n bytes", `<a>0123456789</a>`, 8, `<a>01234`},
		{"newlines and tabs become spaces, controls go", "a\nb\tc\r\x00d\x07e", 200, "a b c de"},
		{"trimmed", "  <a/>  ", 200, "<a/>"},
		{"NLAuth header echoed", `NLAuth nlauth_account=1, nlauth_email=a@b.example, nlauth_signature=Pa%20ss, nlauth_otp=123456`, 200, `NLAuth nlauth_account=1, nlauth_email=a@b.example, nlauth_signature=[REDACTED], nlauth_otp=[REDACTED]`},
		{"OAuth header echoed", `OAuth realm="1", oauth_consumer_key="ck", oauth_signature="abc%3D"`, 200, `OAuth realm="1", oauth_consumer_key="ck", oauth_signature="[REDACTED]"`},
		{"JSON echo", `{"password":"pw1","client_secret": "cs","refresh_token":"rt"}`, 200, `{"password":"[REDACTED]","client_secret": "[REDACTED]","refresh_token":"[REDACTED]"}`},
		{"form echo", `grant_type=refresh_token&refresh_token=abc.def&code_verifier=xyz`, 200, `grant_type=refresh_token&refresh_token=[REDACTED]&code_verifier=[REDACTED]`},
		{"bearer and basic", `Authorization: Bearer eyJ0.eyJ1.sig; Basic dXNlcjpwdw==`, 200, `Authorization: Bearer [REDACTED]; Basic [REDACTED]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Snippet([]byte(tt.in), tt.n)); diff != "" {
				t.Errorf("Snippet(%q, %d) mismatch (-want +got):\n%s", tt.in, tt.n, diff)
			}
		})
	}
}

func TestValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"plain", "your password is Pa ss+w/rd, really", []string{"Pa ss+w/rd"}, "your password is [REDACTED], really"},
		{"query-escaped", "q=Pa+ss%2Bw%2Frd", []string{"Pa ss+w/rd"}, "q=[REDACTED]"},
		{"path-escaped", "p=Pa%20ss+w%2Frd", []string{"Pa ss+w/rd"}, "p=[REDACTED]"},
		{"RFC 3986 as in an NLAuth header", `"message":"credentials rejected: my%20pass%401"`, []string{"my pass@1"}, `"message":"credentials rejected: [REDACTED]"`},
		{"RFC 3986, every reserved character", "sig=a%2Bb%2Fc%3Dd%21%2A%27%28%29%3B%3A%26%24%2C%3F%23%5B%5D", []string{"a+b/c=d!*'();:&$,?#[]"}, "sig=[REDACTED]"},
		{"RFC 3986, UTF-8 bytes", "pw=p%C3%A4ss%E2%82%AC", []string{"päss€"}, "pw=[REDACTED]"},
		{"RFC 3986, lower-case hex", "pw=a%2bb%2fc%3dd%21", []string{"a+b/c=d!"}, "pw=[REDACTED]"},
		{"query-escaped, lower-case hex", "q=Pa+ss%2bw%2frd", []string{"Pa ss+w/rd"}, "q=[REDACTED]"},
		{"path-escaped, lower-case hex", "p=Pa%20ss+w%2frd", []string{"Pa ss+w/rd"}, "p=[REDACTED]"},
		{"base64 standard, padded and raw", "b=aHVudGVyMj8+ c=cD4+P3d+fj8= d=cD4+P3d+fj8", []string{"hunter2?>", "p>>?w~~?"}, "b=[REDACTED] c=[REDACTED] d=[REDACTED]"},
		{"base64 URL alphabet, padded and raw", "b=aHVudGVyMj8- c=cD4-P3d-fj8= d=cD4-P3d-fj8", []string{"hunter2?>", "p>>?w~~?"}, "b=[REDACTED] c=[REDACTED] d=[REDACTED]"},
		{"HTML-escaped as Go does", "pw=p&lt;a&amp;&#34;s&#39;s&gt;w", []string{`p<a&"s's>w`}, "pw=[REDACTED]"},
		{"HTML-escaped with &quot; and &#039;", "pw=p&lt;a&amp;&quot;s&#039;s&gt;w", []string{`p<a&"s's>w`}, "pw=[REDACTED]"},
		{"HTML-escaped with &apos;", "pw=p&lt;a&amp;&quot;s&apos;s&gt;w", []string{`p<a&"s's>w`}, "pw=[REDACTED]"},
		{"HTML-escaped with &#x27;", "pw=p&lt;a&amp;&quot;s&#x27;s&gt;w", []string{`p<a&"s's>w`}, "pw=[REDACTED]"},
		{"path-escaped, then HTML-escaped", "pw=p%3Ca&amp;%22s%27s%3Ew", []string{`p<a&"s's>w`}, "pw=[REDACTED]"},
		{"in a JSON string, HTML escapes on", `{"m":"p\u003ca\u0026\"s's\u003ew"}`, []string{`p<a&"s's>w`}, `{"m":"[REDACTED]"}`},
		{"in a JSON string, HTML escapes off", `{"m":"p<a&\"s's>w"}`, []string{`p<a&"s's>w`}, `{"m":"[REDACTED]"}`},
		{"several, every occurrence", "aaaa bbbb aaaa", []string{"aaaa", "bbbb"}, "[REDACTED] [REDACTED] [REDACTED]"},
		{"short values are left", "the pin 123 stays", []string{"123", ""}, "the pin 123 stays"},
		{"none", "nothing", nil, "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Values(tt.in, tt.secrets...)); diff != "" {
				t.Errorf("Values(%q, %q) mismatch (-want +got):\n%s", tt.in, tt.secrets, diff)
			}
		})
	}
}

func TestParamsLeavesOrdinaryText(t *testing.T) {
	t.Parallel()
	tests := []string{
		"Invalid login attempt.",
		`{"error":{"code":"InvalidSignature","message":"the signature does not verify"}}`,
		"oauth_consumer_key=ck&oauth_nonce=n&oauth_timestamp=1",
	}
	for _, in := range tests {
		if diff := cmp.Diff(in, Params(in)); diff != "" {
			t.Errorf("Params(%q) mismatch (-want +got):\n%s", in, diff)
		}
	}
}

func TestLowerHex(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"%2F%3D%ZZ", "%2f%3d%ZZ"},
		{"ABC%4", "ABC%4"},
		{"%", "%"},
		{"%%2F", "%%2f"},
		{"%2%AB", "%2%ab"},
		{"%ABCD", "%abCD"},
		{"no escapes ABCDEF", "no escapes ABCDEF"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, lowerHex(tt.in)); diff != "" {
			t.Errorf("lowerHex(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

// Every form Values blanks fits MaxFormLen, which soap's scrubber uses to
// size the window it scrubs before a cut.
func TestFormsFitMaxFormLen(t *testing.T) {
	t.Parallel()
	for _, v := range []string{`""""`, `''''`, "<<<<", "&&&&", "\x01\x02\x03\x04", "\xff\xfe\xfd\xfc", "\u2028\u2029", "päss€", `p<a&"s's>w`} {
		for _, f := range forms(v) {
			if len(f) > MaxFormLen(len(v)) {
				t.Errorf("forms(%q) has %q, %d bytes: more than MaxFormLen(%d) = %d", v, f, len(f), len(v), MaxFormLen(len(v)))
			}
		}
	}
}

// credentialField matches the names of fields that may hold a credential.
// A type with such a field is checked whole: every text field so named is
// filled with a secret of its own.
const credentialField = `(?i)secret|passw|token|session|key|verifier|code|signature|cookie|nonce|assertion`

// notSecret lists the fields whose names match credentialField but hold
// no credential, each with the reason; the test fails for a field printed
// that is not here, and for an entry here that nothing printed.
var notSecret = map[string]string{
	"approval.Reason.Code":        "a reason's name in approval's vocabulary (passport, endpoint_too_old)",
	"soap.Fault.Code":             "the faultcode, NetSuite's vocabulary (soapenv:Server.userException)",
	"soap.Fault.NSCode":           "the fault detail's code, NetSuite's vocabulary (INVALID_LOGIN_CREDENTIALS)",
	"soap.StatusDetail.Code":      "a status detail's code, NetSuite's vocabulary",
	"oauth2.Error.Code":           "the OAuth 2.0 error code (invalid_grant, RFC 6749 §5.2)",
	"tba.FlowError.Code":          "the flow error's code in nsdist's vocabulary",
	"sqlstore.DecryptError.KeyID": "the id of the key, which names the key and is no part of it",
	"oauth2.Token.TokenType":      "the token's type, Bearer",
}

// notWalked are the packages whose types are not walked, with the reason.
var notWalked = map[string]string{
	"distribution/nstest": "the fake NetSuite for tests: its credentials are the fixtures a test made, printed for the test's failures",
}

// credType is an exported struct type of the module with a field named
// like a credential.
type credType struct {
	Alias, Path, Type, Name string
}

// TestCredentialTypesRedacted walks every exported struct type of the
// module (go/ast over its non-test sources, package main aside) that has a
// field named like a credential, fills each such text field, exported or
// not, with a secret of its own (reflection, in a program generated for
// the purpose and built through an overlay), and checks that %v, %+v,
// %#v, %s and slog's text and JSON handlers never show one, and never
// panic.
func TestCredentialTypesRedacted(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the walker with")
	}
	root, module := moduleRoot(t)
	types := credentialTypes(t, root, module)
	names := map[string]bool{}
	for _, ct := range types {
		names[ct.Name] = true
	}
	for _, want := range []string{"soap.TokenAuth", "soap.Passport", "soap.LoginSession", "tba.Credential", "oauth2.Token", "oauth2.Config"} {
		if !names[want] {
			t.Errorf("the walk did not find %s: credentialTypes misses types", want)
		}
	}
	findings := runWalker(t, goBin, root, types)
	hit := map[string]bool{}
	for _, f := range findings {
		switch {
		case f.Panic != "":
			t.Errorf("%s under %s: %s", f.Type, f.Form, f.Panic)
		case notSecret[f.Field] != "":
			hit[f.Field] = true
		default:
			t.Errorf("%s under %s shows the secret put in %s (reached as %s)", f.Type, f.Form, f.Field, f.Path)
		}
	}
	for field := range notSecret {
		if !hit[field] {
			t.Errorf("notSecret lists %s, which nothing printed: remove it", field)
		}
	}
}

func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for line := range strings.SplitSeq(string(b), "\n") {
				if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					return dir, strings.TrimSpace(m)
				}
			}
			t.Fatalf("%s/go.mod names no module", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// credentialTypes parses the module's non-test sources and returns its
// exported, non-generic struct types with a field named like a credential.
func credentialTypes(t *testing.T, root, module string) []credType {
	t.Helper()
	field := regexp.MustCompile(credentialField)
	seen := map[string]bool{}
	var out []credType
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			_, nested := os.Stat(filepath.Join(path, "go.mod"))
			if path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || nested == nil) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil || f.Name.Name == "main" {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		if notWalked[filepath.ToSlash(rel)] != "" {
			return nil
		}
		imp := module
		if rel != "." {
			imp += "/" + filepath.ToSlash(rel)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok || !ts.Name.IsExported() || ts.TypeParams != nil || seen[imp+"."+ts.Name.Name] || !namesCredential(st, field) {
					continue
				}
				seen[imp+"."+ts.Name.Name] = true
				out = append(out, credType{Path: imp, Type: ts.Name.Name, Name: f.Name.Name + "." + ts.Name.Name})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	aliases := map[string]string{}
	for i := range out {
		if aliases[out[i].Path] == "" {
			aliases[out[i].Path] = fmt.Sprintf("p%d", len(aliases))
		}
		out[i].Alias = aliases[out[i].Path]
	}
	return out
}

func namesCredential(st *ast.StructType, field *regexp.Regexp) bool {
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			if field.MatchString(n.Name) {
				return true
			}
		}
	}
	return false
}

// finding is one line of the walker's output.
type finding struct {
	Type  string `json:"type"`
	Field string `json:"field"`
	Path  string `json:"path"`
	Form  string `json:"form"`
	Panic string `json:"panic"`
}

// runWalker generates the walker for types, builds and runs it through an
// overlay (nothing is written into the module), and returns its findings.
func runWalker(t *testing.T, goBin, root string, types []credType) []finding {
	t.Helper()
	tmpl := template.Must(template.ParseFiles(filepath.Join("testdata", "credwalk.go.tmpl")))
	imports := map[string]credType{}
	for _, ct := range types {
		imports[ct.Path] = ct
	}
	var src bytes.Buffer
	if err := tmpl.Execute(&src, map[string]any{"Imports": imports, "Types": types, "Pattern": credentialField}); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	mainGo := filepath.Join(tmp, "main.go")
	pkgDir := filepath.Join(root, "internal", "redact", "testdata", "credwalk")
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(pkgDir, "main.go"): mainGo}})
	if err := os.WriteFile(mainGo, src.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "overlay.json"), overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), goBin, "run", "-overlay", filepath.Join(tmp, "overlay.json"), "./internal/redact/testdata/credwalk")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the walker: %v\n%s", err, stderr.String())
	}
	var fs []finding
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var f finding
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("the walker's output: %v", err)
		}
		fs = append(fs, f)
	}
	return fs
}

// FuzzMayHoldParam checks the property Params's shortcut rests on: when
// mayHoldParam passes a text over, the expressions would change nothing.
func FuzzMayHoldParam(f *testing.F) {
	f.Add(`{"access_token" : "abc"}`)
	f.Add("Authorization: BEARER\tabc")
	f.Add("ſecret=1")
	f.Add("error=invalid_token")
	f.Fuzz(func(t *testing.T, s string) {
		if mayHoldParam(s) {
			return
		}
		if got := authScheme.ReplaceAllString(secretParam.ReplaceAllString(s, "${1}"+Placeholder), "${1}${2}"+Placeholder); got != s {
			t.Fatalf("%q was passed over, but the expressions make it %q", s, got)
		}
	})
}

func TestMayHoldParam(t *testing.T) {
	for s, want := range map[string]bool{`{"access_token" : "abc"}`: true, "Authorization: BEARER\tabc": true, "ſecret=1": true,
		"password:x": true, `"Secret"=x`: true, "error=invalid_token": false, "basically": false, "the secret is out": false, "": false} {
		if got := mayHoldParam(s); got != want {
			t.Errorf("mayHoldParam(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzMayHold checks the property MayHold rests on: when it passes a
// text over, the text holds none of the forms Values blanks.
func FuzzMayHold(f *testing.F) {
	f.Add("s3cr3t-token", "an echo of s3cr3t-token")
	f.Add("a b&c<d>", "a+b%26c&lt;d")
	f.Add("abcdef", "YWJjZGVm")
	f.Fuzz(func(t *testing.T, secret, text string) {
		if len(secret) < 4 || MayHold(text, secret) {
			return
		}
		for _, form := range forms(secret) {
			if strings.Contains(text, form) {
				t.Fatalf("secret %q: %q holds %q, yet was passed over", secret, text, form)
			}
		}
	})
}

// TestMayHold: every form Values blanks, anywhere in a text, is seen; a
// text with none is passed over.
func TestMayHold(t *testing.T) {
	for _, v := range []string{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzOy01In0.sig-_x", "a b&c=d/e+f<g>\"h'", "päss wörd-1234", "!@#$%^", "abcd", "中文密码"} {
		for _, form := range forms(v) {
			if s := `{"error":"` + form + `"}`; !MayHold(s, v) {
				t.Errorf("secret %q: %q passed over", v, s)
			}
		}
	}
	if MayHold(`{"error":"invalid_token"}`, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzOy01In0.sig-_x") {
		t.Error("a text with no form of the secret was not passed over")
	}
}

func TestUnescapedRun(t *testing.T) {
	for v, want := range map[string]string{"": "", "a&b": "a", "ab&cde&f": "cde", "x~y.z-w_v!": "x~y.z-w_v",
		"!!0123456789abcdefXYZ": "0123456789abcdef", "ab&0123456789abcdef0": "0123456789abcdef", "中文&ab": "ab"} {
		if got := unescapedRun(v); got != want {
			t.Errorf("unescapedRun(%q) = %q, want %q", v, got, want)
		}
	}
}
