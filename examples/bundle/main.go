// Command bundle selects the integration records of a built-in demo
// catalog (or of -catalog FILE), prints the bundle plan, and writes an SDF
// SuiteApp project that references them into -out DIR, in SuiteCloud CLI's
// layout: suitecloud.config.js, src/manifest.xml, src/deploy.xml,
// src/Objects/<scriptid>.xml.
//
//	go run ./examples/bundle -out acme-suiteapp
//	cd acme-suiteapp && suitecloud project:deploy
//
// Exit status: 0 written; 1 a rule violation, or -out cannot be written;
// 2 bad flags or a bad catalog file. Flags and -out are checked before the
// plan is printed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/bundle"
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
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: bundle -out DIR [-catalog FILE] [-publisher ID] [-project ID] [-name NAME] [-version X.Y.Z] [-json]

Selects the integration records of a catalog (by default a built-in demo
catalog), prints the bundle plan (what SuiteBundler's Select Objects page
allows, and what the installer will see), and writes an SDF SuiteApp
project that references them into DIR, in SuiteCloud CLI's layout:
suitecloud.config.js, src/manifest.xml, src/deploy.xml,
src/Objects/<scriptid>.xml. Deploy it with: cd DIR && suitecloud project:deploy

Catalog file (-catalog): JSON, {"account": "TSTDRV1234567",
"objects": [{"type": "integration", "script_id": "custinteg_acme_sync",
"internal_id": 101, "name": "Acme Sync", ...}]}; an unknown key is an
error naming its line. No environment variables are read.

Exit status: 0 written; 1 a rule violation or DIR cannot be written;
2 bad flags or a bad catalog.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	// the packages' errors carry their own "bundle: " prefix
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "bundle:", strings.TrimPrefix(err.Error(), "bundle: "))
		return code
	}
	if fs.NArg() > 0 {
		return fail(2, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *out == "" {
		return fail(2, fmt.Errorf("-out DIR is required"))
	}
	// check the flags and the folder before printing anything
	check := &bundle.Project{PublisherID: *publisher, ProjectID: *project, ProjectName: *name, ProjectVersion: *version,
		Objects: []bundle.Object{{Type: bundle.Integrations.SDFType, ScriptID: "custinteg_check"}}}
	if err := check.Validate(); err != nil {
		// name the flags, not the manifest's fields
		msg := strings.NewReplacer("publisherid", "-publisher", "projectid", "-project", "projectname", "-name", "projectversion", "-version",
			"\nbundle: ", "; ", "\n", "; ").Replace(strings.TrimPrefix(err.Error(), "bundle: "))
		return fail(2, errors.New(msg))
	}
	if err := checkOut(*out); err != nil {
		return fail(1, err)
	}
	c, err := loadCatalog(*catalogFile)
	if err != nil {
		return fail(2, err)
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

// checkOut checks that -out is absent or an empty folder, and that a
// folder can be created beside it; the message names -out, not a probe.
func checkOut(dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("-out %s exists and is not empty", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("-out %s: %w", dir, err)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	for p := parent; ; p = filepath.Dir(p) { // the nearest existing ancestor must be writable
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("-out %s: %s is not a folder", dir, p)
			}
			probe, err := os.MkdirTemp(p, ".nsdist-check-*")
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return fmt.Errorf("-out %s: cannot create a folder in %s: %w", dir, p, err)
			}
			return os.Remove(probe)
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
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
	c := bundle.NewCatalog(nsdist.AccountID("TSTDRV1234567"))
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
