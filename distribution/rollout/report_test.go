package rollout_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/soap"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// sampleReport is a run with every outcome and several causes: what the
// summary, the CSV and the HTML report must make sense of.
func sampleReport() *rollout.Report {
	t0 := time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)
	approve := func(acct string) approval.Explanation {
		return approval.Explanation{Kind: approval.AwaitingApproval, Report: "awaiting_approval", Observed: approval.ObservedInvalidLogin,
			Sentence: "the record is most likely Waiting for Approval in " + acct,
			NextStep: "an administrator of " + acct + " must open " + approval.MenuManageIntegrations + ", edit Acme Sync, and set State to Enabled"}
	}
	failed := func(sentence, next string) approval.Explanation {
		return approval.Explanation{Kind: approval.UnknownOutcome, Report: "failed", Observed: approval.ObservedTransport, Sentence: sentence, NextStep: next}
	}
	dns := func(host string) error {
		return &soap.OpError{Op: soap.OpGetServerTime, Account: "999", Err: &soap.TransportError{Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}}
	}
	enabled := approval.Explanation{Kind: approval.Enabled, Report: "enabled", Observed: approval.ObservedSuccess, Sentence: "enabled: requests are accepted"}
	results := []distribution.Result{
		{Account: "1000001", Label: "Acme Corp", Channel: approval.ChannelTBA, Outcome: distribution.OutcomeEnabled, Explanation: enabled, Attempts: 1},
		{Account: "1000002", Channel: approval.ChannelOAuth2, Outcome: distribution.OutcomeEnabled, Explanation: enabled, Attempts: 3},
		{Account: "1000003", Label: "Globex <EU>", Channel: approval.ChannelTBA, Outcome: distribution.OutcomeAwaitingApproval, Explanation: approve("1000003"), Attempts: 1,
			Err: &soap.Fault{Code: "soapenv:Server.userException", String: "Invalid login attempt.", Kind: "invalidCredentialsFault", NSCode: "USER_ERROR"}},
		{Account: "1000004", Channel: approval.ChannelOAuth2, Outcome: distribution.OutcomeAwaitingApproval, Explanation: approve("1000004"), Attempts: 2},
		{Account: "1000005_SB1", Label: "Initech", Channel: approval.ChannelTBA, Outcome: distribution.OutcomeAwaitingApproval, Explanation: approve("1000005_SB1"), Attempts: 1},
		{Account: "1000006", Channel: approval.ChannelTBA, Outcome: distribution.OutcomeRejected, Attempts: 1,
			Explanation: approval.Explanation{Kind: approval.BlockedOrRejected, Report: "rejected", Observed: approval.ObservedInvalidLogin, Sentence: "the token was refused", NextStep: "ask the customer to authorize again"},
			Err:         &soap.Fault{Code: "soapenv:Server.userException", String: "Invalid login attempt.", Kind: "invalidCredentialsFault", NSCode: "USER_ERROR"}},
		{Account: "1000007", Channel: approval.ChannelTBA, Outcome: distribution.OutcomeMisconfigured, Attempts: 0,
			Explanation: approval.Explanation{Kind: approval.Misconfigured, Report: "misconfigured", Observed: approval.ObservedOther, Sentence: "not sent", NextStep: "use token-based authentication"},
			Err:         &distribution.PreflightError{Account: "1000007", Reasons: []approval.Reason{{Code: "passport", Text: "user credentials work only on endpoints up to 2020_1. Use TBA."}}}},
		{Account: "1000008", Label: "Umbrella", Channel: approval.ChannelTBA, Outcome: distribution.OutcomeFailed, Attempts: 10,
			Explanation: failed("no answer from 1000008", "check the account id 1000008: Setup > Company > Company Information"), Err: dns("1000008.suitetalk.api.netsuite.com")},
		{Account: "1000009", Channel: approval.ChannelOAuth2, Outcome: distribution.OutcomeFailed, Attempts: 10,
			Explanation: failed("no answer from 1000009", "check the account id 1000009: Setup > Company > Company Information"), Err: dns("1000009.suitetalk.api.netsuite.com")},
		{Account: "1000010", Channel: approval.ChannelTBA, Outcome: distribution.OutcomeFailed, Attempts: 10,
			Explanation: failed("NetSuite was unavailable", "try again later"), Err: &soap.OpError{Op: soap.OpGetServerTime, Err: &soap.HTTPError{StatusCode: 503}}},
	}
	return &rollout.Report{Record: "Acme Sync", Run: "20261126T190000Z-0123456789ab", Started: t0, Finished: t0.Add(95 * time.Second),
		Results: results, Targets: len(results), Settings: []rollout.Setting{{Name: "concurrency", Value: "32"}, {Name: "targets", Value: "targets.csv"}}}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

// The summary of a run with every outcome, of a cancelled run and of a
// resumed run accounts for every target.
func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	cancelled := sampleReport()
	cancelled.Targets += 4
	cancelled.Interrupted = true
	cancelled.Results = append(cancelled.Results[:2:2], cancelled.Results[5:]...)
	resumed := sampleReport()
	for i := range resumed.Results[:2] {
		resumed.Results[i].FromJournal = true
	}
	resumed.Rechecked = 1
	tests := []struct {
		name string
		rep  *rollout.Report
	}{{"summary-all-outcomes.golden", sampleReport()}, {"summary-cancelled.golden", cancelled}, {"summary-resumed.golden", resumed}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			golden(t, tt.name, tt.rep.Summary())
		})
	}
}

func TestReportCounts(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	if r.OK() || r.Retries() != 2+1+27 || r.NotReached() != 0 || r.FromJournal() != 0 {
		t.Errorf("OK %v, retries %d, not reached %d, from journal %d", r.OK(), r.Retries(), r.NotReached(), r.FromJournal())
	}
	var causes []string
	for _, g := range r.Groups() {
		causes = append(causes, string(g.Outcome)+"|"+g.Cause)
	}
	want := []string{"awaiting_approval|", "rejected|SOAP fault USER_ERROR: Invalid login attempt.", "misconfigured|not sent: user credentials work only on endpoints up to 2020_1",
		"failed|no such host", "failed|HTTP 503 service unavailable"}
	if diff := cmp.Diff(want, causes); diff != "" {
		t.Errorf("Groups() causes mismatch (-want +got):\n%s", diff)
	}
	ok := &rollout.Report{Results: r.Results[:5]}
	if !ok.OK() {
		t.Error("enabled and awaiting_approval only: OK() = false")
	}
	ok.Targets = 6
	if ok.OK() {
		t.Error("a target not reached: OK() = true")
	}
	if c := (distribution.Result{Outcome: distribution.OutcomeFailed, Err: errors.New("x: y: boom")}).Cause(); c != "boom" {
		t.Errorf("Cause() = %q", c)
	}
}

func TestReportCSV(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := sampleReport().WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"account", "label", "channel", "outcome", "cause", "next_step", "predicted_state", "observed", "record", "run", "finished_at"} {
		if _, ok := col[h]; !ok {
			t.Errorf("CSV header %v lacks %s", rows[0], h)
		}
	}
	awaiting := rows[3]
	if awaiting[col["outcome"]] != "awaiting_approval" || awaiting[col["error"]] != "" || awaiting[col["label"]] != "Globex <EU>" ||
		awaiting[col["observed"]] != "invalid_login" || awaiting[col["run"]] != "20261126T190000Z-0123456789ab" || awaiting[col["finished_at"]] != "2026-11-26T19:01:35Z" {
		t.Errorf("awaiting_approval row %v", awaiting)
	}
	if failed := rows[8]; failed[col["cause"]] != "no such host" || !strings.Contains(failed[col["error"]], "no such host") {
		t.Errorf("failed row %v", failed)
	}
}

// TestReportCSVNeutralisesFormulas: every text column's cell that begins
// with =, +, -, @, a tab or a carriage return gets a ' before it, whatever
// its source (a label, an nsId, a server's text in the cause and the
// error, the record and run names); the number columns keep a genuine
// negative number as it is, and a cell that only contains such a
// character later is left alone.
func TestReportCSVNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		res    distribution.Result
		rec    string
		run    string
		invite string
		want   map[string]string // column → cell
	}{
		{
			name: "a formula at the start of every text column",
			res: distribution.Result{Account: "=1+1", Label: "=HYPERLINK(\"http://evil.example\",\"x\")", Auth: "+tba", Outcome: "@failed",
				Decision: approval.Decision{InitialState: "\tEnabled"}, NSID: "-WEBSERVICES_1", Attempts: 3, Duration: 42 * time.Millisecond,
				Explanation: approval.Explanation{Observed: "\rother", Sentence: "+sentence", NextStep: "-next"},
				Err:         errors.New("=cmd|' /C calc'!A0: @SUM(1+1)"), ReauthorizeBy: time.Date(2027, 3, 9, 9, 0, 0, 0, time.UTC)},
			rec: "=Acme", run: "+run", invite: "=HYPERLINK(\"https://evil.example\")",
			want: map[string]string{"account": "'=1+1", "label": "'=HYPERLINK(\"http://evil.example\",\"x\")", "channel": "'+tba", "outcome": "'@failed",
				"cause": "'@SUM(1+1)", "next_step": "'-next", "attempts": "3", "predicted_state": "'\tEnabled", "observed": "'\rother", "sentence": "'+sentence",
				"nsid": "'-WEBSERVICES_1", "duration_ms": "42", "error": "'=cmd|' /C calc'!A0: @SUM(1+1)", "from_journal": "false", "record": "'=Acme", "run": "'+run",
				"reauthorize_by": "2027-03-09T09:00:00Z", "invitation": "'=HYPERLINK(\"https://evil.example\")"},
		},
		{
			name: "numbers stay numbers, text elsewhere is left alone",
			res: distribution.Result{Account: "123456", Label: "Acme = Globex + 1", Outcome: distribution.OutcomeFailed, NSID: "WEBSERVICES_-1",
				Attempts: -1, Duration: -5 * time.Millisecond, FromJournal: true, Explanation: approval.Explanation{Sentence: "a - b", NextStep: "'quoted"},
				Err: errors.New("x: 1-2")},
			rec: "Acme Sync", run: "r1",
			want: map[string]string{"account": "123456", "label": "Acme = Globex + 1", "outcome": "failed", "cause": "1-2", "next_step": "'quoted", "attempts": "-1",
				"sentence": "a - b", "nsid": "WEBSERVICES_-1", "duration_ms": "-5", "error": "x: 1-2", "from_journal": "true", "record": "Acme Sync", "run": "r1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			rep := &rollout.Report{Record: tt.rec, Run: tt.run, Results: []distribution.Result{tt.res},
				Invitations: map[nsdist.AccountID]string{tt.res.Account: tt.invite}}
			if err := rep.WriteCSV(&b); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&b).ReadAll()
			if err != nil || len(rows) != 2 {
				t.Fatalf("%d rows, %v", len(rows), err)
			}
			got := map[string]string{}
			for i, h := range rows[0] {
				if _, ok := tt.want[h]; ok {
					got[h] = rows[1][i]
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("WriteCSV() cells mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// every column is covered by the first case
	if diff := cmp.Diff(len(rollout.CSVHeader)-1, len(tests[0].want)); diff != "" {
		t.Errorf("columns checked mismatch (-want +got, finished_at aside):\n%s", diff)
	}
}

// The HTML report stands alone: no external resource, every value escaped.
func TestReportHTML(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := sampleReport().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"<svg", "Globex &lt;EU&gt;", "Setup &gt; Integration &gt; Manage Integrations", "no such host", `id="awaiting-table"`, "concurrency", "20261126T190000Z-0123456789ab"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	if strings.Contains(page, "Globex <EU>") {
		t.Error("HTML report does not escape a label")
	}
	if !strings.Contains(page, "<h2>Outcomes</h2>") || strings.Contains(page, "distribution.") {
		t.Error("HTML report's headings are not plain words")
	}
	// the counts per channel: one row per channel, one column per outcome
	by := regexp.MustCompile(`(?s)<table id="by-channel">.*?</table>`).FindString(page)
	if by == "" || !strings.Contains(by, "<td>tba</td>") || strings.Count(by, "<tr>") < 2 {
		t.Errorf("HTML report lacks the counts per channel:\n%s", by)
	}
	// no src=, href= or url() that would fetch something; the SVG namespace is not a fetch
	if m := regexp.MustCompile(`(?i)(src|href)\s*=|url\(|@import`).FindString(page); m != "" {
		t.Errorf("HTML report refers to an external resource: %q", m)
	}
}

// The targets checked again (another channel or credential than the
// journal's) are counted alike in the summary, the JSON and the HTML.
func TestReportRechecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rechecked int
		summary   string // "" when the summary must say nothing
		html      string
	}{
		{"none", 0, "", ""},
		{"one", 1, "1 target enabled before through another channel or credential", "<th>checked again</th><td>1 "},
		{"two", 2, "2 targets enabled before through another channel or credential", "<th>checked again</th><td>2 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sampleReport()
			r.Rechecked = tt.rechecked
			var js, page bytes.Buffer
			if err := r.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteHTML(&page); err != nil {
				t.Fatal(err)
			}
			var got struct {
				Rechecked *int `json:"rechecked"`
			}
			if err := json.Unmarshal(js.Bytes(), &got); err != nil || got.Rechecked == nil || *got.Rechecked != tt.rechecked {
				t.Errorf("WriteJSON rechecked = %v (err %v), want %d", got.Rechecked, err, tt.rechecked)
			}
			sum := r.Summary()
			if tt.summary == "" && strings.Contains(sum, "checked again") || tt.summary != "" && !strings.Contains(sum, tt.summary) {
				t.Errorf("Summary() want %q:\n%s", tt.summary, sum)
			}
			if has := strings.Contains(page.String(), "<th>checked again</th>"); has != (tt.html != "") || !strings.Contains(page.String(), tt.html) {
				t.Errorf("WriteHTML: checked-again row %v, want %q", has, tt.html)
			}
		})
	}
}

// The "re-authorize by" group: every result that rests on an ending
// authorization, soonest first, in the text summary, the JSON (the
// reauthorize array and each result's reauthorize_by), the CSV column and
// the HTML section; none for TBA.
func TestReportReauthorize(t *testing.T) {
	t.Parallel()
	d := func(day int) time.Time { return time.Date(2027, 3, day, 9, 0, 0, 0, time.UTC) }
	rep := &rollout.Report{Record: "Acme Sync", Results: []distribution.Result{
		{Account: "1000001", Label: "Late Co", Channel: approval.ChannelOAuth2, Auth: "oauth2", Outcome: distribution.OutcomeEnabled, ReauthorizeBy: d(30)},
		{Account: "1000002", Channel: approval.ChannelTBA, Auth: "tba", Outcome: distribution.OutcomeEnabled},
		{Account: "1000003", Label: "Soon Co", Channel: approval.ChannelOAuth2, Auth: "oauth2", Outcome: distribution.OutcomeAwaitingApproval, ReauthorizeBy: d(9)},
	}}
	sum := rep.Summary()
	i, j := strings.Index(sum, "2027-03-09T09:00:00Z  1000003 (Soon Co)"), strings.Index(sum, "2027-03-30T09:00:00Z  1000001 (Late Co)")
	if !strings.Contains(sum, "re-authorize by (2)") || i < 0 || j < i {
		t.Errorf("summary lacks the group, soonest first:\n%s", sum)
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Reauthorize []struct{ Account, Label, ReauthorizeBy string } `json:"reauthorize"`
		Results     []struct {
			Account       string  `json:"account"`
			ReauthorizeBy *string `json:"reauthorize_by"`
		} `json:"results"`
	}
	if err := json.Unmarshal(js.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Reauthorize) != 2 || out.Reauthorize[0].Account != "1000003" || out.Reauthorize[1].Account != "1000001" {
		t.Errorf("JSON reauthorize = %+v", out.Reauthorize)
	}
	for _, r := range out.Results {
		want := map[string]string{"1000001": "2027-03-30T09:00:00Z", "1000002": "", "1000003": "2027-03-09T09:00:00Z"}[r.Account]
		if r.ReauthorizeBy == nil || *r.ReauthorizeBy != want {
			t.Errorf("JSON result %s reauthorize_by = %v, want %q (present, empty for TBA)", r.Account, r.ReauthorizeBy, want)
		}
	}
	var cs bytes.Buffer
	if err := rep.WriteCSV(&cs); err != nil {
		t.Fatal(err)
	}
	rows, _ := csv.NewReader(&cs).ReadAll()
	if col := slices.Index(rows[0], "reauthorize_by"); col < 0 || rows[1][col] != "2027-03-30T09:00:00Z" || rows[2][col] != "" {
		t.Errorf("CSV reauthorize_by column: %v", rows)
	}
	var h bytes.Buffer
	if err := rep.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	a, b := strings.Index(page, "1000003 (Soon Co)"), strings.Index(page, "1000001 (Late Co)")
	if !strings.Contains(page, `<section id="reauthorize">`) || !strings.Contains(page, "Re-authorize by (2)") || a < 0 || b < a {
		t.Errorf("HTML lacks the re-authorize section, soonest first")
	}
}

// BenchmarkReportSummary: the text summary of a 10,000-target report (the
// sample's outcomes repeated, an OAuth 2.0 third with a re-authorization
// deadline), beside Counts, one pass over the results, as the baseline.
func BenchmarkReportSummary(b *testing.B) {
	sample := sampleReport().Results
	rep := &rollout.Report{Record: "Acme Sync", Targets: 10000}
	for i := range 10000 {
		r := sample[i%len(sample)]
		r.Account = nsdist.AccountID(strconv.Itoa(2000000 + i))
		if i%3 == 0 {
			r.Channel, r.ReauthorizeBy = approval.ChannelOAuth2, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Minute)
		}
		rep.Results = append(rep.Results, r)
	}
	var summary, counts time.Duration
	for b.Loop() {
		start := time.Now()
		_ = rep.Counts()
		mid := time.Now()
		_ = rep.Summary()
		counts, summary = counts+mid.Sub(start), summary+time.Since(mid)
	}
	b.ReportMetric(float64(summary.Nanoseconds())/float64(b.N)/10000, "summary-ns/result")
	b.ReportMetric(float64(summary)/float64(counts), "summary/counts")
}
