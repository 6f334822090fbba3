// Command autoinstall checks one account: it sends the request that
// confirms (on endpoints up to 2020_1: performs) the auto-installation of
// an integration record, and prints the outcome and the next step.
//
// With no credentials in the environment it runs against an in-process
// fake NetSuite whose account requires approval. For a real account set
// NETSUITE_ACCOUNT and NETSUITE_CONSUMER_KEY, NETSUITE_CONSUMER_SECRET,
// NETSUITE_TOKEN, NETSUITE_TOKEN_SECRET (the customer's token).
//
//	go run ./examples/autoinstall [-require-approval true|false|unknown]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/tba"
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr)) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("autoinstall", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pref := fs.String("require-approval", "unknown", "the target's preference, if you know it: true, false or unknown")
	name := fs.String("record-name", "Acme Sync", "the integration record's name, for messages")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: autoinstall [-require-approval true|false|unknown] [-record-name NAME] [-json]

Checks one account: sends the request that confirms the auto-installation
of an integration record (a TBA getServerTime) and prints the outcome
(enabled, awaiting approval, rejected, misconfigured, failed) with the
next step. Without credentials in the environment it runs against an
in-process fake NetSuite whose account requires approval.

Environment (a real account): NETSUITE_ACCOUNT (e.g. 123456 or
123456_SB1), NETSUITE_CONSUMER_KEY, NETSUITE_CONSUMER_SECRET (the
integration record's), NETSUITE_TOKEN, NETSUITE_TOKEN_SECRET (the token the
customer's authorization issued).

Exit status: 0 enabled or awaiting approval (or rejected: the next step
says what the customer must do); 1 failed or misconfigured; 2 bad flags.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "autoinstall: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	p, err := approval.ParsePreference(*pref)
	if err != nil {
		fmt.Fprintln(stderr, "autoinstall:", err)
		return 2
	}
	record := approval.Record{Name: *name, TBA: true, TBAAuthFlow: true, TBAIssueToken: true}
	var opts []distribution.Option
	var target distribution.Target
	if getenv("NETSUITE_CONSUMER_KEY") != "" {
		acct, err := nsdist.ParseAccountID(getenv("NETSUITE_ACCOUNT"))
		if err != nil {
			fmt.Fprintln(stderr, "autoinstall: NETSUITE_ACCOUNT:", err)
			return 2
		}
		target = distribution.Target{Account: acct, RequireApproval: p, Credential: tba.Credential{Consumer: tba.Consumer{Key: getenv("NETSUITE_CONSUMER_KEY"), Secret: getenv("NETSUITE_CONSUMER_SECRET")}, Token: tba.Token{ID: getenv("NETSUITE_TOKEN"), Secret: getenv("NETSUITE_TOKEN_SECRET")}}}
	} else {
		fake := nstest.NewServer()
		defer fake.Close()
		vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
		cust := fake.MustAddAccount("123456", nstest.AccountConfig{RequireApproval: true})
		rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: *name, TBA: true, TBAAuthFlow: true})
		if err != nil {
			fmt.Fprintln(stderr, "autoinstall:", err)
			return 1
		}
		auth, err := fake.IssueTBAToken(cust.ID(), rec) // the customer authorizes: installs the record
		if err != nil {
			fmt.Fprintln(stderr, "autoinstall:", err)
			return 1
		}
		fmt.Fprintln(stderr, "no NETSUITE_CONSUMER_KEY: using a fake NetSuite whose account 123456 requires approval")
		target = distribution.Target{Account: cust.ID(), TokenIssuedAt: time.Now(), RequireApproval: p, Credential: auth}
		opts = append(opts, tba.WithProber(fake.ClientOptions()...))
		record.Owner = vendor.ID()
	}
	ai, err := distribution.NewAutoInstaller(record, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "autoinstall:", err)
		return 1
	}
	res := ai.Distribute(ctx, target)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res) //nolint:errcheck
	} else {
		fmt.Fprintf(stdout, "%s: %s\n", res.Account, res.Explanation)
		line := fmt.Sprintf("predicted %s, %d %s", res.Decision.InitialState, res.Attempts, plural(res.Attempts, "attempt", "attempts"))
		if res.NSID != "" {
			line += ", nsId " + res.NSID
		}
		fmt.Fprintln(stdout, line)
	}
	if res.Outcome == distribution.OutcomeFailed || res.Outcome == distribution.OutcomeMisconfigured {
		return 1
	}
	return 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
