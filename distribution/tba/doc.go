// Package tba acquires a customer's token-based-auth (TBA) token: the
// three-step authorization flow, or the issuetoken endpoint for
// integrations that cannot open a browser. Issuing the token is what
// auto-installs the integration record in the customer's account on
// current endpoints (section_4429293934); distribution's AutoInstaller
// then tells Enabled from Waiting for Approval with one getServerTime.
//
// From 2027.1 no new TBA integrations can be created (subsect_156934879823):
// a new integration uses distribution/oauth2; this package serves the
// existing ones until NetSuite retires TBA.
//
// # Quick start
//
//	c, err := tba.NewClient()
//	consumer := tba.Consumer{Key: ck, Secret: cs} // the integration record's
//	rt, err := c.RequestToken(ctx, "123456", consumer, "https://app.example.com/netsuite/callback", "")
//	// send the browser to tba.AuthorizeURL("123456", rt.Token, state); NetSuite calls back
//	cb, err := tba.ParseCallback(r.URL.Query(), state)
//	access, err := c.AccessToken(ctx, consumer, rt, cb) // installs the record
//
// [Connect] wraps that flow in two http.Handlers (start, callback) for a
// vendor's web app: an unguessable single-use state, the request token
// kept server-side, the access token stored in a [TokenStore], and the
// install checked.
//
// # Signing
//
// Requests are signed with HMAC-SHA256 only (RFC 5849 encoding; HMAC-SHA1
// ended with 2023.1, subsect_156935170194), with a fresh nonce per request
// and timestamps that never go backwards.
//
// # Errors
//
// Every refusal of the flow is a [*FlowError] whose Code is NetSuite's
// Login Audit Trail value (IntegrationBlocked, InvalidCallback, NonceUsed,
// TWO_FA_REQD, …, subsect_156934879823) and whose NextStep says what the
// user or the customer's administrator should do:
//
//	var fe *tba.FlowError
//	if errors.As(err, &fe) {
//		log.Print(fe.Code, ": ", fe.NextStep)
//	}
//
// A redirect from a token endpoint is never followed (Code "Redirect").
// Neither Error() nor a FlowError's Body ever holds the credentials the
// request carried, even when a server echoes them.
//
// # Testing
//
// distribution/nstest serves the token endpoints and the consent page:
// tba.NewClient(tba.WithTransport(fake.Transport())) talks to it, and
// fake.IssueTBAToken issues a token without a browser.
package tba
