// Command rollout is nsdist's main job: it distributes one integration
// record to many NetSuite accounts and prints, per outcome, what happened
// and what to do next.
//
// With no arguments it starts a fake NetSuite in-process and rolls out to
// 300 simulated customer accounts, 30% of which require approval. Each
// simulated target tells the distributor only what a vendor would know:
// the account id and the token the customer just authorized (which
// installed the record), not its approval preference.
//
//	go run ./examples/rollout
//	go run ./examples/rollout -accounts 2000 -fault-rate 0.3 -journal rollout.jsonl -report report.json
//	go run ./examples/rollout -targets targets.csv -secrets secrets.json -record-name "Acme Sync"   # real accounts
//
// Exit status: 0 when every target ended enabled or awaiting_approval; 3
// when any ended rejected, misconfigured or failed; 2 for bad flags or a
// bad targets file (nothing sent), a -report naming the journal's file or
// an existing report file that cannot be written; 1 when the run could not
// finish (the journal or the report not writable, or interrupted by
// Ctrl-C). Output paths (-report, -dump, -journal's folder) are checked
// before anything is sent. -h describes the file formats and the environment variables.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/rollout"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	accounts      int
	approvalShare float64
	concurrency   int
	latency       time.Duration
	faultRate     float64
	seed          uint64
	journal       string
	report        string
	dump          string
	targets       string
	secrets       string
	tokens        string
	clientID      string
	base          string
	recordName    string
	channel       string
	inviteBase    string
	quiet         bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("rollout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.accounts, "accounts", 300, "simulated accounts")
	fs.Float64Var(&o.approvalShare, "approval-share", 0.3, "share of simulated accounts that require approval (exactly round(N×F), chosen by -seed)")
	fs.IntVar(&o.concurrency, "concurrency", 32, "targets in flight at once")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "the fake's per-request latency")
	fs.Float64Var(&o.faultRate, "fault-rate", 0.1, "share of requests the fake answers with a concurrency fault")
	fs.Uint64Var(&o.seed, "seed", 1, "seed for simulated account ids, approval choice and fault injection")
	fs.StringVar(&o.journal, "journal", "", "JSON Lines journal FILE, or sqlite:PATH or postgres://URL (many writers); a re-run with the same journal skips enabled targets")
	fs.StringVar(&o.report, "report", "", "write the report here (JSON; .csv for CSV)")
	fs.StringVar(&o.dump, "dump", "", "write every request and response envelope into this folder, secrets replaced")
	fs.StringVar(&o.targets, "targets", "", "distribute to real accounts listed in this CSV or JSON file instead of the fake")
	fs.StringVar(&o.secrets, "secrets", "", "with -targets: JSON secrets file (mode 600); default: environment variables")
	fs.StringVar(&o.recordName, "record-name", "", "with -targets: the integration record's name, for messages")
	fs.StringVar(&o.inviteBase, "invite-base", "", "with -targets and -tokens: the Connect app's URL; each customer still on TBA gets a migration invitation <URL>/invite/<token> in the reports")
	fs.StringVar(&o.tokens, "tokens", "", "with -targets: the OAuth 2.0 token store for oauth2 rows, sqlite:PATH or postgres://URL (key in $NSDIST_STORE_KEY)")
	fs.StringVar(&o.clientID, "client-id", os.Getenv("NETSUITE_CLIENT_ID"), "with -targets: the integration record's OAuth 2.0 client ID ($NETSUITE_CLIENT_ID); a confidential client's secret comes from $NETSUITE_CLIENT_SECRET")
	fs.StringVar(&o.base, "netsuite-base", "", "with -targets: send every request to this scheme://host:port (the fake server), with NetSuite's Host header")
	fs.StringVar(&o.channel, "channel", "mixed", "simulated customers' channel: tba, oauth2, or mixed (half each; the OAuth 2.0 half split between confidential and public clients)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rollout: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := o.validate(); err != nil {
		printError(stderr, err)
		return 2
	}
	if err := checkReport(o); err != nil {
		fmt.Fprintln(stderr, "rollout:", err)
		return 2
	}
	if err := checkOutputs(o); err != nil {
		printError(stderr, err)
		return 1
	}
	err := runRollout(ctx, o, stdout, stderr)
	var ee *exitError
	if err != nil && (!errors.As(err, &ee) || ee.err != nil) {
		printError(stderr, err)
	}
	return exitCode(err)
}

// printError writes err after the program's name, "rollout:", once: the
// errors of package rollout already begin with it, and printing it again
// read "rollout: rollout: journal in use by another process" (as
// examples/bundle and examples/oauth2 do).
func printError(w io.Writer, err error) {
	fmt.Fprintln(w, "rollout:", strings.TrimPrefix(err.Error(), "rollout: "))
}

// exitError ends the run with an exit status other than 1.
type exitError struct {
	code int
	err  error // nil: the summary already said it
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usage(fs *flag.FlagSet) {
	fmt.Fprint(fs.Output(), `usage: rollout [flags]                       (a fake NetSuite, simulated customers)
       rollout -targets FILE -record-name NAME [-secrets FILE] [flags]   (real accounts)

Distributes one integration record to many NetSuite accounts and prints,
per outcome, what happened and what to do next: enabled, awaiting_approval
(an administrator must set the record's State to Enabled), rejected,
misconfigured, failed (grouped by cause, with an example account and the
next step). Progress goes to stderr, the summary to stdout.

Targets file (-targets): CSV with a header line, or JSON (an array of
objects with the same keys), recognised by content:
  account,label,auth,require_approval,credentials,token_issued_at,version
  123456,Acme Corp,tba,unknown,acme,2026-11-26T19:00:00Z,
  654321_SB1,Globex sandbox,,true,globex,,2025_2
account is the Account ID (123456 or 123456_SB1); label is your name for
the customer, carried into the reports; auth is tba (default), passport
(endpoints up to 2020_1), oauth2 or m2m; require_approval is true, false or
unknown (default); credentials names a reference, never a secret (for
oauth2, the vendor tenant the customer's token was stored under);
version is the SOAP endpoint (default the SDK's). An unknown column is an
error.

OAuth 2.0 rows (auth oauth2) read the customer's token from -tokens
sqlite:PATH|postgres://URL, the store that examples/oauth2 -store and
examples/connect -db write, encrypted with $NSDIST_STORE_KEY; the
record's client is -client-id (or $NETSUITE_CLIENT_ID), a confidential
client's secret $NETSUITE_CLIENT_SECRET. A refreshed token is saved back.
M2M rows (auth m2m) name a reference whose client ID, certificate ID and
PEM private key file come from NETSUITE_<REF>_CLIENT_ID, _CERTIFICATE_ID
and _PRIVATE_KEY_FILE, or from the secrets file's client_id,
certificate_id and private_key_file; the record must already be in the
account (client credentials install nothing).
-netsuite-base URL sends every request to a fake NetSuite server
(examples/fakenetsuite) with NetSuite's Host header.

Credentials: without -secrets, environment variables named after the
reference REF (upper case, other characters as _):
  NETSUITE_<REF>_CONSUMER_KEY, _CONSUMER_SECRET, _TOKEN, _TOKEN_SECRET (TBA)
  NETSUITE_<REF>_EMAIL, _PASSWORD, _ROLE, _APP_ID (user credentials)
-secrets FILE is a JSON object from reference to {"consumer_key",
"consumer_secret", "token", "token_secret"} or {"email", "password",
"role", "app_id"}, readable by its owner only (chmod 600).

Reports (-report): FILE.json (the default for any other name), FILE.csv
(one row per target, for a spreadsheet) or FILE.html (one self-contained
page for a support team). The journal (-journal) is JSON Lines, or a table
in sqlite:PATH or postgres://URL; a re-run with it skips the targets
already enabled and checks the others again.

Exit status: 0 every target enabled or awaiting_approval; 3 any rejected,
misconfigured or failed; 2 bad flags or targets file, -report naming the
journal's file, or an existing report file that cannot be written (nothing
sent); 1 the run could not finish (journal or report not writable,
interrupted).

Flags:
`)
	fs.PrintDefaults()
}

func (o options) validate() error {
	switch {
	case o.accounts < 1 || o.accounts > 100000:
		return errors.New("-accounts must be between 1 and 100000")
	case o.approvalShare < 0 || o.approvalShare > 1:
		return errors.New("-approval-share must be between 0 and 1")
	case o.faultRate < 0 || o.faultRate > 1:
		return errors.New("-fault-rate must be between 0 and 1")
	case o.concurrency < 1 || o.concurrency > maxConcurrency:
		return fmt.Errorf("-concurrency %d: want 1 to %d (each target in flight holds a connection; NetSuite limits requests per account, not across accounts)", o.concurrency, maxConcurrency)
	case o.latency < 0:
		return errors.New("-latency must not be negative")
	case o.secrets != "" && o.targets == "":
		return errors.New("-secrets goes with -targets")
	case (o.tokens != "" || o.base != "") && o.targets == "":
		return errors.New("-tokens and -netsuite-base go with -targets")
	case o.inviteBase != "" && (o.targets == "" || o.tokens == ""):
		return errors.New("-invite-base goes with -targets and -tokens: the invitations and their key are kept in the token store")
	case o.inviteBase != "" && checkInviteBase(o.inviteBase) != nil:
		return checkInviteBase(o.inviteBase)
	case o.tokens != "" && o.clientID == "":
		return errors.New("-tokens needs -client-id (or $NETSUITE_CLIENT_ID): the integration record's OAuth 2.0 client")
	case o.recordName != "" && o.targets == "":
		return errors.New("-record-name goes with -targets (the simulation's record is Acme Sync)")
	case o.targets != "" && strings.TrimSpace(o.recordName) == "":
		return errors.New("-targets needs -record-name: the integration record's name as the customers' administrators see it (Setup > Integration > Manage Integrations)")
	case o.channel != "tba" && o.channel != "oauth2" && o.channel != "mixed":
		return fmt.Errorf("-channel %q: want tba, oauth2 or mixed", o.channel)
	}
	return nil
}

func runRollout(ctx context.Context, o options, stdout, stderr io.Writer) error {
	var (
		record    approval.Record
		targets   []distribution.Target
		transport http.RoundTripper
		aiOpts    []distribution.Option
		refs      map[nsdist.AccountID]string
	)
	var wrap func(http.RoundTripper) http.RoundTripper
	if o.dump != "" {
		if err := os.MkdirAll(o.dump, 0o755); err != nil {
			return err
		}
		d := &dumper{dir: o.dump}
		wrap = func(rt http.RoundTripper) http.RoundTripper { d.next = rt; return d }
	}
	if o.targets != "" {
		rm, err := realMode(ctx, o, wrap)
		if err != nil {
			return err
		}
		defer rm.close()
		record, targets, transport, aiOpts, refs = rm.record, rm.targets, rm.transport, rm.aiOpts, rm.refs
	} else {
		if !o.quiet {
			fmt.Fprintf(stderr, "fake NetSuite: setting up %d simulated %s…\n", o.accounts, plural(o.accounts, "customer", "customers"))
		}
		sim, err := Simulate(o.accounts, o.approvalShare, o.faultRate, o.latency, o.seed, o.channel, wrap)
		if err != nil {
			return err
		}
		defer sim.Fake.Close()
		record, targets = sim.Record, sim.Targets
		transport = sim.Transport
		aiOpts = append(aiOpts, distribution.WithProber(oauth2.NewProber(sim.OAuth2Client)))
		if !o.quiet {
			fmt.Fprintf(stderr, "fake NetSuite: %d accounts (%d require approval; channel %s), latency %v, concurrency-fault rate %.0f%%\n",
				len(targets), sim.RequireApproval, o.channel, o.latency, 100*o.faultRate)
		}
	}
	var soapOpt []soap.Option
	if transport != nil {
		soapOpt = append(soapOpt, soap.WithTransport(transport))
	}
	ai, err := distribution.NewAutoInstaller(record, append(aiOpts, tba.WithProber(soapOpt...))...)
	if err != nil {
		return err
	}
	ropts := []rollout.Option{rollout.WithConcurrency(o.concurrency), rollout.WithRecordName(record.Name)}
	if o.journal != "" {
		j, problems, err := openJournal(ctx, o.journal)
		if err != nil {
			return err
		}
		// the journal's own Record calls made each result durable; Close only releases it
		defer func() { _ = j.Close() }()
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		if prev, _ := j.Latest(ctx, record.Name); len(prev) > 0 && !o.quiet {
			enabled := 0
			for _, e := range prev {
				if e.Outcome == "enabled" {
					enabled++
				}
			}
			fmt.Fprintf(stderr, "journal %s: %d targets recorded before, %d enabled (skipped unless their channel or credential changed), the rest checked again\n", o.journal, len(prev), enabled)
		}
		ropts = append(ropts, rollout.WithJournal(j))
	}
	var m *meter
	if !o.quiet {
		m = newMeter(stderr, len(targets))
		ropts = append(ropts, rollout.WithResults(m.Result))
	}
	r, err := rollout.New(ai, ropts...)
	if err != nil {
		return err
	}
	if m != nil {
		m.Start()
	}
	rep, runErr := r.Run(ctx, targets)
	if m != nil {
		m.Stop(rep != nil && rep.NotReached() > 0)
	}
	if rep == nil {
		var te *rollout.TargetsError
		if errors.As(runErr, &te) {
			return &exitError{2, runErr}
		}
		return runErr
	}
	rep.Settings = o.settings()
	if o.inviteBase != "" {
		if err := invite(ctx, o, refs, rep); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "nsdist rollout of %q to %d %s in %v (run %s)\n\n", rep.Record, rep.Total(), plural(rep.Total(), "account", "accounts"),
		rep.Finished.Sub(rep.Started).Round(time.Millisecond), rep.Run)
	fmt.Fprint(stdout, rep.Summary())
	if o.report != "" {
		if err := writeReport(rep, o.report); err != nil {
			return fmt.Errorf("-report %s: %w", o.report, pathCause(err))
		}
		fmt.Fprintf(stdout, "\nreport: %s\n", o.report)
	}
	return verdict(rep, runErr, o.journal)
}

// verdict turns a finished run into the exit status of the contract: nil
// (0) when every target ended enabled or awaiting_approval, an exitError
// with 3 when any ended rejected, misconfigured or failed, and an error (1)
// when the run could not finish.
func verdict(rep *rollout.Report, runErr error, journal string) error {
	switch {
	case errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded):
		again := "run again to check them"
		if journal != "" {
			again = "run again with -journal " + journal + " to continue where this run stopped"
		}
		return fmt.Errorf("interrupted: %d of %d %s not reached; %s", rep.NotReached(), rep.Total(), plural(rep.Total(), "target", "targets"), again)
	case runErr != nil:
		return runErr
	case rep.NotReached() > 0:
		return fmt.Errorf("%d of %d %s not reached", rep.NotReached(), rep.Total(), plural(rep.Total(), "target", "targets"))
	case !rep.OK():
		c := rep.Counts()
		n := c[distribution.OutcomeRejected] + c[distribution.OutcomeMisconfigured] + c[distribution.OutcomeFailed]
		return &exitError{3, fmt.Errorf("%d %s rejected, misconfigured or failed: see the summary for the causes and next steps", n, plural(n, "target", "targets"))}
	}
	return nil
}

// exitCode is the exit status for rollout's error.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 1
}

// settings are the run's parameters for the reports (never a secret).
func (o options) settings() []rollout.Setting {
	var s []rollout.Setting
	add := func(name, value string) { s = append(s, rollout.Setting{Name: name, Value: value}) }
	if o.targets != "" {
		add("targets file", o.targets)
	} else {
		add("simulation", fmt.Sprintf("%d accounts, approval share %g, channel %s, latency %v, concurrency-fault rate %g, seed %d",
			o.accounts, o.approvalShare, o.channel, o.latency, o.faultRate, o.seed))
	}
	add("concurrency", strconv.Itoa(o.concurrency))
	if o.journal != "" {
		add("journal", redactURL(o.journal))
	}
	if o.dump != "" {
		add("dump", o.dump)
	}
	return s
}

// redactURL drops the password of a postgres:// URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	return u.String()
}

// maxConcurrency bounds -concurrency.
const maxConcurrency = 2000

// checkOutputs checks, before anything is sent, that the report, the dump
// folder and the journal's folder can be written.
func checkOutputs(o options) error {
	if o.report != "" {
		if err := checkFile("-report", o.report); err != nil {
			return err
		}
	}
	if o.dump != "" {
		if err := os.MkdirAll(o.dump, 0o755); err != nil {
			return fmt.Errorf("-dump %s: %w", o.dump, pathCause(err))
		}
		if err := checkDir("-dump", o.dump, o.dump); err != nil {
			return err
		}
	}
	if o.journal != "" && !isSQLJournal(o.journal) {
		if err := checkFile("-journal", o.journal); err != nil {
			return err
		}
	}
	return nil
}

func checkFile(flagName, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s %s is a folder: name a file", flagName, path)
	}
	return checkDir(flagName, path, filepath.Dir(path))
}

// checkDir checks that a file can be created in dir; the messages name the
// user's path, never the probe's.
func checkDir(flagName, path, dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: folder %s does not exist", flagName, path, dir)
	case err != nil:
		return fmt.Errorf("%s %s: %w", flagName, path, pathCause(err))
	case !fi.IsDir():
		return fmt.Errorf("%s %s: %s is not a folder", flagName, path, dir)
	}
	f, err := os.CreateTemp(dir, ".nsdist-check-*")
	if err != nil {
		return fmt.Errorf("%s %s: cannot write in folder %s: %w", flagName, path, dir, pathCause(err))
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(name)
	return nil
}

// pathCause is a file error without the path (the message names it).
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func writeReport(rep *rollout.Report, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		err = rep.WriteCSV(f)
	case ".html", ".htm":
		err = rep.WriteHTML(f)
	default:
		err = rep.WriteJSON(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Simulation is the in-process fake NetSuite with its simulated customers.
type Simulation struct {
	Fake            *nstest.Server
	Record          approval.Record
	Targets         []distribution.Target
	Approval        map[nsdist.AccountID]bool // which accounts require approval
	RequireApproval int
	// OAuth2Client is the record's confidential OAuth 2.0 client; the
	// public-client customers' targets carry the public record's own.
	OAuth2Client *oauth2.Client
	// Channel says how each simulated customer authorized: tba, oauth2
	// (confidential client) or oauth2-public.
	Channel map[nsdist.AccountID]string
	// Transport reaches the fake, through wrap when Simulate was given one.
	Transport http.RoundTripper
}

// AccountIDs returns n distinct simulated account ids that depend only on n
// and seed; about one in eight is a sandbox.
func AccountIDs(n int, seed uint64) []nsdist.AccountID {
	rng := rand.New(rand.NewPCG(seed, uint64(max(n, 0))))
	seen := map[nsdist.AccountID]bool{}
	ids := make([]nsdist.AccountID, 0, n)
	for len(ids) < n {
		id := nsdist.AccountID(fmt.Sprintf("%d", 1000000+rng.IntN(8999999)))
		if rng.IntN(8) == 0 {
			id += "_SB1"
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// simHex is 64 hex digits that depend only on seed and parts.
func simHex(seed uint64, parts ...string) string {
	h := sha256.Sum256(fmt.Appendf(nil, "nsdist simulation %d\x00%s", seed, strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

// simTBAToken is an administrator's TBA token for the account, the same
// for every simulation of seed: issuing it installs the record.
func simTBAToken(fake *nstest.Server, a *nstest.Account, rec *nstest.Integration, seed uint64) (tba.Credential, error) {
	const email = "admin@customer.example"
	a.AddUser(nstest.User{Email: email, Password: simHex(seed, "password", string(a.ID()))})
	tok, err := fake.IssueTokenWith(a.ID(), email, nstest.AdministratorRole.ID, rec.ConsumerKey,
		simHex(seed, "token id", string(a.ID())), simHex(seed, "token secret", string(a.ID())))
	if err != nil {
		return tba.Credential{}, err
	}
	return tba.Credential{Consumer: tba.Consumer{Key: rec.ConsumerKey, Secret: rec.ConsumerSecret}, Token: tba.Token{ID: tok.ID, Secret: tok.Secret}}, nil
}

// Simulate builds the fake: a vendor account owning the record, and n
// customer accounts of which exactly round(n×share) require approval.
// Each customer has just authorized the integration, which issued a token
// and installed the record, as on real NetSuite: with TBA, with an OAuth
// 2.0 code grant, or (channel "mixed") half each, the OAuth 2.0 half split
// between a confidential client and a public one. The record's keys and
// the TBA tokens depend only on seed, so that a re-run presents the
// credentials an earlier run's journal recorded, as a vendor's does.
// wrap, if set, wraps the fake's transport for every client (-dump).
func Simulate(n int, share, faultRate float64, latency time.Duration, seed uint64, channel string, wrap func(http.RoundTripper) http.RoundTripper) (*Simulation, error) {
	fake := nstest.NewServer(nstest.WithSeed(seed), nstest.WithFaults(nstest.Faults{Latency: latency, ConcurrencyFaultRate: faultRate}))
	fail := func(err error) (*Simulation, error) { fake.Close(); return nil, err }
	vendor, err := fake.AddAccount("TSTDRV1234567", nstest.AccountConfig{})
	if err != nil {
		return fail(err)
	}
	redirect := []string{"https://app.acme.example/netsuite/callback"}
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true, TBAIssueToken: true,
		CallbackURL: redirect[0], OAuth2CodeGrant: true, RedirectURIs: redirect, Scopes: []string{"rest_webservices"},
		ConsumerKey: simHex(seed, "consumer key"), ConsumerSecret: simHex(seed, "consumer secret"),
		ClientID: simHex(seed, "client id"), ClientSecret: simHex(seed, "client secret")})
	if err != nil {
		return fail(err)
	}
	pub, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync Mobile", OAuth2CodeGrant: true, PublicClient: true,
		RedirectURIs: redirect, Scopes: []string{"rest_webservices"}, ClientID: simHex(seed, "public client id")})
	if err != nil {
		return fail(err)
	}
	rt := fake.Transport()
	if wrap != nil {
		rt = wrap(rt)
	}
	confidential, err := oauth2.NewClient(oauth2.Config{ClientID: rec.ClientID, ClientSecret: rec.ClientSecret}, oauth2.WithTransport(rt))
	if err != nil {
		return fail(err)
	}
	public, err := oauth2.NewClient(oauth2.Config{ClientID: pub.ClientID}, oauth2.WithTransport(rt))
	if err != nil {
		return fail(err)
	}
	ids := AccountIDs(n, seed)
	need := int(math.Round(float64(n) * share))
	order := rand.New(rand.NewPCG(seed, 0xa99)).Perm(n)
	requires := map[nsdist.AccountID]bool{}
	for _, i := range order[:need] {
		requires[ids[i]] = true
	}
	sim := &Simulation{Fake: fake, Approval: requires, RequireApproval: need, OAuth2Client: confidential, Channel: map[nsdist.AccountID]string{}, Transport: rt,
		Record: approval.Record{Name: rec.Name, Owner: vendor.ID(), TBA: true, TBAAuthFlow: true, TBAIssueToken: true, OAuth2CodeGrant: true}}
	for i, id := range ids {
		a, err := fake.AddAccount(string(id), nstest.AccountConfig{RequireApproval: requires[id]})
		if err != nil {
			return fail(err)
		}
		kind := channel
		if channel == "mixed" {
			kind = map[int]string{0: "tba", 1: "oauth2", 2: "tba", 3: "oauth2-public"}[i%4]
		}
		// what a vendor knows: the account, the token, when it was issued
		now := time.Now()
		t := distribution.Target{Account: id, TokenIssuedAt: now}
		switch kind {
		case "tba":
			auth, err := simTBAToken(fake, a, rec, seed)
			if err != nil {
				return fail(err)
			}
			t.Credential = auth
		default:
			in, client := rec, confidential
			if kind == "oauth2-public" {
				in, client = pub, public
			}
			tok, err := fake.CompleteCodeGrant(a.ID(), in)
			if err != nil {
				return fail(err)
			}
			t.Credential = oauth2.Grant{Client: client, Token: tok}
		}
		sim.Channel[id] = kind
		sim.Targets = append(sim.Targets, t)
	}
	return sim, nil
}
