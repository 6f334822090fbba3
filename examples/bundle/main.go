// Command bundle selects the integration records of a built-in demo
// catalog (or of -catalog FILE), prints the bundle plan, and writes an SDF
// SuiteApp project that references them into -out DIR, in SuiteCloud CLI's
// layout: suitecloud.config.js, src/manifest.xml, src/deploy.xml,
// src/Objects/<scriptid>.xml.
//
//	go run ./examples/bundle -out acme-suiteapp
//	cd acme-suiteapp && suitecloud project:deploy
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/nsdist/nsdist/bundle"
	"github.com/nsdist/nsdist/soap"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bundle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "folder to write the SDF SuiteApp project into (must not exist or be empty)")
	catalogFile := fs.String("catalog", "", "catalog JSON (default: a built-in demo catalog)")
	publisher := fs.String("publisher", "com.acme", "SuiteApp publisher id")
	project := fs.String("project", "acmesync", "SuiteApp project id")
	name := fs.String("name", "Acme Sync", "SuiteApp project name")
	version := fs.String("version", "1.0.0", "SuiteApp version (x.y.z)")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, err error) int { fmt.Fprintln(stderr, "bundle:", err); return code }
	if *out == "" {
		return fail(2, fmt.Errorf("-out DIR is required"))
	}
	c, err := loadCatalog(*catalogFile)
	if err != nil {
		return fail(1, err)
	}
	objs, err := c.Select(bundle.Selector{Types: []string{bundle.Integrations.SDFType}})
	if err != nil {
		return fail(1, err)
	}
	plan := c.NewPlan(objs, bundle.Options{})
	if *asJSON {
		b, err := plan.JSON()
		if err != nil {
			return fail(1, err)
		}
		stdout.Write(b) //nolint:errcheck
	} else {
		fmt.Fprint(stdout, plan.Text())
	}
	if !plan.OK() {
		return fail(1, fmt.Errorf("%d rule violation(s); nothing written", len(plan.Violations)))
	}
	p := &bundle.Project{PublisherID: *publisher, ProjectID: *project, ProjectName: *name, ProjectVersion: *version, Objects: objs}
	if err := p.WriteDir(*out); err != nil {
		return fail(1, err)
	}
	fmt.Fprintf(stderr, "wrote SuiteApp %s to %s (deploy with: cd %s && suitecloud project:deploy)\n", p.AppID(), *out, *out)
	return 0
}

func loadCatalog(path string) (*bundle.Catalog, error) {
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer func() { _ = f.Close() }() // read-only
		return bundle.LoadCatalogJSON(f, path)
	}
	c := bundle.NewCatalog(soap.AccountID("TSTDRV1234567"))
	for _, o := range []bundle.Object{
		{Type: "integration", ScriptID: "custinteg_acme_sync", InternalID: 101, Name: "Acme Sync", Integration: &bundle.Integration{TBA: true, TBAAuthFlow: true, ApplicationIDVisible: true}},
		{Type: "integration", ScriptID: "custinteg_acme_reports", InternalID: 102, Name: "Acme Reports", Integration: &bundle.Integration{TBA: true, TBAIssueToken: true, ApplicationIDVisible: true}},
		{Type: "customrecordtype", ScriptID: "customrecord_acme_log", InternalID: 201, Name: "Acme Log"},
	} {
		if err := c.Add(o); err != nil {
			return nil, err
		}
	}
	return c, nil
}
