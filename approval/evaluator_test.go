package approval_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
)

// TestEvaluatorMatchesEvaluate walks the input space with targets of every
// kind (production, sandbox, the owner in any case, the source, none) and
// times of day on both sides of the release boundaries, through one
// Evaluator, and wants exactly what Evaluate says each time.
func TestEvaluatorMatchesEvaluate(t *testing.T) {
	t.Parallel()
	var ev approval.Evaluator
	dates := []time.Time{time.Date(2027, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 1, 13, 5, 0, 0, time.UTC),
		time.Date(2027, 3, 1, 1, 0, 0, 0, time.FixedZone("PST", -8*3600)), time.Date(2028, 8, 31, 23, 0, 0, 0, time.UTC), time.Date(2028, 9, 1, 0, 30, 0, 0, time.UTC), today}
	targets := []nsdist.AccountID{"123456", "654321", "123456_SB1", "123456-sb2", "TSTDRV1", "tstdrv1", "7777777", ""}
	n := 0
	for _, ch := range approval.Channels() {
		for _, date := range dates {
			for _, pref := range []approval.Preference{approval.PreferenceUnknown, approval.PreferenceRequired, approval.PreferenceNotRequired} {
				for _, tgt := range targets {
					for bits := range 1 << 6 {
						b := func(i int) bool { return bits&(1<<i) != 0 }
						rec := approval.Record{Name: "Acme", Owner: "TSTDRV1", TBA: b(0), TBAAuthFlow: b(1), OAuth2: b(2), OAuth2CodeGrant: b(2), FromOthersBundle: b(3)}
						if b(4) {
							rec.Owner = "TSTDRV1_SB1"
						}
						in := approval.Input{Channel: ch, Record: rec, Source: "7777777", Target: approval.TargetAccount{Account: tgt, RequireApproval: pref, ReleasePreview: b(5)}, Date: date}
						if diff := cmp.Diff(approval.Evaluate(in), ev.Evaluate(in)); diff != "" {
							t.Fatalf("Evaluator.Evaluate(%+v) differs from Evaluate (-want +got):\n%s", in, diff)
						}
						n++
					}
				}
			}
		}
	}
	if n < 10000 {
		t.Errorf("checked only %d inputs", n)
	}
}

// TestEvaluatorSharesNothing: two targets of one kind share an
// evaluation, but a change to one decision (an element or an append)
// reaches no other.
func TestEvaluatorSharesNothing(t *testing.T) {
	var ev approval.Evaluator
	in := approval.Input{Channel: approval.ChannelTBA, Record: approval.Record{Owner: "TSTDRV1", TBA: true, TBAAuthFlow: true}, Target: approval.TargetAccount{Account: "111111"}, Date: today}
	a := ev.Evaluate(in)
	in.Target.Account = "222222"
	b := ev.Evaluate(in)
	if a.Input.Target.Account != "111111" || b.Input.Target.Account != "222222" {
		t.Fatalf("inputs %v and %v: each decision must carry its own", a.Input.Target, b.Input.Target)
	}
	if len(a.Warnings) == 0 || len(a.EditableInTarget) == 0 {
		t.Fatal("the decision has no slices to share")
	}
	want := approval.Evaluate(in)
	a.Warnings[0].Text, a.EditableInTarget[0] = "mine", "mine"
	_ = append(a.Warnings, approval.Reason{Code: "mine"})
	for _, d := range []approval.Decision{b, ev.Evaluate(in)} {
		if diff := cmp.Diff(want, d); diff != "" {
			t.Fatalf("a change to one decision reached another (-want +got):\n%s", diff)
		}
	}
}

// TestEvaluatorConcurrent: workers sharing one Evaluator each get
// Evaluate's answer for their own input (run with -race).
func TestEvaluatorConcurrent(t *testing.T) {
	var ev approval.Evaluator
	rec := approval.Record{Name: "Acme", Owner: "TSTDRV1", TBA: true, TBAAuthFlow: true, OAuth2: true, OAuth2CodeGrant: true}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				acct := nsdist.AccountID(fmt.Sprintf("%d", 100000+w*1000+i))
				if i%3 == 0 {
					acct += "_SB1"
				}
				in := approval.Input{Channel: approval.Channels()[i%len(approval.Channels())], Record: rec, Target: approval.TargetAccount{Account: acct}, Date: today}
				if diff := cmp.Diff(approval.Evaluate(in), ev.Evaluate(in)); diff != "" {
					t.Errorf("%v: (-want +got)\n%s", in.Target.Account, diff)
					return
				}
			}
		})
	}
	wg.Wait()
}
