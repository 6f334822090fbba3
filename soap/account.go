package soap

import (
	"errors"
	"fmt"
	"strings"
)

// AccountID is a canonical NetSuite account id: "123456", "123456_SB1" or
// "TSTDRV1234567". It is the form TokenPassport.account and the OAuth realm
// need; a lower-case or hyphenated sandbox id there gives "Invalid login
// attempt." (NETSUITE.md §4.1, §8). Build one with [ParseAccountID].
type AccountID string

// ErrInvalidAccountID is returned for a string that is no NetSuite account id.
var ErrInvalidAccountID = errors.New("soap: invalid account id")

// ParseAccountID accepts an account id in canonical or host form, in any
// case ("123456-sb1", "123456_sb1" and "123456_SB1" all give "123456_SB1").
func ParseAccountID(s string) (AccountID, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.ReplaceAll(t, "-", "_")
	if t == "" {
		return "", fmt.Errorf("%w: empty; want the Account ID of Setup > Integration > SOAP Web Services Preferences, e.g. 123456 or 123456_SB1", ErrInvalidAccountID)
	}
	base, sb, hasSB := strings.Cut(t, "_")
	ok := len(t) <= 40 && validBase(base)
	if hasSB {
		ok = ok && len(sb) > 2 && strings.HasPrefix(sb, "SB") && allDigits(sb[2:])
	}
	if !ok {
		return "", fmt.Errorf("%w %q: want digits or letters then digits (123456, TSTDRV1234567), optionally with a sandbox suffix _SB1", ErrInvalidAccountID, s)
	}
	return AccountID(t), nil
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

// SuiteTalkHost returns the account-specific SOAP host,
// <hostid>.suitetalk.api.netsuite.com.
func (a AccountID) SuiteTalkHost() string { return a.HostID() + ".suitetalk.api.netsuite.com" }

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
