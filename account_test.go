package nsdist_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nsdist/nsdist"
)

func TestParseAccountID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, host, prod string
		sandbox              bool
		wantErr              bool
	}{
		{in: "123456", want: "123456", host: "123456", prod: "123456"},
		{in: "123456_SB1", want: "123456_SB1", host: "123456-sb1", prod: "123456", sandbox: true},
		{in: "123456-sb1", want: "123456_SB1", host: "123456-sb1", prod: "123456", sandbox: true},
		{in: "123456_sb12", want: "123456_SB12", host: "123456-sb12", prod: "123456", sandbox: true},
		{in: "tstdrv1234567", want: "TSTDRV1234567", host: "tstdrv1234567", prod: "TSTDRV1234567"},
		{in: " 7654321 ", want: "7654321", host: "7654321", prod: "7654321"},
		{in: "", wantErr: true},
		{in: "123456_SB", wantErr: true},
		{in: "123456_RP", wantErr: true},
		{in: "12-34", wantErr: true},
		{in: "ABC", wantErr: true},
		{in: "123 456", wantErr: true},
		{in: "123456.suitetalk.api.netsuite.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			a, err := nsdist.ParseAccountID(tt.in)
			if tt.wantErr {
				if !errors.Is(err, nsdist.ErrInvalidAccountID) {
					t.Fatalf("ParseAccountID(%q) error = %v, want ErrInvalidAccountID", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAccountID(%q): %v", tt.in, err)
			}
			got := []any{string(a), a.HostID(), string(a.Production()), a.IsSandbox(), a.SuiteTalkHost()}
			want := []any{tt.want, tt.host, tt.prod, tt.sandbox, tt.host + ".suitetalk.api.netsuite.com"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseAccountID(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
	if err := nsdist.AccountID("123456_sb1").Validate(); err == nil {
		t.Error("Validate accepted a non-canonical id")
	}
}

func FuzzParseAccountID(f *testing.F) {
	for _, s := range []string{"123456", "123456-sb1", "TSTDRV1", "_SB1", "a_b_c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := nsdist.ParseAccountID(s)
		if err != nil {
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("ParseAccountID(%q) = %q, which does not validate: %v", s, a, err)
		}
		b, err := nsdist.ParseAccountID(a.HostID())
		if err != nil || b != a {
			t.Fatalf("host form %q of %q does not parse back: %q, %v", a.HostID(), a, b, err)
		}
	})
}
