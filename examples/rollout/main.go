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
//	go run ./examples/rollout -targets targets.csv -secrets secrets.json   # real accounts
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/soap"
	"github.com/nsdist/nsdist/soap/soaptest"
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
	recordName    string
	channel       string
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
	fs.StringVar(&o.channel, "channel", "mixed", "simulated customers' channel: tba, oauth2, or mixed (half each; the OAuth 2.0 half split between confidential and public clients)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rollout: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := o.validate(); err != nil {
		fmt.Fprintln(stderr, "rollout:", err)
		return 2
	}
	if err := rollout(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "rollout:", err)
		if errors.Is(err, context.Canceled) {
			return 130
		}
		return 1
	}
	return 0
}

func (o options) validate() error {
	switch {
	case o.accounts < 1 || o.accounts > 100000:
		return errors.New("-accounts must be between 1 and 100000")
	case o.approvalShare < 0 || o.approvalShare > 1:
		return errors.New("-approval-share must be between 0 and 1")
	case o.faultRate < 0 || o.faultRate > 1:
		return errors.New("-fault-rate must be between 0 and 1")
	case o.concurrency < 1:
		return errors.New("-concurrency must be at least 1")
	case o.latency < 0:
		return errors.New("-latency must not be negative")
	case o.secrets != "" && o.targets == "":
		return errors.New("-secrets goes with -targets")
	case o.channel != "tba" && o.channel != "oauth2" && o.channel != "mixed":
		return fmt.Errorf("-channel %q: want tba, oauth2 or mixed", o.channel)
	}
	return nil
}

func rollout(ctx context.Context, o options, stdout, stderr io.Writer) error {
	var (
		record    approval.Record
		targets   []distribution.Target
		transport http.RoundTripper
		aiOpts    []distribution.Option
	)
	if o.targets != "" {
		var creds distribution.CredentialSource = distribution.EnvCredentials{}
		if o.secrets != "" {
			fc, err := distribution.OpenFileCredentials(o.secrets)
			if err != nil {
				return err
			}
			creds = fc
		}
		t, err := distribution.LoadTargets(ctx, o.targets, creds)
		if err != nil {
			return err
		}
		targets = t
		record = approval.Record{Name: o.recordName, TBA: true, TBAAuthFlow: true, TBAIssueToken: true, UserCredentials: true}
	} else {
		sim, err := Simulate(o.accounts, o.approvalShare, o.faultRate, o.latency, o.seed, o.channel)
		if err != nil {
			return err
		}
		defer sim.Fake.Close()
		record, targets = sim.Record, sim.Targets
		transport = sim.Fake.Transport()
		aiOpts = append(aiOpts, distribution.WithOAuth2Client(sim.OAuth2Client))
		if !o.quiet {
			fmt.Fprintf(stderr, "fake NetSuite: %d accounts (%d require approval; channel %s), latency %v, concurrency-fault rate %.0f%%\n",
				len(targets), sim.RequireApproval, o.channel, o.latency, 100*o.faultRate)
		}
	}
	if o.dump != "" {
		if err := os.MkdirAll(o.dump, 0o755); err != nil {
			return err
		}
		if transport == nil {
			transport = soap.DefaultHTTPClient().Transport
		}
		transport = &dumper{dir: o.dump, next: transport}
	}
	var soapOpt []soap.Option
	if transport != nil {
		soapOpt = append(soapOpt, soap.WithTransport(transport))
	}
	ai, err := distribution.NewAutoInstaller(record, append(aiOpts, distribution.WithSOAPOptions(soapOpt...))...)
	if err != nil {
		return err
	}
	ropts := []distribution.RolloutOption{distribution.WithConcurrency(o.concurrency), distribution.WithRecordName(record.Name)}
	if o.journal != "" {
		j, problems, err := openJournal(ctx, o.journal)
		if err != nil {
			return err
		}
		defer j.Close()
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
			fmt.Fprintf(stderr, "journal %s: %d targets recorded before, %d enabled (skipped), the rest checked again\n", o.journal, len(prev), enabled)
		}
		ropts = append(ropts, distribution.WithJournal(j))
	}
	if !o.quiet {
		ropts = append(ropts, distribution.WithProgress(progressPrinter(stderr)))
	}
	r, err := distribution.NewRollout(ai, ropts...)
	if err != nil {
		return err
	}
	rep, runErr := r.Run(ctx, targets)
	if rep == nil {
		return runErr
	}
	fmt.Fprintf(stdout, "nsdist rollout of %q to %d accounts in %v\n\n", rep.Record, len(targets), rep.Finished.Sub(rep.Started).Round(time.Millisecond))
	fmt.Fprint(stdout, rep.Summary())
	if o.report != "" {
		if err := writeReport(rep, o.report); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nreport: %s\n", o.report)
	}
	return runErr
}

func writeReport(rep *distribution.Report, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if strings.HasSuffix(strings.ToLower(path), ".csv") {
		err = rep.WriteCSV(f)
	} else {
		err = rep.WriteJSON(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func progressPrinter(w io.Writer) func(distribution.Event) {
	var mu sync.Mutex
	last := time.Time{}
	lastPct := -1
	return func(e distribution.Event) {
		mu.Lock()
		defer mu.Unlock()
		pct := 0
		if e.Total > 0 {
			pct = 100 * e.Done / e.Total
		}
		if e.Type == distribution.EventDone && lastPct == 100 {
			return
		}
		if e.Type != distribution.EventDone && pct/10 == lastPct/10 && time.Since(last) < time.Second {
			return
		}
		last, lastPct = time.Now(), pct
		eta := ""
		if e.ETA > 0 {
			eta = fmt.Sprintf(", eta %v", e.ETA.Round(100*time.Millisecond))
		}
		fmt.Fprintf(w, "progress: %d/%d (%d%%) enabled %d, awaiting approval %d, rejected %d, misconfigured %d, failed %d%s\n",
			e.Done, e.Total, pct, e.Counts["enabled"], e.Counts["awaiting_approval"], e.Counts["rejected"], e.Counts["misconfigured"], e.Counts["failed"], eta)
	}
}

// Simulation is the in-process fake NetSuite with its simulated customers.
type Simulation struct {
	Fake            *soaptest.Server
	Record          approval.Record
	Targets         []distribution.Target
	Approval        map[soap.AccountID]bool // which accounts require approval
	RequireApproval int
	// OAuth2Client is the record's confidential OAuth 2.0 client; the
	// public-client customers' targets carry the public record's own.
	OAuth2Client *oauth2.Client
	// Channel says how each simulated customer authorized: tba, oauth2
	// (confidential client) or oauth2-public.
	Channel map[soap.AccountID]string
}

// AccountIDs returns n distinct simulated account ids that depend only on n
// and seed; about one in eight is a sandbox.
func AccountIDs(n int, seed uint64) []soap.AccountID {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	seen := map[soap.AccountID]bool{}
	ids := make([]soap.AccountID, 0, n)
	for len(ids) < n {
		id := soap.AccountID(fmt.Sprintf("%d", 1000000+rng.IntN(8999999)))
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

// Simulate builds the fake: a vendor account owning the record, and n
// customer accounts of which exactly round(n×share) require approval.
// Each customer has just authorized the integration, which issued a token
// and installed the record, as on real NetSuite: with TBA, with an OAuth
// 2.0 code grant, or (channel "mixed") half each, the OAuth 2.0 half split
// between a confidential client and a public one.
func Simulate(n int, share, faultRate float64, latency time.Duration, seed uint64, channel string) (*Simulation, error) {
	fake := soaptest.NewServer(soaptest.WithSeed(seed), soaptest.WithFaults(soaptest.Faults{Latency: latency, ConcurrencyFaultRate: faultRate}))
	fail := func(err error) (*Simulation, error) { fake.Close(); return nil, err }
	vendor, err := fake.AddAccount("TSTDRV1234567", soaptest.AccountConfig{})
	if err != nil {
		return fail(err)
	}
	redirect := []string{"https://app.acme.example/netsuite/callback"}
	rec, err := fake.CreateIntegration(vendor.ID(), soaptest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAAuthFlow: true, TBAIssueToken: true,
		CallbackURL: redirect[0], OAuth2CodeGrant: true, RedirectURIs: redirect, Scopes: []string{"rest_webservices"}})
	if err != nil {
		return fail(err)
	}
	pub, err := fake.CreateIntegration(vendor.ID(), soaptest.IntegrationSpec{Name: "Acme Sync Mobile", OAuth2CodeGrant: true, PublicClient: true,
		RedirectURIs: redirect, Scopes: []string{"rest_webservices"}})
	if err != nil {
		return fail(err)
	}
	confidential, err := oauth2.NewClient(oauth2.Config{ClientID: rec.ClientID, ClientSecret: rec.ClientSecret}, oauth2.WithTransport(fake.Transport()))
	if err != nil {
		return fail(err)
	}
	public, err := oauth2.NewClient(oauth2.Config{ClientID: pub.ClientID}, oauth2.WithTransport(fake.Transport()))
	if err != nil {
		return fail(err)
	}
	ids := AccountIDs(n, seed)
	need := int(math.Round(float64(n) * share))
	order := rand.New(rand.NewPCG(seed, 0xa99)).Perm(n)
	requires := map[soap.AccountID]bool{}
	for _, i := range order[:need] {
		requires[ids[i]] = true
	}
	sim := &Simulation{Fake: fake, Approval: requires, RequireApproval: need, OAuth2Client: confidential, Channel: map[soap.AccountID]string{},
		Record: approval.Record{Name: rec.Name, Owner: vendor.ID(), TBA: true, TBAAuthFlow: true, TBAIssueToken: true, OAuth2CodeGrant: true}}
	for i, id := range ids {
		a, err := fake.AddAccount(string(id), soaptest.AccountConfig{RequireApproval: requires[id]})
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
			auth, err := fake.Connect(a.ID(), rec)
			if err != nil {
				return fail(err)
			}
			t.Credential = distribution.TBAToken{ConsumerKey: auth.ConsumerKey, ConsumerSecret: auth.ConsumerSecret, TokenID: auth.TokenID, TokenSecret: auth.TokenSecret}
		default:
			in, client := rec, confidential
			if kind == "oauth2-public" {
				in, client = pub, public
			}
			g, err := fake.ConnectOAuth2(a.ID(), in)
			if err != nil {
				return fail(err)
			}
			t.Credential = distribution.OAuth2Token{Client: client, Token: &oauth2.Token{Account: id, ClientID: in.ClientID, AccessToken: g.AccessToken,
				RefreshToken: g.RefreshToken, TokenType: "bearer", Expiry: now.Add(g.ExpiresIn), Role: g.Role, Entity: g.Entity, Public: in.PublicClient, IssuedAt: now}}
		}
		sim.Channel[id] = kind
		sim.Targets = append(sim.Targets, t)
	}
	return sim, nil
}
