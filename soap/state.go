package soap

// RecordState is an integration record's State in one account
// (NETSUITE.md §1.3). It belongs to that account alone.
type RecordState string

// The documented States. No others exist.
const (
	StateEnabled            RecordState = "Enabled"
	StateBlocked            RecordState = "Blocked"
	StateWaitingForApproval RecordState = "Waiting for Approval"
)
