// Package soap is nsdist's SuiteTalk SOAP wire layer: endpoint versions,
// account ids, token-based and legacy passport authentication,
// schema-valid request envelopes, response and fault decoding, and a
// retrying client for one account.
//
// # Quick start
//
//	c, err := soap.NewClient("123456_SB1", soap.WithAuth(&soap.TokenAuth{
//		Account: "123456_SB1", ConsumerKey: ck, ConsumerSecret: cs, TokenID: tok, TokenSecret: ts,
//	}))
//	if err != nil { ... }
//	resp, err := c.Do(ctx, soap.OpGetServerTime)
//
// Each attempt carries a new tokenPassport (a fresh 20-character nonce,
// the current timestamp, and its HMAC-SHA256 signature). Requests go to
// the account-specific domain <hostid>.suitetalk.api.netsuite.com; when
// that host does not resolve or NetSuite says the account is elsewhere,
// the client asks getDataCenterUrls once and caches the answer per account
// ([WithDiscoveryCache] shares it between clients). [WithEndpoint] fixes
// the URL instead.
//
// # Authentication
//
// [TokenAuth] is the only mode current endpoints accept. [Passport] (user
// credentials plus the integration record's application id) works only on
// endpoints up to 2020_1, as a request-level header or through
// [Client.Login]. Combinations NetSuite rejects are refused before
// anything is sent: a passport on 2020_2 or newer, an application id next
// to a tokenPassport ([ErrAmbiguousAuth]), empty credentials, credentials
// for another account.
//
// # Errors
//
// Every failed call returns an [*OpError] carrying the operation, the
// account, the number of attempts and the last real cause. Below it sits a
// [*Fault] for SOAP faults, an [*HTTPError] for non-SOAP HTTP answers, a
// [*DecodeError] for bodies that are not usable envelopes, or a
// [*TransportError]. A 3xx answer is a [*RedirectError] ([ErrRedirect]):
// the client follows no redirect, since the envelope carries credentials
// and NetSuite never redirects a SOAP POST. A getDataCenterUrls answer
// naming a domain that is not https on netsuite.com or a subdomain is a
// [*DomainError] ([ErrUntrustedDomain]) and is not cached; URLs the caller
// set with [WithEndpoint] or [WithDiscoveryURL] are not checked. Fault
// classes match with errors.Is:
//
//	var f *soap.Fault
//	switch {
//	case errors.Is(err, soap.ErrAuthRejected):
//		// "Invalid login attempt.": wrong credentials, or (nsdist's
//		// reading of public client code: Oracle documents no fault for
//		// it) the integration record is Blocked or Waiting for Approval
//		// in the target account.
//	case errors.As(err, &f):
//		log.Print(f.Kind, f.NSCode, f.Hostname)
//	}
//
// # Retries and idempotency
//
// The operations nsdist sends change nothing but the installation, which
// happens once, so repeating them is safe. [DefaultRetryPolicy] retries
// concurrency faults, ACCT_TEMP_UNAVAILABLE, UNEXPECTED_ERROR (twice at
// most), HTTP 429/502/503/504 (honouring Retry-After), truncated answers
// and connections that got no response: up to 10 attempts, jittered
// exponential backoff from 100 ms to 5 s, 2 minutes in all. Authentication,
// permission, version and account faults fail at once.
//
// # Logging
//
// The client is silent unless given [WithLogger]; it logs attempts and
// retries at Debug. Credentials redact themselves in String, GoString,
// Format and slog's LogValue, and error snippets blank passwords, nonces
// and signatures. What a server answers to a client's request (a fault's
// texts and raw detail, the body snapshot of an
// [*HTTPError] or [*DecodeError]) is kept with every secret of that request
// blanked, raw or encoded, in case the server echoed it. [DecodeResponse],
// given bytes alone, knows no request and blanks nothing in a fault.
//
// # Testing
//
// Package nstest is a fake NetSuite that speaks this wire format; a
// client needs only its transport. For unit tests, [WithTransport] takes
// any http.RoundTripper.
package soap
