package distribution

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/bundle"
)

// BundleDistributor distributes by SuiteBundler bundle or SDF SuiteApp.
// SuiteBundler has no API and nsdist never pretends to install: each
// Result predicts what the installer will see (Enabled for a bundle) and
// lists the installer's steps; its outcome is "planned".
type BundleDistributor struct {
	catalog *bundle.Catalog
	objects []bundle.Object
	plan    *bundle.Plan
	project *bundle.Project
	clock   func() time.Time
}

var _ Distributor = (*BundleDistributor)(nil)

// NewBundleDistributor selects objects from the catalog and builds the
// bundle plan. With a project, targets get the SuiteApp channel and
// WriteProject writes it. A selection that breaks a rule is refused with
// every violation.
func NewBundleDistributor(c *bundle.Catalog, sel bundle.Selector, opt bundle.Options, project *bundle.Project) (*BundleDistributor, error) {
	if c == nil {
		return nil, errors.New("distribution: nil catalog")
	}
	objs, err := c.Select(sel)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, errors.New("distribution: the selection is empty")
	}
	if project != nil && opt.BundleCopy {
		return nil, bundle.ErrBundleCopySDF
	}
	plan := c.NewPlan(objs, opt)
	if !plan.OK() {
		var b strings.Builder
		for _, v := range plan.Violations {
			b.WriteString("\n  " + v.String())
		}
		return nil, fmt.Errorf("distribution: the bundle breaks %d rule(s):%s", len(plan.Violations), b.String())
	}
	if project != nil {
		project.Objects = nil
		for _, o := range objs {
			if o.Type == bundle.Integrations.SDFType {
				project.Objects = append(project.Objects, o)
			}
		}
		if err := project.Validate(); err != nil {
			return nil, err
		}
	}
	return &BundleDistributor{catalog: c, objects: objs, plan: plan, project: project, clock: time.Now}, nil
}

// Plan returns the bundle plan.
func (b *BundleDistributor) Plan() *bundle.Plan { return b.plan }

// WriteProject writes the SDF SuiteApp project into dir.
func (b *BundleDistributor) WriteProject(dir string) error {
	if b.project == nil {
		return errors.New("distribution: no SDF project configured")
	}
	return b.project.WriteDir(dir)
}

// Distribute predicts, for one target, what installing the bundle or
// SuiteApp does. It sends nothing. When approval.Evaluate blocks a
// record for the target (the target owns the record or is the source
// account, say), the outcome is misconfigured and Err a *PreflightError
// with every blocking reason.
func (b *BundleDistributor) Distribute(_ context.Context, t Target) Result {
	res := Result{Account: t.Account, Channel: approval.ChannelBundle}
	if b.project != nil {
		res.Channel = approval.ChannelSDF
	}
	if err := t.Account.Validate(); err != nil {
		return misconfigured(res, err, "fix the target's account id")
	}
	integrations := 0
	for _, o := range b.objects {
		if o.Type == bundle.Integrations.SDFType {
			integrations++
		}
	}
	var names, steps []string
	var blocked []approval.Reason
	for _, o := range b.objects {
		if o.Type != bundle.Integrations.SDFType {
			continue
		}
		names = append(names, o.Name)
		// section_4389835426: a record that arrived in a bundle, or by a
		// bundle copy, came from someone else's bundle; Validate lets a
		// bundle copy include both.
		fromBundle := o.Provenance == bundle.FromBundle || o.Provenance == bundle.BundleCopy
		rec := approval.Record{Name: o.Name, Owner: o.Owner, FromOthersBundle: fromBundle,
			ReplacedByBundleUpdate: o.Provenance == bundle.ReplacedExisting, BundleCopy: b.plan.Options.BundleCopy}
		if in := o.Integration; in != nil {
			rec.UserCredentials, rec.TBA, rec.TBAIssueToken, rec.TBAAuthFlow = in.UserCredentials, in.TBA, in.TBAIssueToken, in.TBAAuthFlow
		}
		d := approval.Evaluate(approval.Input{Channel: res.Channel, Record: rec, Source: b.catalog.Account, SourceReleasePreview: b.catalog.ReleasePreview,
			Target: approval.TargetAccount{Account: t.Account, RequireApproval: t.RequireApproval, ReleasePreview: b.plan.Options.TargetReleasePreview}, Date: b.clock()})
		if res.Decision.Input.Channel == "" || (!d.Allowed && res.Decision.Allowed) {
			res.Decision = d // the first decision, or the first blocked one
		}
		for _, r := range d.Blocking {
			if integrations > 1 {
				r.Text = o.ScriptID + ": " + r.Text
			}
			blocked = append(blocked, r)
		}
		for _, s := range d.AdminSteps {
			if !contains(steps, s.String()) {
				steps = append(steps, s.String())
			}
		}
	}
	what := "SuiteBundler has no API: nothing was installed; build the bundle in " + string(b.catalog.Account) + " and have " + string(t.Account) + " install it"
	if b.project != nil {
		what = "nothing was installed: deploy the SuiteApp " + b.project.AppID() + " to " + string(t.Account) + " with SuiteCloud CLI"
	}
	if len(blocked) > 0 { // preflight: nothing to plan for this target
		res.Explanation = approval.Explanation{Kind: approval.Misconfigured, Report: approval.Misconfigured.Report(), Observed: approval.ObservedOther,
			Sentence: "not planned: " + joinReasons(blocked), NextStep: blocked[0].Text, LessLikely: []string{}}
		res.Outcome = OutcomeMisconfigured
		res.Err = &PreflightError{Account: t.Account, Reasons: blocked}
		return res
	}
	res.Note = what
	res.Outcome = OutcomePlanned
	res.Explanation = approval.Explanation{Kind: approval.UnknownOutcome, Report: string(OutcomePlanned), Observed: approval.ObservedOther, LessLikely: []string{},
		Sentence: fmt.Sprintf("planned: %s; the installer will get %s %s", what, strings.Join(names, ", "), predictedText(res.Decision.InitialState)),
		NextStep: strings.Join(steps, "; then ")}
	return res
}

func predictedText(s approval.PredictedState) string {
	if s == approval.StateEnabled {
		return "Enabled"
	}
	return "in a State the documentation does not give (check it after installing)"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
