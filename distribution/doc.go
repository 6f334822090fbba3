// Package distribution puts one NetSuite integration record into many
// accounts and says, per account, what happened and what to do next.
//
// A [Distributor] has one method, Distribute(ctx, target) Result.
// [AutoInstaller] distributes by auto-installation: a customer's token
// issue (the authorization flow or the issuetoken endpoint) installed the
// record, and a getServerTime with that token tells Enabled from not yet
// enabled; on endpoints up to 2020_1 a login with user credentials and the
// record's application id installs it. Before sending anything it asks
// approval.Evaluate whether the channel can work, and it explains what
// NetSuite answered with approval.Explain: an "Invalid login attempt."
// right after the install is most likely a record Waiting for Approval,
// not bad credentials. [BundleDistributor] plans a SuiteBundler bundle or
// writes an SDF SuiteApp; SuiteBundler has no API, so it never pretends
// to install.
//
// [Rollout] runs a distributor over thousands of targets:
//
//	ai, _ := distribution.NewAutoInstaller(record)
//	j, _ := distribution.OpenJournal("rollout.jsonl")
//	defer j.Close()
//	r, _ := distribution.NewRollout(ai, distribution.WithJournal(j), distribution.WithProgress(func(e distribution.Event) { ... }))
//	report, err := r.Run(ctx, targets)
//	report.WriteJSON(os.Stdout)
//
// Concurrency is bounded (32 by default) with one request per account at a
// time (NetSuite keeps one unallocated concurrency slot for installs).
// Retryable answers (concurrency faults, temporary unavailability, no
// answer) are retried with jittered exponential backoff, scheduled off the
// worker slots, within a rollout-wide retry budget. The journal is an
// append-only JSON Lines file: each target's result is durable once
// recorded (concurrent results share one fsync), a re-run skips targets
// whose latest result is enabled and checks the others again, and a line
// torn by a crash is cut off when the journal is opened.
//
// Targets come from code or from a CSV or JSON file ([LoadTargets]) that
// names a credentials reference, never a secret; a [CredentialSource]
// (environment variables, a secrets file only its owner can read, or the
// vendor's vault) resolves it.
package distribution
