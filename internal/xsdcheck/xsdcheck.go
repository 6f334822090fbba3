// Package xsdcheck validates envelopes against Oracle's official SuiteTalk
// schemas with xmllint, for tests. The schemas are test data outside the
// module: tests find them through NSDIST_WSDL_DIR (.ci/run sets it to
// ../shared/wsdl) and skip, saying why, when it is unset.
package xsdcheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// EnvVar names the folder that holds 2017_2/ and 2023_2/.
const EnvVar = "NSDIST_WSDL_DIR"

// Dir returns the schema folder, or skips t with the reason. When the
// folder is configured, a missing xmllint fails the test: CI must not skip.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvVar)
	if dir == "" {
		t.Skipf("schema validation skipped: set %s to the folder holding the official WSDL/XSD sets (2017_2/, 2023_2/); .ci/run sets it to ../shared/wsdl", EnvVar)
	}
	if _, err := os.Stat(filepath.Join(dir, "2023_2", "envelope-strict.xsd")); err != nil {
		t.Fatalf("%s=%s has no 2023_2/envelope-strict.xsd: %v", EnvVar, dir, err)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatalf("%s is set but xmllint is not installed (Debian: apt-get install libxml2-utils)", EnvVar)
	}
	return dir
}

var passportRE = regexp.MustCompile(`<[A-Za-z0-9]*:?(passport|login|logout|loginResponse|logoutResponse|sessionResponse)[ />]`)

var versionRE = regexp.MustCompile(`_(\d{4}_\d)\.platform\.webservices\.netsuite\.com`)

// SchemaFor picks the schema set for an envelope: 2017_2 when it uses the
// passport era's elements (passport, login, logout), 2023_2 otherwise. It returns the set and
// the document with its NetSuite namespaces rewritten to that version;
// there are no public 2024/2025 schemas and the namespaces differ only in
// the version string (shared/wsdl/README.md).
func SchemaFor(doc []byte) (set string, rewritten []byte) {
	set = "2023_2"
	if passportRE.Match(doc) {
		set = "2017_2"
	}
	return set, versionRE.ReplaceAll(doc, []byte("_"+set+".platform.webservices.netsuite.com"))
}

// Validate checks every document strictly, each against the schema set
// SchemaFor picks, and fails t naming each invalid one with xmllint's message.
func Validate(t testing.TB, docs map[string][]byte) {
	t.Helper()
	dir := Dir(t)
	tmp := t.TempDir()
	bySet := map[string][]string{}
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		set, doc := SchemaFor(docs[name])
		p := filepath.Join(tmp, strings.NewReplacer("/", "_", " ", "_").Replace(name)+"-"+itoa(i)+".xml")
		if err := os.WriteFile(p, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		bySet[set] = append(bySet[set], p)
	}
	for set, files := range bySet {
		schema := filepath.Join(dir, set, "envelope-strict.xsd")
		cmd := exec.Command("xmllint", append([]string{"--nonet", "--noout", "--schema", schema}, files...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if err != nil {
			t.Errorf("xmllint against %s/envelope-strict.xsd: %v\n%s", set, err, out.String())
			continue
		}
		if n := strings.Count(out.String(), " validates"); n != len(files) {
			t.Errorf("xmllint validated %d of %d documents against %s:\n%s", n, len(files), set, out.String())
		}
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
