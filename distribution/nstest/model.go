package nstest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"
)

// Errors of the fake's administration API.
var (
	ErrUnknownAccount     = errors.New("nstest: unknown account")
	ErrUnknownIntegration = errors.New("nstest: unknown integration record")
	ErrNotInstalled       = errors.New("nstest: integration record not installed in this account")
	ErrNotOwner           = errors.New("nstest: only the owner account can do this")
	ErrNotEditable        = errors.New("nstest: field not editable in this account")
	ErrUnknownUser        = errors.New("nstest: unknown user or role")
	ErrFeature            = errors.New("nstest: feature disabled")
	ErrAuthBox            = errors.New("nstest: authentication box not checked on the integration record")
	// ErrIntegrationBlocked: the record is Blocked in the account, so no
	// token is issued for it (subsect_156934879823).
	ErrIntegrationBlocked = errors.New("nstest: IntegrationBlocked")
)

// Channel is how a record reached an account.
type Channel string

// Install channels.
const (
	ChannelCreated     Channel = "created"      // created here: the owner
	ChannelCredentials Channel = "credentials"  // auto-install by user credentials + application id
	ChannelTBA         Channel = "tba"          // auto-install by issuing a TBA token, as approval names the channel
	ChannelBundle      Channel = "bundle"       // SuiteBundler bundle install
	ChannelSandboxCopy Channel = "sandbox-copy" // copied from production by a sandbox refresh
	ChannelOAuth2      Channel = "oauth2"       // auto-install by an OAuth 2.0 authorization code grant
)

// Role is a role in an account.
type Role struct {
	ID            string // internal id, e.g. "3"
	Name          string
	Administrator bool
	WebServices   bool // has the SOAP Web Services permission
	TwoFactor     bool // requires two-factor authentication (issuetoken needs the OTP)
}

// AdministratorRole is NetSuite's Administrator role (internal id 3).
var AdministratorRole = Role{ID: "3", Name: "Administrator", Administrator: true, WebServices: true}

// User is a user of an account.
type User struct {
	Email    string
	Password string
	Roles    []Role
	// ConcurrentWebServicesUser lifts the per-user limit of user-credential
	// requests from 1 to 10 (section_1500275531).
	ConcurrentWebServicesUser bool
	// OTP is the authenticator code the fake expects next (each works once).
	OTP string
	// EntityID is the user's internal id, the OAuth 2.0 redirect's entity
	// and the token's sub (section_158081944642). AddUser gives a small
	// number when it is empty.
	EntityID string
	// ManageOwnCertificates is the "Manage own OAuth 2.0 Client Credentials
	// certificates" permission the Certificate Rotation Endpoint needs
	// (article_92130837826). Nil is the fake's own reading, since Oracle
	// does not say which roles hold it by default: true for a user whose
	// token's role is the Administrator, false otherwise.
	ManageOwnCertificates *bool
}

// AccountConfig configures an account. The zero value is NetSuite's
// default: approval not required, SOAP web services and TBA on, a
// concurrency limit of 5.
type AccountConfig struct {
	RequireApproval  bool
	SOAPDisabled     bool
	TBADisabled      bool
	ConcurrencyLimit int // default 5
	// DataCenterHost, if set, is the host getDataCenterUrls names for the
	// account; the derived account host then does not resolve.
	DataCenterHost string
	// OAuth2Disabled turns the OAuth 2.0 feature off (Setup > Company >
	// Enable Features > SuiteCloud): every OAuth 2.0 request fails with the
	// Login Audit Trail Detail FeatureDisabled.
	OAuth2Disabled bool
}

// Account is one NetSuite account in the fake. Its methods stand in for an
// administrator's actions in the UI; all are safe for concurrent use.
type Account struct {
	s   *Server
	id  nsdist.AccountID
	cfg AccountConfig

	// guarded by s.mu
	users       map[string]*User           // by lower-case email
	installs    map[string]*Install        // by application id
	tokens      map[string]*Token          // by token id
	audit       []AuditEntry               // Login Audit Trail
	inflight    int                        // TBA requests in progress
	userBusy    map[string]int             // user-credential requests in progress, by email
	sessions    map[string]string          // JSESSIONID -> email
	unavail     [2]time.Time               // ACCT_TEMP_UNAVAILABLE window
	seq         uint64                     // requests seen, for deterministic injection
	inject      *Faults                    // per-account fault injection, or nil
	nonces      map[string]map[string]bool // token id -> used nonce+timestamp
	consentUser string                     // pre-filled on the fake consent page
	o2          acctOAuth2                 // OAuth 2.0 consents and M2M certificates
}

// ID returns the account id.
func (a *Account) ID() nsdist.AccountID { return a.id }

// Integration is an integration record in its owner account. Its fields
// are shared by every account that has it installed (section_1515139626,
// section_4389727047).
type Integration struct {
	// IntegrationSpec holds the form's fields as created, with the
	// generated ones filled in: ApplicationID (upper-case GUID),
	// ConsumerKey and ConsumerSecret (64 hex), and with an OAuth 2.0 grant
	// ClientID (64 hex) and ClientSecret (64 hex; empty for a public
	// client), RefreshTokenValidity and MaxTokenRotation (public clients).
	IntegrationSpec
	Owner nsdist.AccountID
}

// IntegrationSpec is what the New Integration form asks for.
type IntegrationSpec struct {
	Name            string
	Description     string
	UserCredentials bool
	TBA             bool
	TBAIssueToken   bool
	TBAAuthFlow     bool
	CallbackURL     string
	// OAuth 2.0 (section_157771733782): the grant boxes, Public Client,
	// Redirect URIs, scopes (restlets, rest_webservices, suite_analytics,
	// or mcp alone), Consent Policy, and for public clients Refresh Token
	// Validity (default 48h, 1h–720h) and Maximum Time For Token Rotation
	// (default 168h, 1h–720h).
	OAuth2CodeGrant         bool
	OAuth2ClientCredentials bool
	PublicClient            bool
	RedirectURIs            []string
	Scopes                  []string
	ConsentPolicy           ConsentPolicy
	RefreshTokenValidity    time.Duration
	MaxTokenRotation        time.Duration
	// ClientID and ClientSecret, when set, replace the generated OAuth 2.0
	// credentials (64 hex each), so a test can use Oracle's published
	// samples. A public client takes no secret.
	ClientID     string
	ClientSecret string
	// ApplicationID (32 hex digits, hyphens optional), ConsumerKey and
	// ConsumerSecret (64 hex digits each), when set, replace the generated
	// ones, so that a fixture can name a record's credentials in advance.
	ApplicationID  string
	ConsumerKey    string
	ConsumerSecret string
}

// Install is a record as one account has it.
type Install struct {
	ApplicationID string
	Name          string
	State         nsdist.State
	Note          string
	Channel       Channel
	InstalledAt   time.Time
	InstalledBy   string
	InitialState  nsdist.State
}

// Token is a TBA token: one (user, role, integration record) in an account.
type Token struct {
	ID            string
	Secret        string
	Account       nsdist.AccountID
	Email         string
	RoleID        string
	ApplicationID string
	Revoked       bool
}

// AuditEntry is one line of the fake's Login Audit Trail: the real reason
// behind a generic "Invalid login attempt.".
//
// Detail starts with the value NetSuite's Detail column would show,
// optionally followed by ": " and the fake's own explanation (which
// NetSuite does not show). Origin says how far Oracle documents the value
// for the cause: where Oracle lists none, the fake invents one, prefixes it
// with "fake:" and sets Origin to [DetailFake]. The package documentation
// lists every such value.
type AuditEntry struct {
	Time          time.Time
	Email         string
	ApplicationID string
	TokenID       string
	Success       bool
	Detail        string       // e.g. consumer_key_refused, InvalidSignature, NonceUsed
	Origin        DetailOrigin // empty on a success
}

// Value returns the Detail column's value, without the fake's explanation.
func (e AuditEntry) Value() string {
	v, _, _ := strings.Cut(e.Detail, ": ")
	return v
}

// DetailOrigin says whether Oracle documents an audit Detail value for the
// cause the fake recorded it for.
type DetailOrigin string

// Origins of a Detail value.
const (
	// DetailDocumented: Oracle's Login Audit Trail table lists the value
	// for this cause (subsect_156935170194 for TBA requests,
	// subsect_156934879823 for the authorization flow, subsect_158324637123
	// and subsect_158711892221 for OAuth 2.0).
	DetailDocumented DetailOrigin = "documented"
	// DetailInferred: Oracle lists the value for a neighbouring cause (a
	// Blocked record, or RESTlets rather than SOAP) and documents none for
	// this one; the fake assumes NetSuite shows the same.
	DetailInferred DetailOrigin = "inferred"
	// DetailFake: Oracle documents no value for the cause; the value is the
	// fake's own and starts with "fake:".
	DetailFake DetailOrigin = "fake"
)

func (o DetailOrigin) String() string { return string(o) }

func randomHex(n int) string {
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func newGUID() string {
	var buf [36]byte
	return string(appendGUID(buf[:0]))
}

// appendGUID appends 16 random bytes as an upper-case GUID,
// 8-4-4-4-12 hex digits.
func appendGUID(b []byte) []byte {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic(err)
	}
	const digits = "0123456789ABCDEF"
	for i, x := range r {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, digits[x>>4], digits[x&0xF])
	}
	return b
}

// CreateIntegration creates an integration record in its owner account,
// State Enabled, with a new application id and consumer key and secret.
func (s *Server) CreateIntegration(owner nsdist.AccountID, spec IntegrationSpec) (*Integration, error) {
	if strings.TrimSpace(spec.Name) == "" {
		return nil, errors.New("nstest: an integration record needs a Name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[owner]
	if !ok {
		return nil, fmt.Errorf("%w %s", ErrUnknownAccount, owner)
	}
	in := &Integration{IntegrationSpec: spec, Owner: owner}
	in.ApplicationID, in.ConsumerKey, in.ConsumerSecret = newGUID(), randomHex(64), randomHex(64)
	in.TBA = spec.TBA || spec.TBAIssueToken || spec.TBAAuthFlow
	in.RedirectURIs, in.Scopes = slices.Clone(spec.RedirectURIs), slices.Clone(spec.Scopes)
	if err := s.setCredentialsLocked(in, spec); err != nil {
		return nil, err
	}
	if err := s.setOAuth2Locked(in, spec); err != nil {
		return nil, err
	}
	s.integrations[in.ApplicationID] = in
	s.byConsumerKey[in.ConsumerKey] = in
	a.installLocked(in, ChannelCreated, "owner", nsdist.StateEnabled)
	return in.clone(), nil
}

// setCredentialsLocked applies the spec's application id and consumer
// key and secret, when it names them.
func (s *Server) setCredentialsLocked(in *Integration, spec IntegrationSpec) error {
	if spec.ApplicationID != "" {
		if err := soap.CheckApplicationID(spec.ApplicationID); err != nil {
			return fmt.Errorf("nstest: ApplicationID: %w", err) // NetSuite generates 32 hex digits
		}
		id, _ := soap.NormalizeApplicationID(spec.ApplicationID)
		if s.integrations[id] != nil {
			return fmt.Errorf("nstest: another record has application id %s", id)
		}
		in.ApplicationID = id
	}
	if spec.ConsumerKey != "" {
		if !isHex64(spec.ConsumerKey) {
			return errors.New("nstest: ConsumerKey must be 64 hex digits")
		}
		if s.byConsumerKey[spec.ConsumerKey] != nil {
			return errors.New("nstest: another record has this consumer key")
		}
		in.ConsumerKey = spec.ConsumerKey
	}
	if spec.ConsumerSecret != "" {
		if !isHex64(spec.ConsumerSecret) {
			return errors.New("nstest: ConsumerSecret must be 64 hex digits")
		}
		in.ConsumerSecret = spec.ConsumerSecret
	}
	return nil
}

func (a *Account) installLocked(in *Integration, ch Channel, by string, state nsdist.State) *Install {
	if a.installs == nil {
		a.installs = map[string]*Install{}
	}
	inst := &Install{ApplicationID: in.ApplicationID, Name: in.Name, State: state, InitialState: state, Channel: ch, InstalledAt: a.s.now(), InstalledBy: by}
	a.installs[in.ApplicationID] = inst
	return inst
}

// autoInstallLocked installs in if absent, with the State the preference gives.
func (a *Account) autoInstallLocked(in *Integration, ch Channel, by string) *Install {
	if inst, ok := a.installs[in.ApplicationID]; ok {
		return inst
	}
	state := nsdist.StateEnabled
	if a.cfg.RequireApproval {
		state = nsdist.StateWaitingForApproval
	}
	return a.installLocked(in, ch, by, state)
}

// Integration returns a record by application id (any case, hyphens optional).
func (s *Server) Integration(appID string) (*Integration, bool) {
	id, err := soap.NormalizeApplicationID(appID)
	if err != nil {
		return nil, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	in, ok := s.integrations[id]
	if !ok {
		return nil, false
	}
	return in.clone(), true
}

// AddUser adds a user with roles. With no roles the user gets Administrator.
func (a *Account) AddUser(u User) {
	if len(u.Roles) == 0 {
		u.Roles = []Role{AdministratorRole}
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if a.users == nil {
		a.users = map[string]*User{}
	}
	cp := u
	if cp.EntityID == "" {
		a.o2.entitySeq++
		cp.EntityID = strconv.Itoa(6 + a.o2.entitySeq) // 7, 8, ...: Oracle's samples show small ids
	}
	a.users[strings.ToLower(u.Email)] = &cp
}

// SetRequireApproval sets the "Require Approval during Auto-Installation
// of Integration" preference.
func (a *Account) SetRequireApproval(v bool) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.cfg.RequireApproval = v
}

// SetConcurrencyLimit sets the account concurrency limit.
func (a *Account) SetConcurrencyLimit(n int) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.cfg.ConcurrencyLimit = n
}

// SetFeatures turns the SOAP web services and TBA features on or off.
func (a *Account) SetFeatures(soapOn, tbaOn bool) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.cfg.SOAPDisabled, a.cfg.TBADisabled = !soapOn, !tbaOn
}

// Installs returns the account's integration records, in install order.
func (a *Account) Installs() []Install {
	a.s.mu.RLock()
	defer a.s.mu.RUnlock()
	out := make([]Install, 0, len(a.installs))
	for _, in := range a.installs {
		out = append(out, *in)
	}
	sortInstalls(out)
	return out
}

// Install returns the account's copy of a record.
func (a *Account) Install(appID string) (Install, bool) {
	id, _ := soap.NormalizeApplicationID(appID)
	a.s.mu.RLock()
	defer a.s.mu.RUnlock()
	in, ok := a.installs[id]
	if !ok {
		return Install{}, false
	}
	return *in, true
}

// SetState is an administrator editing the record's State (Setup >
// Integration > Manage Integrations > Edit). Approve is SetState(Enabled).
func (a *Account) SetState(appID string, st nsdist.State) error {
	switch st {
	case nsdist.StateEnabled, nsdist.StateBlocked:
	default:
		return fmt.Errorf("%w: State can be set to Enabled or Blocked, not %q", ErrNotEditable, st)
	}
	return a.edit(appID, func(in *Install) { in.State = st })
}

// Approve sets a Waiting for Approval record to Enabled.
func (a *Account) Approve(appID string) error { return a.SetState(appID, nsdist.StateEnabled) }

// Block sets the record to Blocked.
func (a *Account) Block(appID string) error { return a.SetState(appID, nsdist.StateBlocked) }

// SetNote sets the record's Note in this account.
func (a *Account) SetNote(appID, note string) error {
	return a.edit(appID, func(in *Install) { in.Note = note })
}

// EditShared tries to change a field shared between accounts (Name,
// Description, authentication boxes): only the owner may.
func (a *Account) EditShared(appID string, edit func(*Integration)) error {
	id, _ := soap.NormalizeApplicationID(appID)
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	in, ok := a.s.integrations[id]
	if !ok {
		return ErrUnknownIntegration
	}
	if in.Owner != a.id {
		return fmt.Errorf("%w: in %s only State and Note can be edited; the owner is %s", ErrNotEditable, a.id, in.Owner)
	}
	edit(in)
	return nil
}

func (a *Account) edit(appID string, f func(*Install)) error {
	id, _ := soap.NormalizeApplicationID(appID)
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	in, ok := a.installs[id]
	if !ok {
		return fmt.Errorf("%w: %s in %s", ErrNotInstalled, appID, a.id)
	}
	f(in)
	return nil
}

// ResetCredentials regenerates the consumer key and secret. Only the owner
// account can, and only for a TBA record; existing tokens keep working
// with the new key (section_4395597766).
func (a *Account) ResetCredentials(appID string) (key, secret string, err error) {
	id, _ := soap.NormalizeApplicationID(appID)
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	in, ok := a.s.integrations[id]
	if !ok {
		return "", "", ErrUnknownIntegration
	}
	if in.Owner != a.id {
		return "", "", fmt.Errorf("%w: credentials of %q can be reset only in %s", ErrNotOwner, in.Name, in.Owner)
	}
	if !in.TBA {
		return "", "", fmt.Errorf("%w: Reset Credentials appears only on TBA records", ErrAuthBox)
	}
	delete(a.s.byConsumerKey, in.ConsumerKey)
	in.ConsumerKey, in.ConsumerSecret = randomHex(64), randomHex(64)
	a.s.byConsumerKey[in.ConsumerKey] = in
	return in.ConsumerKey, in.ConsumerSecret, nil
}

// ResetClientCredentials regenerates an OAuth 2.0 record's client ID and
// secret (a public client has no secret). Only the owner account can; the
// page shows them once, and a lost pair is reset there
// (section_157771733782). Access tokens already issued keep working until
// they expire; refresh tokens issued to the old client ID no longer
// refresh, and client-credentials assertions must name the new one: the
// fake's reading, since Oracle does not say.
func (a *Account) ResetClientCredentials(appID string) (clientID, secret string, err error) {
	id, _ := soap.NormalizeApplicationID(appID)
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	in, ok := a.s.integrations[id]
	switch {
	case !ok:
		return "", "", ErrUnknownIntegration
	case in.Owner != a.id:
		return "", "", fmt.Errorf("%w: client credentials of %q can be reset only in %s", ErrNotOwner, in.Name, in.Owner)
	case !in.OAuth2CodeGrant && !in.OAuth2ClientCredentials:
		return "", "", fmt.Errorf("%w: %q has no OAuth 2.0 grant, so no client credentials", ErrAuthBox, in.Name)
	}
	in.ClientID = randomHex(64)
	if !in.PublicClient {
		in.ClientSecret = randomHex(64)
	}
	for _, acct := range a.s.accounts { // the certificate mappings follow the record
		for _, c := range acct.o2.certs {
			if c.ApplicationID == in.ApplicationID {
				c.ClientID = in.ClientID
			}
		}
	}
	return in.ClientID, in.ClientSecret, nil
}

// ErrAlreadyInstalled is returned by [Account.InstallBundle] for a record
// the account already has: its owner's own record, or one installed before.
var ErrAlreadyInstalled = errors.New("nstest: integration record already in this account")

// InstallBundle installs the record as a SuiteBundler bundle would: State
// is always Enabled, whatever the preference (section_4431829430). A record
// the account already has is left as it is, with its State, Note and
// channel, and ErrAlreadyInstalled is returned: Oracle does not say what a
// bundle does to a record already installed, so the fake changes nothing.
func (a *Account) InstallBundle(appID string, by string) error {
	id, _ := soap.NormalizeApplicationID(appID)
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	in, ok := a.s.integrations[id]
	if !ok {
		return ErrUnknownIntegration
	}
	if inst, ok := a.installs[id]; ok {
		if inst.Channel == ChannelCreated {
			return fmt.Errorf("%w: %s owns %q", ErrAlreadyInstalled, a.id, in.Name)
		}
		return fmt.Errorf("%w: %q is installed in %s (%s, %s)", ErrAlreadyInstalled, in.Name, a.id, inst.Channel, inst.State)
	}
	a.installLocked(in, ChannelBundle, by, nsdist.StateEnabled)
	return nil
}

// Refresh is a sandbox refresh: production's records are copied in with
// their State and Note, records that existed only in the sandbox are
// removed, and every token is deleted (section_1515139626,
// section_1515141510).
func (a *Account) Refresh() error {
	if !a.id.IsSandbox() {
		return fmt.Errorf("nstest: %s is not a sandbox", a.id)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	prod := a.s.accounts[a.id.Production()]
	a.installs = map[string]*Install{}
	if prod != nil {
		for id, in := range prod.installs {
			cp := *in
			cp.Channel = ChannelSandboxCopy
			a.installs[id] = &cp
		}
	}
	a.tokens, a.nonces, a.sessions = nil, nil, nil
	return nil
}

// LoginAudit returns the Login Audit Trail.
func (a *Account) LoginAudit() []AuditEntry {
	a.s.mu.RLock()
	defer a.s.mu.RUnlock()
	return append([]AuditEntry(nil), a.audit...)
}

// IssueToken issues a TBA token for (user, role, record) in the account,
// standing in for the issuetoken endpoint and the authorization flow. As
// in NetSuite, it auto-installs the record, with the State the account's
// preference gives (section_4429293934, chapter_157017286140,
// section_156537025868).
func (s *Server) IssueToken(account nsdist.AccountID, email, roleID, consumerKey string) (Token, error) {
	return s.issueToken(account, email, roleID, consumerKey, randomHex(64), randomHex(64))
}

// IssueTokenWith is [Server.IssueToken] with the token id and secret
// given (64 hex digits each) instead of generated, for fixtures that name
// their tokens in advance. It refuses an id the account already has.
func (s *Server) IssueTokenWith(account nsdist.AccountID, email, roleID, consumerKey, tokenID, tokenSecret string) (Token, error) {
	if !isHex64(tokenID) || !isHex64(tokenSecret) {
		return Token{}, errors.New("nstest: a token id and secret are 64 hex digits each")
	}
	return s.issueToken(account, email, roleID, consumerKey, tokenID, tokenSecret)
}

func (s *Server) issueToken(account nsdist.AccountID, email, roleID, consumerKey, tokenID, tokenSecret string) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[account]
	if !ok {
		return Token{}, fmt.Errorf("%w %s", ErrUnknownAccount, account)
	}
	in, ok := s.byConsumerKey[consumerKey]
	if !ok {
		return Token{}, fmt.Errorf("%w: no record has that consumer key", ErrUnknownIntegration)
	}
	if a.cfg.TBADisabled {
		return Token{}, fmt.Errorf("%w: Token-Based Authentication is off in %s", ErrFeature, account)
	}
	if !in.TBA || !(in.TBAIssueToken || in.TBAAuthFlow) {
		return Token{}, fmt.Errorf("%w: %q needs Token-based Authentication with IssueToken Endpoint or Authorization Flow", ErrAuthBox, in.Name)
	}
	u, ok := a.users[strings.ToLower(email)]
	if !ok || !hasRole(u, roleID) {
		return Token{}, fmt.Errorf("%w: %s with role %s in %s", ErrUnknownUser, email, roleID, account)
	}
	if inst, ok := a.installs[in.ApplicationID]; ok && inst.State == nsdist.StateBlocked {
		return Token{}, fmt.Errorf("%w: %q is Blocked in %s", ErrIntegrationBlocked, in.Name, account)
	}
	if a.tokens[tokenID] != nil {
		return Token{}, fmt.Errorf("nstest: %s already has token %.8s…", account, tokenID)
	}
	a.autoInstallLocked(in, ChannelTBA, email)
	t := &Token{ID: tokenID, Secret: tokenSecret, Account: account, Email: u.Email, RoleID: roleID, ApplicationID: in.ApplicationID}
	if a.tokens == nil {
		a.tokens = map[string]*Token{}
	}
	a.tokens[t.ID] = t
	return *t, nil
}

// RevokeToken revokes a token.
func (s *Server) RevokeToken(account nsdist.AccountID, tokenID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[account]
	if !ok {
		return fmt.Errorf("%w %s", ErrUnknownAccount, account)
	}
	t, ok := a.tokens[tokenID]
	if !ok {
		return errors.New("nstest: unknown token")
	}
	t.Revoked = true
	return nil
}

func hasRole(u *User, roleID string) bool {
	_, ok := findRole(u, roleID)
	return ok
}

func findRole(u *User, roleID string) (Role, bool) {
	for _, r := range u.Roles {
		if r.ID == roleID {
			return r, true
		}
	}
	return Role{}, false
}

// IssueTBAToken stands in for a customer authorizing the integration with
// TBA: it issues a token for an administrator of the target (created if
// the account has none) and returns it as the SDK's credential, ready for
// a distribution.Target (or, as TokenAuth, for a soap.Client). Like
// NetSuite's token issue, it installs the record in the target.
func (s *Server) IssueTBAToken(target nsdist.AccountID, in *Integration) (tba.Credential, error) {
	a, ok := s.Account(string(target))
	if !ok {
		return tba.Credential{}, fmt.Errorf("%w %s", ErrUnknownAccount, target)
	}
	email := "admin@" + a.id.HostID() + ".example"
	s.mu.RLock()
	_, has := a.users[email]
	s.mu.RUnlock()
	if !has {
		a.AddUser(User{Email: email, Password: randomHex(16)})
	}
	cur, ok := s.Integration(in.ApplicationID)
	if !ok {
		return tba.Credential{}, ErrUnknownIntegration
	}
	t, err := s.IssueToken(target, email, AdministratorRole.ID, cur.ConsumerKey)
	if err != nil {
		return tba.Credential{}, err
	}
	return tba.Credential{Consumer: tba.Consumer{Key: cur.ConsumerKey, Secret: cur.ConsumerSecret}, Token: tba.Token{ID: t.ID, Secret: t.Secret}}, nil
}
