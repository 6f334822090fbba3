// Command oauth2 gets one customer token the way SuiteCloud's browser
// login does, and prints it as JSON. Completing the authorization code
// grant is what installs the integration record in the customer's account
// (section_158081952044).
//
// Authorization code grant, PKCE S256 always:
//
//	go run ./examples/oauth2 -client-id ID [-client-secret S] [-account ACCT] \
//	    -redirect URI [-listen ADDR] [-scope "rest_webservices restlets"] \
//	    [-netsuite-base URL] [-out FILE]
//
// No -client-secret (and no $NETSUITE_CLIENT_SECRET) means a public client:
// client_id goes in the body, never also a Basic header. The command prints
// "open: <authorize URL>" on stderr. With -listen it serves the redirect
// URI's path on ADDR over plain HTTP and goes on when the browser arrives
// (a loopback http://127.0.0.1:PORT/... redirect works with the fake
// NetSuite, -netsuite-base; a real record refuses http:// redirect URIs,
// section_157771733782, so there the redirect is https:// with a TLS
// tunnel to ADDR, or a custom scheme pasted on stdin); without
// it, paste the whole redirect URL on stdin. Without -account the authorize
// URL is on system.netsuite.com and the account comes from the redirect.
//
// Client credentials (M2M), which needs the record already installed and a
// certificate mapped to an entity and role:
//
//	go run ./examples/oauth2 -m2m -account ACCT -client-id ID -cert-id KID \
//	    -key FILE.pem [-alg PS256] [-scope rest_webservices] [-netsuite-base URL] [-out FILE]
//
// Output: one JSON object on stdout (or in -out FILE, mode 0600), an
// oauth2.Token's JSON form: account, client_id, access_token,
// refresh_token (empty for M2M), token_type, expires_at (RFC 3339), scope,
// role, entity, issued_at. With -store sqlite:PATH|postgres://URL and
// -tenant NAME the token is also saved, encrypted with NSDIST_STORE_KEY,
// under (tenant, account). After a code grant the record's State is
// checked with REST serverTime and said on stderr: "state: Enabled" or
// "state: not enabled: <reason and the administrator's step>", then
// "reauthorize by: <RFC 3339> (<why>)", when the customer must authorize
// again (a public client's chain end, a confidential client's 7 days). Exit
// status: 0 token obtained (and the record Enabled); 3 token obtained but
// the record not Enabled; 1 when NetSuite refuses (the OAuth error value
// is in the one-line reason on stderr) or the run cannot finish; 2 for
// bad flags.
//
// -netsuite-base URL sends every request (and points the authorize URL) to
// URL's scheme, host and port, with the Host header of the NetSuite host it
// would have used: for the fake NetSuite server and for tests.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// listenFunc opens -listen's address. The command uses net.Listen; a test
// hands over a listener it already holds, since closing one to reuse its
// port races every other listener and outgoing connection on the machine.
type listenFunc func(network, address string) (net.Listener, error)

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(ctx, net.Listen, args, stdin, stdout, stderr)
}

// flags are the command's flags, parsed.
type flags struct {
	clientID, secret, account, redirect, listen, scope, base, out string
	certID, keyFile, alg, store, tenant, m2mKey                   string
	m2m                                                           bool
	timeout                                                       time.Duration
}

func newFlagSet(stderr io.Writer) (*flag.FlagSet, *flags) {
	fs := flag.NewFlagSet("oauth2", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage:
  oauth2 -client-id ID [-client-secret S] [-account ACCT] -redirect URI [-listen ADDR]
         [-scope "rest_webservices restlets"] [-netsuite-base URL] [-out FILE]
         [-store sqlite:PATH|postgres://URL -tenant NAME [-m2m-key FILE.pem]]
  oauth2 -m2m -account ACCT -client-id ID -cert-id KID -key FILE.pem [-alg PS256]
         [-scope rest_webservices] [-netsuite-base URL] [-out FILE]
Without -client-secret the client is public. Environment: NETSUITE_CLIENT_ID,
NETSUITE_CLIENT_SECRET and NETSUITE_ACCOUNT are the defaults of their flags;
NSDIST_STORE_KEY (32 bytes, base64) encrypts the tokens -store keeps.
After a code grant the record's State is checked with REST serverTime and
written on stderr ("state: Enabled", or "state: not enabled: ..." with the
administrator's step), then when the customer must authorize again
("reauthorize by: ..."). With -m2m-key, the key's certificate is then
registered for the token's role and entity and an M2M credential is stored,
so that nobody has to authorize again: "m2m: certificate <id> registered",
or "m2m: not registered: ..." with what is missing (the code-grant token is
kept either way).
Exit status: 0 token obtained (and the record Enabled), 3 token obtained but
the record not Enabled, 1 NetSuite refused or the run failed, 2 bad flags.
`)
		fs.PrintDefaults()
	}
	f := &flags{}
	fs.StringVar(&f.clientID, "client-id", os.Getenv("NETSUITE_CLIENT_ID"), "the integration record's client ID ($NETSUITE_CLIENT_ID)")
	fs.StringVar(&f.secret, "client-secret", os.Getenv("NETSUITE_CLIENT_SECRET"), "client secret of a confidential client ($NETSUITE_CLIENT_SECRET); none: a public client")
	fs.StringVar(&f.account, "account", os.Getenv("NETSUITE_ACCOUNT"), "the customer's account id ($NETSUITE_ACCOUNT); none: system.netsuite.com")
	fs.StringVar(&f.redirect, "redirect", "", "one of the record's Redirect URIs")
	fs.StringVar(&f.listen, "listen", "", "serve the redirect URI's path on this address (e.g. 127.0.0.1:8910)")
	fs.StringVar(&f.scope, "scope", "rest_webservices", "space-separated scopes")
	fs.StringVar(&f.base, "netsuite-base", "", "send every request to this scheme://host:port (the fake server)")
	fs.StringVar(&f.out, "out", "", "write the JSON to this file (mode 0600) instead of stdout")
	fs.BoolVar(&f.m2m, "m2m", false, "client credentials grant instead of the code grant")
	fs.StringVar(&f.certID, "cert-id", "", "M2M: the certificate id (the assertion's kid)")
	fs.StringVar(&f.keyFile, "key", "", "M2M: the PEM private key (RSA 3072/4096 or EC P-256/384/521)")
	fs.StringVar(&f.alg, "alg", "", "M2M: PS256, PS384, PS512, ES256, ES384 or ES512 (default from the key)")
	fs.StringVar(&f.store, "store", "", "save the token in this store: sqlite:PATH or postgres://URL (key in $NSDIST_STORE_KEY)")
	fs.StringVar(&f.tenant, "tenant", "", "the vendor tenant the token is saved under (with -store)")
	fs.StringVar(&f.m2mKey, "m2m-key", "", "code grant with -store: hand off to M2M with this PEM key (its certificate is registered for the token's role and entity)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "how long to wait for the browser")
	return fs, f
}

// runWith is run with -listen's address opened by netListen.
func runWith(ctx context.Context, netListen listenFunc, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, f := newFlagSet(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "oauth2:", strings.TrimPrefix(oneLine(err.Error()), "oauth2: "))
		return code
	}
	if fs.NArg() > 0 {
		return fail(2, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	acct, scopes, st, err := f.check(ctx)
	if err != nil {
		return fail(2, err)
	}
	if st != nil {
		defer st.close()
	}
	var opts []oauth2.Option
	if f.base != "" {
		opts = append(opts, oauth2.WithBaseURL(f.base))
	}
	if !f.m2m && f.base == "" && strings.HasPrefix(strings.ToLower(f.redirect), "http://") {
		// section_157771733782: the record's Redirect URI must be https:// or a custom scheme
		fmt.Fprintln(stderr, "oauth2: warning: a real NetSuite record refuses http:// redirect URIs; use https:// or a custom scheme there (http://127.0.0.1 works only with the fake, -netsuite-base)")
	}
	var tok *oauth2.Token
	if f.m2m {
		tok, err = clientCredentials(ctx, f.clientID, acct, f.certID, f.keyFile, f.alg, scopes, opts)
	} else {
		tok, err = codeGrant(ctx, codeArgs{clientID: f.clientID, secret: f.secret, account: acct, redirect: f.redirect, listen: f.listen,
			netListen: netListen, scopes: scopes, timeout: f.timeout, opts: opts, stdin: stdin, stderr: stderr})
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return fail(2, err)
		}
		return fail(1, err)
	}
	return deliver(ctx, f, tok, st, opts, stdout, stderr, fail)
}

// check validates the flags that need no network and opens the store.
func (f *flags) check(ctx context.Context) (nsdist.AccountID, []oauth2.Scope, *tokenStore, error) {
	scopes, err := oauth2.ParseScopes(f.scope)
	if err != nil {
		return "", nil, nil, fmt.Errorf("-scope: %w", err)
	}
	var acct nsdist.AccountID
	if f.account != "" {
		if acct, err = nsdist.ParseAccountID(f.account); err != nil {
			return "", nil, nil, fmt.Errorf("-account: %w", err)
		}
	}
	if f.out != "" {
		if err := checkWritable(f.out); err != nil {
			return "", nil, nil, fmt.Errorf("-out: %w", err)
		}
	}
	if f.m2mKey != "" && (f.m2m || f.store == "") {
		return "", nil, nil, errors.New("-m2m-key hands a code grant off to M2M and stores the M2M credential: use it with -store and -tenant, without -m2m")
	}
	if f.m2m && f.store != "" {
		return "", nil, nil, errors.New("-store keeps code-grant tokens; a client-credentials (M2M) target names its key instead (NETSUITE_<REF>_CLIENT_ID, _CERTIFICATE_ID, _PRIVATE_KEY_FILE)")
	}
	st, err := openStore(ctx, f.store, f.tenant)
	if err != nil {
		return "", nil, nil, err
	}
	return acct, scopes, st, nil
}

// deliver saves the token, prints it, and after a code grant checks the
// record's State: 0 Enabled (or M2M), 3 not Enabled, 1 a failure.
func deliver(ctx context.Context, f *flags, tok *oauth2.Token, st *tokenStore, opts []oauth2.Option, stdout, stderr io.Writer, fail func(int, error) int) int {
	if st != nil {
		if err := st.save(ctx, tok); err != nil {
			return fail(1, fmt.Errorf("-store: %w (the token was issued; run again to get another)", err))
		}
	}
	data, _ := tok.JSON() // printing the token is this command's job (stdout, or -out with mode 0600)
	data = append(data, '\n')
	if f.out != "" {
		if err := writeFile(f.out, data); err != nil {
			return fail(1, fmt.Errorf("-out: %w (the token was issued; run again to get another)", err))
		}
	} else if _, err := stdout.Write(data); err != nil {
		return fail(1, err)
	}
	if f.m2m {
		return 0
	}
	code := checkState(ctx, f.clientID, tok, opts, stderr)
	reauthorizeBy(tok, stderr)
	if f.m2mKey != "" {
		if err := handOff(ctx, f, tok, st, opts, stderr); err != nil {
			return fail(1, err)
		}
	}
	return code
}

// reauthorizeBy says on stderr when the customer must authorize again.
func reauthorizeBy(tok *oauth2.Token, stderr io.Writer) {
	by := tok.ReauthorizeBy()
	if by.IsZero() {
		return
	}
	why := "the confidential client's refresh token expires"
	if tok.Public {
		why = "the public client's token chain ends (Maximum Time For Token Rotation); refresh within each refresh token's validity until then"
	}
	fmt.Fprintf(stderr, "reauthorize by: %s (%s)\n", by.UTC().Format(time.RFC3339), why)
}

type codeArgs struct {
	clientID, secret string
	account          nsdist.AccountID
	redirect, listen string
	netListen        listenFunc
	scopes           []oauth2.Scope
	timeout          time.Duration
	opts             []oauth2.Option
	stdin            io.Reader
	stderr           io.Writer
}

func codeGrant(ctx context.Context, a codeArgs) (*oauth2.Token, error) {
	if a.clientID == "" {
		return nil, usageError{"-client-id is required (or $NETSUITE_CLIENT_ID)"}
	}
	if a.redirect == "" {
		return nil, usageError{"-redirect is required: one of the integration record's Redirect URIs"}
	}
	c, err := oauth2.NewClient(oauth2.Config{ClientID: a.clientID, ClientSecret: a.secret, RedirectURL: a.redirect, Scopes: a.scopes}, a.opts...)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	auth, err := c.Authorize(oauth2.AuthorizeOptions{Account: a.account})
	if err != nil {
		return nil, usageError{err.Error()}
	}
	var ln net.Listener
	if a.listen != "" {
		ru, _ := url.Parse(a.redirect)
		_, lport, perr := net.SplitHostPort(a.listen)
		if perr != nil {
			return nil, usageError{"-listen " + a.listen + ": want HOST:PORT, e.g. 127.0.0.1:8910"}
		}
		if ru.Scheme == "http" && ru.Port() != "" && lport != ru.Port() {
			return nil, usageError{fmt.Sprintf("-listen port %s differs from the -redirect port %s: the browser would never arrive", lport, ru.Port())}
		}
		if ln, err = a.netListen("tcp", a.listen); err != nil {
			return nil, fmt.Errorf("-listen: %w", err)
		}
		defer func() { _ = ln.Close() }()
	}
	fmt.Fprintln(a.stderr, "open:", auth.URL)
	var redirect string
	if ln != nil {
		fmt.Fprintf(a.stderr, "waiting %s for the browser at %s (if NetSuite shows \"Invalid redirect_uri\" instead, this URI is not one of the record's Redirect URIs)\n", a.timeout, a.redirect)
		redirect, err = waitForBrowser(ctx, ln, a.redirect, a.timeout)
	} else {
		fmt.Fprintln(a.stderr, "then paste the whole URL NetSuite redirected to:")
		redirect, err = readLine(ctx, a.stdin)
	}
	if err != nil {
		return nil, err
	}
	return c.Complete(ctx, auth, redirect)
}

// waitForBrowser serves the redirect URI's path until NetSuite's redirect
// arrives (a request with state or error); other requests (a favicon, a
// stray local request) get 404 and are ignored. Plain HTTP: an https
// redirect URI needs a TLS front (a tunnel) that forwards here.
func waitForBrowser(ctx context.Context, ln net.Listener, redirect string, timeout time.Duration) (string, error) {
	ru, _ := url.Parse(redirect)
	path := ru.Path
	if path == "" {
		path = "/"
	}
	got := make(chan string, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != path || (q.Get("state") == "" && q.Get("error") == "") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if q.Get("error") != "" {
			fmt.Fprintln(w, "NetSuite did not authorize the integration; see the terminal.")
		} else {
			fmt.Fprintln(w, "NetSuite sent the authorization back; see the terminal. You can close this window.")
		}
		select {
		case got <- r.URL.RawQuery:
		default:
		}
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer shutdown(srv)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case q := <-got:
		return "?" + q, nil
	case <-t.C:
		return "", fmt.Errorf("no browser came back to %s within %s", redirect, timeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// shutdown stops srv once the page the browser is being sent is complete:
// the handler hands the redirect over before its answer is written out,
// and closing at once cut that answer off. A connection still busy after a
// second (a browser's idle preconnect) is closed anyway.
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		_ = srv.Close()
	}
}

func readLine(ctx context.Context, r io.Reader) (string, error) {
	line := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		s := bufio.NewScanner(r)
		s.Buffer(make([]byte, 64<<10), 64<<10)
		for s.Scan() {
			if t := strings.TrimSpace(s.Text()); t != "" {
				line <- t
				return
			}
		}
		if err := s.Err(); err != nil {
			errc <- fmt.Errorf("reading the redirect URL: %w", err)
			return
		}
		errc <- errors.New("no redirect URL on stdin")
	}()
	select {
	case l := <-line:
		return l, nil
	case err := <-errc:
		return "", err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func clientCredentials(ctx context.Context, clientID string, acct nsdist.AccountID, certID, keyFile, alg string, scopes []oauth2.Scope, opts []oauth2.Option) (*oauth2.Token, error) {
	switch {
	case clientID == "":
		return nil, usageError{"-client-id is required (or $NETSUITE_CLIENT_ID)"}
	case acct == "":
		return nil, usageError{"-m2m needs -account: client credentials work only where the record is already installed"}
	case certID == "":
		return nil, usageError{"-m2m needs -cert-id: the Certificate ID of the M2M mapping"}
	case keyFile == "":
		return nil, usageError{"-m2m needs -key FILE.pem"}
	}
	pemBytes, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, usageError{"-key: " + err.Error()}
	}
	key, err := oauth2.ParsePrivateKey(pemBytes)
	if err != nil {
		return nil, usageError{"-key: " + err.Error()}
	}
	c, err := oauth2.NewClient(oauth2.Config{ClientID: clientID, Scopes: scopes}, opts...)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	m, err := c.ClientCredentials(oauth2.M2MConfig{Account: acct, CertificateID: certID, Key: key, Algorithm: alg})
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return m.Token(ctx)
}

// checkWritable fails early, before anything is sent, if path's directory
// does not exist or path is a directory.
func checkWritable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	dir := "."
	if i := strings.LastIndexByte(path, os.PathSeparator); i >= 0 {
		dir = path[:i+1]
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("directory %s does not exist", dir)
	}
	return nil
}

func writeFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
