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
