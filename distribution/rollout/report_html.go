package rollout

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
)

// WriteHTML writes the report as one self-contained HTML page for a
// support team: no external resources (no scripts, fonts, styles or images
// from elsewhere), so it can be mailed or attached to a ticket. It shows
// the outcome counts as an inline SVG chart, the accounts awaiting approval
// with the administrator's step and menu path (filterable and sortable by a
// small inline script; the table is complete without it), the targets that
// did not end enabled grouped by cause with an example account and the
// next step, and the run's parameters. Every value is escaped by
// html/template.
func (r *Report) WriteHTML(w io.Writer) error {
	return reportPage.Execute(w, r.htmlData())
}

type htmlBar struct {
	Label, Color, Class string
	Count               int
	Share               string
	Y, Width            int
}

type htmlAwaiting struct {
	Account, Label, Channel, Step, Menu string
}

type htmlReauthorize struct {
	By, Account, Channel string
}

type htmlTBA struct {
	Account, Invitation string
}

type htmlGroup struct {
	Outcome, Cause, NextStep string
	Count                    int
	Example                  string
	Accounts                 []string
}

type htmlChannel struct {
	Name   string
	Counts []int // per Outcomes, in the chart's order
	Total  int
}

type htmlData struct {
	Record, Run, Started, Finished, Duration string
	Total, NotReached, FromJournal, Retries  int
	Rechecked                                int
	Interrupted, OK                          bool
	Verdict                                  string
	Bars                                     []htmlBar
	Outcomes                                 []string
	Channels                                 []htmlChannel
	ChartHeight                              int
	ChartLabel                               string
	Awaiting                                 []htmlAwaiting
	AwaitingMenu                             string
	Groups                                   []htmlGroup
	Reauthorize                              []htmlReauthorize
	StillOnTBA                               []htmlTBA
	TBADates                                 string
	Settings                                 []Setting
}

var outcomeColors = map[distribution.Outcome]string{
	distribution.OutcomeEnabled: "#2e7d32", distribution.OutcomeAwaitingApproval: "#b26a00", distribution.OutcomeRejected: "#c62828",
	distribution.OutcomeMisconfigured: "#6a1b9a", distribution.OutcomeFailed: "#d84315", distribution.OutcomePlanned: "#1565c0",
}

func (r *Report) htmlData() htmlData {
	d := htmlData{Record: r.Record, Run: r.Run, Total: r.Total(), NotReached: r.NotReached(), FromJournal: r.FromJournal(),
		Rechecked: r.Rechecked, Retries: r.Retries(), Interrupted: r.Interrupted || r.NotReached() > 0, OK: r.OK(), Settings: r.Settings}
	if d.Record == "" {
		d.Record = "(unnamed record)"
	}
	if !r.Started.IsZero() {
		d.Started = r.Started.UTC().Format(time.RFC3339)
	}
	if !r.Finished.IsZero() {
		d.Finished = r.Finished.UTC().Format(time.RFC3339)
		d.Duration = r.Finished.Sub(r.Started).Round(time.Millisecond).String()
	}
	counts := r.Counts()
	rows := append([]distribution.Outcome{}, reportOutcomes...)
	if counts[distribution.OutcomePlanned] > 0 {
		rows = append(rows, distribution.OutcomePlanned)
	}
	type bar struct {
		label, color, class string
		n                   int
	}
	var bars []bar
	for _, o := range rows {
		bars = append(bars, bar{string(o), outcomeColors[o], string(o), counts[o]})
	}
	if d.NotReached > 0 {
		bars = append(bars, bar{"not reached", "#757575", "not_reached", d.NotReached})
	}
	most := 1
	for _, b := range bars {
		most = max(most, b.n)
	}
	var parts []string
	for i, b := range bars {
		share := 0.0
		if d.Total > 0 {
			share = 100 * float64(b.n) / float64(d.Total)
		}
		d.Bars = append(d.Bars, htmlBar{Label: b.label, Color: b.color, Class: b.class, Count: b.n, Share: fmt.Sprintf("%.1f%%", share),
			Y: 8 + 30*i, Width: max(1, 360*b.n/most)})
		if b.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", b.n, strings.ReplaceAll(b.label, "_", " ")))
		}
	}
	d.Outcomes, d.Channels = channelCounts(r, rows)
	d.ChartHeight = 16 + 30*len(bars)
	d.ChartLabel = "outcome counts: " + strings.Join(parts, ", ")
	d.Verdict = fmt.Sprintf("%d %s: %s.", d.Total, plural(d.Total, "target", "targets"), strings.Join(parts, ", "))
	menus := map[string]bool{}
	for i := range r.Results {
		res := &r.Results[i]
		if res.Outcome != distribution.OutcomeAwaitingApproval {
			continue
		}
		a := htmlAwaiting{Account: string(res.Account), Label: res.Label, Channel: string(res.Channel), Step: res.Explanation.NextStep, Menu: menuPath(res)}
		menus[a.Menu] = true
		d.Awaiting = append(d.Awaiting, a)
	}
	if len(menus) == 1 {
		for m := range menus {
			d.AwaitingMenu = m
		}
	}
	r.htmlLifecycle(&d)
	for _, g := range r.groups() {
		if g.outcome == distribution.OutcomeAwaitingApproval {
			continue
		}
		hg := htmlGroup{Outcome: string(g.outcome), Cause: g.cause, NextStep: g.step, Count: len(g.idx), Example: display(&r.Results[g.idx[0]])}
		for _, i := range g.idx {
			hg.Accounts = append(hg.Accounts, display(&r.Results[i]))
		}
		d.Groups = append(d.Groups, hg)
	}
	return d
}

// htmlLifecycle fills the "re-authorize by" and "still on TBA" sections.
func (r *Report) htmlLifecycle(d *htmlData) {
	for _, i := range r.reauthorize() {
		res := &r.Results[i]
		d.Reauthorize = append(d.Reauthorize, htmlReauthorize{By: res.ReauthorizeBy.UTC().Format(time.RFC3339), Account: display(res), Channel: res.AuthName()})
	}
	for _, i := range r.stillOnTBA() {
		res := &r.Results[i]
		d.StillOnTBA = append(d.StillOnTBA, htmlTBA{Account: display(res), Invitation: r.Invitations[res.Account]})
	}
	d.TBADates = tbaDates()
}

// menuPath is where in NetSuite the administrator takes the target's step.
// channelCounts counts the results per channel (as reports name it: tba,
// passport, oauth2, m2m, ...) and outcome.
func channelCounts(r *Report, rows []distribution.Outcome) ([]string, []htmlChannel) {
	names := make([]string, len(rows))
	col := map[distribution.Outcome]int{}
	for i, o := range rows {
		names[i], col[o] = string(o), i
	}
	by := map[string]*htmlChannel{}
	var order []string
	for i := range r.Results {
		res := &r.Results[i]
		ch := res.AuthName()
		if ch == "" {
			ch = "unknown"
		}
		c := by[ch]
		if c == nil {
			c = &htmlChannel{Name: ch, Counts: make([]int, len(rows))}
			by[ch] = c
			order = append(order, ch)
		}
		if k, ok := col[res.Outcome]; ok {
			c.Counts[k]++
		}
		c.Total++
	}
	sort.Strings(order)
	out := make([]htmlChannel, 0, len(order))
	for _, ch := range order {
		out = append(out, *by[ch])
	}
	return names, out
}

func menuPath(r *distribution.Result) string {
	for _, s := range r.Decision.AdminSteps {
		if s.MenuPath != "" && strings.Contains(r.Explanation.NextStep, s.MenuPath) {
			return s.MenuPath
		}
	}
	for _, m := range []string{approval.MenuManageIntegrations, approval.MenuSOAPPreferences, approval.MenuLoginAuditTrail, approval.MenuEnableFeatures, approval.MenuInstallBundle} {
		if strings.Contains(r.Explanation.NextStep, m) {
			return m
		}
	}
	return ""
}

var reportPage = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nsdist rollout of {{.Record}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #1d1d1f; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
h3 { font-size: 1em; margin: 0 0 .3em; }
.verdict { font-size: 1.1em; }
.ok { color: #2e7d32; } .attention { color: #c62828; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f6f6f6; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable::after { content: " \2195"; color: #999; }
code { background: #f3f3f3; padding: 0 .25em; border-radius: 3px; }
.group { border-left: 4px solid #d84315; padding: .4em .8em; margin: .8em 0; background: #fff8f5; }
.group.rejected { border-color: #c62828; } .group.misconfigured { border-color: #6a1b9a; background: #faf5fc; }
input[type=search] { font: inherit; padding: .3em .5em; width: 24em; max-width: 100%; margin: .4em 0; }
.muted { color: #666; }
svg text { font: 13px system-ui, sans-serif; }
</style>
</head>
<body>
<h1 id="title">Rollout of {{.Record}}</h1>
<p id="verdict" class="verdict {{if .OK}}ok{{else}}attention{{end}}">{{.Verdict}}{{if .Interrupted}} The run was interrupted: run it again with the same journal to reach the rest.{{end}}</p>

<section id="outcomes">
<h2>Outcomes</h2>
<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="640" height="{{.ChartHeight}}" viewBox="0 0 640 {{.ChartHeight}}" role="img" aria-label="{{.ChartLabel}}">
{{range .Bars}}<g class="bar {{.Class}}"><text x="0" y="{{.Y}}" dy="15">{{.Label}}</text><rect x="140" y="{{.Y}}" width="{{.Width}}" height="22" fill="{{.Color}}"{{if eq .Count 0}} fill-opacity="0.25"{{end}}></rect><text class="count" x="{{.Width}}" dx="148" y="{{.Y}}" dy="15">{{.Count}} ({{.Share}})</text></g>
{{end}}</svg>
<table id="counts">
<thead><tr><th>outcome</th><th>targets</th><th>share</th></tr></thead>
<tbody>{{range .Bars}}<tr class="{{.Class}}"><td>{{.Label}}</td><td>{{.Count}}</td><td>{{.Share}}</td></tr>{{end}}
<tr><td><b>total</b></td><td><b>{{.Total}}</b></td><td></td></tr></tbody>
</table>
{{if .Channels}}<table id="by-channel">
<thead><tr><th>channel</th>{{range .Outcomes}}<th>{{.}}</th>{{end}}<th>total</th></tr></thead>
<tbody>{{range .Channels}}<tr><td>{{.Name}}</td>{{range .Counts}}<td>{{.}}</td>{{end}}<td>{{.Total}}</td></tr>{{end}}</tbody>
</table>{{end}}
</section>

<section id="awaiting">
<h2>Awaiting approval ({{len .Awaiting}})</h2>
{{if .Awaiting}}<p>The record is installed in these accounts but waits for an administrator of each one.{{if .AwaitingMenu}} The step is taken at <code id="menu">{{.AwaitingMenu}}</code>.{{end}}</p>
<input id="filter" type="search" placeholder="Filter by account, label, channel or step" aria-label="Filter the accounts awaiting approval">
<span id="shown" class="muted">{{len .Awaiting}} of {{len .Awaiting}} shown</span>
<table id="awaiting-table">
<thead><tr><th class="sortable">account</th><th class="sortable">label</th><th class="sortable">channel</th><th>administrator's step</th><th class="sortable">menu path</th></tr></thead>
<tbody>
{{range .Awaiting}}<tr><td class="account">{{.Account}}</td><td>{{.Label}}</td><td>{{.Channel}}</td><td>{{.Step}}</td><td>{{.Menu}}</td></tr>
{{end}}</tbody>
</table>
{{else}}<p id="no-awaiting" class="muted">No account is awaiting approval.</p>{{end}}
</section>

<section id="failures">
<h2>Rejected, misconfigured and failed, by cause</h2>
{{range .Groups}}<div class="group {{.Outcome}}">
<h3><span class="n">{{.Count}}</span> {{.Outcome}}: <span class="cause">{{.Cause}}</span></h3>
{{if .NextStep}}<p class="next">Next step: {{.NextStep}}</p>{{end}}
<p class="example">For example: {{.Example}}</p>
{{if gt .Count 1}}<details><summary>All {{.Count}} accounts</summary><p>{{range $i, $a := .Accounts}}{{if $i}}, {{end}}{{$a}}{{end}}</p></details>{{end}}
</div>
{{else}}<p id="no-failures" class="muted">None: every target reached ended enabled or awaiting approval.</p>
{{end}}</section>

{{if .StillOnTBA}}<section id="still-on-tba">
<h2>Still on TBA ({{len .StillOnTBA}})</h2>
<p>{{.TBADates}}.</p>
<table id="still-on-tba-table">
<thead><tr><th>Account</th><th>Invitation</th></tr></thead>
<tbody>
{{range .StillOnTBA}}<tr><td class="account">{{.Account}}</td><td>{{if .Invitation}}<a href="{{.Invitation}}">{{.Invitation}}</a>{{end}}</td></tr>
{{end}}</tbody>
</table>
</section>
{{end}}
{{if .Reauthorize}}<section id="reauthorize">
<h2>Re-authorize by ({{len .Reauthorize}})</h2>
<p>These accounts rest on an OAuth 2.0 authorization that ends: before the date, the customer must authorize again (or hand off to M2M). Soonest first.</p>
<table id="reauthorize-table">
<thead><tr><th>Re-authorize by</th><th>Account</th><th>Channel</th></tr></thead>
<tbody>
{{range .Reauthorize}}<tr><td>{{.By}}</td><td class="account">{{.Account}}</td><td>{{.Channel}}</td></tr>
{{end}}</tbody>
</table>
</section>
{{end}}
<section id="run">
<h2>Run</h2>
<table id="parameters">
<tr><th>record</th><td>{{.Record}}</td></tr>
{{if .Run}}<tr><th>run id</th><td>{{.Run}}</td></tr>{{end}}
<tr><th>started</th><td>{{.Started}}</td></tr>
<tr><th>finished</th><td>{{.Finished}}{{if .Duration}} ({{.Duration}}){{end}}</td></tr>
<tr><th>targets</th><td>{{.Total}}</td></tr>
{{if .NotReached}}<tr><th>not reached</th><td>{{.NotReached}}</td></tr>{{end}}
<tr><th>from the journal</th><td>{{.FromJournal}} (enabled in an earlier run, not sent again)</td></tr>
{{if .Rechecked}}<tr><th>checked again</th><td>{{.Rechecked}} (enabled in an earlier run through another channel or credential, or one the journal does not name)</td></tr>{{end}}
<tr><th>retries</th><td>{{.Retries}}</td></tr>
{{range .Settings}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
</section>

<script>
(function () {
  var table = document.getElementById("awaiting-table");
  if (!table) return;
  var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById("filter"), shown = document.getElementById("shown");
  filter.addEventListener("input", function () {
    var q = filter.value.toLowerCase(), n = 0;
    rows.forEach(function (tr) {
      var hit = tr.textContent.toLowerCase().indexOf(q) >= 0;
      tr.hidden = !hit;
      if (hit) n++;
    });
    shown.textContent = n + " of " + rows.length + " shown";
  });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    if (!th.classList.contains("sortable")) return;
    th.addEventListener("click", function () {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      rows.sort(function (a, b) {
        return dir * a.cells[col].textContent.localeCompare(b.cells[col].textContent, undefined, {numeric: true});
      });
      rows.forEach(function (tr) { body.appendChild(tr); });
    });
  });
})();
</script>
</body>
</html>
`))
