package approval_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
)

func TestDecisionString(t *testing.T) {
	t.Parallel()
	blocked := approval.Evaluate(approval.Input{Channel: approval.ChannelCredentials, Record: approval.Record{Name: "Legacy", Owner: "1"}, Target: approval.TargetAccount{Account: "123456_SB1", RequireApproval: approval.PreferenceRequired}, Version: nsdist.Release{Year: 2020, Number: 1}, Date: today})
	waiting := approval.Evaluate(approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Target: approval.TargetAccount{Account: "123456", RequireApproval: approval.PreferenceUnknown}, Date: today})
	tests := []struct {
		name string
		d    approval.Decision
		want string
	}{
		{"blocked", blocked, "channel credentials to 123456_SB1 (endpoint 2020.1, 2026-11-26)\n" +
			"allowed: no\n" +
			"  blocked: the record's User Credentials box is not checked, so a request with user credentials and its application id is refused [section_4389835426]\n" +
			"initial state: None; requests accepted right after install: no\n" +
			"editable in the target: State, Note; credentials resettable there: false\n" +
			"  warning: endpoint 2020.1 still answers but Oracle no longer supports it as of 2026-11-26; move to 2025.2 [article_2104046421]\n" +
			"  warning: SOAP web services are removed in 2028.2, and from 2027.1 only the 2025.2 endpoint is supported; plan the move to REST and OAuth 2.0 [article_2104046421]\n" +
			"  warning: from 2026.1 Oracle asks new integrations to use REST web services with OAuth 2.0 [article_2104046421]\n"},
		{"unknown preference", waiting, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.d.String()
			if tt.want == "" {
				for _, part := range []string{"to find out: send one authenticated request", "  1. Check whether Require Approval during Auto-Installation of Integration is set (Setup > Integration > SOAP Web Services Preferences)\n", "  2. If it is"} {
					if !strings.Contains(got, part) {
						t.Errorf("Decision.String() lacks %q:\n%s", part, got)
					}
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decision.String() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOutcomeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    approval.Explanation
		want string
	}{
		{"no next step", approval.Explanation{Report: "enabled", Sentence: "installed"}, "enabled: installed"},
		{"next step inside the sentence", approval.Explanation{Report: "awaiting_approval", Sentence: "waiting: approve it", NextStep: "approve it"}, "awaiting_approval: waiting: approve it"},
		{"next step apart", approval.Explanation{Report: "failed", Sentence: "no answer", NextStep: "try again"}, "failed: no answer; next: try again"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.o.String()); diff != "" {
			t.Errorf("%s: Outcome.String() mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestExplainRecentTokenBounds: a token issued up to RecentToken ago (or a
// minute in the future, for clock skew) counts as fresh; a second more does not.
func TestExplainRecentTokenBounds(t *testing.T) {
	t.Parallel()
	d := approval.Evaluate(approval.Input{Channel: approval.ChannelTBA, Record: tbaRecord(), Target: approval.TargetAccount{Account: "123456"}, Date: today})
	tests := []struct {
		age  time.Duration
		want approval.Kind
	}{
		{approval.RecentToken, approval.AwaitingApproval},
		{approval.RecentToken + time.Second, approval.BlockedOrRejected},
		{-time.Minute, approval.AwaitingApproval},
		{-time.Minute - time.Second, approval.BlockedOrRejected},
	}
	for _, tt := range tests {
		o := approval.Explain(d, approval.Observation{Observed: approval.ObservedInvalidLogin, TokenIssuedAt: today.Add(-tt.age), At: today})
		if o.Kind != tt.want {
			t.Errorf("token %v old: Kind = %s, want %s", tt.age, o.Kind, tt.want)
		}
	}
}
