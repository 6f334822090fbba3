package nstest_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/distribution/nstest"
)

// TestBearerRefusalOrigin: a Bearer token of a Blocked record is refused
// with IntegrationBlocked, which Oracle documents; the same value for a
// record Waiting for Approval is the fake's inference and marked so.
func TestBearerRefusalOrigin(t *testing.T) {
	t.Parallel()
	type got struct {
		Status int
		Value  string
		Origin nstest.DetailOrigin
	}
	tests := []struct {
		name            string
		requireApproval bool
		block           bool
		want            got
	}{
		{"Enabled", false, false, got{http.StatusOK, "", ""}},
		{"Blocked", false, true, got{http.StatusUnauthorized, "IntegrationBlocked", nstest.DetailDocumented}},
		{"Waiting for Approval", true, false, got{http.StatusUnauthorized, "IntegrationBlocked", nstest.DetailInferred}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newO2(t, tt.requireApproval)
			in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
			access, _ := f.tokens(t, in)
			if tt.block {
				if err := f.cust.Block(in.ApplicationID); err != nil {
					t.Fatal(err)
				}
			}
			st := f.time(t, access)
			a := lastAudit(t, f.cust)
			if diff := cmp.Diff(tt.want, got{st, a.Value(), a.Origin}); diff != "" {
				t.Errorf("serverTime with the Bearer token (-want +got):\n%s", diff)
			}
		})
	}
}
