// Package bundle does by hand-rule what SuiteBundler's Select Objects page
// leaves to people: it picks integration records (and other customization
// objects) from a catalog, enforces the rules that make a bundle fail or
// surprise its installer, says what the installer will see, and writes the
// modern equivalent, an SDF SuiteApp project that references the records,
// which a vendor deploys with SuiteCloud CLI.
//
// SuiteBundler has no API: nsdist never presses its buttons.
//
//	c := bundle.NewCatalog("TSTDRV1234567")
//	c.Add(bundle.Object{Type: "integration", ScriptID: "custinteg_acme_sync", Name: "Acme Sync"})
//	objs, _ := c.Select(bundle.Selector{Types: []string{"integration"}})
//	plan := c.NewPlan(objs, bundle.Options{})
//	fmt.Print(plan.Text())
//	p := &bundle.Project{PublisherID: "com.acme", ProjectID: "acmesync", ProjectName: "Acme Sync", ProjectVersion: "1.0.0", Objects: objs}
//	err := p.WriteDir("acme-suiteapp")
//
// The rules (section_4389835426, section_4853873261): only the owner can
// bundle a record; a record that arrived in someone else's bundle cannot
// be re-bundled unless this is a bundle copy; a record updated by Replace
// Existing Object cannot be distributed; a Release Preview account bundles
// only for Release Preview targets. An SDF integration object has a
// scriptid attribute (prefix custinteg, at most 99 characters, equal to its
// file name) and no fields (SDFxml_3719392610, subsect_1537555588,
// section_160079429000).
package bundle
