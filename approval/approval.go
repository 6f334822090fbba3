package approval

import (
	"fmt"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
)

// Channel is how a record travels to the target account.
type Channel string

// The channels: auto-installation (section_4429293934; user credentials
// only up to 2020_1, section_4389727047), bundle installation
// (section_4431829430) and SDF SuiteApps (section_160079429000).
const (
	ChannelCredentials Channel = "credentials" // auto-install by user credentials + application id (endpoints ≤ 2020_1)
	ChannelTBA         Channel = "tba"         // auto-install by issuing a TBA token (authorization flow or issuetoken)
	ChannelOAuth2      Channel = "oauth2"      // auto-install by an OAuth 2.0 flow (REST and RESTlets)
	ChannelBundle      Channel = "bundle"      // SuiteBundler bundle install
	ChannelSDF         Channel = "sdf"         // SDF SuiteApp install
)

// Channels lists every channel.
func Channels() []Channel {
	return []Channel{ChannelCredentials, ChannelTBA, ChannelOAuth2, ChannelBundle, ChannelSDF}
}

// ParseChannel reads a channel name.
func ParseChannel(s string) (Channel, error) {
	for _, c := range Channels() {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("approval: unknown channel %q: want credentials, tba, oauth2, bundle or sdf", s)
}

// AutoInstall reports whether the channel is an auto-installation.
func (c Channel) AutoInstall() bool {
	return c == ChannelCredentials || c == ChannelTBA || c == ChannelOAuth2
}

// usesSOAP reports whether nsdist confirms the channel with a SOAP request.
func (c Channel) usesSOAP() bool { return c == ChannelCredentials || c == ChannelTBA }

// Preference is the target's "Require Approval during Auto-Installation of
// Integration" preference, as far as the caller knows it.
type Preference string

// Preference values.
const (
	PreferenceUnknown     Preference = "unknown"
	PreferenceRequired    Preference = "true"
	PreferenceNotRequired Preference = "false"
)

// ParsePreference reads true, false or unknown.
func ParsePreference(s string) (Preference, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "required":
		return PreferenceRequired, nil
	case "false", "no", "not-required":
		return PreferenceNotRequired, nil
	case "", "unknown":
		return PreferenceUnknown, nil
	}
	return "", fmt.Errorf("approval: require-approval %q: want true, false or unknown", s)
}

// Record describes the integration record as the source account has it.
type Record struct {
	Name            string
	Owner           nsdist.AccountID
	UserCredentials bool // the User Credentials box
	TBA             bool // Token-based Authentication
	TBAIssueToken   bool // TBA: IssueToken Endpoint
	TBAAuthFlow     bool // TBA: Authorization Flow
	OAuth2          bool // an OAuth 2.0 grant (authorization code or client credentials)
	// OAuth2CodeGrant and OAuth2ClientCredentials are the record's two
	// grant boxes (section_157771733782). OAuth2 with neither set is read
	// as the Authorization Code Grant. Client credentials (M2M) alone
	// installs nothing: the record must already be in the target
	// (section_162686838198).
	OAuth2CodeGrant         bool
	OAuth2ClientCredentials bool
	// FromOthersBundle: the record came to the source account in someone else's bundle.
	FromOthersBundle bool
	// ReplacedByBundleUpdate: updated by Replace Existing Object during a bundle update.
	ReplacedByBundleUpdate bool
	// BundleCopy: the bundle being built is a bundle copy.
	BundleCopy bool
	// CreatedAt, when known, is when the record was created; TBA records
	// created from 2027.1 on cannot be used for SOAP.
	CreatedAt time.Time
}

// TargetAccount describes the account the record goes to.
type TargetAccount struct {
	Account         nsdist.AccountID
	ReleasePreview  bool
	RequireApproval Preference
}

// Input is everything Evaluate looks at.
type Input struct {
	Channel Channel
	Record  Record
	// Source is the account the bundle or SuiteApp is built in (default: the owner).
	Source               nsdist.AccountID
	SourceReleasePreview bool
	Target               TargetAccount
	Version              nsdist.Release // the SOAP endpoint's release (default 2025.2)
	Date                 time.Time      // the day the rules are applied for (default: now)
}

// PredictedState is Evaluate's prediction of the record's State in the
// target: one of the record's States ([nsdist.State]: Enabled, Waiting for
// Approval), or StateUnknown or StateNone, which no record ever has.
type PredictedState string

// Predicted States.
const (
	StateEnabled                           = PredictedState(nsdist.StateEnabled)
	StateWaitingForApproval                = PredictedState(nsdist.StateWaitingForApproval)
	StateUnknown            PredictedState = "Unknown" // one of PossibleStates; see Probe
	StateNone               PredictedState = "None"    // the channel cannot work
)

// String returns the prediction as NetSuite would show the State.
func (p PredictedState) String() string { return string(p) }

// Tristate answers yes, no or unknown.
type Tristate string

// Tristate values.
const (
	Yes     Tristate = "yes"
	No      Tristate = "no"
	Unknown Tristate = "unknown"
)

// Reason is one rule's verdict, with the Oracle page id it rests on (e.g.
// section_4389835426).
type Reason struct {
	Code   string `json:"code"`
	Text   string `json:"text"`
	Source string `json:"source"`
}

// Step is one thing an administrator does, in order.
type Step struct {
	Text     string `json:"text"`
	MenuPath string `json:"menu_path,omitempty"`
}

func (s Step) String() string {
	if s.MenuPath == "" {
		return s.Text
	}
	return s.Text + " (" + s.MenuPath + ")"
}

// Decision is what Evaluate predicts for one record, channel and target.
type Decision struct {
	Input          Input
	Allowed        bool
	Blocking       []Reason
	InitialState   PredictedState
	PossibleStates []nsdist.State
	// Probe says how to learn the State when it is Unknown.
	Probe string
	// RequestsAccepted says whether requests are accepted right after install.
	RequestsAccepted              Tristate
	AdminSteps                    []Step
	EditableInTarget              []string
	CredentialsResettableInTarget bool
	SandboxNotes                  []string
	Warnings                      []Reason
}

// Menu paths: Manage Integrations from section_4389727047 and
// section_4393879073, SOAP Web Services Preferences from section_N3422217
// and section_4429293934, the Login Audit Trail from subsect_156935170194;
// the SuiteBundler and Enable Features paths are nsdist's reading.
const (
	MenuManageIntegrations = "Setup > Integration > Manage Integrations"
	MenuSOAPPreferences    = "Setup > Integration > SOAP Web Services Preferences"
	MenuLoginAuditTrail    = "Setup > Users/Roles > User Management > View Login Audit Trail"
	MenuInstallBundle      = "Customization > SuiteBundler > Search & Install Bundles"
	MenuEnableFeatures     = "Setup > Company > Enable Features > SuiteCloud"
)

// canonical returns a's canonical form ("tstdrv1234567" is
// "TSTDRV1234567"), or a itself when it is no account id.
func canonical(a nsdist.AccountID) nsdist.AccountID {
	if c, err := nsdist.ParseAccountID(string(a)); err == nil {
		return c
	}
	return a
}

// sameAccount reports whether a and b name the same account, whatever
// their case or form. Two empty ids are the same; an empty and a set one
// are not.
func sameAccount(a, b nsdist.AccountID) bool { return canonical(a) == canonical(b) }

// Evaluate predicts, without any I/O, whether the channel can bring the
// record into the target, and what the target will see. Account ids are
// compared in their canonical forms ([nsdist.ParseAccountID]), so an owner
// "TSTDRV1234567" and a target "tstdrv1234567" are one account;
// Decision.Input keeps the ids as the caller passed them.
func Evaluate(in Input) Decision {
	in = withDefaults(in)
	b := &builder{in: in, name: recordName(in.Record), d: Decision{Input: in}}
	switch in.Channel {
	case ChannelCredentials:
		b.credentialsRules()
	case ChannelTBA:
		b.tbaRules()
	case ChannelOAuth2:
		b.oauth2Rules()
	case ChannelBundle, ChannelSDF:
		b.packageRules()
	default:
		b.block("unknown_channel", fmt.Sprintf("unknown channel %q", in.Channel), "")
	}
	if in.Channel.usesSOAP() {
		b.soapRules()
	}
	b.d.Allowed = len(b.d.Blocking) == 0
	b.targetEditing()
	b.predict()
	b.sandboxNotes()
	return b.d
}

// withDefaults fills in what Evaluate assumes for the fields left zero.
func withDefaults(in Input) Input {
	if in.Version.IsZero() {
		in.Version = nsdist.LastSOAPEndpoint
	}
	if in.Date.IsZero() {
		in.Date = time.Now()
	}
	if in.Target.RequireApproval == "" {
		in.Target.RequireApproval = PreferenceUnknown
	}
	if in.Source == "" {
		in.Source = in.Record.Owner
	}
	return in
}

// recordName is the record's name for sentences, or "the integration
// record" when it has none.
func recordName(r Record) string {
	if r.Name == "" {
		return "the integration record"
	}
	return r.Name
}

// builder holds the Decision that Evaluate's rules fill in, for an input
// that already has its defaults.
type builder struct {
	in   Input
	name string // recordName(in.Record)
	d    Decision
}

func (b *builder) block(code, text, source string) {
	b.d.Blocking = append(b.d.Blocking, Reason{code, text, source})
}

func (b *builder) warn(code, text, source string) {
	b.d.Warnings = append(b.d.Warnings, Reason{code, text, source})
}

// credentialsRules are the rules for auto-installation by user credentials.
func (b *builder) credentialsRules() {
	in := b.in
	// section_4389835426 step 1; bridgehead_4249032125: the User Credentials box allows passport + application id.
	if !in.Record.UserCredentials {
		b.block("user_credentials_unchecked", "the record's User Credentials box is not checked, so a request with user credentials and its application id is refused", "section_4389835426")
	}
	// section_4389727047, section_4399767175: request-level credentials are refused on 2020.2 and later endpoints.
	if !in.Version.SupportsPassport() {
		b.block("passport_endpoint", fmt.Sprintf("user credentials work only on endpoints 2020.1 and older, not %s; use token-based authentication", in.Version), "section_4389727047")
	}
}

// tbaRules are the rules for auto-installation by issuing a TBA token.
func (b *builder) tbaRules() {
	in := b.in
	// bridgehead_4249032125: the TBA box enables tokens; the sub-boxes allow the authorization flow and issuetoken.
	if !in.Record.TBA {
		b.block("tba_unchecked", "the record's Token-based Authentication box is not checked", "bridgehead_4249032125")
	} else if !in.Record.TBAAuthFlow && !in.Record.TBAIssueToken {
		b.block("tba_token_path_unchecked", "neither TBA: Authorization Flow nor TBA: IssueToken Endpoint is checked, so no token can be issued in the customer's account (tokens made in the UI need the record installed already)", "bridgehead_4249032125")
	}
	// bridgehead_4249032125 (warning box), section_0525020842: no new TBA integrations from 2027.1.
	if !in.Record.CreatedAt.IsZero() && !in.Record.CreatedAt.Before(nsdist.NoNewTBA.Start()) {
		b.block("tba_record_after_2027_1", "the record was created on or after 2027.1, when NetSuite no longer allows new TBA integrations; use OAuth 2.0 with REST", "bridgehead_4249032125")
	} else if !in.Date.Before(nsdist.NoNewTBA.Start()) {
		b.warn("tba_existing_after_2027_1", "no new TBA integrations can be created from 2027.1; existing TBA records like this one keep working until SOAP is removed", "bridgehead_4249032125")
	}
	// subsect_156935170194 (UnknownAlgorithm): HMAC-SHA1 ended with 2023.1.
	if !in.Date.Before(nsdist.HMACSHA1Removed.Start()) {
		b.warn("hmac_sha1_gone", "only HMAC-SHA256 signatures are accepted; HMAC-SHA1 stopped working in 2023.1 (nsdist signs with HMAC-SHA256)", "subsect_156935170194")
	}
}

// oauth2Rules are the rules for auto-installation by an OAuth 2.0 flow.
func (b *builder) oauth2Rules() {
	r := b.in.Record
	// section_157771733782: OAuth 2.0 grants on the record; section_4429293934: OAuth 2.0 auto-installs the record.
	switch {
	case !r.OAuth2 && !r.OAuth2CodeGrant && !r.OAuth2ClientCredentials:
		b.block("oauth2_unchecked", "no OAuth 2.0 grant (Authorization Code or Client Credentials) is checked on the record", "section_157771733782")
	case r.OAuth2ClientCredentials && !r.OAuth2CodeGrant:
		// section_162686838198: the M2M mapping can only pick a record already in the account; no page says M2M installs one.
		b.block("oauth2_m2m_installs_nothing", "only Client Credentials (Machine to Machine) Grant is checked: M2M never installs a record, it needs the record already in the target; check Authorization Code Grant and have a user of the target authorize once, or install the record with a bundle or SuiteApp, then map the certificate", "section_162686838198")
	}
	b.warn("oauth2_not_soap", "OAuth 2.0 covers REST web services and RESTlets, not SOAP; nsdist cannot confirm the State with a SOAP request on this channel", "section_157771733782")
}

// packageRules are the rules for a SuiteBundler bundle or an SDF SuiteApp.
func (b *builder) packageRules() {
	in := b.in
	// section_4389835426: only the owner can bundle; no re-bundling of
	// someone else's record unless bundle copy. A bundle copy is
	// SuiteBundler's: it lets through a record that arrived in a
	// bundle, not any record owned elsewhere, and means nothing to SDF.
	bundleCopy := in.Record.BundleCopy && in.Channel == ChannelBundle
	if in.Record.FromOthersBundle && !bundleCopy {
		b.block("rebundle", "the record arrived in someone else's bundle and cannot be bundled again (only a SuiteBundler bundle copy may include it)", "section_4389835426")
	} else if in.Record.Owner != "" && in.Source != "" && !sameAccount(in.Source, in.Record.Owner) && !(bundleCopy && in.Record.FromOthersBundle) {
		b.block("not_owner", fmt.Sprintf("only the owner account %s can bundle the record, not %s", in.Record.Owner, in.Source), "section_4389835426")
	}
	// section_4389727047: the owner account has the record it created,
	// with the State set there; a bundle or SuiteApp brings it nothing.
	// The source account has the record too (it is building the bundle
	// or SuiteApp from it), so installing there changes nothing either.
	switch {
	case in.Target.Account != "" && sameAccount(in.Target.Account, in.Record.Owner):
		b.block("target_is_owner", fmt.Sprintf("the target %s is the account that owns the record: it already has it, and a bundle or SuiteApp install there changes nothing; set its State in %s", in.Target.Account, MenuManageIntegrations), "section_4389727047")
	case in.Target.Account != "" && sameAccount(in.Target.Account, in.Source):
		b.block("target_is_source", fmt.Sprintf("the target %s is the source account the bundle or SuiteApp is built in: it already has the record, and installing there changes nothing; set its State in %s", in.Target.Account, MenuManageIntegrations), "section_4389727047")
	}
	// section_4389835426: Replace Existing Object makes the record the bundle author's.
	if in.Record.ReplacedByBundleUpdate {
		b.block("replace_existing_object", "the record was updated by Replace Existing Object during a bundle update and belongs to that bundle's author; it cannot be distributed", "section_4389835426")
	}
	// section_4853873261: Release Preview can be a source only for Release Preview.
	if in.SourceReleasePreview && !in.Target.ReleasePreview {
		b.block("release_preview_source", "a Release Preview account can be a bundle source only for Release Preview targets", "section_4853873261")
	}
	if in.Channel == ChannelBundle {
		b.warn("suitebundler_maintenance", "SuiteBundler gets no new features; Oracle recommends SDF SuiteApps instead", "section_4520725557")
	}
}

// soapRules are the SOAP endpoint and lifecycle rules for the channels
// that nsdist confirms with a SOAP request.
func (b *builder) soapRules() {
	in := b.in
	lc := in.Version.EndpointLifecycle(in.Date)
	day := in.Date.UTC().Format(time.DateOnly)
	rel := nsdist.ReleaseAt(in.Date)
	switch {
	// article_2104046421: SOAP removed with 2028.2.
	case !rel.Before(nsdist.SOAPRemoved):
		b.block("soap_removed", "SOAP web services were removed with NetSuite 2028.2", "article_2104046421")
	case lc == nsdist.EndpointDisabled:
		b.block("endpoint_disabled", fmt.Sprintf("endpoint %s is disabled as of %s", in.Version, day), "article_2104046421")
	case lc == nsdist.EndpointUnreleased:
		b.block("endpoint_unreleased", fmt.Sprintf("endpoint %s is not released as of %s", in.Version, day), "article_2104046421")
	case lc == nsdist.EndpointUnsupported:
		b.warn("endpoint_unsupported", fmt.Sprintf("endpoint %s still answers but Oracle no longer supports it as of %s; move to 2025.2", in.Version, day), "article_2104046421")
	}
	if rel.Before(nsdist.SOAPRemoved) {
		b.warn("soap_end_of_life", "SOAP web services are removed in 2028.2, and from 2027.1 only the 2025.2 endpoint is supported; plan the move to REST and OAuth 2.0", "article_2104046421")
	}
	if !in.Date.Before(nsdist.RESTForNewIntegrations.Start()) {
		b.warn("new_integrations_rest", "from 2026.1 Oracle asks new integrations to use REST web services with OAuth 2.0", "article_2104046421")
	}
}

// targetEditing sets what the target may edit on the record, and whether
// it may reset its credentials.
func (b *builder) targetEditing() {
	in := b.in
	b.d.EditableInTarget = []string{"State", "Note"} // section_4389727047, section_1515139626
	if in.Channel == ChannelOAuth2 {
		b.d.EditableInTarget = append(b.d.EditableInTarget, "OAuth 2.0 Consent Policy") // section_157771733782
	}
	// section_4389727047: the owner edits every field; elsewhere only State and Note.
	owner := in.Target.Account != "" && sameAccount(in.Target.Account, in.Record.Owner)
	if owner {
		b.d.EditableInTarget = []string{"State", "Note", "Name", "Description", "Authentication"}
	}
	// Only the owner account resets a record's credentials, whatever channel
	// brought the record elsewhere: a TBA record's consumer key and secret
	// (Reset Credentials, section_4395597766), an OAuth 2.0 record's client
	// ID and secret (section_157771733782: shown once, reset when lost).
	b.d.CredentialsResettableInTarget = owner && in.Record.hasCredentials()
}

// hasCredentials reports whether the record has credentials of its own to
// reset: a TBA consumer, or an OAuth 2.0 client.
func (r Record) hasCredentials() bool {
	return r.TBA || r.OAuth2 || r.OAuth2CodeGrant || r.OAuth2ClientCredentials
}

// predict sets the predicted State, whether requests are accepted, and
// the administrator's steps, per channel. It needs d.Allowed set.
func (b *builder) predict() {
	switch {
	case !b.d.Allowed:
		b.d.InitialState, b.d.RequestsAccepted = StateNone, No
	case b.in.Channel == ChannelBundle:
		b.predictBundle()
	case b.in.Channel == ChannelSDF:
		b.predictSDF()
	default: // auto-installation: section_4429293934, bridgehead_4431831502
		b.predictAutoInstall()
	}
}

func (b *builder) predictBundle() {
	// section_4431829430: after a bundle install the State is always Enabled.
	b.d.InitialState, b.d.RequestsAccepted = StateEnabled, Yes
	b.d.PossibleStates = []nsdist.State{nsdist.StateEnabled}
	b.d.AdminSteps = []Step{
		{Text: "In the target account, find and install the bundle", MenuPath: MenuInstallBundle},
		{Text: fmt.Sprintf("%s arrives Enabled; to stop it, edit it and set State to Blocked", b.name), MenuPath: MenuManageIntegrations},
	}
}

func (b *builder) predictSDF() {
	// section_160079429000: installing the SuiteApp installs the record; whether it honours the preference is not documented.
	b.d.InitialState, b.d.RequestsAccepted = StateUnknown, Unknown
	b.d.PossibleStates = []nsdist.State{nsdist.StateEnabled, nsdist.StateWaitingForApproval}
	b.d.Probe = "not documented: whether an SDF SuiteApp install sets State Enabled or applies the Require Approval preference; after installing, open " + MenuManageIntegrations + " in the target and read the record's State"
	b.d.AdminSteps = []Step{
		{Text: "Deploy or install the SuiteApp in the target account (suitecloud project:deploy, or the SuiteApp Marketplace)"},
		{Text: fmt.Sprintf("Check the State of %s; if it shows Waiting for Approval, edit it and set State to Enabled", b.name), MenuPath: MenuManageIntegrations},
	}
}

// predictAutoInstall predicts an auto-installation (section_4429293934,
// bridgehead_4431831502) from the target's Require Approval preference.
func (b *builder) predictAutoInstall() {
	in, name := b.in, b.name
	approveSteps := []Step{
		{Text: "Open the integration records list", MenuPath: MenuManageIntegrations},
		{Text: fmt.Sprintf("Edit %s", name)},
		{Text: "Set State to Enabled and save"},
	}
	if in.Channel == ChannelOAuth2 {
		approveSteps = append(approveSteps, Step{Text: fmt.Sprintf("If %s is not in the list, clear Require Approval during Auto-Installation of Integration and have the user authorize again (Oracle's code-grant page: with the box checked the grant may not install the record)", name), MenuPath: MenuSOAPPreferences})
	}
	if in.Channel == ChannelOAuth2 && in.Target.RequireApproval != PreferenceNotRequired {
		// section_4429293934 says the grant installs the record Waiting for Approval;
		// section_158081952044 says the box must be cleared for the install to succeed.
		b.warn("oauth2_require_approval_pages_differ", "Oracle's pages differ on a code grant with Require Approval during Auto-Installation of Integration checked: one says the record installs Waiting for Approval, the other that it does not install until the box is cleared; if the record is not listed in "+MenuManageIntegrations+" after the authorization, clear the box and have the user authorize again", "section_158081952044")
	}
	switch in.Target.RequireApproval {
	case PreferenceNotRequired:
		b.d.InitialState, b.d.RequestsAccepted = StateEnabled, Yes
		b.d.PossibleStates = []nsdist.State{nsdist.StateEnabled}
	case PreferenceRequired:
		b.d.InitialState, b.d.RequestsAccepted = StateWaitingForApproval, No
		b.d.PossibleStates = []nsdist.State{nsdist.StateWaitingForApproval}
		b.d.AdminSteps = approveSteps
	default:
		b.d.InitialState, b.d.RequestsAccepted = StateUnknown, Unknown
		b.d.PossibleStates = []nsdist.State{nsdist.StateEnabled, nsdist.StateWaitingForApproval}
		b.d.Probe = "send one authenticated request right after the install (nsdist sends getServerTime): success means Enabled; \"Invalid login attempt.\" right after the token was issued means it is most likely Waiting for Approval (nsdist's reading: Oracle documents no fault for that State). An administrator can also read the preference at " + MenuSOAPPreferences
		if in.Channel == ChannelOAuth2 {
			// article_0528010158: serverTime needs no permission; subsect_158521885412: refusals are 401 invalid_token.
			b.d.Probe = "call REST GET /services/rest/system/v1/serverTime with the new access token right after the grant: 200 means Enabled; 401 invalid_token right after the grant means it is most likely Waiting for Approval (or, by Oracle's code-grant page, not installed; Oracle documents only that every refusal is the same 401). An administrator can also read the preference at " + MenuSOAPPreferences
		}
		b.d.AdminSteps = []Step{
			{Text: "Check whether Require Approval during Auto-Installation of Integration is set", MenuPath: MenuSOAPPreferences},
			{Text: fmt.Sprintf("If it is, open the list, edit %s, set State to Enabled and save", name), MenuPath: MenuManageIntegrations},
		}
	}
}

// sandboxNotes adds the sandbox notes for an allowed decision.
func (b *builder) sandboxNotes() {
	in := b.in
	if canonical(in.Target.Account).IsSandbox() && b.d.Allowed {
		// section_1515139626, section_1515141510
		b.d.SandboxNotes = append(b.d.SandboxNotes,
			"a sandbox refresh removes records that exist only in the sandbox; auto-installing again restores the record with its State, Note and execution log cleared",
			"a sandbox refresh deletes the sandbox's token keys and secrets: customers must authorize again")
	}
	if canonical(in.Record.Owner).IsSandbox() && !canonical(in.Target.Account).IsSandbox() && b.d.Allowed {
		b.d.SandboxNotes = append(b.d.SandboxNotes, "the consumer key and secret are shared with the owner sandbox: resetting them there breaks this production install")
	}
}

// Consistent reports the first contradiction inside d, or nil. Evaluate
// never produces one; tests check it over the whole input space.
func (d Decision) Consistent() error {
	switch {
	case d.Allowed != (len(d.Blocking) == 0):
		return fmt.Errorf("approval: inconsistent decision: allowed=%v with %d blocking reasons", d.Allowed, len(d.Blocking))
	case !d.Allowed && (d.InitialState != StateNone || d.RequestsAccepted != No || len(d.AdminSteps) != 0):
		return fmt.Errorf("approval: inconsistent decision: a blocked channel predicts state %q, requests %q, %d steps", d.InitialState, d.RequestsAccepted, len(d.AdminSteps))
	case d.Allowed && d.InitialState == StateNone:
		return fmt.Errorf("approval: inconsistent decision: an allowed channel predicts no state")
	case d.InitialState == StateEnabled && d.RequestsAccepted != Yes:
		return fmt.Errorf("approval: inconsistent decision: Enabled but requests %q", d.RequestsAccepted)
	case d.InitialState == StateWaitingForApproval && d.RequestsAccepted != No:
		return fmt.Errorf("approval: inconsistent decision: Waiting for Approval but requests %q", d.RequestsAccepted)
	case d.InitialState == StateUnknown && (d.Probe == "" || len(d.PossibleStates) < 2):
		return fmt.Errorf("approval: inconsistent decision: Unknown state without a probe or alternatives")
	case d.Input.Channel == ChannelBundle && d.Allowed && d.InitialState != StateEnabled:
		return fmt.Errorf("approval: inconsistent decision: a bundle predicts %q", d.InitialState)
	case d.CredentialsResettableInTarget && (d.Input.Target.Account == "" || !sameAccount(d.Input.Target.Account, d.Input.Record.Owner)):
		return fmt.Errorf("approval: inconsistent decision: credentials resettable outside the owner")
	case d.CredentialsResettableInTarget && !d.Input.Record.hasCredentials():
		return fmt.Errorf("approval: inconsistent decision: credentials resettable on a record with neither TBA nor OAuth 2.0")
	}
	if d.InitialState == StateEnabled {
		for _, s := range d.AdminSteps {
			if strings.Contains(s.Text, "Set State to Enabled") {
				return fmt.Errorf("approval: inconsistent decision: predicted Enabled but an approval step: %q", s.Text)
			}
		}
	}
	if d.InitialState == StateWaitingForApproval && len(d.AdminSteps) == 0 {
		return fmt.Errorf("approval: inconsistent decision: Waiting for Approval without the administrator's steps")
	}
	return nil
}
