package bundle_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/bundle"
)

var update = flag.Bool("update", false, "rewrite golden files")

func demo(t *testing.T) *bundle.Catalog {
	t.Helper()
	c := bundle.NewCatalog("TSTDRV1234567")
	for _, o := range []bundle.Object{
		{Type: "integration", ScriptID: "custinteg_acme_sync", InternalID: 101, Name: "Acme Sync", Integration: &bundle.Integration{TBA: true, TBAAuthFlow: true, ApplicationIDVisible: true}},
		{Type: "integration", ScriptID: "custinteg_acme_legacy", InternalID: 102, Name: "Acme Legacy", Integration: &bundle.Integration{State: nsdist.StateBlocked, UserCredentials: true, ApplicationIDVisible: true}},
		{Type: "integration", ScriptID: "custinteg_partner_tool", InternalID: 103, Name: "Partner Tool", Owner: "654321", Provenance: bundle.FromBundle, FromBundle: "42", FromAccount: "654321"},
		{Type: "integration", ScriptID: "custinteg_replaced", InternalID: 104, Name: "Replaced One", Provenance: bundle.ReplacedExisting, Owner: "TSTDRV1234567"},
		{Type: "integration", ScriptID: "custinteg_auto", InternalID: 105, Name: "Auto Installed", Owner: "777777", Provenance: bundle.AutoInstalled},
		{Type: "customrecordtype", ScriptID: "customrecord_acme_log", InternalID: 201, Name: "Acme Log"},
	} {
		if err := c.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func ids(objs []bundle.Object) []string {
	out := []string{}
	for _, o := range objs {
		out = append(out, o.ScriptID)
	}
	return out
}

func TestSelect(t *testing.T) {
	t.Parallel()
	c := demo(t)
	tests := []struct {
		name string
		sel  bundle.Selector
		want []string
	}{
		{"all, integrations first", bundle.Selector{}, []string{"custinteg_acme_legacy", "custinteg_acme_sync", "custinteg_auto", "custinteg_partner_tool", "custinteg_replaced", "customrecord_acme_log"}},
		{"integrations only", bundle.Selector{Types: []string{"integration"}, Names: []string{"Acme*"}}, []string{"custinteg_acme_legacy", "custinteg_acme_sync"}},
		{"active only (Blocked counts as inactive)", bundle.Selector{Types: []string{"integration"}, Names: []string{"Acme*"}, Show: "active"}, []string{"custinteg_acme_sync"}},
		{"inactive only", bundle.Selector{Show: "inactive"}, []string{"custinteg_acme_legacy"}},
		{"by id", bundle.Selector{ScriptIDs: []string{"customrecord_acme_log", "custinteg_acme_sync"}}, []string{"custinteg_acme_sync", "customrecord_acme_log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Select(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("Select mismatch (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []bundle.Selector{{Types: []string{"workflow"}}, {Show: "some"}, {Names: []string{"["}}, {ScriptIDs: []string{"custinteg_nope"}}} {
		if _, err := c.Select(bad); err == nil {
			t.Errorf("Select(%+v) accepted", bad)
		}
	}
	tree := c.Tree()
	if tree[0].Category != "Integrations" || tree[0].Types[0].Path() != "Integrations > Integrations" || len(tree) != 3 {
		t.Errorf("tree = %+v", tree)
	}
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	c := demo(t)
	all, _ := c.Select(bundle.Selector{Types: []string{"integration"}})
	rules := func(vs []bundle.Violation) []string {
		out := []string{}
		for _, v := range vs {
			out = append(out, v.ScriptID+":"+v.Rule)
		}
		return out
	}
	want := []string{"custinteg_auto:not_owner", "custinteg_partner_tool:rebundle", "custinteg_replaced:replace_existing_object"}
	if diff := cmp.Diff(want, rules(c.Validate(all, bundle.Options{}))); diff != "" {
		t.Errorf("violations mismatch (-want +got):\n%s", diff)
	}
	// a bundle copy may include the record from someone else's bundle
	want = []string{"custinteg_auto:not_owner", "custinteg_replaced:replace_existing_object"}
	if diff := cmp.Diff(want, rules(c.Validate(all, bundle.Options{BundleCopy: true}))); diff != "" {
		t.Errorf("bundle copy violations mismatch (-want +got):\n%s", diff)
	}
	// The owner rule on its own: only a record the source created, with no
	// other owner named, is the source's (section_4389835426).
	owner := []struct {
		name string
		obj  bundle.Object
		opt  bundle.Options
		want []string
	}{
		{"created here", bundle.Object{Provenance: bundle.Created}, bundle.Options{}, []string{}},
		{"created, owner named as the source", bundle.Object{Provenance: bundle.Created, Owner: "TSTDRV1234567"}, bundle.Options{}, []string{}},
		{"created, another owner named", bundle.Object{Provenance: bundle.Created, Owner: "654321"}, bundle.Options{}, []string{"not_owner"}},
		{"auto-installed, owner unknown", bundle.Object{Provenance: bundle.AutoInstalled}, bundle.Options{}, []string{"not_owner"}},
		{"auto-installed, in a bundle copy", bundle.Object{Provenance: bundle.AutoInstalled, Owner: "654321"}, bundle.Options{BundleCopy: true}, []string{"not_owner"}},
		{"arrived by bundle copy, another owner", bundle.Object{Provenance: bundle.BundleCopy, Owner: "654321"}, bundle.Options{}, []string{"not_owner"}},
		{"arrived by bundle copy, owner unknown", bundle.Object{Provenance: bundle.BundleCopy}, bundle.Options{}, []string{"not_owner"}},
		{"arrived by bundle copy, bundled as a copy", bundle.Object{Provenance: bundle.BundleCopy, Owner: "654321"}, bundle.Options{BundleCopy: true}, []string{}},
		{"from a bundle, bundled as a copy", bundle.Object{Provenance: bundle.FromBundle, Owner: "654321"}, bundle.Options{BundleCopy: true}, []string{}},
		{"replaced existing: its own rule only", bundle.Object{Provenance: bundle.ReplacedExisting, Owner: "TSTDRV1234567"}, bundle.Options{}, []string{"replace_existing_object"}},
	}
	for _, tt := range owner {
		o := tt.obj
		o.Type, o.ScriptID, o.Name = "integration", "custinteg_x", tt.name
		got := []string{}
		for _, v := range c.Validate([]bundle.Object{o}, tt.opt) {
			got = append(got, v.Rule)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Validate(%s) mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
	c.ReleasePreview = true
	sync, _ := c.Select(bundle.Selector{ScriptIDs: []string{"custinteg_acme_sync"}})
	if got := rules(c.Validate(sync, bundle.Options{})); len(got) != 1 || got[0] != "custinteg_acme_sync:release_preview_source" {
		t.Errorf("release preview: %v", got)
	}
	if got := c.Validate(sync, bundle.Options{TargetReleasePreview: true}); len(got) != 0 {
		t.Errorf("release preview to release preview: %v", got)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./bundle -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestPlanGolden(t *testing.T) {
	t.Parallel()
	c := demo(t)
	objs, _ := c.Select(bundle.Selector{Types: []string{"integration"}})
	p := c.NewPlan(objs, bundle.Options{})
	if p.OK() {
		t.Error("plan with violations reports OK")
	}
	golden(t, "plan.txt", []byte(p.Text()))
	js, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.json", js)
	again, _ := c.NewPlan(objs, bundle.Options{}).JSON()
	if string(again) != string(js) {
		t.Error("plan JSON is not deterministic")
	}
}

func project(objs []bundle.Object) *bundle.Project {
	return &bundle.Project{PublisherID: "com.acme", ProjectID: "acmesync", ProjectName: "Acme Sync & Co", ProjectVersion: "1.0.0", Objects: objs}
}

func TestSDFRoundTrip(t *testing.T) {
	t.Parallel()
	c := demo(t)
	objs, _ := c.Select(bundle.Selector{ScriptIDs: []string{"custinteg_acme_sync", "custinteg_acme_legacy"}})
	p := project(objs)
	files, err := p.Render()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(files["src/Objects/custinteg_acme_sync.xml"]); got != "<integration scriptid=\"custinteg_acme_sync\"></integration>\n" {
		t.Errorf("object file = %q", got)
	}
	if d := string(files["src/deploy.xml"]); !strings.Contains(d, "<path>~/Objects/*</path>") || strings.Contains(d, "FileCabinet") {
		t.Errorf("deploy.xml = %s", d)
	}
	if m := string(files["src/manifest.xml"]); !strings.Contains(m, `<manifest projecttype="SUITEAPP">`) || !strings.Contains(m, "Acme Sync &amp; Co") || !strings.Contains(m, "<frameworkversion>1.0</frameworkversion>") {
		t.Errorf("manifest = %s", m)
	}
	if !strings.Contains(string(files["suitecloud.config.js"]), `defaultProjectFolder: "src"`) {
		t.Error("suitecloud.config.js does not name src")
	}
	mfs := fstest.MapFS{}
	for n, b := range files {
		mfs[n] = &fstest.MapFile{Data: b}
	}
	back, err := bundle.ReadProject(mfs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"custinteg_acme_legacy", "custinteg_acme_sync"}, ids(back.Objects)); diff != "" || back.ProjectName != "Acme Sync & Co" || back.AppID() != "com.acme.acmesync" {
		t.Errorf("round trip: %+v %s", back, diff)
	}
	dir := filepath.Join(t.TempDir(), "out")
	p.Files = map[string][]byte{"readme.txt": []byte("hi")}
	if err := p.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	d, _ := os.ReadFile(filepath.Join(dir, "src", "deploy.xml"))
	if !strings.Contains(string(d), "~/FileCabinet/SuiteApps/com.acme.acmesync/*") {
		t.Errorf("deploy.xml with files = %s", d)
	}
	cat, proj, err := bundle.CatalogFromProject(os.DirFS(dir), "TSTDRV1234567")
	if err != nil || len(cat.Objects()) != 2 || proj.ProjectID != "acmesync" {
		t.Errorf("CatalogFromProject: %v %v", cat, err)
	}
	if err := p.WriteDir(dir); err == nil {
		t.Error("WriteDir overwrote a non-empty folder")
	}
}

func TestSDFRefusals(t *testing.T) {
	t.Parallel()
	integ := func(id string) bundle.Object { return bundle.Object{Type: "integration", ScriptID: id} }
	tests := []struct {
		name string
		p    *bundle.Project
		want error
	}{
		{"wrong prefix", project([]bundle.Object{integ("customscript_x")}), bundle.ErrScriptID},
		{"upper case", project([]bundle.Object{integ("custinteg_X")}), bundle.ErrScriptID},
		{"too long", project([]bundle.Object{integ("custinteg_" + strings.Repeat("a", 90))}), bundle.ErrScriptID},
		{"duplicate", project([]bundle.Object{integ("custinteg_a"), integ("custinteg_a")}), bundle.ErrDuplicate},
		{"not an integration", project([]bundle.Object{{Type: "customrecordtype", ScriptID: "customrecord_x"}}), bundle.ErrUnknownType},
		{"bad publisher", &bundle.Project{PublisherID: "Acme", ProjectID: "x", ProjectName: "x", ProjectVersion: "1.0.0", Objects: []bundle.Object{integ("custinteg_a")}}, bundle.ErrInvalidValue},
		{"bad version", &bundle.Project{PublisherID: "com.acme", ProjectID: "x", ProjectName: "x", ProjectVersion: "1.0", Objects: []bundle.Object{integ("custinteg_a")}}, bundle.ErrInvalidValue},
		{"empty", project(nil), bundle.ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "out")
			if err := tt.p.WriteDir(dir); !errors.Is(err, tt.want) {
				t.Errorf("WriteDir error = %v, want %v", err, tt.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Error("a refused project left files behind")
			}
			entries, _ := os.ReadDir(filepath.Dir(dir))
			if len(entries) != 0 {
				t.Errorf("temporary files left: %v", entries)
			}
		})
	}
}

func TestReadProjectBadInput(t *testing.T) {
	t.Parallel()
	manifest := &fstest.MapFile{Data: []byte(`<manifest projecttype="SUITEAPP"><publisherid>com.a</publisherid><projectid>b</projectid><projectname>B</projectname><projectversion>1.0.0</projectversion><frameworkversion>1.0</frameworkversion></manifest>`)}
	tests := []struct {
		name  string
		fs    fstest.MapFS
		want  error
		where string
	}{
		{"missing manifest", fstest.MapFS{"src/Objects/custinteg_a.xml": {Data: []byte(`<integration scriptid="custinteg_a"/>`)}}, bundle.ErrNoManifest, ""},
		{"malformed manifest", fstest.MapFS{"src/manifest.xml": {Data: []byte("<manifest>\n<publisherid>")}}, bundle.ErrMalformed, "src/manifest.xml: line 2"},
		{"file name mismatch", fstest.MapFS{"src/manifest.xml": manifest, "src/Objects/custinteg_a.xml": {Data: []byte(`<integration scriptid="custinteg_b"></integration>`)}}, bundle.ErrScriptID, "src/Objects/custinteg_a.xml"},
		{"fields inside", fstest.MapFS{"src/manifest.xml": manifest, "src/Objects/custinteg_a.xml": {Data: []byte(`<integration scriptid="custinteg_a"><name>x</name></integration>`)}}, bundle.ErrMalformed, "custinteg_a.xml"},
		{"malformed object", fstest.MapFS{"src/manifest.xml": manifest, "src/Objects/custinteg_a.xml": {Data: []byte("<integration\n scriptid=")}}, bundle.ErrMalformed, "custinteg_a.xml: line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := bundle.ReadProject(tt.fs)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.where) {
				t.Errorf("ReadProject error = %v, want %v naming %q", err, tt.want, tt.where)
			}
		})
	}
}

func TestCatalogJSON(t *testing.T) {
	t.Parallel()
	c := demo(t)
	b, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := bundle.LoadCatalogJSON(strings.NewReader(string(b)), "demo.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.Objects(), back.Objects()); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
	bad := []struct{ body, want string }{
		{"{\n\"account\": \"1\",\n\"objects\": [\n{\"type\": \"integration\", \"script_id\": 5}]}", "demo.json:4"},
		{`{"account": "1", "objects": [{"type": "workflow", "script_id": "customworkflow_a"}]}`, "objects[0] (customworkflow_a)"},
		{`{"account": "1", "objects": [{"type": "integration", "script_id": "custinteg_a"}, {"type": "integration", "script_id": "custinteg_a"}]}`, "duplicate"},
		{`{"account": "1", "objects": [{"type": "integration", "script_id": "custinteg_a", "secret": 1}]}`, "unknown field"},
		{`{"account": "nope"}`, "account"},
	}
	for _, tt := range bad {
		if _, err := bundle.LoadCatalogJSON(strings.NewReader(tt.body), "demo.json"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadCatalogJSON(%s) error = %v, want it to name %q", tt.body, err, tt.want)
		}
	}
}

// TestCatalogAccountCase: account ids are kept canonical, so the account's
// own record, named in another case, is still its own.
func TestCatalogAccountCase(t *testing.T) {
	t.Parallel()
	c, err := bundle.LoadCatalogJSON(strings.NewReader(`{"account":"tstdrv1234567","objects":[
		{"type":"integration","script_id":"custinteg_x","name":"X","owner":"tstdrv1234567"},
		{"type":"integration","script_id":"custinteg_y","name":"Y","owner":"123456_sb1","provenance":"from_bundle","from_account":"123456_sb1"}]}`), "cat.json")
	if err != nil {
		t.Fatal(err)
	}
	x, _ := c.Object("custinteg_x")
	y, _ := c.Object("custinteg_y")
	if c.Account != "TSTDRV1234567" || x.Owner != "TSTDRV1234567" || y.Owner != "123456_SB1" || y.FromAccount != "123456_SB1" {
		t.Errorf("not canonical: account %q, owners %q %q, from %q", c.Account, x.Owner, y.Owner, y.FromAccount)
	}
	if got := c.Validate([]bundle.Object{x}, bundle.Options{}); len(got) != 0 {
		t.Errorf("the account's own record: %v", got)
	}
	if got := bundle.NewCatalog("tstdrv1234567").Account; got != "TSTDRV1234567" {
		t.Errorf("NewCatalog account %q", got)
	}
	// A catalog whose exported Account was set by hand still owns its record.
	d := bundle.NewCatalog("TSTDRV1234567")
	d.Account = "tstdrv1234567"
	if got := d.Validate([]bundle.Object{{Type: "integration", ScriptID: "custinteg_x", Owner: "TSTDRV1234567", Provenance: bundle.Created}}, bundle.Options{}); len(got) != 0 {
		t.Errorf("hand-set lower-case account: %v", got)
	}
	for _, o := range []bundle.Object{
		{Type: "integration", ScriptID: "custinteg_bad", Owner: "not an account"},
		{Type: "integration", ScriptID: "custinteg_bad", Provenance: bundle.FromBundle, FromAccount: "12-34"},
	} {
		if err := d.Add(o); !errors.Is(err, bundle.ErrInvalidValue) {
			t.Errorf("Add(owner %q, from %q) = %v, want ErrInvalidValue", o.Owner, o.FromAccount, err)
		}
	}
}
