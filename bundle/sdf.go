package bundle

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Project describes an SDF SuiteApp that references integration records.
type Project struct {
	PublisherID      string   // e.g. com.example
	ProjectID        string   // e.g. acmesync
	ProjectName      string   // e.g. Acme Sync
	ProjectVersion   string   // x.y.z
	FrameworkVersion string   // default 1.0
	Features         []string // required features, optional
	Objects          []Object // integration records to reference
	// Files maps a path under FileCabinet/SuiteApps/<appid>/ to its content.
	Files map[string][]byte
}

var (
	publisherRE = regexp.MustCompile(`^[a-z0-9]+\.[a-z0-9]+$`)
	projectRE   = regexp.MustCompile(`^[a-z0-9]+$`)
	versionRE   = regexp.MustCompile(`^\d+(\.\d+){2}$`)
)

// AppID is <publisherid>.<projectid>.
func (p *Project) AppID() string { return p.PublisherID + "." + p.ProjectID }

// Validate checks the manifest values as SuiteCloud CLI does
// (subsect_1509931104, section_1534268059; the exact patterns are nsdist's
// reading of the CLI's public code) and each object's script id
// (subsect_1537555588, SDFxml_3719392610).
func (p *Project) Validate() error {
	var errs []error
	if !publisherRE.MatchString(p.PublisherID) {
		errs = append(errs, fmt.Errorf("%w: publisherid %q: want <domain>.<company>, lower-case letters and digits, e.g. com.example", ErrInvalidValue, p.PublisherID))
	}
	if !projectRE.MatchString(p.ProjectID) || len(p.ProjectID) >= 40 {
		errs = append(errs, fmt.Errorf("%w: projectid %q: one lower-case alphanumeric word under 40 characters", ErrInvalidValue, p.ProjectID))
	}
	if len(p.AppID()) > 80 {
		errs = append(errs, fmt.Errorf("%w: application id %s is longer than 80 characters", ErrInvalidValue, p.AppID()))
	}
	if strings.TrimSpace(p.ProjectName) == "" {
		errs = append(errs, fmt.Errorf("%w: projectname is empty", ErrInvalidValue))
	}
	if !versionRE.MatchString(p.ProjectVersion) {
		errs = append(errs, fmt.Errorf("%w: projectversion %q: want x.y.z", ErrInvalidValue, p.ProjectVersion))
	}
	if len(p.Objects) == 0 {
		errs = append(errs, fmt.Errorf("%w: no integration records to reference", ErrInvalidValue))
	}
	seen := map[string]bool{}
	for _, o := range p.Objects {
		if o.Type != Integrations.SDFType {
			errs = append(errs, fmt.Errorf("%w: %s is a %s; the SuiteApp writer references integration records only", ErrUnknownType, o.ScriptID, o.Type))
			continue
		}
		if err := CheckScriptID(Integrations, o.ScriptID); err != nil {
			errs = append(errs, err)
		}
		if seen[o.ScriptID] {
			errs = append(errs, fmt.Errorf("%w: %s", ErrDuplicate, o.ScriptID))
		}
		seen[o.ScriptID] = true
	}
	for name := range p.Files {
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
			errs = append(errs, fmt.Errorf("%w: file path %q", ErrInvalidValue, name))
		}
	}
	return errors.Join(errs...)
}

func xmlText(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s)) //nolint:errcheck // bytes.Buffer does not fail
	return b.String()
}

// Render returns every file of the project, by slash path from the project root.
func (p *Project) Render() (map[string][]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	fw := p.FrameworkVersion
	if fw == "" {
		fw = "1.0"
	}
	files := map[string][]byte{
		"suitecloud.config.js": []byte("module.exports = {\n\tdefaultProjectFolder: \"src\",\n\tcommands: {}\n};\n"),
	}
	var m strings.Builder
	m.WriteString("<manifest projecttype=\"SUITEAPP\">\n")
	fmt.Fprintf(&m, "  <publisherid>%s</publisherid>\n  <projectid>%s</projectid>\n  <projectname>%s</projectname>\n  <projectversion>%s</projectversion>\n  <frameworkversion>%s</frameworkversion>\n",
		p.PublisherID, p.ProjectID, xmlText(p.ProjectName), p.ProjectVersion, xmlText(fw))
	m.WriteString("  <dependencies>\n")
	if len(p.Features) > 0 {
		m.WriteString("    <features>\n")
		for _, f := range p.Features {
			fmt.Fprintf(&m, "      <feature required=\"true\">%s</feature>\n", xmlText(f))
		}
		m.WriteString("    </features>\n")
	}
	m.WriteString("  </dependencies>\n</manifest>\n")
	files["src/manifest.xml"] = []byte(m.String())

	var d strings.Builder
	d.WriteString("<deploy>\n")
	if len(p.Files) > 0 {
		fmt.Fprintf(&d, "  <files>\n    <path>~/FileCabinet/SuiteApps/%s/*</path>\n  </files>\n", p.AppID())
	}
	d.WriteString("  <objects>\n    <path>~/Objects/*</path>\n  </objects>\n</deploy>\n")
	files["src/deploy.xml"] = []byte(d.String())
	for _, o := range p.Objects {
		// SDFxml_3719392610: only the scriptid attribute; no fields.
		files["src/Objects/"+o.ScriptID+".xml"] = []byte(fmt.Sprintf("<integration scriptid=\"%s\"></integration>\n", o.ScriptID))
	}
	for name, b := range p.Files {
		files["src/FileCabinet/SuiteApps/"+p.AppID()+"/"+name] = b
	}
	return files, nil
}

// WriteDir writes the project into dir, which must not exist or be empty.
// It writes into a temporary folder beside dir and renames it, so that a
// failure never leaves a partial project behind.
func (p *Project) WriteDir(dir string) error {
	files, err := p.Render()
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil {
		if len(entries) > 0 {
			return fmt.Errorf("bundle: %s exists and is not empty", dir)
		}
		if err := os.Remove(dir); err != nil {
			return fmt.Errorf("bundle: cannot write %s: %w", dir, err)
		}
	}
	parent := filepath.Dir(filepath.Clean(dir))
	// errors name dir, never the temporary folder beside it
	fail := func(err error) error {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("bundle: cannot write %s: %w", dir, err)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp(parent, ".nsdist-sdf-*")
	if err != nil {
		return fail(err)
	}
	defer func() { _ = os.RemoveAll(tmp) }() // no-op after the rename
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		full := filepath.Join(tmp, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fail(err)
		}
		if err := os.WriteFile(full, files[n], 0o644); err != nil {
			return fail(err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fail(err)
	}
	return nil
}

type manifestXML struct {
	XMLName          xml.Name `xml:"manifest"`
	ProjectType      string   `xml:"projecttype,attr"`
	PublisherID      string   `xml:"publisherid"`
	ProjectID        string   `xml:"projectid"`
	ProjectName      string   `xml:"projectname"`
	ProjectVersion   string   `xml:"projectversion"`
	FrameworkVersion string   `xml:"frameworkversion"`
	Features         []string `xml:"dependencies>features>feature"`
}

// ReadProject reads a SuiteApp project (as WriteDir writes it, or as
// SuiteCloud CLI creates it) from fsys: its manifest and every
// integration object under src/Objects. Errors name the file, the line
// where known, and the object.
func ReadProject(fsys fs.FS) (*Project, error) {
	mb, err := fs.ReadFile(fsys, "src/manifest.xml")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoManifest, err)
	}
	var m manifestXML
	if err := xml.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("%w: src/manifest.xml: %s", ErrMalformed, xmlErr(err))
	}
	if m.ProjectType != "SUITEAPP" {
		return nil, fmt.Errorf("%w: src/manifest.xml: projecttype %q, want SUITEAPP", ErrInvalidValue, m.ProjectType)
	}
	p := &Project{PublisherID: m.PublisherID, ProjectID: m.ProjectID, ProjectName: m.ProjectName, ProjectVersion: m.ProjectVersion, FrameworkVersion: m.FrameworkVersion, Features: m.Features}
	entries, err := fs.ReadDir(fsys, "src/Objects")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".xml" {
			continue
		}
		name := "src/Objects/" + e.Name()
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var root struct {
			XMLName  xml.Name
			ScriptID string `xml:"scriptid,attr"`
			Inner    []byte `xml:",innerxml"`
		}
		if err := xml.Unmarshal(b, &root); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %s", ErrMalformed, name, xmlErr(err)))
			continue
		}
		if root.XMLName.Local != Integrations.SDFType {
			continue // other object types are not ours to read
		}
		if want := strings.TrimSuffix(e.Name(), ".xml"); root.ScriptID != want {
			errs = append(errs, fmt.Errorf("%w: %s: scriptid %q must equal the file name %q", ErrScriptID, name, root.ScriptID, want))
			continue
		}
		if err := CheckScriptID(Integrations, root.ScriptID); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if strings.TrimSpace(string(root.Inner)) != "" {
			errs = append(errs, fmt.Errorf("%w: %s: an integration object has no fields (SDFxml_3719392610)", ErrMalformed, name))
			continue
		}
		p.Objects = append(p.Objects, Object{Type: Integrations.SDFType, ScriptID: root.ScriptID})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

func xmlErr(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("line %d: %s", se.Line, se.Msg)
	}
	return err.Error()
}

// CatalogFromProject reads a project's integration objects into a catalog
// for the account that will deploy it (names are not in SDF files).
func CatalogFromProject(fsys fs.FS, account string) (*Catalog, *Project, error) {
	p, err := ReadProject(fsys)
	if err != nil {
		return nil, nil, err
	}
	c := NewCatalog("")
	if account != "" {
		if c.Account, err = parseAccount(account); err != nil {
			return nil, nil, err
		}
	}
	for _, o := range p.Objects {
		o.Owner = c.Account
		if err := c.Add(o); err != nil {
			return nil, nil, err
		}
	}
	return c, p, nil
}
