package rollout

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/internal/text"
)

// reportOutcomes are the outcomes a summary always lists; planned is
// listed when a report has any.
var reportOutcomes = []distribution.Outcome{distribution.OutcomeEnabled, distribution.OutcomeAwaitingApproval, distribution.OutcomeRejected, distribution.OutcomeMisconfigured, distribution.OutcomeFailed}

// Report is a rollout's results: one per target, those taken from the
// journal of an earlier run included.
type Report struct {
	Record string
	// Run is the run's id (also the journal's), e.g. 20261126T190000Z-1a2b3c4d5e6f.
	Run      string
	Started  time.Time
	Finished time.Time
	Results  []distribution.Result // sorted by account
	// Targets is how many targets the run was given; those not in Results
	// were not reached (the run was interrupted). 0 means len(Results).
	Targets int
	// Interrupted is set when the context ended the run early.
	Interrupted bool
	// Settings are the run's parameters as the caller wants them shown
	// (flags, never secrets); WriteJSON and WriteHTML list them in order.
	Settings []Setting
	// Rechecked counts targets the journal had as enabled through another
	// channel or credential than they have now (a move from TBA to OAuth
	// 2.0, a new TBA token, another M2M certificate), or through a
	// credential its line does not name (one an older nsdist wrote): they
	// were checked again. WriteJSON writes it as rechecked.
	Rechecked int
	// Invitations are the links (by account) that invite customers still
	// on TBA to authorize with OAuth 2.0 (sqlstore.Invitations, redeemed by
	// oauth2.Connect.Invite); the reports show them in the "still on TBA"
	// group and the CSV's invitation column.
	Invitations map[nsdist.AccountID]string
	// Moved are the accounts whose customers have authorized with OAuth
	// 2.0 already (a token or M2M credential is stored for them): they are
	// not counted as still on TBA.
	Moved map[nsdist.AccountID]bool
}

// StillOnTBA returns the results that rest on TBA or user credentials,
// of customers that have not moved (Moved):
// from 2027.1 (1 March 2027) no new TBA integration can be created, and
// SOAP is removed in 2028.2, so their customers must move to OAuth 2.0.
func (r *Report) StillOnTBA() []distribution.Result { return r.pick(r.stillOnTBA()) }

// stillOnTBA is StillOnTBA as indices into r.Results: a Result is 680
// bytes to copy, and the summary shows ten.
func (r *Report) stillOnTBA() []int {
	var out []int
	for i := range r.Results {
		res := &r.Results[i]
		if a := res.AuthName(); (a == "tba" || a == "passport") && !r.Moved[res.Account] {
			out = append(out, i)
		}
	}
	return out
}

// pick returns the results at idx, in that order (nil for none).
func (r *Report) pick(idx []int) []distribution.Result {
	if len(idx) == 0 {
		return nil
	}
	out := make([]distribution.Result, len(idx))
	for k, i := range idx {
		out[k] = r.Results[i]
	}
	return out
}

// tbaDates is what the "still on TBA" group says of the dates that matter.
func tbaDates() string {
	return fmt.Sprintf("no new TBA integration can be created from %s (%s), and SOAP is removed in %s: invite them to authorize with OAuth 2.0",
		nsdist.NoNewTBA.Start().Format("2 January 2006"), nsdist.NoNewTBA, nsdist.SOAPRemoved)
}

// Setting is one of a run's parameters, e.g. {"concurrency", "32"}.
type Setting struct {
	Name, Value string
}

// Counts returns the number of targets per outcome; every outcome of
// reportOutcomes is present, planned only when some target has it.
func (r *Report) Counts() map[distribution.Outcome]int {
	c := map[distribution.Outcome]int{}
	for _, o := range reportOutcomes {
		c[o] = 0
	}
	for i := range r.Results {
		res := &r.Results[i]
		c[res.Outcome]++
	}
	return c
}

// CountsByChannel returns the number of targets per outcome, per channel as
// reports name it (tba, passport, oauth2, m2m, bundle, sdf).
func (r *Report) CountsByChannel() map[string]map[distribution.Outcome]int {
	c := map[string]map[distribution.Outcome]int{}
	for i := range r.Results {
		res := &r.Results[i]
		ch := res.AuthName()
		if c[ch] == nil {
			c[ch] = map[distribution.Outcome]int{}
		}
		c[ch][res.Outcome]++
	}
	return c
}

// Total is the number of targets the run was given, reached or not.
func (r *Report) Total() int { return max(r.Targets, len(r.Results)) }

// NotReached is the number of targets the run never finished: an
// interrupted run leaves them for the next one.
func (r *Report) NotReached() int { return r.Total() - len(r.Results) }

// FromJournal is the number of results taken from an earlier run's journal
// (not sent again).
func (r *Report) FromJournal() int {
	n := 0
	for i := range r.Results {
		res := &r.Results[i]
		if res.FromJournal {
			n++
		}
	}
	return n
}

// Retries is the number of attempts beyond the first, over the targets
// this run sent to.
func (r *Report) Retries() int {
	n := 0
	for i := range r.Results {
		res := &r.Results[i]
		if !res.FromJournal && res.Attempts > 1 {
			n += res.Attempts - 1
		}
	}
	return n
}

// OK reports whether every target was reached and ended enabled or
// awaiting approval (or planned): nothing needs the vendor's attention
// beyond the administrators' approvals.
func (r *Report) OK() bool {
	if r.NotReached() > 0 {
		return false
	}
	for i := range r.Results {
		res := &r.Results[i]
		switch res.Outcome {
		case distribution.OutcomeEnabled, distribution.OutcomeAwaitingApproval, distribution.OutcomePlanned:
		default:
			return false
		}
	}
	return true
}

// Group is the targets that share an outcome, a cause and a next step.
type Group struct {
	Outcome distribution.Outcome
	// Cause is the short reason shared by the group (distribution.Result.Cause); empty
	// for awaiting_approval, whose cause is the approval itself.
	Cause string
	// NextStep is the group's next step, with each account's id replaced
	// by "the account".
	NextStep string
	Results  []distribution.Result // sorted by account
}

// Groups returns the targets that did not end enabled, grouped by outcome
// (in the order of distribution.Outcomes), then by cause and next step, largest group
// first.
func (r *Report) Groups() []Group {
	gs := r.groups()
	out := make([]Group, len(gs))
	for i, g := range gs {
		out[i] = Group{Outcome: g.outcome, Cause: g.cause, NextStep: g.step, Results: r.pick(g.idx)}
	}
	return out
}

// indexGroup is a Group with its results as indices into Report.Results.
type indexGroup struct {
	outcome     distribution.Outcome
	cause, step string
	idx         []int // sorted by account
}

// groups is Groups as indices.
func (r *Report) groups() []indexGroup {
	type key struct {
		o           distribution.Outcome
		cause, step string
	}
	at := map[key]int{}
	var gs []indexGroup
	for i := range r.Results {
		res := &r.Results[i]
		if res.Outcome == distribution.OutcomeEnabled {
			continue
		}
		k := key{o: res.Outcome, step: genericStep(res)}
		if res.Outcome != distribution.OutcomeAwaitingApproval { // awaiting has one cause: approval
			k.cause = res.Cause()
		}
		g, ok := at[k]
		if !ok {
			g = len(gs)
			at[k] = g
			gs = append(gs, indexGroup{outcome: k.o, cause: k.cause, step: k.step})
		}
		gs[g].idx = append(gs[g].idx, i)
	}
	rank := map[distribution.Outcome]int{}
	for i, o := range distribution.Outcomes() {
		rank[o] = i
	}
	sort.SliceStable(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		switch {
		case rank[a.outcome] != rank[b.outcome]:
			return rank[a.outcome] < rank[b.outcome]
		case len(a.idx) != len(b.idx):
			return len(a.idx) > len(b.idx)
		case a.cause != b.cause:
			return a.cause < b.cause
		}
		return a.step < b.step
	})
	for _, g := range gs {
		sort.Slice(g.idx, func(i, j int) bool { return r.Results[g.idx[i]].Account < r.Results[g.idx[j]].Account })
	}
	return gs
}

type groupJSON struct {
	Outcome  distribution.Outcome `json:"outcome"`
	Cause    string               `json:"cause,omitempty"`
	NextStep string               `json:"next_step"`
	Count    int                  `json:"count"`
	Accounts []string             `json:"accounts"`
}

type stillOnTBAJSON struct {
	Account    string `json:"account"`
	Label      string `json:"label,omitempty"`
	Invitation string `json:"invitation,omitempty"`
}

type reauthorizeJSON struct {
	Account string `json:"account"`
	Label   string `json:"label,omitempty"`
	By      string `json:"reauthorize_by"`
}

// Reauthorize returns the results that rest on an authorization that ends
// (an OAuth 2.0 code grant), soonest deadline first: by then the customer
// must authorize again.
func (r *Report) Reauthorize() []distribution.Result { return r.pick(r.reauthorize()) }

// reauthorize is Reauthorize as indices.
func (r *Report) reauthorize() []int {
	var due []int
	for i := range r.Results {
		if !r.Results[i].ReauthorizeBy.IsZero() {
			due = append(due, i)
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return r.Results[due[i]].ReauthorizeBy.Before(r.Results[due[j]].ReauthorizeBy) })
	return due
}

// WriteJSON writes the report as one JSON object: the run's parameters,
// the counts, the groups of targets that did not end enabled (by outcome,
// cause and next step), the "re-authorize by" group (reauthorize: account,
// label and deadline, soonest first), and a results array with one object
// per target.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		Record      string                       `json:"record"`
		Run         string                       `json:"run,omitempty"`
		Started     time.Time                    `json:"started"`
		Finished    time.Time                    `json:"finished"`
		Interrupted bool                         `json:"interrupted"`
		Targets     int                          `json:"targets"`
		NotReached  int                          `json:"not_reached"`
		FromJournal int                          `json:"from_journal"`
		Rechecked   int                          `json:"rechecked"`
		Retries     int                          `json:"retries"`
		Settings    map[string]string            `json:"settings,omitempty"`
		Counts      map[distribution.Outcome]int `json:"counts"`
		Groups      []groupJSON                  `json:"groups"`
		Reauthorize []reauthorizeJSON            `json:"reauthorize"`
		StillOnTBA  []stillOnTBAJSON             `json:"still_on_tba"`
		Results     []distribution.Row           `json:"results"`
	}{Reauthorize: []reauthorizeJSON{}, StillOnTBA: []stillOnTBAJSON{}, Record: r.Record, Run: r.Run, Started: r.Started.UTC(), Finished: r.Finished.UTC(), Interrupted: r.Interrupted, Targets: r.Total(),
		NotReached: r.NotReached(), FromJournal: r.FromJournal(), Rechecked: r.Rechecked, Retries: r.Retries(), Counts: r.Counts(),
		Groups: []groupJSON{}, Results: make([]distribution.Row, 0, len(r.Results))}
	if len(r.Settings) > 0 {
		out.Settings = map[string]string{}
		for _, st := range r.Settings {
			out.Settings[st.Name] = st.Value
		}
	}
	for _, g := range r.groups() {
		gj := groupJSON{Outcome: g.outcome, Cause: g.cause, NextStep: g.step, Count: len(g.idx), Accounts: make([]string, len(g.idx))}
		for k, i := range g.idx {
			gj.Accounts[k] = string(r.Results[i].Account)
		}
		out.Groups = append(out.Groups, gj)
	}
	for _, i := range r.reauthorize() {
		res := &r.Results[i]
		out.Reauthorize = append(out.Reauthorize, reauthorizeJSON{Account: string(res.Account), Label: res.Label, By: res.ReauthorizeBy.UTC().Format(time.RFC3339)})
	}
	for _, i := range r.stillOnTBA() {
		res := &r.Results[i]
		out.StillOnTBA = append(out.StillOnTBA, stillOnTBAJSON{Account: string(res.Account), Label: res.Label, Invitation: r.Invitations[res.Account]})
	}
	for i := range r.Results {
		res := &r.Results[i]
		out.Results = append(out.Results, res.Row())
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "Setup > Integration", not "Setup \u003e Integration"
	return enc.Encode(out)
}

// CSVHeader is the header row of [Report.WriteCSV].
var CSVHeader = []string{"account", "label", "channel", "outcome", "cause", "next_step", "attempts", "predicted_state", "observed", "sentence",
	"nsid", "duration_ms", "error", "from_journal", "record", "run", "finished_at", "reauthorize_by", "invitation"}

// WriteCSV writes one row per target, with the columns of [CSVHeader].
// predicted_state is the prediction made before anything was sent, Unknown
// when the target's preference was not known; observed is what NetSuite's
// answer showed (success, invalid_login, …). sentence is empty where it
// would only repeat next_step; error is empty for enabled and
// awaiting_approval rows. record, run and finished_at (the run's end, RFC
// 3339) are the same on every row, so that rows from several runs can share
// a spreadsheet. reauthorize_by (RFC 3339) is when the customer must
// authorize again, for a row that rests on an OAuth 2.0 code-grant token;
// empty for M2M and TBA.
//
// A spreadsheet runs a cell that begins with =, +, -, @, a tab or a
// carriage return as a formula, and a label from the targets file, an nsId
// or a cause quoting a server may begin so. The columns are typed:
// attempts and duration_ms are numbers (a negative duration stays -5),
// from_journal a boolean, finished_at and reauthorize_by times the report
// writes; every
// other column is text, and a text cell that begins with one of those
// characters is written with a ' before it (OWASP, CSV injection), so
// that a label "-5" or "=1+1" reads as the text it is.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader) //nolint:errcheck // cw.Error reports it
	finished := ""
	if !r.Finished.IsZero() {
		finished = r.Finished.UTC().Format(time.RFC3339)
	}
	for i := range r.Results {
		res := &r.Results[i]
		j := res.Row()
		sentence := j.Sentence
		if sentence == j.NextStep || (j.NextStep != "" && strings.Contains(sentence, j.NextStep)) {
			sentence = ""
		}
		cw.Write([]string{csvText(j.Account), csvText(j.Label), csvText(j.Channel), csvText(j.Outcome), csvText(j.Cause), csvText(j.NextStep), //nolint:errcheck
			strconv.Itoa(j.Attempts), csvText(j.Predicted), csvText(j.Observed), csvText(sentence), csvText(j.NSID),
			strconv.FormatInt(j.DurationMS, 10), csvText(j.Error), strconv.FormatBool(j.FromJournal), csvText(r.Record), csvText(r.Run), finished,
			j.ReauthorizeBy, csvText(r.Invitations[res.Account])})
	}
	cw.Flush()
	return cw.Error()
}

// csvText is a text cell a spreadsheet reads as text: one that begins
// with =, +, -, @, a tab or a carriage return gets a ' before it.
func csvText(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// Summary is a text summary: a table of outcomes that accounts for every
// target (not reached ones included), where the results came from (this
// run, or the journal of an earlier one), the counts per channel when
// there are two, and the targets that did not end enabled, grouped by
// outcome, cause and next step, each group with example accounts.
func (r *Report) Summary() string {
	var b strings.Builder
	counts := r.Counts()
	total := r.Total()
	share := func(n int) float64 {
		if total == 0 {
			return 0
		}
		return 100 * float64(n) / float64(total)
	}
	fmt.Fprintf(&b, "%-18s %7s %7s\n", "outcome", "targets", "share")
	rows := reportOutcomes
	if counts[distribution.OutcomePlanned] > 0 {
		rows = append(rows[:len(rows):len(rows)], distribution.OutcomePlanned)
	}
	for _, o := range rows {
		fmt.Fprintf(&b, "%-18s %7d %6.1f%%\n", o, counts[o], share(counts[o]))
	}
	if n := r.NotReached(); n > 0 {
		fmt.Fprintf(&b, "%-18s %7d %6.1f%%\n", "not reached", n, share(n))
	}
	fmt.Fprintf(&b, "%-18s %7d\n", "total", total)
	if fj := r.FromJournal(); fj > 0 {
		fmt.Fprintf(&b, "%d %s from the journal (enabled in an earlier run, not sent again); %d checked in this run\n",
			fj, plural(fj, "target", "targets"), len(r.Results)-fj)
	}
	if r.Rechecked > 0 {
		fmt.Fprintf(&b, "%d %s enabled before through another channel or credential (or one the journal does not name), checked again with the one %s now\n",
			r.Rechecked, plural(r.Rechecked, "target", "targets"), plural(r.Rechecked, "it has", "they have"))
	}
	if n := r.Retries(); n > 0 {
		fmt.Fprintf(&b, "%d %s beyond each target's first attempt\n", n, plural(n, "retry", "retries"))
	}
	r.writeByChannel(&b, rows)
	if n := r.NotReached(); n > 0 {
		fmt.Fprintf(&b, "interrupted: %d %s not reached; run again with the same journal to continue where this run stopped\n", n, plural(n, "target", "targets"))
	} else if r.Interrupted {
		b.WriteString("interrupted\n")
	}
	r.writeGroups(&b, counts)
	r.writeReauthorize(&b)
	r.writeStillOnTBA(&b)
	return b.String()
}

// writeStillOnTBA writes the "still on TBA" group, ten accounts at most,
// each with its invitation when there is one.
func (r *Report) writeStillOnTBA(b *strings.Builder) {
	left := r.stillOnTBA()
	if len(left) == 0 {
		return
	}
	fmt.Fprintf(b, "\nstill on TBA (%d): %s\n", len(left), tbaDates())
	for _, i := range left[:min(len(left), 10)] {
		res := &r.Results[i]
		if inv := r.Invitations[res.Account]; inv != "" {
			fmt.Fprintf(b, "  %s  invitation: %s\n", display(res), inv)
		} else {
			fmt.Fprintf(b, "  %s\n", display(res))
		}
	}
	if len(left) > 10 {
		fmt.Fprintf(b, "  and %d more (every one is in the JSON and CSV reports)\n", len(left)-10)
	}
}

// writeReauthorize writes the "re-authorize by" group: the deadlines of
// the authorizations that end, soonest first, ten of them at most.
func (r *Report) writeReauthorize(b *strings.Builder) {
	due := r.reauthorize()
	if len(due) == 0 {
		return
	}
	fmt.Fprintf(b, "\nre-authorize by (%d), soonest first: the customer must authorize again before then\n", len(due))
	for _, i := range due[:min(len(due), 10)] {
		res := &r.Results[i]
		fmt.Fprintf(b, "  %s  %s\n", res.ReauthorizeBy.UTC().Format(time.RFC3339), display(res))
	}
	if len(due) > 10 {
		fmt.Fprintf(b, "  and %d more (every deadline is in the JSON and CSV reports)\n", len(due)-10)
	}
}

// writeGroups writes the targets that did not end enabled, grouped by
// outcome, cause and next step, each group with example accounts.
func (r *Report) writeGroups(b *strings.Builder, counts map[distribution.Outcome]int) {
	var last distribution.Outcome
	for _, g := range r.groups() {
		if g.outcome != last {
			last = g.outcome
			what := "by next step"
			if g.outcome != distribution.OutcomeAwaitingApproval {
				what = "by cause"
			}
			fmt.Fprintf(b, "\n%s (%d), %s:\n", g.outcome, counts[g.outcome], what)
		}
		head := g.step
		if g.cause != "" {
			head = g.cause
		}
		fmt.Fprintf(b, "  %d: %s\n", len(g.idx), head)
		if g.cause != "" && g.step != "" {
			fmt.Fprintf(b, "     next: %s\n", g.step)
		}
		ex := make([]string, 0, 5)
		for _, i := range g.idx[:min(len(g.idx), 5)] {
			ex = append(ex, display(&r.Results[i]))
		}
		list := strings.Join(ex, ", ")
		if len(g.idx) > 5 {
			list += fmt.Sprintf(" and %d more", len(g.idx)-5)
		}
		fmt.Fprintf(b, "     e.g. %s\n", list)
	}
}

// display is the account with its label, e.g. 123456 (Acme Corp).
func display(r *distribution.Result) string {
	if r.Label == "" {
		return string(r.Account)
	}
	return fmt.Sprintf("%s (%s)", r.Account, text.Truncate(r.Label, 40))
}

// writeByChannel writes the counts per channel when there are two or more.
func (r *Report) writeByChannel(b *strings.Builder, rows []distribution.Outcome) {
	byCh := r.CountsByChannel()
	if len(byCh) < 2 {
		return
	}
	chans := make([]string, 0, len(byCh))
	for ch := range byCh {
		chans = append(chans, ch)
	}
	sort.Strings(chans)
	b.WriteString("by channel:\n")
	for _, ch := range chans {
		c := byCh[ch]
		n := 0
		var parts []string
		for _, o := range rows {
			n += c[o]
			if c[o] > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", o, c[o]))
			}
		}
		if ch == "" {
			ch = "(none)"
		}
		fmt.Fprintf(b, "  %-16s %7d  (%s)\n", ch, n, strings.Join(parts, ", "))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// genericStep is the next step with the account id taken out, so that
// targets with the same step group together.
func genericStep(r *distribution.Result) string {
	s := r.Explanation.NextStep
	if s == "" && r.Outcome == distribution.OutcomeAwaitingApproval {
		s = r.Explanation.Sentence
	}
	if r.Account == "" {
		return s
	}
	return strings.ReplaceAll(s, string(r.Account), "the account")
}
