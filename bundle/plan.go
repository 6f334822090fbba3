package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nsdist/nsdist"
)

// Violation is one object that breaks a documented bundling rule.
type Violation struct {
	ScriptID string `json:"script_id"`
	Name     string `json:"name"`
	Rule     string `json:"rule"`
	Reason   string `json:"reason"`
	Source   string `json:"source"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s [%s]", v.ScriptID, v.Name, v.Reason, v.Source)
}

// Options describe the bundle being built.
type Options struct {
	// BundleCopy: the bundle is a bundle copy, which may include records
	// that came in someone else's bundle.
	BundleCopy bool `json:"bundle_copy"`
	// TargetReleasePreview: the bundle is for Release Preview accounts only.
	TargetReleasePreview bool `json:"target_release_preview"`
}

// ErrBundleCopySDF refuses Options.BundleCopy for an SDF SuiteApp project:
// a bundle copy is SuiteBundler's (section_4389835426), an SDF project has
// none, so a record that came in someone else's bundle cannot be deployed
// with one.
var ErrBundleCopySDF = errors.New("bundle: a bundle copy is SuiteBundler's and means nothing to an SDF SuiteApp project; drop the bundle copy option (a record that came in someone else's bundle cannot go into a SuiteApp)")

// Validate checks the selection against the documented rules and reports
// every violation at once (section_4389835426, section_4853873261).
func (c *Catalog) Validate(objs []Object, opt Options) []Violation {
	var out []Violation
	add := func(o Object, rule, reason, src string) {
		out = append(out, Violation{ScriptID: o.ScriptID, Name: o.Name, Rule: rule, Reason: reason, Source: src})
	}
	for _, o := range objs {
		// section_4389835426: a record bundled by someone else cannot be re-bundled, except by a bundle copy.
		if o.Provenance == FromBundle && !opt.BundleCopy {
			from := o.FromAccount.String()
			if o.FromBundle != "" {
				from = "bundle " + o.FromBundle + " of " + from
			}
			add(o, "rebundle", "arrived in someone else's bundle ("+from+") and cannot be bundled again; only a bundle copy may include it", "section_4389835426")
		} else if !c.owns(o) && o.Provenance != ReplacedExisting && !(opt.BundleCopy && (o.Provenance == FromBundle || o.Provenance == BundleCopy)) {
			// section_4389835426: only the owner can bundle and distribute the
			// record; a bundle copy may include one that came in a bundle.
			owner := "another account (it is " + string(o.Provenance) + " here)"
			if o.Owner != "" && !sameAccount(o.Owner, c.Account) {
				owner = string(o.Owner)
			}
			add(o, "not_owner", fmt.Sprintf("is owned by %s; only the owner can bundle it", owner), "section_4389835426")
		}
		// section_4389835426: Replace Existing Object makes it the bundle author's.
		if o.Provenance == ReplacedExisting {
			add(o, "replace_existing_object", "was updated by Replace Existing Object during a bundle update and belongs to that bundle's author; it cannot be distributed", "section_4389835426")
		}
	}
	// section_4853873261: Release Preview can be a source only for Release Preview.
	if c.ReleasePreview && !opt.TargetReleasePreview {
		for _, o := range objs {
			add(o, "release_preview_source", fmt.Sprintf("the source %s is a Release Preview account, which can bundle only for Release Preview targets", c.Account), "section_4853873261")
		}
	}
	return out
}

// owns reports whether the source account owns o: it created o and no
// other owner is named. A record that was auto-installed, or came by a
// bundle or a bundle copy, belongs to another account whether or not its
// Owner is known (section_4389727047).
func (c *Catalog) owns(o Object) bool {
	return (o.Provenance == Created || o.Provenance == "") && (o.Owner == "" || sameAccount(o.Owner, c.Account))
}

// Item is one selected object and what the installer will see.
type Item struct {
	Object        Object   `json:"object"`
	InstallerSees []string `json:"installer_sees"`
}

// Plan is a bundle plan: the selection, what each installer will see, and
// the violations that stop it.
type Plan struct {
	Source     nsdist.AccountID `json:"source"`
	Options    Options          `json:"options"`
	Items      []Item           `json:"items"`
	Violations []Violation      `json:"violations"`
	Notes      []string         `json:"notes"`
}

// OK reports whether the plan breaks no rule.
func (p *Plan) OK() bool { return len(p.Violations) == 0 }

// NewPlan builds the plan for a selection.
func (c *Catalog) NewPlan(objs []Object, opt Options) *Plan {
	p := &Plan{Source: c.Account, Options: opt, Items: []Item{}, Violations: c.Validate(objs, opt)}
	if p.Violations == nil {
		p.Violations = []Violation{}
	}
	sorted := append([]Object(nil), objs...)
	c.sort(sorted)
	for _, o := range sorted {
		it := Item{Object: o, InstallerSees: []string{}}
		if o.Type == Integrations.SDFType {
			owner := o.Owner
			if owner == "" {
				owner = c.Account
			}
			it.InstallerSees = []string{
				"State Enabled on install, whatever the target's Require Approval preference (section_4431829430)",
				"only State and Note are editable in the target (section_4389727047)",
				"the consumer key and secret can never be reset in the target; only the owner " + string(owner) + " can (section_4395597766)",
				"name changes made later by the owner are not propagated, even when a bundle update shows the new name (section_4543308762)",
				"uninstalling the bundle uninstalls the record (section_4429221557)",
				"a later auto-installation of the record is still possible after an uninstall (section_4429221557)",
			}
			if o.Integration != nil && !o.Active() {
				it.InstallerSees = append(it.InstallerSees, "the record is inactive (Blocked) in the source: Choose Objects lists it, and the installer still gets it Enabled")
			}
		}
		p.Items = append(p.Items, it)
	}
	p.Notes = []string{
		"SuiteBundler has no API: build the bundle at Customization > SuiteBundler > Create Bundle, Select Objects > Integrations > Integrations, and pick the records above",
		"the installer installs it at Customization > SuiteBundler > Search & Install Bundles",
		"SuiteBundler gets no new features; an SDF SuiteApp referencing the same records is the modern equivalent (section_4520725557)",
	}
	return p
}

// JSON renders the plan deterministically.
func (p *Plan) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Text renders the plan for people.
func (p *Plan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bundle plan from %s", p.Source)
	if p.Options.BundleCopy {
		b.WriteString(" (bundle copy)")
	}
	if p.Options.TargetReleasePreview {
		b.WriteString(" for Release Preview targets")
	}
	fmt.Fprintf(&b, ": %d object(s)\n", len(p.Items))
	for _, it := range p.Items {
		state := "active"
		if !it.Object.Active() {
			state = "inactive"
		}
		fmt.Fprintf(&b, "\n%s  %q  (%s, %s, %s)\n", it.Object.ScriptID, it.Object.Name, it.Object.Type, state, it.Object.Provenance)
		for _, s := range it.InstallerSees {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	if len(p.Violations) > 0 {
		fmt.Fprintf(&b, "\n%d violation(s): the bundle cannot be built as selected\n", len(p.Violations))
		for _, v := range p.Violations {
			fmt.Fprintf(&b, "  ! %s\n", v)
		}
	}
	b.WriteString("\n")
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}
