// Command envelope prints one SuiteTalk request envelope to stdout and
// nothing else. It sends nothing.
//
//	go run ./examples/envelope -op getServerTime -version 2025_2 -account 123456_SB1 \
//	    -auth tba -consumer-key … -consumer-secret … -token … -token-secret … [-nonce N -timestamp T]
//
// Each credential flag falls back to an environment variable
// (NETSUITE_CONSUMER_KEY, NETSUITE_CONSUMER_SECRET, NETSUITE_TOKEN,
// NETSUITE_TOKEN_SECRET, NETSUITE_EMAIL, NETSUITE_PASSWORD, NETSUITE_ROLE,
// NETSUITE_APP_ID, NETSUITE_ACCOUNT). A bad combination exits with status 2
// and a one-line reason on stderr.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/soap"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, time.Now()))
}

// credentialFlags names each credential field by its flag and variable.
var credentialFlags = strings.NewReplacer(
	"ConsumerKey", "-consumer-key ($NETSUITE_CONSUMER_KEY)", "ConsumerSecret", "-consumer-secret ($NETSUITE_CONSUMER_SECRET)",
	"TokenID", "-token ($NETSUITE_TOKEN)", "TokenSecret", "-token-secret ($NETSUITE_TOKEN_SECRET)",
	"Email", "-email ($NETSUITE_EMAIL)", "Password", "-password ($NETSUITE_PASSWORD)", "Role", "-role ($NETSUITE_ROLE)",
	"ApplicationID", "-app-id ($NETSUITE_APP_ID)", "Account", "-account ($NETSUITE_ACCOUNT)")

// flagNames rewrites "… is missing ConsumerSecret, TokenID" (the SDK's
// field names) with the flags and variables a user sets.
func flagNames(msg string) string {
	const marker = " missing "
	i := strings.Index(msg, marker)
	if i < 0 {
		return msg
	}
	return msg[:i+len(marker)] + credentialFlags.Replace(msg[i+len(marker):])
}

func run(args []string, stdout, stderr io.Writer, now time.Time) int {
	fs := flag.NewFlagSet("envelope", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, key string) *string {
		return fs.String(name, os.Getenv(key), "defaults to $"+key)
	}
	op := fs.String("op", "getServerTime", "operation: getServerTime, getDataCenterUrls, login, logout, getIntegrationGovernanceInfo, getAccountGovernanceInfo")
	version := fs.String("version", soap.DefaultVersion.String(), "endpoint version, e.g. 2025_2, 2020_1, 2017_2")
	account := env("account", "NETSUITE_ACCOUNT")
	auth := fs.String("auth", "tba", "tba or passport")
	ck := env("consumer-key", "NETSUITE_CONSUMER_KEY")
	cs := env("consumer-secret", "NETSUITE_CONSUMER_SECRET")
	tok := env("token", "NETSUITE_TOKEN")
	ts := env("token-secret", "NETSUITE_TOKEN_SECRET")
	email := env("email", "NETSUITE_EMAIL")
	password := env("password", "NETSUITE_PASSWORD")
	role := env("role", "NETSUITE_ROLE")
	appID := env("app-id", "NETSUITE_APP_ID")
	nonce := fs.String("nonce", "", "tokenPassport nonce (default: random)")
	timestamp := fs.String("timestamp", "", "tokenPassport Unix timestamp (default: now)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: envelope -op OP -version V -account ACCT [-auth tba|passport] [credential flags] [-nonce N -timestamp T]

Prints one SuiteTalk request envelope to stdout and nothing else; it sends
nothing. -auth tba signs a tokenPassport (HMAC-SHA256) from the consumer
key and secret and the token id and secret; -nonce and -timestamp make it
deterministic. -auth passport writes the user credentials (endpoints up to
2020_1 only).

Environment: each credential flag falls back to a variable:
  NETSUITE_ACCOUNT, NETSUITE_CONSUMER_KEY, NETSUITE_CONSUMER_SECRET,
  NETSUITE_TOKEN, NETSUITE_TOKEN_SECRET, NETSUITE_EMAIL, NETSUITE_PASSWORD,
  NETSUITE_ROLE, NETSUITE_APP_ID

Exit status: 0 printed (a warning on stderr when the endpoint is
unsupported or disabled today); 2 a bad flag or combination, with a
one-line reason on stderr.

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
	fail := func(err error) int {
		fmt.Fprintln(stderr, "envelope:", flagNames(err.Error()))
		return 2
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	v, err := soap.ParseVersion(*version)
	if err != nil {
		return fail(err)
	}
	operation, err := soap.ParseOperation(*op)
	if err != nil {
		return fail(err)
	}
	acct, err := nsdist.ParseAccountID(*account)
	if err != nil {
		return fail(err)
	}
	req := &soap.Request{Operation: operation, Version: v, Account: acct}
	switch *auth {
	case "tba":
		req.Auth = &soap.TokenAuth{Account: acct, ConsumerKey: *ck, ConsumerSecret: *cs, TokenID: *tok, TokenSecret: *ts}
		req.ApplicationID = *appID
	case "passport":
		req.Auth = &soap.Passport{Email: *email, Password: *password, Account: acct, Role: *role, ApplicationID: *appID}
	default:
		return fail(fmt.Errorf("-auth %q: want tba or passport", *auth))
	}
	if operation == soap.OpLogout {
		// logout is sent inside a login session: the cookie authenticates it.
		if p, ok := req.Auth.(*soap.Passport); ok {
			if err := p.Check(v); err != nil {
				return fail(err)
			}
			req.ApplicationID = p.ApplicationID
		} else {
			return fail(errors.New("logout belongs to a login session, which needs -auth passport"))
		}
		req.Auth, req.Session = nil, true
	}
	if operation != soap.OpGetDataCenterUrls && req.Auth != nil {
		if err := req.Auth.Check(v); err != nil {
			return fail(err)
		}
	}
	if *nonce == "" {
		if *nonce, err = soap.RandomNonce(); err != nil {
			return fail(err)
		}
	}
	at := now
	if *timestamp != "" {
		sec, err := strconv.ParseInt(*timestamp, 10, 64)
		if err != nil || sec <= 0 {
			return fail(fmt.Errorf("-timestamp %q: want Unix seconds", *timestamp))
		}
		at = time.Unix(sec, 0)
	}
	out, err := req.Encode(*nonce, at)
	if err != nil {
		return fail(err)
	}
	if lc := v.Lifecycle(now); lc != nsdist.EndpointSupported {
		fmt.Fprintf(stderr, "envelope: warning: endpoint %s is %s as of %s\n", v, lc, now.Format("2006-01-02"))
	}
	if _, err := stdout.Write(append(out, '\n')); err != nil {
		return 1
	}
	return 0
}
