package nstest_test

import (
	"crypto/elliptic"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
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

// TestCertificatePerRoleAndEntity: one active certificate per (record,
// role, entity): another entity with the same role, or the same entity
// with another role, gets its own (subsect_162755332391).
func TestCertificatePerRoleAndEntity(t *testing.T) {
	t.Parallel()
	f := newO2(t, false)
	in, _ := f.m2mRecord(t)
	clerk := nstest.Role{ID: "1003", Name: "Clerk", WebServices: true}
	f.cust.AddUser(nstest.User{Email: "bob@customer.example", Password: "x", Roles: []nstest.Role{nstest.AdministratorRole, clerk}})
	add := func(email, role string) error {
		_, err := f.cust.AddCertificate(in.ClientID, email, role, certPEM(t, ecKey(t, elliptic.P256())))
		return err
	}
	var got []bool
	for _, c := range [][2]string{{annEmail, "3"}, {"bob@customer.example", "3"}, {"bob@customer.example", "1003"}, {"bob@customer.example", "1003"}} {
		got = append(got, add(c[0], c[1]) == nil)
	}
	if diff := cmp.Diff([]bool{true, true, true, false}, got); diff != "" {
		t.Errorf("certificates accepted: ann/3, bob/3, bob/1003, bob/1003 again (-want +got):\n%s", diff)
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
	f.cust.AddUser(nstest.User{Email: "bob@customer.example", Password: "pw-bob", EntityID: "21", Roles: []nstest.Role{clerk}})
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
