package approval

import (
	"encoding/json"
	"fmt"
	"strings"
)

type decisionJSON struct {
	Channel                       Channel        `json:"channel"`
	Target                        string         `json:"target"`
	Version                       string         `json:"version"`
	Date                          string         `json:"date"`
	Allowed                       bool           `json:"allowed"`
	Blocking                      []string       `json:"blocking"`
	BlockingDetails               []Reason       `json:"blocking_details"`
	InitialState                  PredictedState `json:"initial_state"`
	PossibleStates                []string       `json:"possible_states"`
	Probe                         string         `json:"probe"`
	RequestsAccepted              Tristate       `json:"requests_accepted"`
	AdminSteps                    []string       `json:"admin_steps"`
	EditableInTarget              []string       `json:"editable_in_target"`
	CredentialsResettableInTarget bool           `json:"credentials_resettable_in_target"`
	SandboxNotes                  []string       `json:"sandbox_notes"`
	Warnings                      []string       `json:"warnings"`
	WarningDetails                []Reason       `json:"warning_details"`
}

// MarshalJSON renders the decision with stable snake_case field names;
// arrays are always arrays, never null.
func (d Decision) MarshalJSON() ([]byte, error) {
	j := decisionJSON{
		Channel: d.Input.Channel, Target: string(d.Input.Target.Account), Version: d.Input.Version.String(),
		Date: d.Input.Date.UTC().Format("2006-01-02"), Allowed: d.Allowed, InitialState: d.InitialState,
		Probe: d.Probe, RequestsAccepted: d.RequestsAccepted, CredentialsResettableInTarget: d.CredentialsResettableInTarget,
		Blocking: texts(d.Blocking), BlockingDetails: nonNil(d.Blocking), Warnings: texts(d.Warnings), WarningDetails: nonNil(d.Warnings),
		AdminSteps: []string{}, EditableInTarget: nonNil(d.EditableInTarget), SandboxNotes: nonNil(d.SandboxNotes), PossibleStates: []string{},
	}
	for _, s := range d.AdminSteps {
		j.AdminSteps = append(j.AdminSteps, s.String())
	}
	for _, s := range d.PossibleStates {
		j.PossibleStates = append(j.PossibleStates, string(s))
	}
	return json.Marshal(j)
}

func texts(rs []Reason) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Text)
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// String renders the decision as text for people.
func (d Decision) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "channel %s to %s (endpoint %s, %s)\n", d.Input.Channel, orDash(string(d.Input.Target.Account)), d.Input.Version, d.Input.Date.UTC().Format("2006-01-02"))
	if d.Allowed {
		b.WriteString("allowed: yes\n")
	} else {
		b.WriteString("allowed: no\n")
		for _, r := range d.Blocking {
			fmt.Fprintf(&b, "  blocked: %s [%s]\n", r.Text, r.Source)
		}
	}
	fmt.Fprintf(&b, "initial state: %s; requests accepted right after install: %s\n", d.InitialState, d.RequestsAccepted)
	if d.Probe != "" {
		fmt.Fprintf(&b, "to find out: %s\n", d.Probe)
	}
	for i, s := range d.AdminSteps {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, s)
	}
	fmt.Fprintf(&b, "editable in the target: %s; credentials resettable there: %v\n", strings.Join(d.EditableInTarget, ", "), d.CredentialsResettableInTarget)
	for _, n := range d.SandboxNotes {
		fmt.Fprintf(&b, "  sandbox: %s\n", n)
	}
	for _, w := range d.Warnings {
		fmt.Fprintf(&b, "  warning: %s [%s]\n", w.Text, w.Source)
	}
	return b.String()
}

// String renders the outcome as one line.
func (o Explanation) String() string {
	if o.NextStep == "" || strings.Contains(o.Sentence, o.NextStep) {
		return fmt.Sprintf("%s: %s", o.Report, o.Sentence)
	}
	return fmt.Sprintf("%s: %s; next: %s", o.Report, o.Sentence, o.NextStep)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
