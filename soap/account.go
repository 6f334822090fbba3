package soap

import "github.com/nsdist/nsdist"

// AccountID is [nsdist.AccountID]: account ids belong to no wire protocol,
// and SOAP keeps this name so existing code compiles unchanged.
type AccountID = nsdist.AccountID

// ErrInvalidAccountID is [nsdist.ErrInvalidAccountID].
var ErrInvalidAccountID = nsdist.ErrInvalidAccountID

// ParseAccountID is [nsdist.ParseAccountID].
func ParseAccountID(s string) (AccountID, error) { return nsdist.ParseAccountID(s) }

// MustParseAccountID is [nsdist.MustParseAccountID].
func MustParseAccountID(s string) AccountID { return nsdist.MustParseAccountID(s) }
