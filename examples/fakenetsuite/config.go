package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/soap"
)

// config is the server's JSON configuration (DESIGN.md's contract), plus
// the keys marked "extension".
type config struct {
	Accounts     []accountConfig     `json:"accounts"`
	Integrations []integrationConfig `json:"integrations"`
	Tokens       []tokenConfig       `json:"tokens"`
}

type accountConfig struct {
	ID              string       `json:"id"`
	RequireApproval bool         `json:"require_approval"`
	Users           []userConfig `json:"users"`
	// extension: the account concurrency limit, default 5
	// (subsect_1559222360).
	ConcurrencyLimit int `json:"concurrency_limit"`
}

type userConfig struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Role     *int   `json:"role"` // role internal id; default 3, Administrator
	// ManageOwnCertificates is the Certificate Rotation Endpoint's
	// permission; default true for the Administrator role, false
	// otherwise (the fake's own reading: Oracle does not say).
	ManageOwnCertificates *bool `json:"manage_own_certificates"`
}

type integrationConfig struct {
	Owner                   string   `json:"owner"`
	Name                    string   `json:"name"`
	ApplicationID           string   `json:"application_id"`
	UserCredentials         bool     `json:"user_credentials"`
	TBA                     bool     `json:"tba"`
	ConsumerKey             string   `json:"consumer_key"`
	ConsumerSecret          string   `json:"consumer_secret"`
	OAuth2CodeGrant         bool     `json:"oauth2_code_grant"`
	OAuth2ClientCredentials bool     `json:"oauth2_client_credentials"`
	PublicClient            bool     `json:"public_client"`
	ClientID                string   `json:"client_id"`
	ClientSecret            string   `json:"client_secret"`
	RedirectURIs            []string `json:"redirect_uris"`
	Scopes                  []string `json:"scopes"`
	// extensions: the TBA Callback URL (the three-step flow needs one),
	// and the OAuth 2.0 Consent Policy: always_ask (default), never_ask
	// or ask_first_time (section_157771733782).
	CallbackURL   string `json:"callback_url"`
	ConsentPolicy string `json:"consent_policy"`
}

type tokenConfig struct {
	Account     string `json:"account"`
	Integration string `json:"integration"`
	User        string `json:"user"`
	Role        *int   `json:"role"` // default: the user's role
	TokenID     string `json:"token_id"`
	TokenSecret string `json:"token_secret"`
}

// configError is a bad config: the program exits 2 with it.
type configError struct{ msg string }

func (e *configError) Error() string { return "config: " + e.msg }

func bad(format string, args ...any) error { return &configError{fmt.Sprintf(format, args...)} }

// parseConfig decodes data strictly: an unknown key or a value of the
// wrong type is an error naming where it is.
func parseConfig(data []byte) (*config, error) {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, bad("not JSON: %v", err)
	}
	if dec.More() {
		return nil, bad("more than one JSON value")
	}
	if _, ok := raw.(map[string]any); !ok {
		return nil, bad("want a JSON object at the top")
	}
	if err := checkKeys(raw, reflect.TypeFor[config](), ""); err != nil {
		return nil, err
	}
	var c config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, bad("%v", err) // checkKeys has seen every key and type
	}
	return &c, c.validate()
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Struct:
		return "an object"
	}
	return "a string"
}

// checkKeys walks the decoded JSON beside the Go type and names the first
// key (in sorted order) the type does not have, or the first value of the
// wrong JSON type, with its path (accounts[1].users[0].role).
func checkKeys(v any, t reflect.Type, path string) error {
	if v == nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		return nil
	}
	wrong := func() error { return bad("%s: want %s, not %s", path, jsonKind(t), jsonType(v)) }
	switch t.Kind() {
	case reflect.Pointer:
		return checkKeys(v, t.Elem(), path)
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return wrong()
		}
	case reflect.Int:
		n, ok := v.(json.Number)
		if !ok {
			return wrong()
		}
		if _, err := n.Int64(); err != nil {
			return bad("%s: want a whole number, not %s", path, n)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return wrong()
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return wrong()
		}
		for i, e := range arr {
			if err := checkKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong()
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			fields[name] = t.Field(i).Type
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				if path == "" {
					return bad("unknown key %q", k)
				}
				return bad("unknown key %q in %s", k, path)
			}
			where := path + "." + k
			if path == "" {
				where = k
			}
			if err := checkKeys(m[k], ft, where); err != nil {
				return err
			}
		}
	}
	return nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "an object"
}

// validate checks what the fake would refuse later, and what it would
// not notice (duplicates, dangling references), naming the place.
func (c *config) validate() error {
	if len(c.Accounts) == 0 {
		return bad("accounts: at least one account")
	}
	accounts := map[nsdist.AccountID]*accountConfig{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		at := fmt.Sprintf("accounts[%d]", i)
		id, err := nsdist.ParseAccountID(a.ID)
		if err != nil {
			return bad("%s.id: %q is not a NetSuite account id", at, a.ID)
		}
		if accounts[id] != nil {
			return bad("%s.id: account %s twice", at, id)
		}
		accounts[id] = a
		if a.ConcurrencyLimit < 0 {
			return bad("%s.concurrency_limit: %d is negative", at, a.ConcurrencyLimit)
		}
		emails := map[string]bool{}
		for j, u := range a.Users {
			ut := fmt.Sprintf("%s.users[%d]", at, j)
			if !strings.Contains(u.Email, "@") {
				return bad("%s.email: %q is not an email address", ut, u.Email)
			}
			if emails[strings.ToLower(u.Email)] {
				return bad("%s.email: %s twice in account %s", ut, u.Email, id)
			}
			emails[strings.ToLower(u.Email)] = true
			if u.Password == "" {
				return bad("%s.password: empty", ut)
			}
			if u.Role != nil && *u.Role <= 0 {
				return bad("%s.role: %d is not a role internal id", ut, *u.Role)
			}
		}
	}
	names := map[string]bool{}
	for i, in := range c.Integrations {
		at := fmt.Sprintf("integrations[%d]", i)
		if strings.TrimSpace(in.Name) == "" {
			return bad("%s.name: empty", at)
		}
		if names[in.Name] {
			return bad("%s.name: %q twice (tokens and the admin API find records by name)", at, in.Name)
		}
		names[in.Name] = true
		id, err := nsdist.ParseAccountID(in.Owner)
		if err != nil || accounts[id] == nil {
			return bad("%s.owner: %q is not one of the accounts", at, in.Owner)
		}
		for _, f := range []struct{ key, val string }{
			{"consumer_key", in.ConsumerKey}, {"consumer_secret", in.ConsumerSecret},
			{"client_id", in.ClientID}, {"client_secret", in.ClientSecret},
		} {
			if f.val != "" && !isHex(f.val, 64) {
				return bad("%s.%s: want 64 hex digits", at, f.key)
			}
		}
		if in.ApplicationID != "" {
			if err := soap.CheckApplicationID(in.ApplicationID); err != nil {
				return bad("%s.application_id: want 32 hex digits (hyphens optional)", at)
			}
		}
		if in.PublicClient && in.ClientSecret != "" {
			return bad("%s.client_secret: a public client has no secret", at)
		}
		if _, err := consentPolicy(in.ConsentPolicy); err != nil {
			return bad("%s.consent_policy: %v", at, err)
		}
	}
	for i, t := range c.Tokens {
		at := fmt.Sprintf("tokens[%d]", i)
		id, err := nsdist.ParseAccountID(t.Account)
		if err != nil || accounts[id] == nil {
			return bad("%s.account: %q is not one of the accounts", at, t.Account)
		}
		if !names[t.Integration] {
			return bad("%s.integration: no integration named %q", at, t.Integration)
		}
		u := findUser(accounts[id], t.User)
		if u == nil {
			return bad("%s.user: %q is not a user of account %s", at, t.User, id)
		}
		if t.Role != nil && *t.Role != userRole(u) {
			return bad("%s.role: user %s has role %d, not %d", at, t.User, userRole(u), *t.Role)
		}
		if !isHex(t.TokenID, 64) {
			return bad("%s.token_id: want 64 hex digits", at)
		}
		if !isHex(t.TokenSecret, 64) {
			return bad("%s.token_secret: want 64 hex digits", at)
		}
	}
	return nil
}

func findUser(a *accountConfig, email string) *userConfig {
	for i := range a.Users {
		if strings.EqualFold(a.Users[i].Email, email) {
			return &a.Users[i]
		}
	}
	return nil
}

func userRole(u *userConfig) int {
	if u.Role == nil {
		return 3
	}
	return *u.Role
}

func isHex(s string, n int) bool {
	return len(s) == n && strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

func consentPolicy(s string) (nstest.ConsentPolicy, error) {
	var p nstest.ConsentPolicy
	if s == "" {
		return p, nil
	}
	if err := p.UnmarshalText([]byte(s)); err != nil {
		return p, errors.New(strings.TrimPrefix(err.Error(), "nstest: "))
	}
	return p, nil
}

// role maps a config role id to the fake's role: 3 is NetSuite's
// Administrator; any other id is a role with the SOAP Web Services
// permission that is not an administrator.
func role(id int) nstest.Role {
	if id == 3 {
		return nstest.AdministratorRole
	}
	return nstest.Role{ID: strconv.Itoa(id), Name: "Role " + strconv.Itoa(id), WebServices: true}
}

// apply builds the config's world in fake: accounts and users, then the
// records in their owners, then the tokens, each issued as the issuetoken
// endpoint would (installing the record with the preference's State).
// It returns the application id of each record by name.
func (c *config) apply(fake *nstest.Server) (map[string]string, error) {
	for _, a := range c.Accounts {
		acct, err := fake.AddAccount(a.ID, nstest.AccountConfig{RequireApproval: a.RequireApproval, ConcurrencyLimit: a.ConcurrencyLimit})
		if err != nil {
			return nil, bad("accounts: %s", trim(err))
		}
		for _, u := range a.Users {
			acct.AddUser(nstest.User{Email: u.Email, Password: u.Password, Roles: []nstest.Role{role(userRole(&u))}, ManageOwnCertificates: u.ManageOwnCertificates})
		}
	}
	byName := map[string]*nstest.Integration{}
	ids := map[string]string{}
	for i, in := range c.Integrations {
		owner, _ := nsdist.ParseAccountID(in.Owner)
		policy, _ := consentPolicy(in.ConsentPolicy)
		rec, err := fake.CreateIntegration(owner, nstest.IntegrationSpec{
			Name: in.Name, UserCredentials: in.UserCredentials,
			TBA: in.TBA, TBAIssueToken: in.TBA, TBAAuthFlow: in.TBA, CallbackURL: in.CallbackURL,
			OAuth2CodeGrant: in.OAuth2CodeGrant, OAuth2ClientCredentials: in.OAuth2ClientCredentials, PublicClient: in.PublicClient,
			RedirectURIs: in.RedirectURIs, Scopes: in.Scopes, ConsentPolicy: policy,
			ClientID: in.ClientID, ClientSecret: in.ClientSecret,
			ApplicationID: in.ApplicationID, ConsumerKey: in.ConsumerKey, ConsumerSecret: in.ConsumerSecret,
		})
		if err != nil {
			return nil, bad("integrations[%d] (%q): %s", i, in.Name, trim(err))
		}
		byName[in.Name] = rec
		ids[in.Name] = rec.ApplicationID
	}
	for i, t := range c.Tokens {
		acct, _ := nsdist.ParseAccountID(t.Account)
		var a *accountConfig
		for j := range c.Accounts {
			if id, _ := nsdist.ParseAccountID(c.Accounts[j].ID); id == acct {
				a = &c.Accounts[j]
			}
		}
		u := findUser(a, t.User)
		rec := byName[t.Integration]
		if _, err := fake.IssueTokenWith(acct, u.Email, strconv.Itoa(userRole(u)), rec.ConsumerKey, t.TokenID, t.TokenSecret); err != nil {
			return nil, bad("tokens[%d]: %s", i, trim(err))
		}
	}
	return ids, nil
}

func trim(err error) string { return strings.TrimPrefix(err.Error(), "nstest: ") }
