package soap

import "github.com/nsdist/nsdist"

// RecordState is [nsdist.State]: a record's State belongs to no wire
// protocol. SOAP keeps this name so existing code compiles unchanged.
type RecordState = nsdist.State

// The documented States, as [nsdist.State] names them.
const (
	StateEnabled            = nsdist.StateEnabled
	StateBlocked            = nsdist.StateBlocked
	StateWaitingForApproval = nsdist.StateWaitingForApproval
)
