package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBundleCommand(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "app")
	var out, errOut bytes.Buffer
	if code := run([]string{"-out", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "custinteg_acme_sync") || !strings.Contains(out.String(), "State Enabled on install") || strings.Contains(out.String(), "customrecord_acme_log") {
		t.Errorf("plan:\n%s", out.String())
	}
	for _, f := range []string{"suitecloud.config.js", "src/manifest.xml", "src/deploy.xml", "src/Objects/custinteg_acme_sync.xml", "src/Objects/custinteg_acme_reports.xml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if code := run([]string{"-out", dir}, &out, &errOut); code != 1 {
		t.Errorf("second write into a non-empty folder: exit %d", code)
	}
	if code := run(nil, &out, &errOut); code != 2 {
		t.Errorf("no -out: exit %d", code)
	}
}

// -h exits 0; bad flags, a bad catalog and an unwritable -out are refused
// before the plan is printed, with one prefix and the flag's name.
func TestEarlyChecks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cat := filepath.Join(dir, "badcat.json")
	if err := os.WriteFile(cat, []byte("{\"account\": \"TSTDRV1234567\",\n \"bogus\": 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, 0, "Catalog file (-catalog)"},
		{[]string{"-out", filepath.Join(dir, "a"), "-version", "1.0"}, 2, `-version "1.0": want x.y.z`},
		{[]string{"-out", filepath.Join(dir, "a"), "-publisher", "Acme"}, 2, `-publisher "Acme"`},
		{[]string{"-out", filepath.Join(dir, "a"), "-catalog", cat}, 2, "badcat.json:2"},
		{[]string{"-out", filepath.Join(cat, "sub")}, 1, "badcat.json/sub: not a directory"},
		{[]string{"-out", filepath.Join(dir, "a"), "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(tt.args, &out, &errOut)
		if code != tt.code || !strings.Contains(errOut.String(), tt.want) || strings.Contains(errOut.String(), "bundle: bundle:") || strings.Contains(errOut.String(), ".nsdist-") {
			t.Errorf("bundle %v: exit %d, stderr %q; want exit %d and %q", tt.args, code, errOut.String(), tt.code, tt.want)
		}
		if tt.code != 0 && out.Len() > 0 {
			t.Errorf("bundle %v: printed the plan before refusing:\n%s", tt.args, out.String())
		}
	}
}
