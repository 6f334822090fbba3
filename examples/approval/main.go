// Command approval prints one approval Decision as JSON: whether a channel
// can bring an integration record into a target, the predicted State, the
// administrator's steps, and the warnings.
//
//	go run ./examples/approval -channel tba -require-approval unknown -version 2025_2 -date 2026-11-26 -tba
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/soap"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("approval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	channel := fs.String("channel", "tba", "credentials, tba, oauth2, bundle or sdf")
	pref := fs.String("require-approval", "unknown", "the target's Require Approval during Auto-Installation of Integration: true, false or unknown")
	version := fs.String("version", soap.DefaultVersion.String(), "SOAP endpoint version")
	date := fs.String("date", time.Now().UTC().Format(time.DateOnly), "the day to apply the rules for, YYYY-MM-DD")
	userCreds := fs.Bool("user-credentials", false, "the record's User Credentials box")
	tba := fs.Bool("tba", false, "the record's Token-based Authentication box with both sub-boxes (IssueToken Endpoint, Authorization Flow)")
	oauth2 := fs.Bool("oauth2", false, "the record has an OAuth 2.0 grant")
	target := fs.String("target", "", "target account id (optional)")
	name := fs.String("name", "", "the record's name (optional)")
	text := fs.Bool("text", false, "print text instead of JSON")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: approval [-channel C] [-require-approval true|false|unknown] [-version V] [-date YYYY-MM-DD]
                [-user-credentials] [-tba] [-oauth2] [-target ACCT] [-name NAME] [-text]

Prints one approval Decision as JSON (or -text): whether the channel can
bring the integration record into the target account, the record's
predicted State (Enabled, Waiting for Approval, Unknown, or None when not
allowed), what blocks it, the administrator's steps with menu paths, the
fields the target can edit, and the warnings for the endpoint and date.
It sends nothing and reads no file and no environment variable.

JSON fields: allowed, blocking, initial_state, possible_states, admin_steps,
editable_in_target, credentials_resettable_in_target, warnings (arrays are
never null).

Exit status: 0 printed; 2 a bad flag or argument.

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
	// approval's errors carry their own "approval: " prefix
	fail := func(err error) int {
		fmt.Fprintln(stderr, "approval:", strings.TrimPrefix(err.Error(), "approval: "))
		return 2
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q (flags go before arguments; this command takes none)", fs.Arg(0)))
	}
	ch, err := approval.ParseChannel(*channel)
	if err != nil {
		return fail(err)
	}
	p, err := approval.ParsePreference(*pref)
	if err != nil {
		return fail(err)
	}
	v, err := soap.ParseVersion(*version)
	if err != nil {
		return fail(err)
	}
	day, err := time.Parse(time.DateOnly, *date)
	if err != nil {
		return fail(fmt.Errorf("-date %q: want YYYY-MM-DD", *date))
	}
	var acct nsdist.AccountID
	if *target != "" {
		if acct, err = nsdist.ParseAccountID(*target); err != nil {
			return fail(err)
		}
	}
	d := approval.Evaluate(approval.Input{
		Channel: ch, Version: v.Release(), Date: day,
		Record: approval.Record{Name: *name, UserCredentials: *userCreds, TBA: *tba, TBAIssueToken: *tba, TBAAuthFlow: *tba, OAuth2: *oauth2},
		Target: approval.TargetAccount{Account: acct, RequireApproval: p},
	})
	if *text {
		fmt.Fprint(stdout, d)
		return 0
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return 1
	}
	return 0
}
