package distribution_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"
)

// One AutoInstaller, two channels: a customer who authorized with OAuth 2.0
// in an account that requires approval, and one with a TBA token in an
// account that does not.
func ExampleAutoInstaller_Distribute() {
	fake := nstest.NewServer() // a fake NetSuite; real accounts need only other credentials
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true,
		OAuth2CodeGrant: true, PublicClient: true, RedirectURIs: []string{"https://app.acme.example/cb"}, Scopes: []string{"rest_webservices"}})
	gated := fake.MustAddAccount("123456", nstest.AccountConfig{RequireApproval: true})
	open := fake.MustAddAccount("654321_SB1", nstest.AccountConfig{})
	grant, _ := fake.CompleteCodeGrant(gated.ID(), rec) // the customer's Allow: installs the record
	tbaCred, _ := fake.IssueTBAToken(open.ID(), rec)    // the customer's TBA token: installs it too

	client, _ := oauth2.NewClient(oauth2.Config{ClientID: rec.ClientID}, oauth2.WithTransport(fake.Transport()))
	ai, _ := distribution.NewAutoInstaller(
		approval.Record{Name: "Acme Sync", TBA: true, TBAAuthFlow: true, OAuth2CodeGrant: true},
		distribution.WithProber(oauth2.NewProber(client)), tba.WithProber(soap.WithTransport(fake.Transport())))

	now := time.Now()
	targets := []distribution.Target{
		{Account: "123456", TokenIssuedAt: now, Credential: oauth2.Grant{Token: grant}},
		{Account: "654321_SB1", TokenIssuedAt: now, Credential: tbaCred},
	}
	for _, t := range targets {
		res := ai.Distribute(context.Background(), t)
		fmt.Println(res.Account, res.Channel, res.Outcome)
		if res.Outcome == distribution.OutcomeAwaitingApproval {
			fmt.Println("  next:", res.NextStep())
		}
	}
	// Output:
	// 123456 oauth2 awaiting_approval
	//   next: an administrator of 123456 must open Setup > Integration > Manage Integrations, edit Acme Sync, and set State to Enabled
	// 654321_SB1 tba enabled
}

// Result.Err unwraps to the channel's wire error. errors.As reaches it
// through nsdist.WireError without naming the channel's package, or as the
// channel's own type (*soap.Fault here) for the details only SOAP has.
func ExampleResult_errorsAs() {
	fake := nstest.NewServer()
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true})
	cust := fake.MustAddAccount("123456", nstest.AccountConfig{})
	auth, _ := fake.IssueTBAToken(cust.ID(), rec)
	_ = cust.SetState(rec.ApplicationID, nsdist.StateBlocked) // the customer's administrator blocks the record

	ai, _ := distribution.NewAutoInstaller(approval.Record{Name: "Acme Sync", TBA: true, TBAAuthFlow: true},
		tba.WithProber(soap.WithTransport(fake.Transport())))
	res := ai.Distribute(context.Background(), distribution.Target{Account: "123456", Credential: auth})

	fmt.Println(res.Outcome)
	var we nsdist.WireError
	if errors.As(res.Err, &we) {
		fmt.Println("NetSuite answered:", we.ErrorCode(), we.ErrorMessage(), "retry:", nsdist.Retryable(res.Err))
	}
	var f *soap.Fault
	if errors.As(res.Err, &f) {
		fmt.Println("fault detail:", f.Kind)
	}
	// Output:
	// rejected
	// NetSuite answered: USER_ERROR Invalid login attempt. retry: false
	// fault detail: invalidCredentialsFault
}
