// Package nsdist distributes a NetSuite integration record from the account
// that owns it into other NetSuite accounts: customers' production
// accounts, their sandboxes, or a vendor's own sandbox/production pair.
//
// A record travels three ways, and nsdist supports each:
//
//   - Auto-installation: the customer's authorization installs the record
//     in their account. Completing an OAuth 2.0 authorization code grant
//     does it, and from 2027.1 it is the only trigger for new
//     integrations; issuing a TBA token does it for existing TBA
//     integrations; on SOAP endpoints 2020.1 and older, a login with user
//     credentials and the record's application id does it. One request
//     with the new credential (REST serverTime, SOAP getServerTime)
//     confirms the record's State.
//   - Bundling: SuiteBundler's Select Objects page, or its modern
//     equivalent, an SDF SuiteApp project that references the record.
//   - The approval policy: the target's "Require Approval during
//     Auto-Installation of Integration" preference decides whether an
//     auto-installed record starts Enabled or Waiting for Approval; a
//     bundle always installs it Enabled.
//
// This package holds the vocabulary every other package shares:
// [AccountID] and its host names, a record's [State], NetSuite's release
// calendar ([Release], [NoNewTBA], [SOAPRemoved]) and the one retry
// classifier ([WireError], [Classify]) that every channel and the rollout
// use.
//
// The packages:
//
//   - [github.com/nsdist/nsdist/distribution]: the channel-neutral core:
//     the Distributor interface, the AutoInstaller, targets, credentials,
//     results, and the fleet rollout with its journal and report.
//   - [github.com/nsdist/nsdist/distribution/oauth2]: the OAuth 2.0
//     channel: code grant with PKCE, refresh, revoke, M2M, the REST prober
//     and Connect handlers.
//   - [github.com/nsdist/nsdist/distribution/tba]: the SOAP channel: TBA
//     credentials and token acquisition (three-step flow, issuetoken),
//     legacy user credentials, the SOAP prober and Connect handlers.
//   - [github.com/nsdist/nsdist/distribution/sqlstore]: tokens, pending
//     authorizations, leases and the journal on SQLite or PostgreSQL.
//   - [github.com/nsdist/nsdist/approval]: predicts and explains a record's
//     State in a target account. Pure functions, no I/O, no wire types.
//   - [github.com/nsdist/nsdist/bundle]: the Select Objects rules, a bundle
//     plan, and an SDF SuiteApp project writer.
//   - [github.com/nsdist/nsdist/soap]: the SuiteTalk SOAP wire layer:
//     endpoint versions, token and passport authentication, schema-valid
//     envelopes, response and fault decoding, a retrying client. SOAP is
//     removed in 2028.2; nothing outside it and the SOAP channel needs it.
//   - [github.com/nsdist/nsdist/distribution/nstest]: a fake NetSuite for tests.
package nsdist

// Version is the version of this module.
const Version = "0.1.0"
