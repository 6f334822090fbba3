package soap_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/soap"
)

func TestParseVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"2025_2", "2025_2", false},
		{"2025.2", "2025_2", false},
		{"v2025_2_0", "2025_2", false},
		{"NetSuitePort_2017_1", "2017_1", false},
		{" 2020.1 ", "2020_1", false},
		{"2016_2", "", true},
		{"2026_1", "", true},
		{"2025_3", "", true},
		{"2025", "", true},
		{"v2025_2_1", "", true},
		{"", "", true},
		{"abcd_1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			v, err := soap.ParseVersion(tt.in)
			if tt.wantErr {
				if !errors.Is(err, soap.ErrInvalidVersion) {
					t.Fatalf("ParseVersion(%q) error = %v, want ErrInvalidVersion", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseVersion(%q): %v", tt.in, err)
			}
			if got := v.String(); got != tt.want {
				t.Errorf("ParseVersion(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestVersionNamespacesAndSupport(t *testing.T) {
	t.Parallel()
	v := soap.MustParseVersion("2023_2")
	got := []string{v.MessagesNS(), v.CoreNS(), v.CoreTypesNS(), v.FaultsNS(), v.FaultTypesNS(), v.CommonNS(), v.Path(), v.Release().String()}
	want := []string{
		"urn:messages_2023_2.platform.webservices.netsuite.com",
		"urn:core_2023_2.platform.webservices.netsuite.com",
		"urn:types.core_2023_2.platform.webservices.netsuite.com",
		"urn:faults_2023_2.platform.webservices.netsuite.com",
		"urn:types.faults_2023_2.platform.webservices.netsuite.com",
		"urn:common_2023_2.platform.webservices.netsuite.com",
		"/services/NetSuitePort_2023_2",
		"2023.2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("namespaces mismatch (-want +got):\n%s", diff)
	}
	if n := len(soap.Versions()); n != 18 {
		t.Errorf("len(Versions()) = %d, want 18 (2017_1..2025_2)", n)
	}
	support := []struct {
		v        string
		passport bool
		gov      bool
	}{{"2017_1", true, false}, {"2019_2", true, false}, {"2020_1", true, true}, {"2020_2", false, true}, {"2025_2", false, true}}
	for _, s := range support {
		v := soap.MustParseVersion(s.v)
		if v.SupportsPassport() != s.passport || v.Supports(soap.OpLogin) != s.passport || v.Supports(soap.OpLogout) != s.passport {
			t.Errorf("%s: passport/login support = %v, want %v", s.v, v.SupportsPassport(), s.passport)
		}
		if v.Supports(soap.OpGetAccountGovernanceInfo) != s.gov || v.Supports(soap.OpGetIntegrationGovernanceInfo) != s.gov {
			t.Errorf("%s: governance support = %v, want %v", s.v, v.Supports(soap.OpGetAccountGovernanceInfo), s.gov)
		}
		if !v.SupportsTBA() || !v.Supports(soap.OpGetServerTime) || !v.Supports(soap.OpGetDataCenterUrls) {
			t.Errorf("%s: want TBA, getServerTime and getDataCenterUrls", s.v)
		}
	}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		v, date string
		want    nsdist.EndpointLifecycle
	}{
		{"2025_2", "2026-11-26", nsdist.EndpointSupported},
		{"2024_1", "2026-11-26", nsdist.EndpointSupported},
		{"2023_2", "2026-11-26", nsdist.EndpointUnsupported},
		{"2020_1", "2026-11-26", nsdist.EndpointUnsupported},
		{"2019_2", "2026-11-26", nsdist.EndpointDisabled},
		{"2019_2", "2026-02-28", nsdist.EndpointUnsupported},
		{"2017_2", "2025-10-01", nsdist.EndpointDisabled},
		{"2023_1", "2025-10-01", nsdist.EndpointSupported},
		{"2023_1", "2026-03-01", nsdist.EndpointUnsupported},
		{"2024_1", "2027-03-01", nsdist.EndpointUnsupported},
		{"2025_1", "2027-08-31", nsdist.EndpointSupported},
		{"2025_1", "2027-09-01", nsdist.EndpointUnsupported},
		{"2021_1", "2028-03-01", nsdist.EndpointDisabled},
		{"2025_2", "2028-08-31", nsdist.EndpointSupported},
		{"2025_2", "2028-09-01", nsdist.EndpointDisabled},
		{"2025_2", "2031-01-01", nsdist.EndpointDisabled},
		{"2025_2", "2024-05-01", nsdist.EndpointUnreleased},
		{"2020_2", "2027-08-31", nsdist.EndpointUnsupported},
		{"2020_2", "2027-09-01", nsdist.EndpointDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.v+"@"+tt.date, func(t *testing.T) {
			t.Parallel()
			if got := soap.MustParseVersion(tt.v).Lifecycle(day(tt.date)); got != tt.want {
				t.Errorf("%s.Lifecycle(%s) = %v, want %v", tt.v, tt.date, got, tt.want)
			}
		})
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"2025_2", "2025.2", "v2025_2_0", "NetSuitePort_2017_1", "9999_9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := soap.ParseVersion(s)
		if err != nil {
			return
		}
		w, err := soap.ParseVersion(v.String())
		if err != nil || w != v {
			t.Fatalf("ParseVersion(%q) = %s does not round-trip: %v", s, v, err)
		}
	})
}
