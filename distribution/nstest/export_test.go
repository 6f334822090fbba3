package nstest

import (
	"strconv"

	"github.com/nsdist/nsdist"
)

// Roll is the fake's deterministic draw for (seed, account, request
// number, salt), so that a test can place an injection rate exactly on it.
func Roll(seed uint64, account nsdist.AccountID, n uint64, salt byte) float64 {
	return (&Server{seed: seed}).roll(account, n, salt)
}

// AuditFailures appends n failures to the account's Login Audit Trail, the
// e-mail of each its number from first on, as failed requests would.
func AuditFailures(a *Account, first, n int) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	for i := first; i < first+n; i++ {
		a.auditAsLocked(strconv.Itoa(i), "", "", "InvalidSignature", DetailDocumented)
	}
}

// DropInstall removes the record's install from the account and keeps its
// tokens, as an uninstalled bundle would leave them.
func DropInstall(a *Account, appID string) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	delete(a.installs, appID)
}
