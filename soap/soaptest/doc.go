// Package soaptest is a fake NetSuite for tests: many accounts in one
// in-process server, integration records with their owner, the Require
// Approval preference, States, TBA and user-credential checks, concurrency
// limits, NetSuite's faults, and deterministic fault injection. It is to
// nsdist what net/http/httptest is to net/http.
//
// A soap.Client reaches it with one option, the fake's transport, which
// routes every <hostid>.suitetalk.api.netsuite.com host (and the generic
// webservices.netsuite.com) to the fake:
//
//	fake := soaptest.NewServer()
//	defer fake.Close()
//	vendor := fake.MustAddAccount("TSTDRV1", soaptest.AccountConfig{})
//	customer := fake.MustAddAccount("123456", soaptest.AccountConfig{RequireApproval: true})
//	rec, _ := fake.CreateIntegration(vendor.ID(), soaptest.IntegrationSpec{Name: "My App", TBA: true, TBAAuthFlow: true})
//	auth, _ := fake.Connect(customer.ID(), rec) // the customer authorizes: installs the record
//	c, _ := soap.NewClient("123456", append(fake.ClientOptions(), soap.WithAuth(auth))...)
//	_, err := c.Do(ctx, soap.OpGetServerTime) // soap.ErrAuthRejected: Waiting for Approval
//	customer.Approve(rec.ApplicationID)       // an administrator approves
//
// What the fake does as NetSuite documents it (NETSUITE.md §1–5): a
// request naming a record that is not yet in the target installs it (by
// application id with user credentials on endpoints up to 2020_1, or by
// issuing a TBA token); the initial State is Enabled, or Waiting for
// Approval when the target requires approval; a bundle install is always
// Enabled; the target may change only State and Note; credentials can be
// reset only in the owner; a sandbox refresh removes sandbox-only records
// and tokens. A record that is Waiting for Approval or Blocked, a bad
// signature, a reused nonce, a timestamp more than 5 minutes off, a
// lower-case sandbox account id or HMAC-SHA1 all get the generic
// "Invalid login attempt." fault; the real reason goes to the account's
// Login Audit Trail ([Account.LoginAudit]).
//
// OAuth 2.0 as NetSuite serves it: the authorize page on
// <hostid>.app.netsuite.com and system.netsuite.com
// (/app/login/oauth2/authorize.nl, played by [Server.Consent]), the token
// and revoke endpoints under /services/rest/auth/oauth2/v1/ on the
// suitetalk.api (and restlets.api) host, GET
// /services/rest/system/v1/serverTime, client credentials (M2M) with
// certificates mapped by [Account.AddCertificate] or the Certificate
// Rotation Endpoint on the restlets.api host. The authorization code grant
// installs the record (Channel oauth2) with the account's preference; which
// of Oracle's two readings applies when approval is required is
// [WithCodeGrantApproval]'s choice. Refused REST calls all get 401
// invalid_token; the cause is in the Login Audit Trail with Oracle's Detail.
//
// Outside the process: [WithListener] serves the fake on a listener of
// the caller's choosing, so that clients in any language can reach it over
// real TCP by naming the NetSuite host in the Host header, and
// [WithMiddleware] puts the caller's own paths in front of it;
// examples/fakenetsuite is that server. [Server.Reset] forgets everything
// the fake holds.
//
// Every response carries a documentInfo nsId header in the endpoint
// version's namespaces; faults carry no header, like NetSuite's.
package soaptest
