// Package nsdist distributes a NetSuite integration record from the account
// that owns it into other NetSuite accounts: customers' production
// accounts, their sandboxes, or a vendor's own sandbox/production pair.
//
// A record travels three ways, and nsdist supports each:
//
//   - Auto-installation: the first authenticated request that names the
//     record installs it in the target. On current endpoints that is the
//     issue of the customer's token-based-auth token; nsdist then confirms
//     the record's State with a tokenPassport getServerTime request. On
//     endpoints 2020_1 and older, a login with user credentials and the
//     record's application id does it.
//   - Bundling: SuiteBundler's Select Objects page, or its modern
//     equivalent, an SDF SuiteApp project that references the record.
//   - The approval policy: the target's "Require Approval during
//     Auto-Installation of Integration" preference decides whether an
//     auto-installed record starts Enabled or Waiting for Approval; a
//     bundle always installs it Enabled.
//
// The packages:
//
//   - [github.com/nsdist/nsdist/soap]: the SuiteTalk SOAP wire layer:
//     endpoint versions, account ids, token and passport authentication,
//     schema-valid envelopes, response and fault decoding, a retrying client.
//   - [github.com/nsdist/nsdist/soap/soaptest]: a fake NetSuite for tests.
//   - [github.com/nsdist/nsdist/approval]: predicts and explains a record's
//     State in a target account. Pure functions, no I/O.
//   - [github.com/nsdist/nsdist/bundle]: the Select Objects rules, a bundle
//     plan, and an SDF SuiteApp project writer.
//   - [github.com/nsdist/nsdist/distribution]: the Distributor interface and
//     the fleet rollout with its journal and report.
//   - [github.com/nsdist/nsdist/distribution/tba]: getting the customer's
//     token (the three-step authorization flow, issuetoken), which is what
//     installs the record on current endpoints.
//
// SOAP web services end with NetSuite 2028.2, and no new token-based
// integrations can be created from 2027.1; nsdist keeps its transport
// replaceable for the REST and OAuth 2.0 successor.
package nsdist

// Version is the version of this module.
const Version = "0.1.0"
