package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nsdist/nsdist/internal/xsdcheck"
)

type report struct {
	Results []struct {
		Account  string `json:"account"`
		Outcome  string `json:"outcome"`
		Attempts int    `json:"attempts"`
		NextStep string `json:"next_step"`
	} `json:"results"`
}

func runOK(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(t.Context(), args, &out, &errOut); code != 0 {
		t.Fatalf("run %v: exit %d\n%s", args, code, errOut.String())
	}
	return out.String(), errOut.String()
}

func readReport(t *testing.T, path string) report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMainJob(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "report.json")
	journal := filepath.Join(dir, "journal.jsonl")
	args := []string{"-accounts", "40", "-approval-share", "0.25", "-latency", "1ms", "-fault-rate", "0.2", "-journal", journal, "-report", rep}
	out, errOut := runOK(t, args...)
	if !strings.Contains(out, "enabled                 30") || !strings.Contains(out, "awaiting_approval       10") {
		t.Errorf("summary:\n%s", out)
	}
	if !strings.Contains(errOut, "progress: 40/40") {
		t.Errorf("no progress on stderr:\n%s", errOut)
	}
	r := readReport(t, rep)
	counts := map[string]int{}
	for _, res := range r.Results {
		counts[res.Outcome]++
		if res.Attempts < 1 || (res.Outcome == "awaiting_approval" && !strings.Contains(res.NextStep, "set State to Enabled")) {
			t.Errorf("result %+v", res)
		}
	}
	if counts["enabled"] != 30 || counts["awaiting_approval"] != 10 || len(r.Results) != 40 {
		t.Errorf("report counts %v", counts)
	}
	// a re-run with the journal skips enabled targets; the report still covers all
	_, errOut = runOK(t, args...)
	if !strings.Contains(errOut, "40 targets recorded before, 30 enabled (skipped unless their channel or credential changed)") {
		t.Errorf("re-run stderr:\n%s", errOut)
	}
	if r2 := readReport(t, rep); len(r2.Results) != 40 || r2.Results[0].Account != r.Results[0].Account {
		t.Errorf("re-run report has %d results", len(r2.Results))
	}
	b, _ := os.ReadFile(journal)
	if n := strings.Count(string(b), `"outcome"`); n != 50 {
		t.Errorf("journal has %d result lines, want 40 + 10", n)
	}
}

func TestAccountIDsDeterministic(t *testing.T) {
	t.Parallel()
	a, b, c := AccountIDs(300, 1), AccountIDs(300, 1), AccountIDs(300, 2)
	if strings.Join(idStrings(a), ",") != strings.Join(idStrings(b), ",") || strings.Join(idStrings(a), ",") == strings.Join(idStrings(c), ",") {
		t.Error("account ids do not depend on -accounts and -seed alone")
	}
	sandboxes := 0
	for _, id := range a {
		if id.IsSandbox() {
			sandboxes++
		}
	}
	if sandboxes == 0 {
		t.Error("no sandbox among the simulated accounts")
	}
}

func idStrings[T ~string](ids []T) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

func TestDump(t *testing.T) {
	dir := t.TempDir()
	runOK(t, "-accounts", "5", "-latency", "0s", "-fault-rate", "0", "-dump", dir, "-quiet", "-channel", "tba")
	entries, _ := os.ReadDir(dir)
	name := regexp.MustCompile(`^\d{6}-\d+(_SB1)?-getServerTime-(request|response)\.xml$`)
	docs := map[string][]byte{}
	for _, e := range entries {
		if !name.MatchString(e.Name()) {
			t.Errorf("dump file %s", e.Name())
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.HasSuffix(e.Name(), "-request.xml") {
			if !bytes.Contains(b, []byte(">UkVEQUNURUQ=</core:signature>")) || !bytes.Contains(b, []byte("<core:nonce>REDACTED0000000000000</core:nonce>")) {
				t.Errorf("%s not redacted:\n%s", e.Name(), b)
			}
		}
		docs[e.Name()] = b
	}
	if len(entries) != 10 {
		t.Errorf("%d dump files, want 10", len(entries))
	}
	xsdcheck.Validate(t, docs) // the placeholders keep every envelope valid
}

// -dump writes REST exchanges too, with every token replaced.
func TestDumpREST(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	runOK(t, "-accounts", "4", "-latency", "0s", "-fault-rate", "0", "-dump", dir, "-quiet", "-channel", "oauth2")
	entries, _ := os.ReadDir(dir)
	name := regexp.MustCompile(`^\d{6}-\d+(_SB1)?-(serverTime|token)-(request|response)\.txt$`)
	sawBearer := false
	for _, e := range entries {
		if !name.MatchString(e.Name()) {
			t.Errorf("dump file %s", e.Name())
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if bytes.Contains(b, []byte("eyJ")) { // every token the fake mints is a JWT
			t.Errorf("%s holds a token:\n%s", e.Name(), b)
		}
		sawBearer = sawBearer || bytes.Contains(b, []byte("Authorization: Bearer REDACTED"))
	}
	if len(entries) < 8 || !sawBearer {
		t.Errorf("%d dump files (want at least 8: serverTime for each of 4), Bearer request seen %v", len(entries), sawBearer)
	}
}

// The default is a mixed rollout: the report says each target's channel,
// and exactly round(N×F) accounts await approval across channels.
func TestChannels(t *testing.T) {
	t.Parallel()
	for _, ch := range []string{"mixed", "oauth2", "tba"} {
		report := filepath.Join(t.TempDir(), "r.json")
		args := []string{"-accounts", "40", "-latency", "0s", "-quiet", "-report", report}
		if ch != "mixed" {
			args = append(args, "-channel", ch)
		}
		runOK(t, args...)
		var rep struct {
			Results []struct {
				Channel string `json:"channel"`
				Outcome string `json:"outcome"`
			} `json:"results"`
		}
		b, _ := os.ReadFile(report)
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		channels, awaiting := map[string]int{}, 0
		for _, r := range rep.Results {
			channels[r.Channel]++
			if r.Outcome == "awaiting_approval" {
				awaiting++
			}
		}
		want := map[string]map[string]int{"mixed": {"tba": 20, "oauth2": 20}, "oauth2": {"oauth2": 40}, "tba": {"tba": 40}}[ch]
		if fmt.Sprint(channels) != fmt.Sprint(want) || awaiting != 12 {
			t.Errorf("-channel %s: channels %v (want %v), %d awaiting (want 12)", ch, channels, want, awaiting)
		}
	}
}

func TestBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-accounts", "0"}, {"-approval-share", "2"}, {"-fault-rate", "-1"}, {"-secrets", "x.json"}, {"extra"}, {"-channel", "fax"}} {
		var out, errOut bytes.Buffer
		if code := run(t.Context(), args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

func TestRedactEnvelope(t *testing.T) {
	t.Parallel()
	in := `<a:password>p&amp;w</a:password><password>x</password><core:signature algorithm="HMAC-SHA256">abc=</core:signature>`
	got := string(redactEnvelope([]byte(in)))
	want := `<a:password>REDACTED</a:password><password>REDACTED</password><core:signature algorithm="HMAC-SHA256">UkVEQUNURUQ=</core:signature>`
	if got != want {
		t.Errorf("redactEnvelope = %s", got)
	}
}

func TestRedactREST(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"grant_type=refresh_token&refresh_token=rt-SECRET&client_id=abc":                "grant_type=refresh_token&refresh_token=REDACTED&client_id=abc",
		"code=c-SECRET&code_verifier=v-SECRET&redirect_uri=x":                           "code=REDACTED&code_verifier=REDACTED&redirect_uri=x",
		"client_assertion_type=jwt&client_assertion=a-SECRET":                           "client_assertion_type=jwt&client_assertion=REDACTED",
		`{"access_token":"at-SECRET","refresh_token": "rt-SECRET","expires_in":"3600"}`: `{"access_token":"REDACTED","refresh_token": "REDACTED","expires_in":"3600"}`,
	} {
		if got := string(redactREST([]byte(in))); got != want || strings.Contains(got, "SECRET") {
			t.Errorf("redactREST(%q) = %q, want %q", in, got, want)
		}
	}
}
