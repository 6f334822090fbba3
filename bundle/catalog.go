package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/nsdist/nsdist"
)

// ObjectType is one entry of the Select Objects page's Object Types
// column: a category and a type, with the SDF object type and script id
// prefix that stand for it in a SuiteCloud project.
type ObjectType struct {
	Category string `json:"category"`
	Name     string `json:"name"`
	SDFType  string `json:"sdf_type"`
	Prefix   string `json:"prefix"`
}

// Path is "Category > Name", as the page shows it.
func (t ObjectType) Path() string { return t.Category + " > " + t.Name }

// Known object types, Integrations > Integrations first
// (section_4389835426; prefixes from subsect_1537555588). The model is open:
// a catalog may register other types without special cases.
var (
	Integrations  = ObjectType{Category: "Integrations", Name: "Integrations", SDFType: "integration", Prefix: "custinteg"}
	CustomRecords = ObjectType{Category: "Records", Name: "Custom Records", SDFType: "customrecordtype", Prefix: "customrecord"}
	Scripts       = ObjectType{Category: "Scripts", Name: "Scripts", SDFType: "script", Prefix: "customscript"}
)

// DefaultTypes are the types a new catalog knows.
func DefaultTypes() []ObjectType { return []ObjectType{Integrations, CustomRecords, Scripts} }

// Provenance is how an object came to the source account.
type Provenance string

// Provenances.
const (
	Created          Provenance = "created"          // created in this account: it owns the object
	FromBundle       Provenance = "from_bundle"      // installed from someone else's bundle
	AutoInstalled    Provenance = "auto_installed"   // an integration record auto-installed here
	BundleCopy       Provenance = "bundle_copy"      // arrived by a bundle copy
	ReplacedExisting Provenance = "replace_existing" // updated by Replace Existing Object in a bundle update
)

// Integration holds what the Select Objects page knows of an integration record.
type Integration struct {
	State           nsdist.State `json:"state"`
	UserCredentials bool         `json:"user_credentials"`
	TBA             bool         `json:"tba"`
	TBAIssueToken   bool         `json:"tba_issuetoken"`
	TBAAuthFlow     bool         `json:"tba_authorization_flow"`
	// ApplicationIDVisible: the application id shows only in the owner account (section_4389727047).
	ApplicationIDVisible bool `json:"application_id_visible"`
}

// Object is one customization object.
type Object struct {
	Type        string           `json:"type"` // SDF type, e.g. "integration"
	ScriptID    string           `json:"script_id"`
	InternalID  int              `json:"internal_id"`
	Name        string           `json:"name"`
	Inactive    bool             `json:"inactive"`
	Owner       nsdist.AccountID `json:"owner"`
	Provenance  Provenance       `json:"provenance"`
	FromBundle  string           `json:"from_bundle,omitempty"`  // bundle id, for from_bundle
	FromAccount nsdist.AccountID `json:"from_account,omitempty"` // the bundle's account
	Integration *Integration     `json:"integration,omitempty"`
}

// Active reports whether the page lists the object as active; a Blocked
// integration record counts as inactive (section_4431175537).
func (o Object) Active() bool {
	if o.Integration != nil && o.Integration.State == nsdist.StateBlocked {
		return false
	}
	return !o.Inactive
}

// Catalog is the objects of one source account, as Select Objects shows them.
type Catalog struct {
	Account        nsdist.AccountID
	ReleasePreview bool
	types          []ObjectType
	objects        []Object
	byScriptID     map[string]int
}

// NewCatalog returns an empty catalog for the account with the default
// types. An account id in another case or in host form is kept in its
// canonical form ("tstdrv1234567" becomes "TSTDRV1234567").
func NewCatalog(account nsdist.AccountID) *Catalog {
	return &Catalog{Account: canonical(account), types: DefaultTypes(), byScriptID: map[string]int{}}
}

// canonical returns a's canonical form, or a itself when it is no account id.
func canonical(a nsdist.AccountID) nsdist.AccountID {
	if c, err := nsdist.ParseAccountID(string(a)); err == nil {
		return c
	}
	return a
}

// sameAccount reports whether a and b name the same account, whatever their case or form.
func sameAccount(a, b nsdist.AccountID) bool { return canonical(a) == canonical(b) }

// Errors of the catalog.
var (
	ErrScriptID     = errors.New("bundle: invalid script id")
	ErrDuplicate    = errors.New("bundle: duplicate script id")
	ErrUnknownType  = errors.New("bundle: unknown object type")
	ErrNoManifest   = errors.New("bundle: project has no src/manifest.xml")
	ErrMalformed    = errors.New("bundle: malformed input")
	ErrInvalidValue = errors.New("bundle: invalid value")
)

var scriptIDRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// CheckScriptID reports why s is not a valid script id of type t: lower
// case letters, digits and underscores, the type's prefix, at most 99
// characters (SDFxml_3719392610, subsect_1537555588).
func CheckScriptID(t ObjectType, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty", ErrScriptID)
	case len(s) > 99:
		return fmt.Errorf("%w %q: %d characters, at most 99", ErrScriptID, s, len(s))
	case !scriptIDRE.MatchString(s):
		return fmt.Errorf("%w %q: only lower-case letters, digits and underscores", ErrScriptID, s)
	case !strings.HasPrefix(s, t.Prefix):
		return fmt.Errorf("%w %q: %s script ids start with %s", ErrScriptID, s, t.SDFType, t.Prefix)
	}
	return nil
}

// AddType registers another object type (after the defaults).
func (c *Catalog) AddType(t ObjectType) error {
	if t.SDFType == "" || t.Prefix == "" || t.Category == "" || t.Name == "" {
		return fmt.Errorf("%w: a type needs category, name, SDF type and prefix", ErrInvalidValue)
	}
	if _, ok := c.typeOf(t.SDFType); ok {
		return fmt.Errorf("%w: type %s exists", ErrDuplicate, t.SDFType)
	}
	c.types = append(c.types, t)
	return nil
}

// Types returns the registered types in page order.
func (c *Catalog) Types() []ObjectType { return append([]ObjectType(nil), c.types...) }

func (c *Catalog) typeOf(sdfType string) (ObjectType, bool) {
	for _, t := range c.types {
		if t.SDFType == sdfType {
			return t, true
		}
	}
	return ObjectType{}, false
}

func (c *Catalog) typeIndex(sdfType string) int {
	for i, t := range c.types {
		if t.SDFType == sdfType {
			return i
		}
	}
	return len(c.types)
}

// Add adds an object, refusing unknown types, invalid or duplicate script
// ids and invalid owner or from_account ids. It keeps the account ids in
// their canonical form, so an owner "tstdrv1234567" is the catalog's
// account TSTDRV1234567.
func (c *Catalog) Add(o Object) error {
	t, ok := c.typeOf(o.Type)
	if !ok {
		return fmt.Errorf("%w %q for %s", ErrUnknownType, o.Type, o.ScriptID)
	}
	if err := CheckScriptID(t, o.ScriptID); err != nil {
		return err
	}
	for _, a := range []*nsdist.AccountID{&o.Owner, &o.FromAccount} {
		if *a == "" {
			continue
		}
		id, err := parseAccount(string(*a))
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidValue, o.ScriptID, err)
		}
		*a = id
	}
	if _, dup := c.byScriptID[o.ScriptID]; dup {
		return fmt.Errorf("%w: %s", ErrDuplicate, o.ScriptID)
	}
	if o.Provenance == "" {
		o.Provenance = Created
	}
	if o.Owner == "" && o.Provenance == Created {
		o.Owner = c.Account
	}
	if o.Type == Integrations.SDFType && o.Integration == nil {
		o.Integration = &Integration{State: nsdist.StateEnabled}
	}
	if o.Integration != nil && o.Integration.State == "" {
		o.Integration.State = nsdist.StateEnabled
	}
	c.byScriptID[o.ScriptID] = len(c.objects)
	c.objects = append(c.objects, o)
	return nil
}

// Objects returns every object in page order.
func (c *Catalog) Objects() []Object {
	out := append([]Object(nil), c.objects...)
	c.sort(out)
	return out
}

// Object returns an object by script id.
func (c *Catalog) Object(scriptID string) (Object, bool) {
	i, ok := c.byScriptID[scriptID]
	if !ok {
		return Object{}, false
	}
	return c.objects[i], true
}

func (c *Catalog) sort(objs []Object) {
	sort.SliceStable(objs, func(i, j int) bool {
		ti, tj := c.typeIndex(objs[i].Type), c.typeIndex(objs[j].Type)
		if ti != tj {
			return ti < tj
		}
		return objs[i].ScriptID < objs[j].ScriptID
	})
}

// TypeNode is one category of the Object Types tree with its types.
type TypeNode struct {
	Category string
	Types    []ObjectType
}

// Tree returns the two-level Object Types tree, Integrations first.
func (c *Catalog) Tree() []TypeNode {
	var nodes []TypeNode
	for _, t := range c.types {
		if n := len(nodes); n > 0 && nodes[n-1].Category == t.Category {
			nodes[n-1].Types = append(nodes[n-1].Types, t)
			continue
		}
		found := false
		for i := range nodes {
			if nodes[i].Category == t.Category {
				nodes[i].Types = append(nodes[i].Types, t)
				found = true
			}
		}
		if !found {
			nodes = append(nodes, TypeNode{Category: t.Category, Types: []ObjectType{t}})
		}
	}
	return nodes
}

// Selector picks objects as the Choose Objects column does.
type Selector struct {
	Types     []string // SDF types; empty: all
	ScriptIDs []string // empty: all
	Names     []string // path.Match patterns on the name; empty: all
	// Show: "both" (default, as on the page), "active" or "inactive".
	Show string
}

// Select returns the matching objects in a deterministic order: type order, then script id.
func (c *Catalog) Select(s Selector) ([]Object, error) {
	for _, p := range s.Names {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("%w: name pattern %q: %w", ErrInvalidValue, p, err)
		}
	}
	switch s.Show {
	case "", "both", "active", "inactive":
	default:
		return nil, fmt.Errorf("%w: show %q: want both, active or inactive", ErrInvalidValue, s.Show)
	}
	for _, t := range s.Types {
		if _, ok := c.typeOf(t); !ok {
			return nil, fmt.Errorf("%w %q", ErrUnknownType, t)
		}
	}
	var out []Object
	for _, o := range c.objects {
		if len(s.Types) > 0 && !contains(s.Types, o.Type) || len(s.ScriptIDs) > 0 && !contains(s.ScriptIDs, o.ScriptID) {
			continue
		}
		if s.Show == "active" && !o.Active() || s.Show == "inactive" && o.Active() {
			continue
		}
		if len(s.Names) > 0 {
			hit := false
			for _, p := range s.Names {
				if ok, _ := path.Match(p, o.Name); ok {
					hit = true
				}
			}
			if !hit {
				continue
			}
		}
		out = append(out, o)
	}
	for _, id := range s.ScriptIDs {
		if _, ok := c.byScriptID[id]; !ok {
			return nil, fmt.Errorf("%w: no object %s in the catalog", ErrInvalidValue, id)
		}
	}
	c.sort(out)
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type catalogJSON struct {
	Account        nsdist.AccountID `json:"account"`
	ReleasePreview bool             `json:"release_preview"`
	Types          []ObjectType     `json:"types"`
	Objects        []Object         `json:"objects"`
}

// LoadCatalogJSON reads a catalog; errors name the file, the line where
// known, and the object.
func LoadCatalogJSON(r io.Reader, name string) (*Catalog, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var cj catalogJSON
	if err := dec.Decode(&cj); err != nil {
		line := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line = lineAt(b, se.Offset)
		case errors.As(err, &te):
			line = lineAt(b, te.Offset)
		}
		if line == 0 { // e.g. an unknown field: no offset; point at where the decoder stopped
			line = lineAt(b, dec.InputOffset())
		}
		return nil, fmt.Errorf("%w: %s:%d: %w", ErrMalformed, name, line, err)
	}
	acct, err := nsdist.ParseAccountID(string(cj.Account))
	if err != nil {
		return nil, fmt.Errorf("%s: account: %w", name, err)
	}
	c := NewCatalog(acct)
	c.ReleasePreview = cj.ReleasePreview
	for _, t := range cj.Types {
		if _, ok := c.typeOf(t.SDFType); ok {
			continue
		}
		if err := c.AddType(t); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	var errs []error
	for i, o := range cj.Objects {
		if err := c.Add(o); err != nil {
			errs = append(errs, fmt.Errorf("%s: objects[%d] (%s): %w", name, i, o.ScriptID, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// MarshalJSON writes the catalog in the form LoadCatalogJSON reads.
func (c *Catalog) MarshalJSON() ([]byte, error) {
	return json.Marshal(catalogJSON{Account: c.Account, ReleasePreview: c.ReleasePreview, Types: c.types, Objects: c.Objects()})
}

func lineAt(b []byte, off int64) int { return bytes.Count(b[:min(int(off), len(b))], []byte("\n")) + 1 }

func parseAccount(s string) (nsdist.AccountID, error) { return nsdist.ParseAccountID(s) }
