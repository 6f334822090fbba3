package nsdist

import (
	"strconv"
	"time"
)

// Release is a NetSuite release, such as 2025.2. Releases belong to the
// whole platform: they decide which SOAP endpoints answer, which
// authentication an endpoint accepts, and whether new TBA integrations can
// be created. A SOAP endpoint version (2025_2) names the release it came
// with. The zero Release is no release.
type Release struct {
	Year   int
	Number int // 1 or 2
}

// The releases nsdist reasons about.
var (
	// LastPassportRelease is the last release whose SOAP endpoint accepts
	// user credentials (the request-level passport, login and logout);
	// 2020.2 and later endpoints refuse them (section_4389727047,
	// section_4399767175).
	LastPassportRelease = Release{2020, 1}
	// HMACSHA1Removed is the release from which TBA accepts only
	// HMAC-SHA256 signatures (subsect_156935170194).
	HMACSHA1Removed = Release{2023, 1}
	// RESTForNewIntegrations is the release from which Oracle asks new
	// integrations to use REST web services with OAuth 2.0
	// (article_2104046421).
	RESTForNewIntegrations = Release{2026, 1}
	// NoNewTBA is the release from which no new TBA integrations can be
	// created; existing ones keep working until SOAP is removed
	// (bridgehead_4249032125, section_0525020842).
	NoNewTBA = Release{2027, 1}
	// SOAPRemoved is the release with which SOAP web services are removed
	// (article_2104046421).
	SOAPRemoved = Release{2028, 2}
	// LastSOAPEndpoint is the last SOAP endpoint Oracle plans, 2025.2
	// (section_N3418621, article_2104046421).
	LastSOAPEndpoint = Release{2025, 2}
)

// String returns the release form, e.g. "2025.2".
func (r Release) String() string {
	return strconv.Itoa(r.Year) + "." + strconv.Itoa(r.Number)
}

// IsZero reports whether r is the zero Release.
func (r Release) IsZero() bool { return r == Release{} }

// Before reports whether r came out before s.
func (r Release) Before(s Release) bool {
	return r.Year < s.Year || (r.Year == s.Year && r.Number < s.Number)
}

// Start is the day nsdist takes the release to be in force: 1 March for
// YYYY.1 and 1 September for YYYY.2, UTC (inferred: releases roll out over
// weeks, and Oracle publishes no such dates).
func (r Release) Start() time.Time {
	m := time.March
	if r.Number == 2 {
		m = time.September
	}
	return time.Date(r.Year, m, 1, 0, 0, 0, 0, time.UTC)
}

// ReleaseAt returns the release in force on date t (see [Release.Start]).
func ReleaseAt(t time.Time) Release {
	y, m := t.UTC().Year(), t.UTC().Month()
	switch {
	case m < time.March:
		return Release{y - 1, 2}
	case m < time.September:
		return Release{y, 1}
	}
	return Release{y, 2}
}

// SupportsPassport reports whether the SOAP endpoint of release r accepts
// user credentials: only 2020.1 and older do.
func (r Release) SupportsPassport() bool { return !LastPassportRelease.Before(r) }

// EndpointLifecycle is a SOAP endpoint's availability on a given day.
type EndpointLifecycle int

// The states of an endpoint, from the SOAP removal plans (article_2104046421).
const (
	EndpointSupported   EndpointLifecycle = iota // available and supported
	EndpointUnsupported                          // still answers, but Oracle no longer supports it
	EndpointDisabled                             // no longer answers
	EndpointUnreleased                           // not yet released on that date
)

func (l EndpointLifecycle) String() string {
	switch l {
	case EndpointSupported:
		return "supported"
	case EndpointUnsupported:
		return "available but unsupported"
	case EndpointDisabled:
		return "disabled"
	case EndpointUnreleased:
		return "not yet released"
	}
	return "unknown"
}

// endpointTable holds, per SOAP endpoint, the last release in which it is
// supported and the last in which it is available at all
// (article_2104046421). A zero entry means "before 2025.2".
var endpointTable = map[Release][2]Release{
	{2025, 2}: {{2028, 1}, {2028, 1}},
	{2025, 1}: {{2027, 1}, {2028, 1}},
	{2024, 2}: {{2027, 1}, {2028, 1}},
	{2024, 1}: {{2026, 2}, {2028, 1}},
	{2023, 2}: {{2026, 1}, {2028, 1}},
	{2023, 1}: {{2025, 2}, {2028, 1}},
	{2022, 2}: {{}, {2028, 1}},
	{2022, 1}: {{}, {2028, 1}},
	{2021, 2}: {{}, {2028, 1}},
	{2021, 1}: {{}, {2027, 2}},
	{2020, 2}: {{}, {2027, 1}},
	{2020, 1}: {{}, {2026, 2}},
	{2019, 2}: {{}, {2026, 1}},
	{2019, 1}: {{}, {2025, 2}},
}

// EndpointLifecycle returns the state of release r's SOAP endpoint on date
// t. The availability table starts with release 2025.2; for earlier dates
// it is applied as of 2025.2, which is accurate for the endpoints nsdist
// sends to.
func (r Release) EndpointLifecycle(t time.Time) EndpointLifecycle {
	rel := ReleaseAt(t)
	if rel.Before(LastSOAPEndpoint) {
		if rel.Before(r) {
			return EndpointUnreleased
		}
		rel = LastSOAPEndpoint
	}
	if !rel.Before(SOAPRemoved) {
		return EndpointDisabled
	}
	row, ok := endpointTable[r]
	if !ok {
		return EndpointDisabled // 2018.2 and older are disabled from 2025.2 on
	}
	switch {
	case !row[0].IsZero() && !row[0].Before(rel):
		return EndpointSupported
	case !row[1].Before(rel):
		return EndpointUnsupported
	}
	return EndpointDisabled
}
