package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// -journal sqlite:PATH (and postgres:// where a server is reachable) works
// like the file: a re-run takes the enabled targets from the journal and
// checks the others again.
func TestSQLJournal(t *testing.T) {
	t.Parallel()
	specs := []string{"sqlite:" + filepath.Join(t.TempDir(), "j.db")}
	if dsn := os.Getenv("NSDIST_TEST_POSTGRES"); dsn != "" {
		specs = append(specs, dsn)
	}
	for _, spec := range specs {
		report := filepath.Join(t.TempDir(), "r.json")
		// a seed of its own, so that the accounts differ from other runs on a shared database
		args := []string{"-accounts", "30", "-latency", "0s", "-fault-rate", "0", "-quiet", "-seed", "77", "-journal", spec, "-report", report}
		var out, errOut bytes.Buffer
		if code := run(t.Context(), args, &out, &errOut); code != 0 && code != 3 {
			t.Fatalf("%s first run: exit %d\n%s", spec, code, errOut.String())
		}
		out.Reset()
		errOut.Reset()
		if code := run(t.Context(), args, &out, &errOut); code != 0 && code != 3 {
			t.Fatalf("%s second run: exit %d\n%s", spec, code, errOut.String())
		}
		var rep struct {
			Results []struct {
				Outcome     string `json:"outcome"`
				FromJournal bool   `json:"from_journal"`
			} `json:"results"`
		}
		b, _ := os.ReadFile(report)
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		fromJournal, enabled := 0, 0
		for _, r := range rep.Results {
			if r.FromJournal {
				fromJournal++
			}
			if r.Outcome == "enabled" {
				enabled++
			}
		}
		if len(rep.Results) != 30 || fromJournal != enabled || enabled != 21 {
			t.Errorf("%s re-run: %d results, %d from the journal, %d enabled (want 30, 21, 21)", spec, len(rep.Results), fromJournal, enabled)
		}
	}
}
