package rollout_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"
)

// A rollout of one record to three customers who just authorized with TBA;
// one of them requires approval. The report counts the outcomes and
// groups what is left to do.
func ExampleRollout() {
	fake := nstest.NewServer() // a fake NetSuite; real accounts need only real credentials
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true})
	var targets []distribution.Target
	for i, gated := range []bool{false, true, false} {
		acct := fake.MustAddAccount(fmt.Sprint(100001+i), nstest.AccountConfig{RequireApproval: gated})
		auth, _ := fake.IssueTBAToken(acct.ID(), rec) // the customer's authorization installs the record
		targets = append(targets, distribution.Target{Account: acct.ID(), TokenIssuedAt: time.Now(), Credential: auth})
	}

	ai, _ := distribution.NewAutoInstaller(approval.Record{Name: "Acme Sync", TBA: true, TBAAuthFlow: true},
		tba.WithProber(soap.WithTransport(fake.Transport())))
	r, _ := rollout.New(ai, rollout.WithConcurrency(2), rollout.WithRecordName("Acme Sync"))
	rep, err := r.Run(context.Background(), targets)
	if err != nil {
		fmt.Println(err)
		return
	}
	counts := rep.Counts()
	for _, o := range distribution.Outcomes() {
		if counts[o] > 0 {
			fmt.Println(o, counts[o])
		}
	}
	for _, g := range rep.Groups() {
		fmt.Printf("%s (%d): %s\n", g.Outcome, len(g.Results), g.NextStep)
	}
	fmt.Println("all enabled or awaiting approval:", rep.OK())
	// Output:
	// enabled 2
	// awaiting_approval 1
	// awaiting_approval (1): an administrator of the account must open Setup > Integration > Manage Integrations, edit Acme Sync, and set State to Enabled
	// all enabled or awaiting approval: true
}
