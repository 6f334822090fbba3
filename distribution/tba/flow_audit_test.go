package tba_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap/soaptest"
)

// TestFlowRefusalAudited: when the access-token step is refused because
// the record was Blocked or TBA was switched off after the consent, the
// client gets Oracle's code and the account's Login Audit Trail records it
// as a documented Detail (subsect_156934879823).
func TestFlowRefusalAudited(t *testing.T) {
	t.Parallel()
	type got struct {
		Code, Detail string
		Origin       soaptest.DetailOrigin
	}
	tests := []struct {
		name  string
		apply func(e *env)
		want  got
	}{
		{"Blocked", func(e *env) { _ = e.customer.Block(e.rec.ApplicationID) }, got{"IntegrationBlocked", "IntegrationBlocked", soaptest.DetailDocumented}},
		{"TBA off", func(e *env) { e.customer.SetFeatures(true, false) }, got{"FeatureDisabled", "FeatureDisabled", soaptest.DetailDocumented}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb := "https://app.acme.example/netsuite/callback"
			e := setup(t, false, soaptest.IntegrationSpec{})
			if _, err := e.fake.Connect("123456_SB1", e.rec); err != nil {
				t.Fatal(err)
			}
			rt, err := e.client.RequestToken(t.Context(), "", e.consumer, cb, "")
			if err != nil {
				t.Fatal(err)
			}
			c, err := tba.ParseCallback(e.consent(t, tba.AuthorizeURL("", rt.ID, "s"), "allow", "pw"), "s")
			if err != nil {
				t.Fatal(err)
			}
			tt.apply(e)
			before := len(e.customer.LoginAudit())
			_, err = e.client.AccessToken(t.Context(), e.consumer, rt, c)
			var fe *tba.FlowError
			if !errors.As(err, &fe) {
				t.Fatalf("AccessToken = %v, want a *tba.FlowError", err)
			}
			log := e.customer.LoginAudit()
			if len(log) != before+1 {
				t.Fatalf("%d audit entries added, want 1", len(log)-before)
			}
			last := log[len(log)-1]
			if diff := cmp.Diff(tt.want, got{fe.Code, last.Value(), last.Origin}); diff != "" {
				t.Errorf("refusal (-want +got):\n%s", diff)
			}
		})
	}
}
