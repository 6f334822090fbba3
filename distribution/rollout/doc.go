// Package rollout runs a distributor over thousands of NetSuite accounts:
// bounded concurrency, retries scheduled off the worker slots, a durable
// journal, progress events and a report people can read.
//
// [Rollout] runs a distribution.Distributor over the targets:
//
//	ai, _ := distribution.NewAutoInstaller(record, tba.WithProber())
//	j, _ := rollout.OpenJournal("rollout.jsonl")
//	defer j.Close()
//	r, _ := rollout.New(ai, rollout.WithJournal(j), rollout.WithProgress(func(e rollout.Event) { ... }))
//	report, err := r.Run(ctx, targets)
//	report.WriteJSON(os.Stdout)
//
// Concurrency is bounded (32 by default) with one request per account at a
// time (NetSuite keeps one unallocated concurrency slot for installs).
// Retryable answers (concurrency faults, 429, temporary unavailability, no
// answer) are retried with jittered exponential backoff, scheduled off the
// worker slots, within a rollout-wide retry budget. A vendor's own
// Distributor gets the same scheduling by implementing distribution.Attempter.
// [WithResults] hands every result to the caller as it finishes and never
// drops one; progress events may be dropped. The journal is an
// append-only JSON Lines file: each target's result is durable once
// recorded (concurrent results share one fsync), a re-run skips targets
// whose latest result is enabled through the channel and credential they
// have now and checks the others again, and a line torn by a crash is cut
// off when the journal is opened. The journal names a credential by its
// distribution.Fingerprint, a digest that holds no secret; a line without
// one (from an older nsdist) counts as another credential.
//
// # Targets files
//
// Targets come from code or from a CSV or JSON file ([LoadTargets]) that
// names a credentials reference, never a secret; a distribution.CredentialSource
// resolves it into a channel's credential: [Credentials] reads the secrets
// from NETSUITE_<REF>_* variables or a secrets file only its owner can read
// ([OpenSecretsFile]) and lets each channel's builder (tba.BuildCredential)
// make the credential; a vendor's vault can take its place.
package rollout
