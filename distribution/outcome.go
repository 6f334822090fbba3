package distribution

import (
	"fmt"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/internal/text"
)

// Outcome is a target's result as reports and journals name it.
type Outcome string

// The outcomes. They map from approval's kinds: Enabled → enabled,
// AwaitingApproval → awaiting_approval, BlockedOrRejected → rejected,
// Misconfigured → misconfigured; a retryable error that outlived its
// retries, an unknown answer or a transport failure → failed. planned is a
// bundle or SuiteApp plan: nsdist cannot install those itself.
const (
	OutcomeEnabled          Outcome = "enabled"
	OutcomeAwaitingApproval Outcome = "awaiting_approval"
	OutcomeRejected         Outcome = "rejected"
	OutcomeMisconfigured    Outcome = "misconfigured"
	OutcomeFailed           Outcome = "failed"
	OutcomePlanned          Outcome = "planned"
)

// Outcomes lists every outcome in the order reports show them.
func Outcomes() []Outcome {
	return []Outcome{OutcomeEnabled, OutcomeAwaitingApproval, OutcomeRejected, OutcomeMisconfigured, OutcomeFailed, OutcomePlanned}
}

// String returns the outcome's name.
func (o Outcome) String() string { return string(o) }

// MarshalText implements encoding.TextMarshaler.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o), nil }

// UnmarshalText accepts the names Outcomes lists.
func (o *Outcome) UnmarshalText(b []byte) error {
	for _, v := range Outcomes() {
		if string(b) == string(v) {
			*o = v
			return nil
		}
	}
	return fmt.Errorf("distribution: unknown outcome %q", text.Truncate(string(b), 40))
}

// Valid reports whether o is one of the outcomes [Outcomes] lists.
func (o Outcome) Valid() bool {
	for _, v := range Outcomes() {
		if o == v {
			return true
		}
	}
	return false
}

// Final reports whether a re-run need not check the target again.
func (o Outcome) Final() bool { return o == OutcomeEnabled }

// OutcomeOf maps approval's kind to its outcome.
func OutcomeOf(k approval.Kind) Outcome { return Outcome(k.Report()) }
