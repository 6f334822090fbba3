package nsdist

// State is an integration record's State in one account: Enabled,
// Waiting for Approval or Blocked. It belongs to that account alone; only
// State and Note can be edited outside the owner account
// (section_4389727047). Auto-installation sets it from the target's
// Require Approval during Auto-Installation of Integration preference,
// and a bundle install always sets Enabled (section_4429293934,
// section_4431829430).
type State string

// The documented States. No others exist.
const (
	StateEnabled            State = "Enabled"
	StateWaitingForApproval State = "Waiting for Approval"
	StateBlocked            State = "Blocked"
)

// String returns the State as NetSuite shows it.
func (s State) String() string { return string(s) }
