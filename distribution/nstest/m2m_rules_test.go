package nstest_test

import (
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
)

// TestCertificateValidityCap: a certificate valid for longer than two
// years is shortened to two years; a shorter one keeps its own end
// (subsect_162755332391).
func TestCertificateValidityCap(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in, _ := f.m2mRecord(t)
	from := start.Add(-time.Hour).Truncate(time.Second)
	const year = 365 * 24 * time.Hour
	got := map[string]time.Duration{}
	for i, d := range []time.Duration{year, 3 * year} {
		email := []string{"one@customer.example", "three@customer.example"}[i]
		f.cust.AddUser(nstest.User{Email: email, Password: "x"})
		id, err := f.cust.AddCertificate(in.ClientID, email, "3", certValid(t, ecKey(t, elliptic.P256()), from, d))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.cust.Certificates(in.ClientID) {
			if c.ID == id {
				got[d.String()] = c.ValidUntil.Sub(c.ValidFrom)
			}
		}
	}
	want := map[string]time.Duration{year.String(): year, (3 * year).String(): 2 * year}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("validity kept (-want +got):\n%s", diff)
	}
}

// TestCertificatePerRoleAndEntity: one certificate serves one (record,
// role, entity) combination; a combination may hold several certificates,
// within the record's five active ones (subsect_162755332391,
// section_162686838198).
func TestCertificatePerRoleAndEntity(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in, _ := f.m2mRecord(t)
	clerk := nstest.Role{ID: "1003", Name: "Clerk", WebServices: true}
	f.cust.AddUser(nstest.User{Email: "bob@customer.example", Password: "x", Roles: []nstest.Role{nstest.AdministratorRole, clerk}})
	shared := certPEM(t, ecKey(t, elliptic.P256()))
	add := func(email, role string, pem []byte) error {
		_, err := f.cust.AddCertificate(in.ClientID, email, role, pem)
		return err
	}
	// subsect_162755332391: one certificate per (record, role, entity); a
	// combination may hold several certificates (a rotation adds before it
	// revokes, section_162686838198)
	tests := []struct {
		email, role string
		pem         []byte
		ok          bool
	}{
		{annEmail, "3", shared, true},
		{"bob@customer.example", "3", shared, false}, // the same certificate for another entity
		{annEmail, "3", shared, false},               // the same certificate for the same combination again
		{"bob@customer.example", "1003", certPEM(t, ecKey(t, elliptic.P256())), true},
		{"bob@customer.example", "1003", certPEM(t, ecKey(t, elliptic.P256())), true}, // a second one for bob/1003: rotation
		{annEmail, "3", certPEM(t, ecKey(t, elliptic.P256())), true},                  // a second one for ann/3
	}
	var got, want []bool
	for _, tt := range tests {
		got, want = append(got, add(tt.email, tt.role, tt.pem) == nil), append(want, tt.ok)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("certificates accepted (-want +got):\n%s", diff)
	}
	// five active per record: the fifth is accepted, the sixth refused
	if err := add("bob@customer.example", "3", certPEM(t, ecKey(t, elliptic.P256()))); err != nil {
		t.Errorf("fifth active certificate: %v", err)
	}
	if err := add("bob@customer.example", "3", certPEM(t, ecKey(t, elliptic.P256()))); !errors.Is(err, nstest.ErrTooManyCerts) {
		t.Errorf("sixth active certificate: %v, want ErrTooManyCerts", err)
	}
}

// TestCertificateReuseSaysWhy: a certificate mapped again says whether it
// is the same combination (already mapped) or another record, role or
// entity (one certificate serves one combination).
//
// Mutation testing leaves the two-year cap's "> maxCertValidity" as
// ">=" alive: a certificate valid for exactly two years is cut to the
// same two years, an equivalent mutant.
func TestCertificateReuseSaysWhy(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in, _ := f.m2mRecord(t)
	clerk := nstest.Role{ID: "1003", Name: "Clerk", WebServices: true}
	f.cust.AddUser(nstest.User{Email: "bob@customer.example", Password: "x", Roles: []nstest.Role{nstest.AdministratorRole, clerk}})
	shared := certPEM(t, ecKey(t, elliptic.P256()))
	if _, err := f.cust.AddCertificate(in.ClientID, "bob@customer.example", "3", shared); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		email, role, want string
	}{
		{"bob@customer.example", "3", "already mapped for bob@customer.example with role 3"},
		{"bob@customer.example", "1003", "one certificate serves one combination"},
		{annEmail, "3", "one certificate serves one combination"},
	} {
		_, err := f.cust.AddCertificate(in.ClientID, tt.email, tt.role, shared)
		if !errors.Is(err, nstest.ErrCertificate) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s/%s: %v, want ErrCertificate saying %q", tt.email, tt.role, err, tt.want)
		}
	}
}

// TestCertificatesOrder: oldest first; certificates created at the same
// instant come in Certificate ID order.
func TestCertificatesOrder(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in, _ := f.m2mRecord(t)
	for i := range 4 {
		email := "u" + string(rune('a'+i)) + "@customer.example"
		f.cust.AddUser(nstest.User{Email: email, Password: "x"})
		if _, err := f.cust.AddCertificate(in.ClientID, email, "3", certPEM(t, ecKey(t, elliptic.P256()))); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			f.clk.Add(time.Second)
		}
	}
	certs := f.cust.Certificates(in.ClientID)
	ids := []string{}
	for _, c := range certs[:3] {
		ids = append(ids, c.ID)
	}
	if !slices.IsSorted(ids) || !certs[3].Created.After(certs[2].Created) {
		t.Errorf("order: first three ids %v (want sorted), last created %v after %v", ids, certs[3].Created, certs[2].Created)
	}
}

// TestM2MEmptyScope: an assertion whose scope list is empty is refused.
func TestM2MEmptyScope(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in, _ := f.m2mRecord(t)
	key := ecKey(t, elliptic.P256())
	kid, err := f.cust.AddCertificate(in.ClientID, annEmail, "3", certPEM(t, key))
	if err != nil {
		t.Fatal(err)
	}
	for i, scope := range []any{[]string{}, "rest_webservices"} {
		c := claimsFor(in, f.clk.Now())
		c["scope"] = scope
		c["jti"] = "jti-empty-scope-" + strconv.Itoa(i)
		r := f.m2m(t, assertion(t, jwt.SigningMethodES256, key, kid, c))
		want := http.StatusOK
		if s, ok := scope.([]string); ok && len(s) == 0 {
			want = http.StatusBadRequest
		}
		if r.status != want {
			t.Errorf("scope %v: status %d %v, want %d", scope, r.status, r.body, want)
		}
	}
}

// TestCertificateEndpointOwnOnly: a user who is not an administrator
// manages only the certificates of their own (entity, role), as the
// "Manage own OAuth 2.0 Client Credentials certificates" permission says
// (article_92130837826); an administrator manages every one (the fake's
// reading).
func TestCertificateEndpointOwnOnly(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in, adminToken := f.m2mRecord(t)
	clerk := nstest.Role{ID: "1003", Name: "Clerk", WebServices: true}
	yes := true
	f.cust.AddUser(nstest.User{Email: "bob@customer.example", Password: "pw-bob", EntityID: "21", Roles: []nstest.Role{clerk}, ManageOwnCertificates: &yes})
	loc, err := f.fake.Consent(t.Context(), authURL(custHost, in), "bob@customer.example", "pw-bob", "allow")
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("bob's consent: %v %v", loc, err)
	}
	r := f.exchange(t, in, loc.Query().Get("code"))
	bobToken, _ := r.body["access_token"].(string)
	if r.status != http.StatusOK || bobToken == "" {
		t.Fatalf("bob's token: %d %v", r.status, r.body)
	}
	base := "https://" + nsdist.AccountID(custID).RESTletsHost() + "/services/rest/auth/oauth2/v1/clients/" + in.ClientID + "/certificates"
	do := func(bearer, u string, body any) (int, string) {
		t.Helper()
		b := []byte{}
		if body != nil {
			b, _ = json.Marshal(body)
		}
		return f.rest(t, http.MethodPost, u, bearer, string(b))
	}
	add := func(bearer, entity, role string) (int, string) {
		st, out := do(bearer, base, map[string]any{"fileContent": string(certPEM(t, ecKey(t, elliptic.P256()))), "role": role, "entity": entity})
		var c struct {
			ID string `json:"certificate_id"`
		}
		_ = json.Unmarshal([]byte(out), &c)
		return st, c.ID
	}
	type step struct {
		Name   string
		Status int
	}
	var got []step
	st, annCert := add(adminToken, "7", "3")
	got = append(got, step{"admin adds ann's", st})
	st, _ = add(bobToken, "7", "3")
	got = append(got, step{"bob adds ann's", st})
	st, bobCert := add(bobToken, "21", "1003")
	got = append(got, step{"bob adds his own", st})
	st, _ = do(bobToken, base+"/"+annCert+"/revoke", nil)
	got = append(got, step{"bob revokes ann's", st})
	st, _ = do(bobToken, base+"/"+bobCert+"/revoke", nil)
	got = append(got, step{"bob revokes his own", st})
	st, _ = add(adminToken, "21", "1003")
	got = append(got, step{"admin adds bob's", st})
	want := []step{{"admin adds ann's", 200}, {"bob adds ann's", 403}, {"bob adds his own", 200}, {"bob revokes ann's", 403}, {"bob revokes his own", 200}, {"admin adds bob's", 200}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("certificate endpoint (-want +got):\n%s", diff)
	}
}

// TestResetClientCredentials: only the owner resets an OAuth 2.0 record's
// client ID and secret (section_157771733782); after it, assertions must
// name the new client ID, and the certificate mapping still holds.
func TestResetClientCredentials(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in, _ := f.m2mRecord(t)
	key := ecKey(t, elliptic.P256())
	kid, err := f.cust.AddCertificate(in.ClientID, annEmail, "3", certPEM(t, key))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.cust.ResetClientCredentials(in.ApplicationID); !errors.Is(err, nstest.ErrNotOwner) {
		t.Errorf("reset in the customer account: %v, want ErrNotOwner", err)
	}
	id, secret, err := f.vendor.ResetClientCredentials(in.ApplicationID)
	if err != nil || id == in.ClientID || secret == "" || secret == in.ClientSecret {
		t.Fatalf("reset in the owner: %.8s… %v; want a new client ID and secret", id, err)
	}
	old := claimsFor(in, f.clk.Now())
	if r := f.m2m(t, assertion(t, jwt.SigningMethodES256, key, kid, old)); r.status != 400 {
		t.Errorf("assertion naming the old client ID: %d, want 400", r.status)
	}
	renewed := claimsFor(in, f.clk.Now())
	renewed["iss"] = id
	if r := f.m2m(t, assertion(t, jwt.SigningMethodES256, key, kid, renewed)); r.status != 200 {
		t.Errorf("assertion naming the new client ID: %d %v, want 200", r.status, r.body)
	}
	tbaOnly, err := f.fake.CreateIntegration(f.vendor.ID(), nstest.IntegrationSpec{Name: "SOAP Sync", TBA: true, TBAAuthFlow: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.vendor.ResetClientCredentials(tbaOnly.ApplicationID); !errors.Is(err, nstest.ErrAuthBox) {
		t.Errorf("reset of a record without OAuth 2.0: %v, want ErrAuthBox", err)
	}
}

// FuzzCertificateUpload: any body posted to the Certificate Rotation
// Endpoint gets a JSON answer, 200 or 4xx, never a panic or a 5xx, and
// the fake keeps serving.
func FuzzCertificateUpload(f *testing.F) {
	pemText := `-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n`
	for _, s := range []string{`{"fileContent":"` + pemText + `","role":3,"entity":"7"}`, `{"fileContent":"","role":"3"}`, `{}`, `[]`, `null`, `{"fileContent":1}`,
		`{"fileContent":"x","role":{"a":1},"entity":[1]}`, `{"fileContent":"-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----","role":"3","entity":"7"}`} {
		f.Add([]byte(s))
	}
	// one fake for every input: the endpoint, not the set-up, is fuzzed
	fix := newO2(f, false)
	in, token := fix.m2mRecord(f)
	base := "https://" + nsdist.AccountID(custID).RESTletsHost() + "/services/rest/auth/oauth2/v1/clients/" + in.ClientID + "/certificates"
	f.Fuzz(func(t *testing.T, body []byte) {
		st, out := fix.rest(t, http.MethodPost, base, token, string(body))
		if st >= 500 || (st != http.StatusOK && st/100 != 4) || !json.Valid([]byte(out)) {
			t.Fatalf("POST %q = %d %s", body, st, out)
		}
	})
}

// TestCertificatePermission: the Certificate Rotation Endpoint needs the
// Manage own OAuth 2.0 Client Credentials certificates permission
// (article_92130837826). By the fake's own default an Administrator holds
// it and another role does not; User.ManageOwnCertificates overrides both.
func TestCertificatePermission(t *testing.T) {
	t.Parallel()
	no, yes := false, true
	clerk := nstest.Role{ID: "1003", Name: "Clerk", WebServices: true}
	for _, c := range []struct {
		name   string
		user   nstest.User
		status int
	}{
		{"administrator, default", nstest.User{Roles: []nstest.Role{nstest.AdministratorRole}}, http.StatusOK},
		{"administrator without it", nstest.User{Roles: []nstest.Role{nstest.AdministratorRole}, ManageOwnCertificates: &no}, http.StatusForbidden},
		{"clerk, default", nstest.User{Roles: []nstest.Role{clerk}}, http.StatusForbidden},
		{"clerk with it", nstest.User{Roles: []nstest.Role{clerk}, ManageOwnCertificates: &yes}, http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newO2(t, false)
			in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, OAuth2ClientCredentials: true})
			u := c.user
			u.Email, u.Password, u.EntityID = "carol@customer.example", "pw-carol", "31"
			f.cust.AddUser(u)
			loc, err := f.fake.Consent(t.Context(), authURL(custHost, in), u.Email, u.Password, "allow")
			if err != nil || loc.Query().Get("code") == "" {
				t.Fatalf("consent: %v %v", loc, err)
			}
			r := f.exchange(t, in, loc.Query().Get("code"))
			tok, _ := r.body["access_token"].(string)
			body, _ := json.Marshal(map[string]any{"fileContent": string(certPEM(t, ecKey(t, elliptic.P256()))), "role": u.Roles[0].ID, "entity": "31"})
			base := "https://" + nsdist.AccountID(custID).RESTletsHost() + "/services/rest/auth/oauth2/v1/clients/" + in.ClientID + "/certificates"
			if st, out := f.rest(t, http.MethodPost, base, tok, string(body)); st != c.status || (st == http.StatusForbidden && !strings.Contains(out, "Manage own OAuth 2.0 Client Credentials certificates")) {
				t.Errorf("POST certificates = %d %s, want %d", st, out, c.status)
			}
		})
	}
}
