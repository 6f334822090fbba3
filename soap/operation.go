package soap

import "fmt"

// Operation is a SuiteTalk operation name; it is also the SOAPAction.
type Operation string

// The operations nsdist sends. Each is safe to retry: none changes data,
// and the installation they may trigger happens once (CONVENTIONS.md).
const (
	OpGetServerTime                Operation = "getServerTime"
	OpGetDataCenterUrls            Operation = "getDataCenterUrls"
	OpLogin                        Operation = "login"
	OpLogout                       Operation = "logout"
	OpGetIntegrationGovernanceInfo Operation = "getIntegrationGovernanceInfo"
	OpGetAccountGovernanceInfo     Operation = "getAccountGovernanceInfo"
)

// Operations lists the operations nsdist can build.
func Operations() []Operation {
	return []Operation{OpGetServerTime, OpGetDataCenterUrls, OpLogin, OpLogout, OpGetIntegrationGovernanceInfo, OpGetAccountGovernanceInfo}
}

// ParseOperation returns the operation with that name.
func ParseOperation(s string) (Operation, error) {
	for _, op := range Operations() {
		if string(op) == s {
			return op, nil
		}
	}
	return "", fmt.Errorf("%w: %q; nsdist sends %v", ErrUnsupportedOperation, s, Operations())
}

// Idempotent reports whether repeating the operation is safe.
func (o Operation) Idempotent() bool {
	switch o {
	case OpGetServerTime, OpGetDataCenterUrls, OpLogin, OpLogout, OpGetIntegrationGovernanceInfo, OpGetAccountGovernanceInfo:
		return true
	}
	return false
}
