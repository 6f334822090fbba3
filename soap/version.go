package soap

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
)

// Version is a SuiteTalk SOAP endpoint version such as 2025_2. The zero
// value is not a valid version; use [DefaultVersion] or [ParseVersion].
type Version struct {
	year    uint16
	release uint8
}

// Endpoint versions nsdist knows. 2025_2 is the last SOAP endpoint Oracle
// plans (section_N3418621, article_2104046421).
var (
	V2017_1 = Version{2017, 1}
	V2017_2 = Version{2017, 2}
	V2019_2 = Version{2019, 2}
	V2020_1 = Version{2020, 1}
	V2020_2 = Version{2020, 2}
	V2023_2 = Version{2023, 2}
	V2025_2 = Version{2025, 2}

	// DefaultVersion is the endpoint a client uses unless told otherwise.
	DefaultVersion = V2025_2

	firstVersion = V2017_1
	lastVersion  = V2025_2
)

// ErrInvalidVersion is returned for a version string nsdist cannot use.
var ErrInvalidVersion = errors.New("soap: invalid endpoint version")

// ParseVersion reads an endpoint version in any of the forms NetSuite uses:
// "2025_2", "2025.2", "v2025_2_0" or "NetSuitePort_2025_2".
func ParseVersion(s string) (Version, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "NetSuitePort_")
	t = strings.TrimPrefix(strings.TrimPrefix(t, "v"), "V")
	t = strings.ReplaceAll(t, ".", "_")
	parts := strings.Split(t, "_")
	if len(parts) == 3 && parts[2] == "0" {
		parts = parts[:2]
	}
	if len(parts) != 2 || len(parts[0]) != 4 || len(parts[1]) != 1 {
		return Version{}, fmt.Errorf("%w %q: want YYYY_N, e.g. 2025_2", ErrInvalidVersion, s)
	}
	y, err1 := strconv.Atoi(parts[0])
	r, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || (r != 1 && r != 2) {
		return Version{}, fmt.Errorf("%w %q: want YYYY_N with N 1 or 2, e.g. 2025_2", ErrInvalidVersion, s)
	}
	v := Version{uint16(y), uint8(r)} //nolint:gosec // G115: y has 4 characters and r is 1 or 2; the range check below refuses the rest
	if v.Before(firstVersion) || lastVersion.Before(v) {
		return Version{}, fmt.Errorf("%w %q: nsdist supports endpoints %s through %s", ErrInvalidVersion, s, firstVersion, lastVersion)
	}
	return v, nil
}

// MustParseVersion is ParseVersion for constants; it panics on error.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Versions lists every endpoint version nsdist supports, oldest first.
func Versions() []Version {
	var vs []Version
	for v := firstVersion; !lastVersion.Before(v); v = v.next() {
		vs = append(vs, v)
	}
	return vs
}

func (v Version) next() Version {
	if v.release == 1 {
		return Version{v.year, 2}
	}
	return Version{v.year + 1, 1}
}

// IsZero reports whether v is the zero Version.
func (v Version) IsZero() bool { return v.year == 0 }

// String returns the namespace form, e.g. "2025_2".
func (v Version) String() string {
	if v.IsZero() {
		return "0_0"
	}
	return strconv.Itoa(int(v.year)) + "_" + strconv.Itoa(int(v.release))
}

// Release returns the NetSuite release the endpoint came with, e.g. 2025.2.
func (v Version) Release() nsdist.Release {
	return nsdist.Release{Year: int(v.year), Number: int(v.release)}
}

// Before reports whether v is an older endpoint than w.
func (v Version) Before(w Version) bool { return v.index() < w.index() }

func (v Version) index() int { return int(v.year)*2 + int(v.release) - 1 }

// Path is the endpoint path, e.g. "/services/NetSuitePort_2025_2".
func (v Version) Path() string { return "/services/NetSuitePort_" + v.String() }

func (v Version) ns(kind string) string {
	return "urn:" + kind + "_" + v.String() + ".platform.webservices.netsuite.com"
}

// MessagesNS is the platformMsgs namespace, e.g. urn:messages_2025_2.platform.webservices.netsuite.com.
func (v Version) MessagesNS() string { return v.ns("messages") }

// CoreNS is the platformCore namespace.
func (v Version) CoreNS() string { return v.ns("core") }

// CoreTypesNS is the platformCoreTyp namespace.
func (v Version) CoreTypesNS() string { return v.ns("types.core") }

// FaultsNS is the platformFaults namespace.
func (v Version) FaultsNS() string { return v.ns("faults") }

// FaultTypesNS is the platformFaultTyp namespace.
func (v Version) FaultTypesNS() string { return v.ns("types.faults") }

// CommonNS is the platformCommon namespace.
func (v Version) CommonNS() string { return v.ns("common") }

// SupportsPassport reports whether the endpoint accepts user credentials
// (the request-level passport header and login/logout). Only 2020_1 and
// older do (section_4389727047, section_4399767175).
func (v Version) SupportsPassport() bool { return v.Release().SupportsPassport() }

// SupportsTBA reports whether the endpoint accepts a tokenPassport (2015_2
// and newer, which every version nsdist knows is).
func (v Version) SupportsTBA() bool { return !v.Before(Version{2015, 2}) }

// Supports reports whether the endpoint has the operation: login and logout
// exist up to 2020_1, the governance queries from 2020_1 (inferred: they
// are absent from the 2017_2 schema, present in 2023_2, and their pages,
// section_158142272877 and article_0729100620, date from about 2020.1).
func (v Version) Supports(op Operation) bool {
	switch op {
	case OpLogin, OpLogout:
		return v.SupportsPassport()
	case OpGetIntegrationGovernanceInfo, OpGetAccountGovernanceInfo:
		return !v.Before(V2020_1)
	case OpGetServerTime, OpGetDataCenterUrls:
		return true
	}
	return false
}

// Lifecycle returns the endpoint's state on date t
// ([nsdist.Release.EndpointLifecycle]).
func (v Version) Lifecycle(t time.Time) nsdist.EndpointLifecycle {
	return v.Release().EndpointLifecycle(t)
}
