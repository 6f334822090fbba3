package nstest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/soap"
)

// A vendor tests its own code against the fake: the customer requires
// approval, so the first request after the install is rejected until an
// administrator approves.
func Example() {
	fake := nstest.NewServer()
	defer fake.Close()
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	customer := fake.MustAddAccount("123456", nstest.AccountConfig{RequireApproval: true})
	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true})
	cred, _ := fake.IssueTBAToken(customer.ID(), rec) // the customer authorizes: installs the record

	c, _ := soap.NewClient("123456", append(fake.ClientOptions(), soap.WithAuth(cred.TokenAuth(customer.ID())))...)
	_, err := c.Do(context.Background(), soap.OpGetServerTime)
	inst, _ := customer.Install(rec.ApplicationID)
	fmt.Println(inst.State, errors.Is(err, soap.ErrAuthRejected))

	customer.Approve(rec.ApplicationID)
	_, err = c.Do(context.Background(), soap.OpGetServerTime)
	fmt.Println("after approval:", err)
	// Output:
	// Waiting for Approval true
	// after approval: <nil>
}
