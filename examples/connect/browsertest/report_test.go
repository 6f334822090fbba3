package browsertest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/soap"
)

// sampleReport is a finished rollout with every outcome: six accounts
// awaiting approval (with the vendor's labels), enabled ones, and failures
// with two causes.
func sampleReport() *rollout.Report {
	t0 := time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)
	var rs []distribution.Result
	add := func(acct, label string, ch approval.Channel, o distribution.Outcome, ex approval.Explanation, attempts int, err error) {
		ex.NextStep = strings.ReplaceAll(ex.NextStep, "ACCT", acct)
		rs = append(rs, distribution.Result{Account: nsdist.AccountID(acct), Label: label, Channel: ch, Outcome: o, Explanation: ex, Attempts: attempts, Err: err})
	}
	enabled := approval.Explanation{Kind: approval.Enabled, Report: "enabled", Observed: approval.ObservedSuccess, Sentence: "enabled"}
	awaiting := approval.Explanation{Kind: approval.AwaitingApproval, Report: "awaiting_approval", Observed: approval.ObservedInvalidLogin,
		Sentence: "most likely Waiting for Approval", NextStep: "an administrator of ACCT must open " + approval.MenuManageIntegrations + ", edit Acme Sync, and set State to Enabled"}
	for i, a := range []struct{ acct, label string }{{"1000001", "Acme Corp"}, {"1000002", ""}, {"1000003", "Globex"}, {"1000004", ""}} {
		add(a.acct, a.label, []approval.Channel{approval.ChannelTBA, approval.ChannelOAuth2}[i%2], distribution.OutcomeEnabled, enabled, 1, nil)
	}
	for i, a := range []struct{ acct, label string }{{"2000006", "Zeta Foods"}, {"2000001", "Initech"}, {"2000005_SB1", "Initech sandbox"},
		{"2000002", "Umbrella <EU>"}, {"2000004", "Hooli"}, {"2000003", "Vandelay Industries"}} {
		add(a.acct, a.label, []approval.Channel{approval.ChannelTBA, approval.ChannelOAuth2}[i%2], distribution.OutcomeAwaitingApproval, awaiting, 1, nil)
	}
	noHost := func(acct string) error {
		return &soap.OpError{Op: soap.OpGetServerTime, Account: nsdist.AccountID(acct),
			Err: &soap.TransportError{Err: &net.DNSError{Err: "no such host", Name: acct + ".suitetalk.api.netsuite.com", IsNotFound: true}}}
	}
	checkID := approval.Explanation{Kind: approval.UnknownOutcome, Report: "failed", Observed: approval.ObservedTransport, Sentence: "no answer",
		NextStep: "check the account id ACCT (Setup > Company > Company Information)"}
	add("3000001", "Typo Inc", approval.ChannelTBA, distribution.OutcomeFailed, checkID, 10, noHost("3000001"))
	add("3000002", "", approval.ChannelTBA, distribution.OutcomeFailed, checkID, 10, noHost("3000002"))
	add("3000003", "", approval.ChannelOAuth2, distribution.OutcomeFailed,
		approval.Explanation{Kind: approval.UnknownOutcome, Report: "failed", Observed: approval.ObservedUnavailable, NextStep: "run again later"}, 10,
		&soap.OpError{Op: soap.OpGetServerTime, Err: &soap.HTTPError{StatusCode: 503}})
	add("3000004", "Blocked Co", approval.ChannelTBA, distribution.OutcomeRejected,
		approval.Explanation{Kind: approval.BlockedOrRejected, Report: "rejected", Observed: approval.ObservedInvalidLogin, NextStep: "ask the customer to authorize again"}, 1,
		&soap.Fault{Code: "soapenv:Server.userException", String: "Invalid login attempt.", Kind: "invalidCredentialsFault", NSCode: "USER_ERROR"})
	return &rollout.Report{Record: "Acme Sync", Run: "20261126T190000Z-0123456789ab", Started: t0, Finished: t0.Add(42 * time.Second),
		Results: rs, Targets: len(rs) + 2, Interrupted: true,
		Settings: []rollout.Setting{{Name: "targets", Value: "customers.csv"}, {Name: "concurrency", Value: "32"}}}
}

// The HTML report opened in headless Chromium: the page shows the chart,
// the accounts awaiting approval with the administrator's step and menu
// path, filtering and sorting work, the failures are grouped by cause, and
// the page loads nothing from elsewhere. The screenshot's path is logged
// (go test -v); NSDIST_SCREENSHOT_DIR keeps it somewhere else than the
// system's temporary folder.
func TestReportInChromium(t *testing.T) {
	exe := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := sampleReport().WriteHTML(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900), chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.ID("awaiting-table"))); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ what, js, want string }{
		{"title", `document.getElementById("title").textContent`, "Rollout of Acme Sync"},
		{"verdict", `document.getElementById("verdict").textContent.includes("6 awaiting approval") && document.getElementById("verdict").textContent.includes("2 not reached") ? "yes" : document.getElementById("verdict").textContent`, "yes"},
		{"chart bars", `String(document.querySelectorAll("#chart g.bar").length)`, "6"},
		{"awaiting bar count", `document.querySelector("#chart g.awaiting_approval text.count").textContent`, "6 (37.5%)"},
		{"awaiting rows", `String(document.querySelectorAll("#awaiting-table tbody tr").length)`, "6"},
		{"escaped label", `document.querySelector("#awaiting-table tbody").textContent.includes("Umbrella <EU>") ? "yes" : "no"`, "yes"},
		{"menu path", `document.getElementById("menu").textContent`, "Setup > Integration > Manage Integrations"},
		{"step", `document.querySelector("#awaiting-table tbody tr td:nth-child(4)").textContent`, "an administrator of 2000006 must open Setup > Integration > Manage Integrations, edit Acme Sync, and set State to Enabled"},
		{"failure groups", `Array.from(document.querySelectorAll("#failures .group h3")).map(h => h.textContent.replace(/\s+/g, " ").trim()).join(" | ")`,
			"1 rejected: SOAP fault USER_ERROR: Invalid login attempt. | 2 failed: no such host | 1 failed: HTTP 503 service unavailable"},
		{"failure example", `document.querySelectorAll("#failures .group")[1].querySelector(".example").textContent`, "For example: 3000001 (Typo Inc)"},
		{"failure next step", `document.querySelectorAll("#failures .group")[1].querySelector(".next").textContent`, "Next step: check the account id the account (Setup > Company > Company Information)"},
		{"parameters", `document.getElementById("parameters").textContent.includes("customers.csv") ? "yes" : "no"`, "yes"},
		{"nothing fetched", `String(performance.getEntriesByType("resource").length)`, "0"},
	}
	for _, c := range checks {
		if got := eval(c.js); got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, got, c.want)
		}
	}

	// sort by account: the first row becomes the smallest account; again: the largest
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#awaiting-table thead th:nth-child(1)"))); err != nil {
		t.Fatal(err)
	}
	if got := eval(`document.querySelector("#awaiting-table tbody tr td.account").textContent`); got != "2000001" {
		t.Errorf("sorted ascending by account: first row %q, want 2000001", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#awaiting-table thead th:nth-child(1)"))); err != nil {
		t.Fatal(err)
	}
	if got := eval(`document.querySelector("#awaiting-table tbody tr td.account").textContent`); got != "2000006" {
		t.Errorf("sorted descending by account: first row %q, want 2000006", got)
	}
	// filter: typing narrows the table and says how many are shown
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("filter"), "initech")); err != nil {
		t.Fatal(err)
	}
	if got := eval(`Array.from(document.querySelectorAll("#awaiting-table tbody tr")).filter(tr => !tr.hidden).map(tr => tr.cells[0].textContent).sort().join(",")`); got != "2000001,2000005_SB1" {
		t.Errorf("filter initech: rows %q", got)
	}
	if got := eval(`document.getElementById("shown").textContent`); got != "2 of 6 shown" {
		t.Errorf("filter initech: %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("filter"), "\b\b\b\b\b\b\b")); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(shot) < 1000 {
		t.Errorf("screenshot is %d bytes", len(shot))
	}
	out := os.Getenv("NSDIST_SCREENSHOT_DIR")
	if out == "" {
		out = filepath.Join(os.TempDir(), "nsdist-browsertest")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "rollout-report.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the HTML report: %s", path)
}
