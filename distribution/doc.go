// Package distribution puts one NetSuite integration record into many
// accounts and says, per account, what happened and what to do next.
//
// A [Distributor] has one method, Distribute(ctx, target) Result.
// [AutoInstaller] distributes by auto-installation. The package is the
// channel-neutral core: it imports no wire package. Each channel package
// brings its [Credential] types and its [Prober]:
//
//   - distribution/oauth2: an oauth2.Grant, whose authorization code grant
//     installed the record (the only trigger for new integrations from
//     2027.1); REST serverTime with the Bearer token tells Enabled from not
//     yet enabled, refreshing an expired token first (single-flight); an
//     oauth2.M2MKey installs nothing and confirms a record already there.
//   - distribution/tba: a tba.Credential, whose issue (the three-step flow
//     or issuetoken) installed the record, confirmed by a SOAP
//     getServerTime; tba.UserCredentials on endpoints up to 2020.1, where a
//     login with the record's application id installs it.
//
// A [Target] names the account once and carries the customer's credential;
// the AutoInstaller sends it to the prober of the credential's channel.
//
// # Errors and retries
//
// Before sending anything it asks approval.Evaluate whether the channel can
// work ([PreflightError] when not), and it explains what NetSuite answered
// with approval.Explain: an "Invalid login attempt." (SOAP) or 401
// invalid_token (REST) right after the install is most likely a record
// Waiting for Approval, not bad credentials. Every Result has a typed
// [Outcome] (enabled, awaiting_approval, rejected, misconfigured, failed,
// planned) and an Explanation with the next step. Result.Err unwraps to an
// nsdist.WireError when NetSuite refused; whether it was worth another
// attempt is nsdist.Classify's answer, the same on every channel.
//
//	ai, _ := distribution.NewAutoInstaller(record,
//		distribution.WithProber(oauth2.NewProber(client)), tba.WithProber())
//	res := ai.Distribute(ctx, distribution.Target{Account: "123456",
//		Credential: oauth2.Grant{Token: tok, Save: saveToVault}})
//	if res.Outcome == distribution.OutcomeAwaitingApproval {
//		fmt.Println(res.NextStep())
//	}
//
// [BundleDistributor] plans a SuiteBundler bundle or writes an SDF
// SuiteApp; SuiteBundler has no API, so it never pretends to install.
//
// # Rollouts
//
// The fleet engine, which runs a Distributor over thousands of targets
// with a journal and a report, is package distribution/rollout.
package distribution
