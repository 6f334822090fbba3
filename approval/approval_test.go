package approval_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
)

var today = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func tbaRecord() approval.Record {
	return approval.Record{Name: "Acme Sync", Owner: "TSTDRV1234567", TBA: true, TBAAuthFlow: true, TBAIssueToken: true}
}

func codes(rs []approval.Reason) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

func TestEvaluateBlockingRules(t *testing.T) {
	t.Parallel()
	legacy := approval.Record{Name: "Legacy", Owner: "654321", UserCredentials: true}
	tests := []struct {
		name string
		in   approval.Input
		want []string
	}{
		{"tba ok", approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord()}, []string{}},
		{"credentials on 2020_1 is only unsupported", approval.Input{Channel: approval.ChannelCredentials, Record: legacy, Version: nsdist.Release{Year: 2020, Number: 1}}, []string{}},
		{"user credentials unchecked", approval.Input{Channel: approval.ChannelCredentials, Record: approval.Record{Owner: "1"}, Version: nsdist.Release{Year: 2020, Number: 1}}, []string{"user_credentials_unchecked"}},
		{"passport on 2025_2", approval.Input{Channel: approval.ChannelCredentials, Record: legacy}, []string{"passport_endpoint"}},
		{"every reason at once", approval.Input{Channel: approval.ChannelCredentials, Record: approval.Record{Owner: "1"}, Version: nsdist.Release{Year: 2020, Number: 2}}, []string{"user_credentials_unchecked", "passport_endpoint"}},
		{"credentials on disabled 2019_2", approval.Input{Channel: approval.ChannelCredentials, Record: legacy, Version: nsdist.Release{Year: 2019, Number: 2}}, []string{"endpoint_disabled"}},
		{"tba box unchecked", approval.Input{Channel: approval.ChannelTBA, Record: approval.Record{Owner: "1"}}, []string{"tba_unchecked"}},
		{"tba without token paths", approval.Input{Channel: approval.ChannelTBA, Record: approval.Record{Owner: "1", TBA: true}}, []string{"tba_token_path_unchecked"}},
		{"tba record created after 2027.1", approval.Input{Channel: approval.ChannelTBA, Record: func() approval.Record {
			r := tbaRecord()
			r.CreatedAt = time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
			return r
		}(), Date: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)}, []string{"tba_record_after_2027_1"}},
		{"soap removed in 2028.2", approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Date: time.Date(2028, 10, 1, 0, 0, 0, 0, time.UTC)}, []string{"soap_removed"}},
		{"bundle ok", approval.Input{Channel: approval.ChannelBundle, Record: tbaRecord()}, []string{}},
		{"rebundle", approval.Input{Channel: approval.ChannelBundle, Record: approval.Record{Owner: "1", FromOthersBundle: true}}, []string{"rebundle"}},
		{"rebundle allowed as bundle copy", approval.Input{Channel: approval.ChannelBundle, Record: approval.Record{Owner: "1", FromOthersBundle: true, BundleCopy: true}, Source: "2"}, []string{}},
		{"not owner", approval.Input{Channel: approval.ChannelBundle, Record: approval.Record{Owner: "1"}, Source: "2"}, []string{"not_owner"}},
		// A bundle copy lets through a record that came in a bundle, not any record owned elsewhere.
		{"bundle copy of a record owned elsewhere", approval.Input{Channel: approval.ChannelBundle, Record: approval.Record{Owner: "1", BundleCopy: true}, Source: "2"}, []string{"not_owner"}},
		// SDF has no bundle copy.
		{"sdf with the bundle copy flag", approval.Input{Channel: approval.ChannelSDF, Record: approval.Record{Owner: "1", FromOthersBundle: true, BundleCopy: true}, Source: "2"}, []string{"rebundle"}},
		{"bundle into the owner", approval.Input{Channel: approval.ChannelBundle, Record: tbaRecord(), Target: approval.TargetAccount{Account: "TSTDRV1234567"}}, []string{"target_is_owner"}},
		{"sdf into the owner", approval.Input{Channel: approval.ChannelSDF, Record: tbaRecord(), Target: approval.TargetAccount{Account: "TSTDRV1234567"}}, []string{"target_is_owner"}},
		{"tba in the owner is fine", approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Target: approval.TargetAccount{Account: "TSTDRV1234567"}}, []string{}},
		{"replace existing object", approval.Input{Channel: approval.ChannelSDF, Record: approval.Record{Owner: "1", ReplacedByBundleUpdate: true}}, []string{"replace_existing_object"}},
		{"release preview source", approval.Input{Channel: approval.ChannelBundle, Record: tbaRecord(), SourceReleasePreview: true}, []string{"release_preview_source"}},
		{"release preview to release preview", approval.Input{Channel: approval.ChannelBundle, Record: tbaRecord(), SourceReleasePreview: true, Target: approval.TargetAccount{ReleasePreview: true}}, []string{}},
		{"bundle after SOAP removal is fine", approval.Input{Channel: approval.ChannelBundle, Record: tbaRecord(), Date: time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{}},
		{"oauth2 unchecked", approval.Input{Channel: approval.ChannelOAuth2, Record: tbaRecord()}, []string{"oauth2_unchecked"}},
		{"oauth2 m2m only installs nothing", approval.Input{Channel: approval.ChannelOAuth2, Record: approval.Record{OAuth2ClientCredentials: true}}, []string{"oauth2_m2m_installs_nothing"}},
		{"oauth2 m2m with code grant", approval.Input{Channel: approval.ChannelOAuth2, Record: approval.Record{OAuth2CodeGrant: true, OAuth2ClientCredentials: true}}, []string{}},
		{"oauth2 code grant box", approval.Input{Channel: approval.ChannelOAuth2, Record: approval.Record{OAuth2CodeGrant: true}}, []string{}},
		{"unknown channel", approval.Input{Channel: "fax", Record: tbaRecord()}, []string{"unknown_channel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.in.Date.IsZero() {
				tt.in.Date = today
			}
			d := approval.Evaluate(tt.in)
			if diff := cmp.Diff(tt.want, codes(d.Blocking)); diff != "" {
				t.Errorf("Evaluate blocking mismatch (-want +got):\n%s", diff)
			}
			for _, r := range d.Blocking {
				if r.Source == "" && r.Code != "unknown_channel" {
					t.Errorf("reason %s names no source", r.Code)
				}
			}
		})
	}
}

// TestEvaluateAccountCase: account ids are compared in canonical form, and
// a bundle or SuiteApp into the source account is blocked like one into
// the owner.
func TestEvaluateAccountCase(t *testing.T) {
	t.Parallel()
	fromBundle := approval.Record{Name: "R", Owner: "654321", TBA: true, FromOthersBundle: true, BundleCopy: true}
	tests := []struct {
		name        string
		in          approval.Input
		want        []string
		resettable  bool
		sandboxNote bool
	}{
		{"bundle into the owner, target lower case", approval.Input{Channel: approval.ChannelBundle, Record: tbaRecord(), Target: approval.TargetAccount{Account: "tstdrv1234567"}}, []string{"target_is_owner"}, true, false},
		{"sdf into the owner, owner lower case", approval.Input{Channel: approval.ChannelSDF, Record: func() approval.Record { r := tbaRecord(); r.Owner = "tstdrv1234567"; return r }(), Target: approval.TargetAccount{Account: "TSTDRV1234567"}}, []string{"target_is_owner"}, true, false},
		{"tba in the owner, target lower case", approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Target: approval.TargetAccount{Account: "tstdrv1234567"}}, []string{}, true, false},
		{"source lower case is the owner", approval.Input{Channel: approval.ChannelBundle, Record: tbaRecord(), Source: "tstdrv1234567", Target: approval.TargetAccount{Account: "123456"}}, []string{}, false, false},
		{"bundle into the source, owner unknown", approval.Input{Channel: approval.ChannelBundle, Record: approval.Record{Name: "R", TBA: true}, Source: "TSTDRV1234567", Target: approval.TargetAccount{Account: "TSTDRV1234567"}}, []string{"target_is_source"}, false, false},
		{"sdf into the source, lower case, owner unknown", approval.Input{Channel: approval.ChannelSDF, Record: approval.Record{Name: "R"}, Source: "TSTDRV1234567", Target: approval.TargetAccount{Account: "tstdrv1234567"}}, []string{"target_is_source"}, false, false},
		{"bundle copy of a from-bundle record into the source", approval.Input{Channel: approval.ChannelBundle, Record: fromBundle, Source: "TSTDRV1234567", Target: approval.TargetAccount{Account: "TSTDRV1234567"}}, []string{"target_is_source"}, false, false},
		{"bundle copy of a from-bundle record into its owner", approval.Input{Channel: approval.ChannelBundle, Record: fromBundle, Source: "TSTDRV1234567", Target: approval.TargetAccount{Account: "654321"}}, []string{"target_is_owner"}, true, false},
		{"bundle copy of a from-bundle record elsewhere", approval.Input{Channel: approval.ChannelBundle, Record: fromBundle, Source: "TSTDRV1234567", Target: approval.TargetAccount{Account: "123456"}}, []string{}, false, false},
		{"owner and source and target one account: only target_is_owner", approval.Input{Channel: approval.ChannelSDF, Record: tbaRecord(), Source: "tstdrv1234567", Target: approval.TargetAccount{Account: "TSTDRV1234567"}}, []string{"target_is_owner"}, true, false},
		{"tba into the source is fine", approval.Input{Channel: approval.ChannelTBA, Record: approval.Record{Name: "R", TBA: true, TBAAuthFlow: true}, Source: "TSTDRV1234567", Target: approval.TargetAccount{Account: "TSTDRV1234567"}}, []string{}, false, false},
		{"sandbox owner lower case, production target", approval.Input{Channel: approval.ChannelBundle, Record: approval.Record{Name: "R", Owner: "123456_sb1"}, Target: approval.TargetAccount{Account: "654321"}}, []string{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.in.Date = today
			passed := tt.in
			d := approval.Evaluate(tt.in)
			if diff := cmp.Diff(tt.want, codes(d.Blocking)); diff != "" {
				t.Errorf("Evaluate blocking mismatch (-want +got):\n%s", diff)
			}
			if d.CredentialsResettableInTarget != tt.resettable {
				t.Errorf("CredentialsResettableInTarget = %v, want %v", d.CredentialsResettableInTarget, tt.resettable)
			}
			if got := len(d.SandboxNotes) > 0 && strings.Contains(d.SandboxNotes[len(d.SandboxNotes)-1], "owner sandbox"); got != tt.sandboxNote {
				t.Errorf("owner-sandbox note = %v, want %v (%q)", got, tt.sandboxNote, d.SandboxNotes)
			}
			if err := d.Consistent(); err != nil {
				t.Error(err)
			}
			if d.Input.Record.Owner != passed.Record.Owner || d.Input.Target.Account != passed.Target.Account || (passed.Source != "" && d.Input.Source != passed.Source) {
				t.Errorf("Decision.Input changed the caller's ids: %+v", d.Input)
			}
		})
	}
}

func TestEvaluateStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		channel  approval.Channel
		pref     approval.Preference
		want     approval.PredictedState
		accepted approval.Tristate
		steps    bool
	}{
		{approval.ChannelTBA, approval.PreferenceNotRequired, approval.StateEnabled, approval.Yes, false},
		{approval.ChannelTBA, approval.PreferenceRequired, approval.StateWaitingForApproval, approval.No, true},
		{approval.ChannelTBA, approval.PreferenceUnknown, approval.StateUnknown, approval.Unknown, true},
		{approval.ChannelBundle, approval.PreferenceRequired, approval.StateEnabled, approval.Yes, true},
		{approval.ChannelBundle, approval.PreferenceUnknown, approval.StateEnabled, approval.Yes, true},
		{approval.ChannelSDF, approval.PreferenceNotRequired, approval.StateUnknown, approval.Unknown, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.channel)+"/"+string(tt.pref), func(t *testing.T) {
			t.Parallel()
			d := approval.Evaluate(approval.Input{Channel: tt.channel, Record: tbaRecord(), Target: approval.TargetAccount{Account: "123456", RequireApproval: tt.pref}, Date: today})
			if d.InitialState != tt.want || d.RequestsAccepted != tt.accepted || (len(d.AdminSteps) > 0) != tt.steps {
				t.Errorf("state %q accepted %q steps %d; want %q %q %v", d.InitialState, d.RequestsAccepted, len(d.AdminSteps), tt.want, tt.accepted, tt.steps)
			}
			if tt.want == approval.StateWaitingForApproval && !strings.Contains(d.AdminSteps[0].MenuPath, "Manage Integrations") {
				t.Errorf("approval steps lack the menu path: %+v", d.AdminSteps)
			}
		})
	}
	// The preference is unknown: the first step names the preference and where it is.
	unknown := approval.Evaluate(approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Target: approval.TargetAccount{Account: "123456"}, Date: today})
	wantSteps := []approval.Step{
		{Text: "Check whether Require Approval during Auto-Installation of Integration is set", MenuPath: "Setup > Integration > SOAP Web Services Preferences"},
		{Text: "If it is, open the list, edit Acme Sync, set State to Enabled and save", MenuPath: "Setup > Integration > Manage Integrations"},
	}
	if diff := cmp.Diff(wantSteps, unknown.AdminSteps); diff != "" {
		t.Errorf("Evaluate(unknown preference) AdminSteps mismatch (-want +got):\n%s", diff)
	}
	sdf := approval.Evaluate(approval.Input{Channel: approval.ChannelSDF, Record: tbaRecord(), Date: today})
	if !strings.Contains(sdf.Probe, "not documented") {
		t.Errorf("SDF probe = %q, want it to say 'not documented'", sdf.Probe)
	}
}

func TestEvaluateTargetRules(t *testing.T) {
	t.Parallel()
	d := approval.Evaluate(approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Target: approval.TargetAccount{Account: "123456_SB1"}, Date: today})
	if diff := cmp.Diff([]string{"State", "Note"}, d.EditableInTarget); diff != "" {
		t.Errorf("editable mismatch (-want +got):\n%s", diff)
	}
	if d.CredentialsResettableInTarget || len(d.SandboxNotes) != 2 {
		t.Errorf("resettable=%v sandbox notes=%v", d.CredentialsResettableInTarget, d.SandboxNotes)
	}
	oauthOnly := approval.Record{Name: "REST App", Owner: "TSTDRV1234567", OAuth2CodeGrant: true}
	legacy := approval.Record{Name: "Legacy", Owner: "TSTDRV1234567", UserCredentials: true}
	// section_4395597766: Reset Credentials only on TBA records, only in the owner account.
	resettable := []struct {
		name    string
		channel approval.Channel
		record  approval.Record
		target  nsdist.AccountID
		version nsdist.Release
		want    bool
	}{
		{"tba in the owner", approval.ChannelTBA, tbaRecord(), "TSTDRV1234567", nsdist.Release{Year: 2025, Number: 2}, true},
		{"tba elsewhere", approval.ChannelTBA, tbaRecord(), "123456", nsdist.Release{Year: 2025, Number: 2}, false},
		{"bundle in the owner", approval.ChannelBundle, tbaRecord(), "TSTDRV1234567", nsdist.Release{Year: 2025, Number: 2}, true},
		{"bundle elsewhere", approval.ChannelBundle, tbaRecord(), "123456", nsdist.Release{Year: 2025, Number: 2}, false},
		{"credentials record without TBA in the owner", approval.ChannelCredentials, legacy, "TSTDRV1234567", nsdist.Release{Year: 2020, Number: 1}, false},
		// section_157771733782: an OAuth 2.0 record's client ID and secret are reset in its owner
		{"oauth2 record without TBA in the owner", approval.ChannelOAuth2, oauthOnly, "TSTDRV1234567", nsdist.Release{Year: 2025, Number: 2}, true},
		{"oauth2 record without TBA elsewhere", approval.ChannelOAuth2, oauthOnly, "123456", nsdist.Release{Year: 2025, Number: 2}, false},
		{"no target account", approval.ChannelTBA, tbaRecord(), "", nsdist.Release{Year: 2025, Number: 2}, false},
	}
	for _, tt := range resettable {
		d := approval.Evaluate(approval.Input{Channel: tt.channel, Record: tt.record, Target: approval.TargetAccount{Account: tt.target}, Version: tt.version, Date: today})
		if d.CredentialsResettableInTarget != tt.want {
			t.Errorf("%s: CredentialsResettableInTarget = %v, want %v", tt.name, d.CredentialsResettableInTarget, tt.want)
		}
		wantEdit := []string{"State", "Note"}
		if tt.target == tt.record.Owner {
			wantEdit = []string{"State", "Note", "Name", "Description", "Authentication"}
		} else if tt.channel == approval.ChannelOAuth2 {
			wantEdit = append(wantEdit, "OAuth 2.0 Consent Policy")
		}
		if diff := cmp.Diff(wantEdit, d.EditableInTarget); diff != "" {
			t.Errorf("%s: EditableInTarget mismatch (-want +got):\n%s", tt.name, diff)
		}
		if err := d.Consistent(); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	oauth := approval.Evaluate(approval.Input{Channel: approval.ChannelOAuth2, Record: approval.Record{OAuth2: true}, Date: today})
	if !slices.Contains(oauth.EditableInTarget, "OAuth 2.0 Consent Policy") {
		t.Errorf("oauth2 editable = %v", oauth.EditableInTarget)
	}
	sbOwner := approval.Evaluate(approval.Input{Channel: approval.ChannelTBA, Record: approval.Record{Owner: "123456_SB1", TBA: true, TBAAuthFlow: true}, Target: approval.TargetAccount{Account: "123456"}, Date: today})
	if len(sbOwner.SandboxNotes) != 1 || !strings.Contains(sbOwner.SandboxNotes[0], "shared") {
		t.Errorf("sandbox owner notes = %v", sbOwner.SandboxNotes)
	}
}

func TestEvaluateWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      approval.Input
		want    []string
		wantNot []string
	}{
		{"tba 2025_2 today", approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Date: today}, []string{"hmac_sha1_gone", "soap_end_of_life", "new_integrations_rest"}, []string{"endpoint_unsupported", "tba_existing_after_2027_1"}},
		{"tba 2023_2 today is unsupported", approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Version: nsdist.Release{Year: 2023, Number: 2}, Date: today}, []string{"endpoint_unsupported"}, nil},
		{"existing tba after 2027.1", approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Date: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)}, []string{"tba_existing_after_2027_1"}, nil},
		{"2022: no sha1 warning yet, no 2026.1 note", approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Version: nsdist.Release{Year: 2022, Number: 2}, Date: time.Date(2022, 12, 1, 0, 0, 0, 0, time.UTC)}, []string{"soap_end_of_life"}, []string{"hmac_sha1_gone", "new_integrations_rest"}},
		{"bundle", approval.Input{Channel: approval.ChannelBundle, Record: tbaRecord(), Date: today}, []string{"suitebundler_maintenance"}, []string{"soap_end_of_life"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := codes(approval.Evaluate(tt.in).Warnings)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("warnings %v lack %s", got, w)
				}
			}
			for _, w := range tt.wantNot {
				if slices.Contains(got, w) {
					t.Errorf("warnings %v include %s", got, w)
				}
			}
		})
	}
}

// Over the whole input space Evaluate never panics and every decision is
// consistent.
func TestEvaluateOAuth2RequireApproval(t *testing.T) {
	t.Parallel()
	for _, pref := range []approval.Preference{approval.PreferenceRequired, approval.PreferenceUnknown, approval.PreferenceNotRequired} {
		d := approval.Evaluate(approval.Input{Channel: approval.ChannelOAuth2, Record: approval.Record{Name: "Acme", OAuth2CodeGrant: true},
			Target: approval.TargetAccount{Account: "123456", RequireApproval: pref}, Date: today})
		warned := slices.ContainsFunc(d.Warnings, func(r approval.Reason) bool { return r.Code == "oauth2_require_approval_pages_differ" })
		if warned != (pref != approval.PreferenceNotRequired) {
			t.Errorf("preference %s: pages-differ warning = %v", pref, warned)
		}
		if pref == approval.PreferenceRequired {
			last := d.AdminSteps[len(d.AdminSteps)-1]
			if !strings.Contains(last.Text, "authorize again") || last.MenuPath != approval.MenuSOAPPreferences {
				t.Errorf("required: last step %+v does not cover the not-installed reading", last)
			}
		}
		if pref == approval.PreferenceUnknown && !strings.Contains(d.Probe, "serverTime") {
			t.Errorf("unknown: probe %q does not name REST serverTime", d.Probe)
		}
	}
}

func TestEvaluateWholeSpace(t *testing.T) {
	t.Parallel()
	dates := []time.Time{time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC), today, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 9, 1, 0, 0, 0, 0, time.UTC)}
	prefs := []approval.Preference{approval.PreferenceUnknown, approval.PreferenceRequired, approval.PreferenceNotRequired}
	targets := []nsdist.AccountID{"123456_SB1", "TSTDRV1", "tstdrv1"} // the last is the owner in another case
	n := 0
	for _, ch := range append(approval.Channels(), "bogus") {
		for _, v := range []nsdist.Release{{Year: 2017, Number: 1}, {Year: 2020, Number: 1}, {Year: 2025, Number: 2}} {
			for _, date := range dates {
				for _, pref := range prefs {
					for _, tgt := range targets {
						for bits := range 1 << 10 {
							b := func(i int) bool { return bits&(1<<i) != 0 }
							rec := approval.Record{Owner: "TSTDRV1", UserCredentials: b(0), TBA: b(1), TBAIssueToken: b(2), TBAAuthFlow: b(3), OAuth2: b(4), FromOthersBundle: b(5), ReplacedByBundleUpdate: b(6), BundleCopy: b(7)}
							if b(8) {
								rec.CreatedAt = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
							}
							in := approval.Input{Channel: ch, Record: rec, Target: approval.TargetAccount{Account: tgt, RequireApproval: pref, ReleasePreview: b(9)}, SourceReleasePreview: b(8), Version: v, Date: date}
							d := approval.Evaluate(in)
							if err := d.Consistent(); err != nil {
								t.Fatalf("Evaluate(%+v) inconsistent: %v", in, err)
							}
							if bits%32 != 0 {
								n++
								continue
							}
							for _, obs := range []approval.Observed{approval.ObservedSuccess, approval.ObservedInvalidLogin, approval.ObservedConcurrency, approval.ObservedOther} {
								o := approval.Explain(d, approval.Observation{Observed: obs, TokenIssuedAt: today, At: today})
								if o.Report == "" || o.Sentence == "" {
									t.Fatalf("empty outcome for %v", obs)
								}
							}
							n++
						}
					}
				}
			}
		}
	}
	if n < 400000 {
		t.Errorf("checked only %d inputs", n)
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	eval := func(pref approval.Preference) approval.Decision {
		return approval.Evaluate(approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Target: approval.TargetAccount{Account: "123456", RequireApproval: pref}, Date: today})
	}
	issued := today.Add(-30 * time.Second)
	tests := []struct {
		name     string
		d        approval.Decision
		obs      approval.Observation
		kind     approval.Kind
		report   string
		contains string
	}{
		{"success", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedSuccess}, approval.Enabled, "enabled", "installed and enabled in 123456"},
		{"invalid login, approval required", eval(approval.PreferenceRequired), approval.Observation{Observed: approval.ObservedInvalidLogin}, approval.AwaitingApproval, "awaiting_approval",
			"installed, waiting for approval: an administrator of 123456 must open Setup > Integration > Manage Integrations, edit Acme Sync, and set State to Enabled"},
		{"invalid login, approval not required", eval(approval.PreferenceNotRequired), approval.Observation{Observed: approval.ObservedInvalidLogin}, approval.BlockedOrRejected, "rejected", "Login Audit Trail"},
		{"invalid login, unknown, fresh token", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedInvalidLogin, TokenIssuedAt: issued, At: today}, approval.AwaitingApproval, "awaiting_approval", "most likely waiting for approval"},
		{"invalid login, unknown, old token", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedInvalidLogin, TokenIssuedAt: today.Add(-48 * time.Hour), At: today}, approval.BlockedOrRejected, "rejected", "Blocked or Waiting for Approval"},
		{"invalid login, unknown, token age unknown", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedInvalidLogin, At: today}, approval.BlockedOrRejected, "rejected",
			"the likely causes are, in order: Acme Sync is Waiting for Approval, it is Blocked, or the token was revoked"},
		{"invalid_token, oauth2, fresh", approval.Evaluate(approval.Input{Channel: approval.ChannelOAuth2, Record: approval.Record{Name: "Acme Sync", OAuth2CodeGrant: true}, Target: approval.TargetAccount{Account: "123456"}, Date: today}),
			approval.Observation{Observed: approval.ObservedInvalidLogin, TokenIssuedAt: issued, At: today}, approval.AwaitingApproval, "awaiting_approval", "the user authorized moments ago, which installed the record, and NetSuite refuses requests from a record Waiting for Approval with 401 invalid_token"},
		{"reauthorize", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedReauthorize}, approval.BlockedOrRejected, "rejected", "authorization for 123456 ended"},
		{"client refused", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedClientRefused}, approval.Misconfigured, "misconfigured", "refused the client"},
		{"ambiguous", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedAmbiguousAuth}, approval.Misconfigured, "misconfigured", "Ambiguous authentication"},
		{"missing application id, approval required", eval(approval.PreferenceRequired), approval.Observation{Observed: approval.ObservedMissingApplicationID, TokenIssuedAt: issued, At: today}, approval.Misconfigured, "misconfigured", "without an application id"},
		{"invalid application id", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedInvalidApplicationID, TokenIssuedAt: issued, At: today}, approval.Misconfigured, "misconfigured", "does not know the application id"},
		{"credentials refused, fresh token", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedCredentialsRefused, TokenIssuedAt: issued, At: today}, approval.BlockedOrRejected, "rejected", "refused the credentials themselves"},
		{"concurrency", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedConcurrency}, approval.Retryable, "failed", "concurrency limit"},
		{"feature", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedFeatureOrPerm}, approval.Misconfigured, "misconfigured", "SOAP Web Services"},
		{"version", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedUnsupportedVersion}, approval.Misconfigured, "misconfigured", "endpoint"},
		{"transport", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedTransport}, approval.Retryable, "failed", "no answer"},
		{"other", eval(approval.PreferenceUnknown), approval.Observation{Observed: approval.ObservedOther}, approval.UnknownOutcome, "failed", "did not say"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := approval.Explain(tt.d, tt.obs)
			if o.Kind != tt.kind || o.Report != tt.report || !strings.Contains(o.Sentence, tt.contains) {
				t.Errorf("Explain = %+v; want %s %s containing %q", o, tt.kind, tt.report, tt.contains)
			}
			if o.Kind == approval.AwaitingApproval && tt.name != "invalid login, approval required" && len(o.LessLikely) == 0 {
				t.Error("less likely causes not named")
			}
		})
	}
}

func TestDecisionJSON(t *testing.T) {
	t.Parallel()
	for _, ch := range approval.Channels() {
		d := approval.Evaluate(approval.Input{Channel: ch, Record: approval.Record{}, Date: today})
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"blocking", "admin_steps", "editable_in_target", "warnings", "sandbox_notes", "possible_states"} {
			if _, ok := m[k].([]any); !ok {
				t.Errorf("%s: %s is %T, want an array: %s", ch, k, m[k], b)
			}
		}
		for _, k := range []string{"allowed", "credentials_resettable_in_target"} {
			if _, ok := m[k].(bool); !ok {
				t.Errorf("%s: %s is %T", ch, k, m[k])
			}
		}
		if s, _ := m["initial_state"].(string); !slices.Contains([]string{"Enabled", "Waiting for Approval", "Unknown", "None"}, s) {
			t.Errorf("%s: initial_state %q", ch, s)
		}
		if d.String() == "" || !strings.Contains(d.String(), "initial state") {
			t.Errorf("text rendering: %q", d.String())
		}
	}
}

func ExampleEvaluate_tba() {
	d := approval.Evaluate(approval.Input{
		Channel: approval.ChannelTBA, Record: tbaRecord(),
		Target: approval.TargetAccount{Account: "123456", RequireApproval: approval.PreferenceRequired}, Date: today,
	})
	fmt.Println(d.Allowed, d.InitialState, d.RequestsAccepted)
	for _, s := range d.AdminSteps {
		fmt.Println("-", s)
	}
	// Output:
	// true Waiting for Approval no
	// - Open the integration records list (Setup > Integration > Manage Integrations)
	// - Edit Acme Sync
	// - Set State to Enabled and save
}

func ExampleEvaluate_credentials() {
	d := approval.Evaluate(approval.Input{
		Channel: approval.ChannelCredentials, Record: approval.Record{Name: "Legacy", UserCredentials: true},
		Version: nsdist.Release{Year: 2025, Number: 2}, Date: today,
	})
	fmt.Println(d.Allowed, d.InitialState)
	fmt.Println(d.Blocking[0].Text)
	// Output:
	// false None
	// user credentials work only on endpoints 2020.1 and older, not 2025.2; use token-based authentication
}

func ExampleEvaluate_oauth2() {
	d := approval.Evaluate(approval.Input{Channel: approval.ChannelOAuth2, Record: approval.Record{OAuth2: true},
		Target: approval.TargetAccount{RequireApproval: approval.PreferenceNotRequired}, Date: today})
	fmt.Println(d.Allowed, d.InitialState, d.EditableInTarget)
	// Output: true Enabled [State Note OAuth 2.0 Consent Policy]
}

func ExampleEvaluate_bundle() {
	d := approval.Evaluate(approval.Input{Channel: approval.ChannelBundle, Record: tbaRecord(),
		Target: approval.TargetAccount{Account: "123456", RequireApproval: approval.PreferenceRequired}, Date: today})
	fmt.Println(d.InitialState, d.CredentialsResettableInTarget)
	// Output: Enabled false
}

func ExampleEvaluate_sdf() {
	d := approval.Evaluate(approval.Input{Channel: approval.ChannelSDF, Record: tbaRecord(), Date: today})
	fmt.Println(d.InitialState, strings.HasPrefix(d.Probe, "not documented"))
	// Output: Unknown true
}

func ExampleExplain() {
	d := approval.Evaluate(approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(),
		Target: approval.TargetAccount{Account: "123456", RequireApproval: approval.PreferenceRequired}, Date: today})
	// the SOAP channel observed "Invalid login attempt." (tba.Observe)
	fmt.Println(approval.Explain(d, approval.Observation{Observed: approval.ObservedInvalidLogin}))
	// Output: awaiting_approval: installed, waiting for approval: an administrator of 123456 must open Setup > Integration > Manage Integrations, edit Acme Sync, and set State to Enabled
}

// TestConsistentRefuses: each rule of Consistent rejects a decision that
// breaks it, and a decision that keeps them all passes.
func TestConsistentRefuses(t *testing.T) {
	t.Parallel()
	owner := approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Target: approval.TargetAccount{Account: "TSTDRV1234567"}}
	ok := func() approval.Decision {
		return approval.Decision{Input: owner, Allowed: true, InitialState: approval.StateEnabled, RequestsAccepted: approval.Yes, CredentialsResettableInTarget: true}
	}
	tests := []struct {
		name string
		edit func(d *approval.Decision)
		want string // "" for consistent
	}{
		{"consistent", func(*approval.Decision) {}, ""},
		{"allowed without a state", func(d *approval.Decision) { d.InitialState = approval.StateNone }, "an allowed channel predicts no state"},
		{"enabled refusing requests", func(d *approval.Decision) { d.RequestsAccepted = approval.No }, "Enabled but requests"},
		{"waiting accepting requests", func(d *approval.Decision) { d.InitialState = approval.StateWaitingForApproval }, "Waiting for Approval but requests"},
		{"unknown without a probe", func(d *approval.Decision) {
			d.InitialState = approval.StateUnknown
			d.RequestsAccepted = approval.Unknown
		}, "Unknown state without a probe"},
		{"bundle not enabled", func(d *approval.Decision) {
			d.Input.Channel = approval.ChannelBundle
			d.InitialState, d.RequestsAccepted = approval.StateWaitingForApproval, approval.No
		}, "a bundle predicts"},
		{"resettable outside the owner", func(d *approval.Decision) { d.Input.Target.Account = "123456" }, "resettable outside the owner"},
		{"resettable with neither TBA nor OAuth 2.0", func(d *approval.Decision) {
			d.Input.Record.TBA, d.Input.Record.OAuth2, d.Input.Record.OAuth2CodeGrant, d.Input.Record.OAuth2ClientCredentials = false, false, false, false
		}, "resettable on a record with neither TBA nor OAuth 2.0"},
		{"approval step while enabled", func(d *approval.Decision) {
			d.AdminSteps = []approval.Step{{Text: "Set State to Enabled and save"}}
		}, "predicted Enabled but an approval step"},
	}
	for _, tt := range tests {
		d := ok()
		tt.edit(&d)
		err := d.Consistent()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Consistent = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: Consistent = %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}

// TestChannelAutoInstall: the three auto-installation channels, and not
// the bundle, SDF or an unknown one.
func TestChannelAutoInstall(t *testing.T) {
	t.Parallel()
	got := map[approval.Channel]bool{}
	for _, c := range append(approval.Channels(), "fax") {
		got[c] = c.AutoInstall()
	}
	want := map[approval.Channel]bool{
		approval.ChannelCredentials: true, approval.ChannelTBA: true, approval.ChannelOAuth2: true,
		approval.ChannelBundle: false, approval.ChannelSDF: false, "fax": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AutoInstall (-want +got):\n%s", diff)
	}
}
