package nsdist_test

import (
	"testing"
	"time"

	"github.com/nsdist/nsdist"
)

func TestReleaseAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		day  string
		want nsdist.Release
	}{
		{"2027-02-28", nsdist.Release{Year: 2026, Number: 2}},
		{"2027-03-01", nsdist.NoNewTBA},
		{"2027-08-31", nsdist.Release{Year: 2027, Number: 1}},
		{"2027-09-01", nsdist.Release{Year: 2027, Number: 2}},
		{"2028-09-01", nsdist.SOAPRemoved},
	}
	for _, tt := range tests {
		d, err := time.Parse(time.DateOnly, tt.day)
		if err != nil {
			t.Fatal(err)
		}
		got := nsdist.ReleaseAt(d)
		if got != tt.want {
			t.Errorf("ReleaseAt(%s) = %s, want %s", tt.day, got, tt.want)
		}
		if got.Start().After(d) || !got.Start().Add(184*24*time.Hour).After(d) {
			t.Errorf("ReleaseAt(%s).Start() = %s does not begin the release the day is in", tt.day, got.Start())
		}
	}
}

func TestReleaseCalendar(t *testing.T) {
	t.Parallel()
	if got := nsdist.NoNewTBA.Start(); !got.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("NoNewTBA.Start() = %s, want 1 March 2027", got)
	}
	if !nsdist.LastPassportRelease.SupportsPassport() || (nsdist.Release{Year: 2020, Number: 2}).SupportsPassport() {
		t.Error("SupportsPassport: want 2020.1 yes, 2020.2 no")
	}
	if !nsdist.LastSOAPEndpoint.Before(nsdist.SOAPRemoved) || nsdist.SOAPRemoved.Before(nsdist.NoNewTBA) {
		t.Error("Before: want 2025.2 < 2027.1 < 2028.2")
	}
	if s := nsdist.SOAPRemoved.String(); s != "2028.2" {
		t.Errorf("String() = %q, want 2028.2", s)
	}
	if !(nsdist.Release{}).IsZero() || nsdist.SOAPRemoved.IsZero() {
		t.Error("IsZero")
	}
	// the day SOAP is removed, even the last endpoint is gone
	if got := nsdist.LastSOAPEndpoint.EndpointLifecycle(nsdist.SOAPRemoved.Start()); got != nsdist.EndpointDisabled {
		t.Errorf("2025.2 on %s = %s, want disabled", nsdist.SOAPRemoved.Start(), got)
	}
	if got := nsdist.LastSOAPEndpoint.EndpointLifecycle(nsdist.SOAPRemoved.Start().Add(-time.Hour)); got != nsdist.EndpointSupported {
		t.Errorf("2025.2 the day before 2028.2 = %s, want supported", got)
	}
}
