package nsdist

import (
	"errors"
	"fmt"
	"strings"
)

// AccountID is a canonical NetSuite account id: "123456", "123456_SB1" or
// "TSTDRV1234567". It is the form SOAP's TokenPassport.account, the OAuth 1.0
// realm and OAuth 2.0's company parameter carry (the sandbox host form is
// lower case with a hyphen). Public issue trackers report that a
// lower-case or hyphenated sandbox id in a TokenPassport gives "Invalid
// login attempt."; Oracle does not document it. Build one with
// [ParseAccountID]. It belongs to no wire protocol: SOAP, TBA and OAuth 2.0
// all name accounts with it.
type AccountID string

// ErrInvalidAccountID is returned for a string that is no NetSuite account id.
var ErrInvalidAccountID = errors.New("nsdist: invalid account id")

// maxAccountIDLen bounds an id before it is put into a host name.
const maxAccountIDLen = 40

// ParseAccountID accepts an account id in canonical or host form, in any
// case ("123456-sb1", "123456_sb1" and "123456_SB1" all give "123456_SB1").
// Anything else is refused, so an id never injects a host
// ("123456.evil.example#") into the URLs built from it.
func ParseAccountID(s string) (AccountID, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.ReplaceAll(t, "-", "_")
	if t == "" {
		return "", fmt.Errorf("%w: empty; want the Account ID of Setup > Company > Company Information, e.g. 123456 or 123456_SB1", ErrInvalidAccountID)
	}
	base, sb, hasSB := strings.Cut(t, "_")
	ok := len(t) <= maxAccountIDLen && validBase(base)
	if hasSB {
		ok = ok && len(sb) > 2 && strings.HasPrefix(sb, "SB") && allDigits(sb[2:])
	}
	if !ok {
		return "", fmt.Errorf("%w %q: want digits or letters then digits (123456, TSTDRV1234567), optionally with a sandbox suffix _SB1", ErrInvalidAccountID, truncate(s, 64))
	}
	return AccountID(t), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// MustParseAccountID is ParseAccountID for constants; it panics on error.
func MustParseAccountID(s string) AccountID {
	a, err := ParseAccountID(s)
	if err != nil {
		panic(err)
	}
	return a
}

func validBase(s string) bool {
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	return i < len(s) && allDigits(s[i:])
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String returns the canonical id.
func (a AccountID) String() string { return string(a) }

// HostID returns the id as it appears in host names: lower case with a
// hyphen, e.g. "123456-sb1".
func (a AccountID) HostID() string {
	return strings.ToLower(strings.ReplaceAll(string(a), "_", "-"))
}

// IsSandbox reports whether the id names a sandbox account (…_SBn).
func (a AccountID) IsSandbox() bool { return strings.Contains(string(a), "_SB") }

// Production returns the production account of a sandbox, or a itself.
func (a AccountID) Production() AccountID {
	base, _, _ := strings.Cut(string(a), "_")
	return AccountID(base)
}

// SuiteTalkHost returns the account-specific SuiteTalk host,
// <hostid>.suitetalk.api.netsuite.com: SOAP, REST web services and the
// OAuth 2.0 token endpoint (section_158081952044).
func (a AccountID) SuiteTalkHost() string { return a.HostID() + ".suitetalk.api.netsuite.com" }

// RESTletsHost returns <hostid>.restlets.api.netsuite.com: RESTlets, the
// TBA token endpoints and the OAuth 2.0 certificate rotation endpoint
// (article_92130837826).
func (a AccountID) RESTletsHost() string { return a.HostID() + ".restlets.api.netsuite.com" }

// AppHost returns <hostid>.app.netsuite.com: the UI, where the OAuth 2.0
// authorize page lives (section_158081944642).
func (a AccountID) AppHost() string { return a.HostID() + ".app.netsuite.com" }

// Validate reports whether a is canonical.
func (a AccountID) Validate() error {
	b, err := ParseAccountID(string(a))
	if err != nil {
		return err
	}
	if b != a {
		return fmt.Errorf("%w %q: not canonical; use %q (upper case, underscore)", ErrInvalidAccountID, string(a), string(b))
	}
	return nil
}
