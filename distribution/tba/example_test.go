package tba_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/tba"
)

// The issuetoken endpoint, for an integration that cannot open a browser:
// issuing the token installs the record in the customer's account.
func ExampleClient_IssueToken() {
	fake := nstest.NewServer()
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	cust := fake.MustAddAccount("123456", nstest.AccountConfig{RequireApproval: true})
	cust.AddUser(nstest.User{Email: "admin@customer.example", Password: "pw"})
	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAIssueToken: true})

	c, _ := tba.NewClient(tba.WithTransport(fake.Transport()))
	tok, err := c.IssueToken(context.Background(), tba.UserCredentials{Account: "123456", Email: "admin@customer.example", Password: "pw", Role: "3"},
		rec.ConsumerKey, "Acme Sync for 123456")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("secret printed:", strings.Contains(fmt.Sprintf("%v %+v %#v", tok, tok, tok), tok.Secret))
	inst, _ := cust.Install(rec.ApplicationID)
	fmt.Println(inst.State)
	// Output:
	// secret printed: false
	// Waiting for Approval
}

// A refusal is a *FlowError with NetSuite's code and the next step.
func ExampleFlowError() {
	fake := nstest.NewServer()
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	fake.MustAddAccount("123456", nstest.AccountConfig{}).AddUser(nstest.User{Email: "admin@customer.example", Password: "pw"})
	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true}) // no IssueToken box

	c, _ := tba.NewClient(tba.WithTransport(fake.Transport()))
	_, err := c.IssueToken(context.Background(), tba.UserCredentials{Account: "123456", Email: "admin@customer.example", Password: "pw", Role: "3"},
		rec.ConsumerKey, "Acme Sync")
	var fe *tba.FlowError
	if errors.As(err, &fe) {
		fmt.Println(fe.Code)
		fmt.Println(fe.NextStep)
	}
	// Output:
	// IssueTokenRequired
	// the owner must check TBA: IssueToken Endpoint on the integration record
}
