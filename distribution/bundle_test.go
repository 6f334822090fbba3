package distribution_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/bundle"
	"github.com/nsdist/nsdist/distribution"
)

func catalog(t *testing.T) *bundle.Catalog {
	t.Helper()
	c := bundle.NewCatalog("TSTDRV1234567")
	for _, o := range []bundle.Object{
		{Type: "integration", ScriptID: "custinteg_acme_sync", Name: "Acme Sync", Integration: &bundle.Integration{TBA: true, TBAAuthFlow: true}},
		{Type: "integration", ScriptID: "custinteg_partner", Name: "Partner", Owner: "654321", Provenance: bundle.FromBundle, FromAccount: "654321"},
	} {
		if err := c.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestBundleDistributor(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	if _, err := distribution.NewBundleDistributor(c, bundle.Selector{Types: []string{"integration"}}, bundle.Options{}, nil); err == nil || !strings.Contains(err.Error(), "custinteg_partner") {
		t.Fatalf("rule violation not refused: %v", err)
	}
	bd, err := distribution.NewBundleDistributor(c, bundle.Selector{ScriptIDs: []string{"custinteg_acme_sync"}}, bundle.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := bd.Distribute(t.Context(), distribution.Target{Account: "123456", RequireApproval: approval.PreferenceRequired})
	if res.Decision.InitialState != approval.StateEnabled || res.Outcome != distribution.OutcomePlanned || !strings.Contains(res.Note, "SuiteBundler has no API") || res.NextStep() == "" || res.Attempts != 0 {
		t.Errorf("bundle result = %+v", res)
	}
	p := &bundle.Project{PublisherID: "com.acme", ProjectID: "acmesync", ProjectName: "Acme Sync", ProjectVersion: "1.0.0"}
	sd, err := distribution.NewBundleDistributor(c, bundle.Selector{ScriptIDs: []string{"custinteg_acme_sync"}}, bundle.Options{}, p)
	if err != nil {
		t.Fatal(err)
	}
	res = sd.Distribute(t.Context(), distribution.Target{Account: nsdist.AccountID("123456_SB1")})
	if res.Channel != approval.ChannelSDF || res.Decision.InitialState != approval.StateUnknown || !strings.Contains(res.Explanation.Sentence, "does not give") {
		t.Errorf("sdf result = %+v", res)
	}
	dir := filepath.Join(t.TempDir(), "app")
	if err := sd.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "src", "Objects", "custinteg_acme_sync.xml")); err != nil {
		t.Error(err)
	}
	if r := bd.Distribute(t.Context(), distribution.Target{Account: "bad id"}); r.Outcome != "misconfigured" {
		t.Errorf("bad account: %+v", r.Outcome)
	}
}
