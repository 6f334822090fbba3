package distribution

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/nsdist/nsdist/approval"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// reportOutcomes are the outcomes a summary always lists; planned is
// listed when a report has any.
var reportOutcomes = []Outcome{OutcomeEnabled, OutcomeAwaitingApproval, OutcomeRejected, OutcomeMisconfigured, OutcomeFailed}

// Report is a rollout's results: one per target, those taken from the
// journal of an earlier run included.
type Report struct {
	Record   string
	Started  time.Time
	Finished time.Time
	Results  []Result // sorted by account
	// Interrupted is set when the context ended the run early.
	Interrupted bool
}

// Counts returns the number of targets per outcome; every outcome of
// reportOutcomes is present, planned only when some target has it.
func (r *Report) Counts() map[Outcome]int {
	c := map[Outcome]int{}
	for _, o := range reportOutcomes {
		c[o] = 0
	}
	for _, res := range r.Results {
		c[res.Outcome]++
	}
	return c
}

// CountsByChannel returns the number of targets per outcome, per channel.
func (r *Report) CountsByChannel() map[approval.Channel]map[Outcome]int {
	c := map[approval.Channel]map[Outcome]int{}
	for _, res := range r.Results {
		if c[res.Channel] == nil {
			c[res.Channel] = map[Outcome]int{}
		}
		c[res.Channel][res.Outcome]++
	}
	return c
}

type resultJSON struct {
	Account     string   `json:"account"`
	Label       string   `json:"label,omitempty"`
	Outcome     string   `json:"outcome"`
	Attempts    int      `json:"attempts"`
	NextStep    string   `json:"next_step"`
	Channel     string   `json:"channel"`
	Predicted   string   `json:"predicted_state"`
	Sentence    string   `json:"sentence"`
	LessLikely  []string `json:"less_likely"`
	NSID        string   `json:"nsid"`
	DurationMS  int64    `json:"duration_ms"`
	Error       string   `json:"error,omitempty"`
	FromJournal bool     `json:"from_journal,omitempty"`
	Note        string   `json:"note,omitempty"`
}

func (r Result) json() resultJSON {
	j := resultJSON{Account: string(r.Account), Label: r.Label, Outcome: string(r.Outcome), Attempts: r.Attempts, NextStep: r.Explanation.NextStep,
		Channel: string(r.Channel), Predicted: string(r.Decision.InitialState), Sentence: r.Explanation.Sentence, LessLikely: r.Explanation.LessLikely,
		NSID: r.NSID, DurationMS: r.Duration.Milliseconds(), FromJournal: r.FromJournal, Note: r.Note}
	if j.LessLikely == nil {
		j.LessLikely = []string{}
	}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	return j
}

// MarshalJSON renders the result with the report's field names.
func (r Result) MarshalJSON() ([]byte, error) { return json.Marshal(r.json()) }

// WriteJSON writes the report as one JSON object with a results array.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		Record      string          `json:"record"`
		Started     time.Time       `json:"started"`
		Finished    time.Time       `json:"finished"`
		Interrupted bool            `json:"interrupted"`
		Counts      map[Outcome]int `json:"counts"`
		Results     []resultJSON    `json:"results"`
	}{r.Record, r.Started.UTC(), r.Finished.UTC(), r.Interrupted, r.Counts(), make([]resultJSON, 0, len(r.Results))}
	for _, res := range r.Results {
		out.Results = append(out.Results, res.json())
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteCSV writes one row per target.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"account", "outcome", "attempts", "next_step", "channel", "predicted_state", "sentence", "nsid", "duration_ms", "error", "from_journal"}) //nolint:errcheck
	for _, res := range r.Results {
		j := res.json()
		cw.Write([]string{j.Account, j.Outcome, strconv.Itoa(j.Attempts), j.NextStep, j.Channel, j.Predicted, j.Sentence, j.NSID, //nolint:errcheck
			strconv.FormatInt(j.DurationMS, 10), j.Error, strconv.FormatBool(j.FromJournal)})
	}
	cw.Flush()
	return cw.Error()
}

// Summary is a text summary grouped by outcome, with the next steps.
func (r *Report) Summary() string {
	var b strings.Builder
	counts := r.Counts()
	total := len(r.Results)
	fmt.Fprintf(&b, "%-18s %7s %7s\n", "outcome", "targets", "share")
	rows := reportOutcomes
	if counts[OutcomePlanned] > 0 {
		rows = append(rows[:len(rows):len(rows)], OutcomePlanned)
	}
	for _, o := range rows {
		share := 0.0
		if total > 0 {
			share = 100 * float64(counts[o]) / float64(total)
		}
		fmt.Fprintf(&b, "%-18s %7d %6.1f%%\n", o, counts[o], share)
	}
	fmt.Fprintf(&b, "%-18s %7d\n", "total", total)
	if byCh := r.CountsByChannel(); len(byCh) > 1 {
		chans := make([]string, 0, len(byCh))
		for ch := range byCh {
			chans = append(chans, string(ch))
		}
		sort.Strings(chans)
		b.WriteString("by channel:\n")
		for _, ch := range chans {
			c := byCh[approval.Channel(ch)]
			n := 0
			var parts []string
			for _, o := range rows {
				n += c[o]
				if c[o] > 0 {
					parts = append(parts, fmt.Sprintf("%s %d", o, c[o]))
				}
			}
			fmt.Fprintf(&b, "  %-16s %7d  (%s)\n", ch, n, strings.Join(parts, ", "))
		}
	}
	if r.Interrupted {
		b.WriteString("the run was interrupted: targets not reached are missing; run again with the same journal to continue\n")
	}
	for _, o := range rows[1:] {
		steps := map[string][]string{}
		for _, res := range r.Results {
			if res.Outcome == o {
				key := genericStep(res)
				steps[key] = append(steps[key], string(res.Account))
			}
		}
		if len(steps) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n", o)
		keys := make([]string, 0, len(steps))
		for k := range steps {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return len(steps[keys[i]]) > len(steps[keys[j]]) || (len(steps[keys[i]]) == len(steps[keys[j]]) && keys[i] < keys[j])
		})
		for _, k := range keys {
			accts := steps[k]
			list := strings.Join(accts[:min(len(accts), 5)], ", ")
			if len(accts) > 5 {
				list += fmt.Sprintf(" and %d more", len(accts)-5)
			}
			fmt.Fprintf(&b, "  %d: %s\n     e.g. %s\n", len(accts), k, list)
		}
	}
	return b.String()
}

// genericStep is the next step with the account id taken out, so that
// targets with the same step group together.
func genericStep(r Result) string {
	s := r.Explanation.NextStep
	if s == "" {
		s = r.Explanation.Sentence
	}
	return strings.ReplaceAll(s, string(r.Account), "the account")
}
