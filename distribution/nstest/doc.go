// Package nstest is a fake NetSuite for tests: many accounts in one
// in-process server, integration records with their owner, the Require
// Approval preference, States, TBA and user-credential checks, concurrency
// limits, NetSuite's faults, and deterministic fault injection. It is to
// nsdist what net/http/httptest is to net/http.
//
// A soap.Client reaches it with one option, the fake's transport, which
// routes every <hostid>.suitetalk.api.netsuite.com host (and the generic
// webservices.netsuite.com) to the fake:
//
//	fake := nstest.NewServer()
//	defer fake.Close()
//	vendor := fake.MustAddAccount("TSTDRV1", nstest.AccountConfig{})
//	customer := fake.MustAddAccount("123456", nstest.AccountConfig{RequireApproval: true})
//	rec, _ := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "My App", TBA: true, TBAAuthFlow: true})
//	cred, _ := fake.IssueTBAToken(customer.ID(), rec) // the customer authorizes: installs the record
//	c, _ := soap.NewClient("123456", append(fake.ClientOptions(), soap.WithAuth(cred.TokenAuth(customer.ID())))...)
//	_, err := c.Do(ctx, soap.OpGetServerTime) // soap.ErrAuthRejected: Waiting for Approval
//	customer.Approve(rec.ApplicationID)       // an administrator approves
//
// What the fake does as NetSuite documents it (section_4429293934,
// section_4389727047, section_4431829430, section_1515139626,
// section_4395597766, section_1515141510, section_1500275531): a
// request naming a record that is not yet in the target installs it (by
// application id with user credentials on endpoints up to 2020_1, or by
// issuing a TBA token); the initial State is Enabled, or Waiting for
// Approval when the target requires approval; a bundle install is always
// Enabled; the target may change only State and Note; credentials can be
// reset only in the owner; a sandbox refresh removes sandbox-only records
// and tokens. A record that is Waiting for Approval or Blocked, a bad
// signature, a reused nonce, a timestamp more than 5 minutes off, a
// lower-case sandbox account id or HMAC-SHA1 all get the generic
// "Invalid login attempt." fault (nsdist's reading of public reports; no
// Oracle page names a fault for each); the real reason goes to the
// account's Login Audit Trail ([Account.LoginAudit], subsect_156935170194).
//
// OAuth 2.0 as NetSuite serves it: the authorize page on
// <hostid>.app.netsuite.com and system.netsuite.com
// (/app/login/oauth2/authorize.nl, played by [Server.Consent]), the token
// and revoke endpoints under /services/rest/auth/oauth2/v1/ on the
// suitetalk.api (and restlets.api) host, GET
// /services/rest/system/v1/serverTime, client credentials (M2M) with
// certificates mapped by [Account.AddCertificate] or the Certificate
// Rotation Endpoint on the restlets.api host. The authorization code grant
// installs the record (Channel oauth2) with the account's preference; which
// of Oracle's two readings applies when approval is required is
// [WithCodeGrantApproval]'s choice. Refused REST calls all get 401
// invalid_token; the cause is in the Login Audit Trail with Oracle's Detail.
//
// Outside the process: [WithListener] serves the fake on a listener of
// the caller's choosing, so that clients in any language can reach it over
// real TCP by naming the NetSuite host in the Host header, and
// [WithMiddleware] puts the caller's own paths in front of it;
// examples/fakenetsuite is that server. [Server.Reset] forgets everything
// the fake holds.
//
// Every response carries a documentInfo nsId header in the endpoint
// version's namespaces; faults carry no header, like NetSuite's.
//
// # Where the fake goes beyond Oracle's documentation
//
// A vendor testing against the fake should know which behaviours are
// Oracle's and which are the fake's reading. These are the fake's:
//
//   - The SOAP answer to a record Waiting for Approval or Blocked, and to
//     every other refused tokenPassport: faultstring "Invalid login
//     attempt.", invalidCredentialsFault, code USER_ERROR. Oracle documents
//     that such requests are blocked (section_4429293934,
//     section_4431175537) but no fault for them; the answer is taken from
//     public client code and issue trackers.
//   - The fault for a passport on a 2020.2 or later endpoint: Oracle says
//     the request gets an error (section_4389727047); its faultstring
//     ("Request-level credentials are not supported on endpoint …") is the
//     fake's own.
//   - Login Audit Trail Detail values ([AuditEntry.Origin]). Oracle's
//     values are used where its tables list one (subsect_156935170194 for
//     TBA requests). Inferred: consumer_key_refused for a record Waiting
//     for Approval (documented for Blocked), IntegrationBlocked for an
//     OAuth 2.0 request to a record Waiting for Approval (documented for
//     Blocked), nonce_rejected for a SOAP nonce shorter than 6 or longer
//     than 64 characters (documented for RESTlets), consumer_key_unknown
//     for a token whose record is no longer installed,
//     permission_denied on the user-credentials path, and IntegrationBlocked
//     and FeatureDisabled for an issuetoken refusal (Oracle lists them for
//     the authorization flow, subsect_156934879823). The fake's own,
//     prefixed "fake:": fake:InvalidAccount (a tokenPassport or passport
//     naming another account), fake:PassportNotSupported,
//     fake:MissingApplicationId, fake:InvalidCredentials, fake:InvalidRole,
//     fake:InvalidApplicationId, fake:UserCredentialsNotEnabled,
//     fake:RecordBlocked and fake:RecordWaitingForApproval (user credentials
//     with an application id: Oracle's tables cover token-based requests
//     only), and fake:InvalidLogin (issuetoken). The text after ": " in a
//     Detail is the fake's explanation, not part of NetSuite's column.
//   - The JSON error bodies of the token endpoints ({"error":{"code",
//     "message"}}) and their HTTP statuses; the codes IssueTokenRequired
//     and TWO_FA_REQD. The flow's other codes, InvalidTimestamp among
//     them, are Oracle's Detail values (subsect_156934879823).
//   - OAuth 2.0 Detail values recorded for causes Oracle does not list
//     them for, marked inferred: InvalidRequest for a malformed authorize
//     request other than PKCE (a parameter sent twice, no scope, an
//     unknown prompt, prompt=none with mcp; documented for a bad or
//     missing PKCE parameter), InvalidGrant for a spent, expired or
//     unknown code, a code of another account, a redirect_uri mismatch
//     and a verifier sent without a challenge (documented for a PKCE
//     mismatch), and InvalidRefreshToken for a spent or revoked refresh
//     token (documented for an access token sent as a refresh token)
//     (subsect_158711892221, subsect_158711928134); and, where Oracle's
//     table lists a value without its cause (subsect_158324637123):
//     TokenNotAcceptable for an assertion with a wrong aud or without
//     iat or exp, SignatureValidation for an assertion that cannot be
//     read, ClientIdMismatch for an assertion whose iss is another
//     client, InvalidIntegration for a record without the client
//     credentials box (documented for one not installed),
//     ClientAuthenticationFailed for two client-authentication methods at
//     once, and TokenBlocked (a revoked token) and ScopeMismatched (a token
//     without rest_webservices) on REST.
//   - A bundle install of a record the account already has changes
//     nothing and returns [ErrAlreadyInstalled]; Oracle documents only a
//     fresh bundle install (always Enabled, section_4431829430).
//   - The faultstrings of INVALID_WS_VERSION, of an unknown operation and of
//     an unparsable request, the Axis hostname, the nsId format, the
//     getDataCenterUrls answer for an unknown account, and the limits of the
//     user-credentials path (1 request per user, 10 for a Concurrent Web
//     Services User) applied per email.
//   - OAuth 2.0: the choice between Oracle's two readings of a code grant
//     with approval required ([WithCodeGrantApproval]); the client-visible
//     errors of refresh, revoke and a refused client-credentials assertion,
//     which Oracle does not document (only their Detail values; it gives
//     invalid_grant for an expired assertion); the authorization code's
//     lifetime of 10 minutes (Oracle: "limited time validity"); the consent
//     page's HTML form; http:// loopback redirect URIs, which a real
//     record refuses (section_157771733782: https:// or a custom scheme
//     only); HTTP 429 for "Too Many Requests" (section_0827103226 gives the
//     words only); on the certificate rotation endpoint an Administrator
//     manages every certificate while other users manage only their own
//     (Oracle names only the "Manage own" permission), who holds that
//     permission by default (the Administrator role; see
//     [User.ManageOwnCertificates]: Oracle does not say, and a live
//     account must tell), and its error bodies.
//   - OAuth 2.0 client-visible errors Oracle does not document:
//     unauthorized_client at the authorize step and at the code exchange
//     for a Blocked record, OAuth 2.0 turned off or no code-grant box;
//     access_denied for prompt=none without a session; invalid_request for
//     prompt=login on system.netsuite.com.
//   - PKCE is required for every record (Oracle requires it for new
//     integrations); the token endpoint is also served on the restlets
//     host; revoke accepts an access token too (Oracle's token parameter is
//     the refresh token).
//   - Client credentials: an assertion's iat may be up to 10 seconds in
//     the future (Oracle documents no tolerance; TokenNotAcceptable
//     beyond); neither the assertion's typ header nor a reused jti is
//     checked; one certificate per (record, role, entity) is checked within
//     one account (Oracle does not say whether the rule spans accounts).
//   - OAuth 2.0 tokens are signed with HS256 under a key the process
//     makes when it starts, their kid "c.<company>.<date>" dated then:
//     NetSuite signs with company-specific certificates (PS256 in Oracle's
//     table, RS256 in its 2026 samples; section_158255317571). Their
//     header and claims are NetSuite's; clients must treat them as opaque.
//   - OAuth 2.0 tokens more than 24 hours past their expiry are forgotten
//     once the fake holds twice as many tokens as at its last sweep (at
//     least 4,096); a forgotten token is then refused as one the account
//     never issued (Detail InvalidSignature, not RefreshTokenExpired or
//     AccessTokenExpired).
//   - [Account.ResetClientCredentials]: access tokens issued before keep
//     working until they expire, while refresh tokens issued to the old
//     client ID no longer refresh (Oracle does not say).
package nstest
