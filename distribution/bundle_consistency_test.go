package distribution_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/bundle"
	"github.com/nsdist/nsdist/distribution"
)

// TestBundleConsistency: BundleDistributor.Distribute answers what
// approval.Evaluate decides, and the bundle rules and approval agree on
// which records a bundle (copy) or SuiteApp may carry.
func TestBundleConsistency(t *testing.T) {
	t.Parallel()
	c := bundle.NewCatalog("TSTDRV1234567")
	for _, o := range []bundle.Object{
		{Type: "integration", ScriptID: "custinteg_own", Name: "Own", Integration: &bundle.Integration{TBA: true, TBAAuthFlow: true}},
		{Type: "integration", ScriptID: "custinteg_bc", Name: "ByCopy", Owner: "654321", Provenance: bundle.BundleCopy, FromAccount: "654321"},
		{Type: "integration", ScriptID: "custinteg_fb", Name: "FromBundle", Owner: "654321", Provenance: bundle.FromBundle, FromAccount: "654321"},
	} {
		if err := c.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	lower, err := bundle.LoadCatalogJSON(strings.NewReader(`{"account":"tstdrv1234567","objects":[{"type":"integration","script_id":"custinteg_own","name":"Own","owner":"tstdrv1234567"}]}`), "cat.json")
	if err != nil {
		t.Fatal(err)
	}
	project := func() *bundle.Project {
		return &bundle.Project{PublisherID: "com.acme", ProjectID: "acmesync", ProjectName: "Acme Sync", ProjectVersion: "1.0.0"}
	}
	copyOpt := bundle.Options{BundleCopy: true}
	tests := []struct {
		name    string
		cat     *bundle.Catalog
		ids     []string
		opt     bundle.Options
		sdf     bool
		target  nsdist.AccountID
		newErr  error    // the constructor's refusal
		blocked []string // blocking codes; nil: planned
	}{
		{"own record, bundle elsewhere", c, []string{"custinteg_own"}, bundle.Options{}, false, "123456", nil, nil},
		{"own record, bundle into the owner", c, []string{"custinteg_own"}, bundle.Options{}, false, "TSTDRV1234567", nil, []string{"target_is_owner"}},
		{"own record, SDF into the owner", c, []string{"custinteg_own"}, bundle.Options{}, true, "TSTDRV1234567", nil, []string{"target_is_owner"}},
		{"bundle-copy record in a bundle copy", c, []string{"custinteg_bc"}, copyOpt, false, "123456", nil, nil},
		{"from-bundle record in a bundle copy", c, []string{"custinteg_fb"}, copyOpt, false, "123456", nil, nil},
		{"bundle-copy record in a bundle copy, into its owner", c, []string{"custinteg_bc"}, copyOpt, false, "654321", nil, []string{"target_is_owner"}},
		{"from-bundle record in a bundle copy, into its owner", c, []string{"custinteg_fb"}, copyOpt, false, "654321", nil, []string{"target_is_owner"}},
		{"from-bundle record in a bundle copy, into the source", c, []string{"custinteg_fb"}, copyOpt, false, "TSTDRV1234567", nil, []string{"target_is_source"}},
		{"from-bundle record, SDF with bundle copy", c, []string{"custinteg_fb"}, copyOpt, true, "123456", bundle.ErrBundleCopySDF, nil},
		{"own record, SDF with bundle copy", c, []string{"custinteg_own"}, copyOpt, true, "123456", bundle.ErrBundleCopySDF, nil},
		{"lower-case catalog, own record elsewhere", lower, []string{"custinteg_own"}, bundle.Options{}, false, "123456", nil, nil},
		{"lower-case catalog, own record into the owner", lower, []string{"custinteg_own"}, bundle.Options{}, true, "TSTDRV1234567", nil, []string{"target_is_owner"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var p *bundle.Project
			if tt.sdf {
				p = project()
			}
			bd, err := distribution.NewBundleDistributor(tt.cat, bundle.Selector{ScriptIDs: tt.ids}, tt.opt, p)
			if tt.newErr != nil {
				if !errors.Is(err, tt.newErr) {
					t.Fatalf("NewBundleDistributor = %v, want %v", err, tt.newErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res := bd.Distribute(t.Context(), distribution.Target{Account: tt.target, RequireApproval: approval.PreferenceRequired})
			var got []string
			for _, r := range res.Decision.Blocking {
				got = append(got, r.Code)
			}
			if diff := cmp.Diff(tt.blocked, got); diff != "" {
				t.Errorf("blocking codes (-want +got):\n%s", diff)
			}
			if res.Decision.Allowed != (tt.blocked == nil) {
				t.Errorf("Decision.Allowed = %v", res.Decision.Allowed)
			}
			if tt.blocked == nil {
				if res.Outcome != distribution.OutcomePlanned || res.Err != nil {
					t.Errorf("outcome %s, err %v; want planned", res.Outcome, res.Err)
				}
				return
			}
			var pre *distribution.PreflightError
			if res.Outcome != distribution.OutcomeMisconfigured || !errors.As(res.Err, &pre) || !errors.Is(res.Err, distribution.ErrPreflight) {
				t.Fatalf("outcome %s, err %v; want misconfigured with a PreflightError", res.Outcome, res.Err)
			}
			if pre.Account != tt.target || len(pre.Reasons) != len(tt.blocked) || pre.Reasons[0].Code != tt.blocked[0] {
				t.Errorf("PreflightError = %+v", pre)
			}
			if res.Explanation.Kind != approval.Misconfigured || !strings.HasPrefix(res.Explanation.Sentence, "not planned: ") ||
				!strings.Contains(res.Explanation.Sentence, string(tt.target)) || res.Explanation.NextStep == "" || res.Decision.InitialState != approval.StateNone {
				t.Errorf("explanation = %+v, state %s", res.Explanation, res.Decision.InitialState)
			}
			if err := res.Decision.Consistent(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestBundleConsistencyMixed: one blocked record among several blocks the
// target; the reasons name the record and Decision is the blocked one.
func TestBundleConsistencyMixed(t *testing.T) {
	t.Parallel()
	c := bundle.NewCatalog("TSTDRV1234567")
	for _, o := range []bundle.Object{
		{Type: "integration", ScriptID: "custinteg_own", Name: "Own"},
		{Type: "integration", ScriptID: "custinteg_fb", Name: "FromBundle", Owner: "654321", Provenance: bundle.FromBundle, FromAccount: "654321"},
	} {
		if err := c.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	bd, err := distribution.NewBundleDistributor(c, bundle.Selector{}, bundle.Options{BundleCopy: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := bd.Distribute(t.Context(), distribution.Target{Account: "654321"})
	var pre *distribution.PreflightError
	if res.Outcome != distribution.OutcomeMisconfigured || !errors.As(res.Err, &pre) {
		t.Fatalf("outcome %s, err %v", res.Outcome, res.Err)
	}
	if len(pre.Reasons) != 1 || pre.Reasons[0].Code != "target_is_owner" || !strings.HasPrefix(pre.Reasons[0].Text, "custinteg_fb: ") {
		t.Errorf("reasons = %+v", pre.Reasons)
	}
	if res.Decision.Allowed || res.Decision.Input.Record.Name != "FromBundle" {
		t.Errorf("decision = %+v", res.Decision)
	}
	if ok := bd.Distribute(t.Context(), distribution.Target{Account: "123456"}); ok.Outcome != distribution.OutcomePlanned || ok.Err != nil || !ok.Decision.Allowed {
		t.Errorf("elsewhere: %s %v", ok.Outcome, ok.Err)
	}
}
