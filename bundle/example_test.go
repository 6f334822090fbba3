package bundle_test

import (
	"fmt"

	"github.com/nsdist/nsdist/bundle"
)

// Select Objects as SuiteBundler's page does (Integrations > Integrations,
// active and inactive records), then the rules: a record that came in
// someone else's bundle cannot be bundled again.
func ExampleCatalog_NewPlan() {
	c := bundle.NewCatalog("TSTDRV1234567")
	c.Add(bundle.Object{Type: "integration", ScriptID: "custinteg_acme_sync", InternalID: 101, Name: "Acme Sync",
		Integration: &bundle.Integration{TBA: true, TBAAuthFlow: true}})
	c.Add(bundle.Object{Type: "integration", ScriptID: "custinteg_partner_tool", InternalID: 103, Name: "Partner Tool",
		Owner: "654321", Provenance: bundle.FromBundle, FromBundle: "42", FromAccount: "654321"})

	objs, _ := c.Select(bundle.Selector{Types: []string{"integration"}})
	plan := c.NewPlan(objs, bundle.Options{})
	fmt.Println(len(objs), "selected; ok:", plan.OK())
	for _, v := range plan.Violations {
		fmt.Println(v.ScriptID, v.Rule)
	}
	objs, _ = c.Select(bundle.Selector{ScriptIDs: []string{"custinteg_acme_sync"}})
	fmt.Println("Acme Sync alone ok:", c.NewPlan(objs, bundle.Options{}).OK())
	// Output:
	// 2 selected; ok: false
	// custinteg_partner_tool rebundle
	// Acme Sync alone ok: true
}
