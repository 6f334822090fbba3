package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/rollout"
)

// The exit status for each mix of outcomes, and for a run that could not finish.
func TestVerdictExitCodes(t *testing.T) {
	t.Parallel()
	res := func(os ...distribution.Outcome) []distribution.Result {
		var rs []distribution.Result
		for i, o := range os {
			rs = append(rs, distribution.Result{Account: nsdist.AccountID(fmt.Sprint(100000 + i)), Outcome: o})
		}
		return rs
	}
	const (
		en  = distribution.OutcomeEnabled
		aw  = distribution.OutcomeAwaitingApproval
		rej = distribution.OutcomeRejected
		mis = distribution.OutcomeMisconfigured
		fa  = distribution.OutcomeFailed
	)
	tests := []struct {
		name    string
		results []distribution.Result
		targets int
		runErr  error
		want    int
	}{
		{"all enabled", res(en, en), 0, nil, 0},
		{"enabled and awaiting approval", res(en, aw, aw), 0, nil, 0},
		{"all awaiting approval", res(aw), 0, nil, 0},
		{"one rejected", res(en, aw, rej), 0, nil, 3},
		{"one misconfigured", res(en, mis), 0, nil, 3},
		{"one failed", res(aw, fa), 0, nil, 3},
		{"every outcome", res(en, aw, rej, mis, fa), 0, nil, 3},
		{"all failed", res(fa, fa, fa), 0, nil, 3},
		{"interrupted", res(en), 3, context.Canceled, 1},
		{"interrupted with failures", res(fa), 3, context.Canceled, 1},
		{"journal not writable", res(en), 0, errors.New("rollout: journal: disk full"), 1},
		{"not reached without an error", res(en), 2, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := &rollout.Report{Results: tt.results, Targets: tt.targets}
			err := verdict(rep, tt.runErr, "j.jsonl")
			if got := exitCode(err); got != tt.want {
				t.Errorf("exitCode(verdict(%s)) = %d (%v), want %d", tt.name, got, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "context canceled") {
				t.Errorf("verdict(%s) = %q: a raw context error", tt.name, err)
			}
		})
	}
}

func runCode(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// End to end: failures exit 3 with their cause; bad flags and targets exit
// 2 and an unwritable output path exits 1, all before anything is sent;
// an interrupted run exits 1 and says how many were not reached.
func TestExitStatus(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badTargets := filepath.Join(dir, "targets.csv")
	if err := os.WriteFile(badTargets, []byte("\ufeffaccount,credentials,token_secret\n123456,acme,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	inUse := filepath.Join(dir, "in-use.jsonl")
	holder, err := rollout.OpenJournal(inUse)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Close() })
	tests := []struct {
		name     string
		ctx      context.Context
		args     []string
		want     int
		inStdout []string
		inStderr []string
	}{
		{name: "every request refused with a concurrency fault", args: []string{"-accounts", "3", "-fault-rate", "1", "-latency", "0s", "-quiet", "-channel", "tba"}, want: 3,
			inStdout: []string{"failed                   3", "failed (3), by cause:", "SOAP fault WS_", "next: try again later"}, inStderr: []string{"3 targets rejected, misconfigured or failed"}},
		{name: "report folder missing", args: []string{"-accounts", "3", "-report", filepath.Join(dir, "no", "r.html")}, want: 1,
			inStderr: []string{"-report " + filepath.Join(dir, "no", "r.html") + ": folder " + filepath.Join(dir, "no") + " does not exist"}},
		{name: "report is a folder", args: []string{"-accounts", "3", "-report", dir}, want: 1, inStderr: []string{"is a folder: name a file"}},
		{name: "journal folder missing", args: []string{"-accounts", "3", "-journal", filepath.Join(dir, "no", "j.jsonl")}, want: 1, inStderr: []string{"-journal"}},
		{name: "journal in use", args: []string{"-accounts", "3", "-latency", "0s", "-quiet", "-journal", inUse}, want: 1, inStderr: []string{"rollout: journal in use by another process"}},
		{name: "unknown column", args: []string{"-targets", badTargets, "-record-name", "Acme Sync"}, want: 2, inStderr: []string{"token_secret: unknown column", "nothing sent"}},
		{name: "targets without record name", args: []string{"-targets", badTargets}, want: 2, inStderr: []string{"-targets needs -record-name"}},
		{name: "concurrency too high", args: []string{"-concurrency", "1000000"}, want: 2, inStderr: []string{"-concurrency 1000000: want 1 to 2000"}},
		{name: "help", args: []string{"-h"}, want: 0, inStderr: []string{"Targets file (-targets)", "NETSUITE_<REF>_CONSUMER_KEY", "Exit status:"}},
		{name: "interrupted", ctx: cancelled, args: []string{"-accounts", "4", "-latency", "0s", "-journal", filepath.Join(dir, "j.jsonl")}, want: 1,
			inStdout: []string{"not reached              4"}, inStderr: []string{"interrupted: 4 of 4 targets not reached; run again with -journal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			code, out, errOut := runCode(t, ctx, tt.args...)
			if code != tt.want {
				t.Errorf("rollout %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.want, out, errOut)
			}
			for _, w := range tt.inStdout {
				if !strings.Contains(out, w) {
					t.Errorf("rollout %v: stdout lacks %q:\n%s", tt.args, w, out)
				}
			}
			for _, w := range tt.inStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("rollout %v: stderr lacks %q:\n%s", tt.args, w, errOut)
				}
			}
			if tt.want == 1 && !strings.HasPrefix(tt.name, "interrupted") && strings.Contains(errOut, "progress:") {
				t.Errorf("rollout %v: sent before checking the output paths:\n%s", tt.args, errOut)
			}
			if strings.Contains(errOut, "rollout: rollout:") {
				t.Errorf("rollout %v: stderr names the program twice:\n%s", tt.args, errOut)
			}
			if strings.Contains(errOut, "context canceled") || strings.Contains(errOut, ".nsdist-check") {
				t.Errorf("rollout %v: stderr shows an internal detail:\n%s", tt.args, errOut)
			}
		})
	}
}

// The HTML and CSV reports: labels from the targets, the groups, the run id.
func TestReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"r.html", "r.csv", "r.json"} {
		p := filepath.Join(dir, name)
		runOK(t, "-accounts", "12", "-latency", "0s", "-fault-rate", "0", "-quiet", "-report", p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{
			"r.html": {"<svg", `id="awaiting-table"`, "Setup &gt; Integration &gt; Manage Integrations", "concurrency"},
			"r.csv":  {"account,label,channel,outcome,cause", ",Acme Sync,2"},
			"r.json": {`"run": "2`, `"groups": [`, "Setup > Integration > Manage Integrations", `"settings": {`},
		}[name]
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
	}
}
