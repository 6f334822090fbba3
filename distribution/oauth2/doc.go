// Package oauth2 installs an integration record with OAuth 2.0 and keeps
// the customer's token working: the authorization code grant with PKCE
// (public and confidential clients), refresh with single-flight per
// credential, revoke, the client credentials (M2M) grant with signed
// assertions, the certificate rotation endpoint, and REST serverTime to
// prove a token.
//
// From 2027.1 NetSuite accepts no new TBA integrations, and SOAP is
// removed in 2028.2; for a new integration, completing the authorization
// code grant is the only auto-installation trigger left: "After the access
// token and refresh token are granted, the integration is auto-installed
// in the account" (section_158081952044, section_4429293934). The record
// arrives Enabled, or Waiting for Approval when the customer's account has
// Require Approval during Auto-Installation of Integration checked. (Oracle's
// code-grant page says instead that with that box checked the record does
// not install at all; nsdist's advice covers both readings.)
//
// # Quick start
//
//	c, err := oauth2.NewClient(oauth2.Config{
//		ClientID:    clientID,       // from the integration record
//		RedirectURL: "https://app.example.com/netsuite/callback",
//		Scopes:      []oauth2.Scope{oauth2.ScopeRESTWebServices},
//	}) // no ClientSecret: a public client, as Oracle advises for distributed integrations
//	a, err := c.Authorize(oauth2.AuthorizeOptions{}) // keep a server-side, bound to the browser session
//	// redirect the browser to a.URL; NetSuite redirects back to RedirectURL
//	tok, err := c.Complete(ctx, a, callbackURL) // installs the record
//	_, err = c.ServerTime(ctx, tok)             // 200: Enabled; 401 invalid_token: most likely Waiting for Approval
//
// # Clients
//
// A confidential client (ClientSecret set) authenticates to the token
// endpoint with HTTP Basic, standard base64 (RFC 7617); a public client
// sends client_id in the body. nsdist never sends both: NetSuite answers
// invalid_request to more than one method (subsect_158521832417). PKCE S256
// is used on every flow, never plain.
//
// # Refresh
//
// Access tokens last 60 minutes. A confidential client's refresh token
// lasts 7 days and no new one comes back on refresh; a public client's
// works once, lasts 48 hours by default, and the chain ends after the
// record's Maximum Time For Token Rotation (168 hours by default)
// (section_158082518856, section_157771733782). [Client.Refresher] refreshes
// ahead of expiry, sends one refresh however many goroutines ask, and saves
// the new token before handing it out.
//
// # Client credentials
//
// [Client.ClientCredentials] signs assertions with PS256/384/512 or
// ES256/384/512 (never RS256), kid = the certificate id, exp at most 59
// minutes after an iat set a few seconds in the past
// (section_162790605110). M2M never installs a record: it needs the record
// already in the account (a code grant, a bundle or a SuiteApp put it
// there) and a certificate mapped to an entity and role.
//
// # Errors
//
// NetSuite's refusals are *[Error] values with the OAuth error code, the
// parsed WWW-Authenticate [Challenge] and a NextStep for the user or the
// administrator; errors.Is(err, [ErrReauthorize]) tells that only a new
// authorization helps. Malformed answers (an HTML page, truncated JSON, a
// body over 1 MiB) wrap [ErrResponse]; a redirect from a NetSuite endpoint
// wraps [ErrRedirect] and is never followed.
//
// # Secrets
//
// Client secrets, codes, verifiers, access and refresh tokens, assertions
// and private keys never appear in errors, logs or fmt output of this
// package's types, even when a server echoes them back in an error body.
//
// # Library use
//
// golang.org/x/oauth2 provides the PKCE verifier and challenge, the
// authorize URL, Token and TokenSource. nsdist makes the token-endpoint
// requests itself: x/oauth2 reads its HTTP client from a context value,
// may send client_id in the body and a Basic header when it auto-detects,
// and keeps the whole error body (which can echo secrets) in its
// RetrieveError's text.
package oauth2
