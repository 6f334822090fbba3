package soaptest_test

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/soap"
	"github.com/nsdist/nsdist/soap/soaptest"
)

// faultOf returns the *soap.Fault inside err, or fails the test.
func faultOf(t *testing.T, err error) *soap.Fault {
	t.Helper()
	var f *soap.Fault
	if !errors.As(err, &f) {
		t.Fatalf("error = %v, want a *soap.Fault", err)
	}
	return f
}

func passportBody(t *testing.T, pp *soap.Passport, v soap.Version) []byte {
	t.Helper()
	r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2020_1, Auth: pp}
	b, err := r.Encode("", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("_2020_1."), []byte("_"+strings.ReplaceAll(v.String(), ".", "_")+"."))
}

// TestPassportRefusedFrom2020_2 sends the same valid user credentials to
// 2020_1, where they work, and to every later endpoint, where Oracle says
// they are not processed (section_4389727047): only the version differs.
func TestPassportRefusedFrom2020_2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v       soap.Version
		wantErr bool
	}{
		{soap.V2020_1, false},
		{soap.V2020_2, true},
		{soap.V2025_2, true},
	}
	for _, tt := range tests {
		t.Run(tt.v.String(), func(t *testing.T) {
			t.Parallel()
			f, pp := legacySetup(t, false, true)
			_, err := raw(t, f, f.customer.ID().SuiteTalkHost(), tt.v, passportBody(t, pp, tt.v))
			_, installed := f.customer.Install(f.rec.ApplicationID)
			if !tt.wantErr {
				if err != nil || !installed {
					t.Fatalf("valid passport on %s: error %v, installed %v; want success and an install", tt.v, err, installed)
				}
				return
			}
			fault := faultOf(t, err)
			got := []string{fault.Kind, fault.NSCode, lastAudit(t, f.customer).Value(), string(lastAudit(t, f.customer).Origin)}
			want := []string{"invalidCredentialsFault", "USER_ERROR", "fake:PassportNotSupported", "fake"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("passport on %s mismatch (-want +got):\n%s", tt.v, diff)
			}
			if !strings.Contains(fault.String, tt.v.String()) {
				t.Errorf("faultstring %q does not name the endpoint", fault.String)
			}
			if installed {
				t.Error("a refused passport installed the record")
			}
		})
	}
}

// TestLoginAuditDetails pins each refusal's Detail value and whether
// Oracle documents it, infers it, or the fake made it up.
func TestLoginAuditDetails(t *testing.T) {
	t.Parallel()
	type result struct {
		FaultString string
		Value       string
		Origin      soaptest.DetailOrigin
	}
	tokenReq := func(t *testing.T, requireApproval bool, prepare func(*fixture), edit func([]byte) []byte, nonce string) (*fixture, []byte) {
		t.Helper()
		f := setup(t, requireApproval)
		auth, err := f.fake.Connect(f.customer.ID(), f.rec)
		if err != nil {
			t.Fatal(err)
		}
		if prepare != nil {
			prepare(f)
		}
		r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: auth}
		b, err := r.Encode(nonce, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			b = edit(b)
		}
		return f, b
	}
	passReq := func(t *testing.T, requireApproval bool, prepare func(*fixture), edit func(*soap.Passport), strip bool) (*fixture, []byte) {
		t.Helper()
		f, pp := legacySetup(t, requireApproval, true)
		if prepare != nil {
			prepare(f)
		}
		if edit != nil {
			edit(pp)
		}
		b := passportBody(t, pp, soap.V2020_1)
		if strip {
			b = regexp.MustCompile(`<[^>]*applicationInfo>.*</[^>]*applicationInfo>`).ReplaceAll(b, nil)
		}
		return f, b
	}
	block := func(f *fixture) {
		if err := f.customer.Block(f.rec.ApplicationID); err != nil {
			t.Fatal(err)
		}
	}
	bundle := func(f *fixture) {
		if err := f.customer.InstallBundle(f.rec.ApplicationID, "installer"); err != nil {
			t.Fatal(err)
		}
		block(f)
	}
	const invalid = "Invalid login attempt."
	tests := []struct {
		name    string
		request func(t *testing.T) (*fixture, []byte, soap.Version)
		want    result
	}{
		{"tba: Blocked", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, block, nil, "nonceBlockedaaaaaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "consumer_key_refused", soaptest.DetailDocumented}},
		{"tba: Waiting for Approval", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, true, nil, nil, "nonceWaitingaaaaaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "consumer_key_refused", soaptest.DetailInferred}},
		{"tba: nonce of 5 characters", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, nil, "abcde")
			return f, b, soap.V2025_2
		}, result{invalid, "nonce_rejected", soaptest.DetailInferred}},
		{"tba: nonce of 65 characters", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, nil, strings.Repeat("n", 65))
			return f, b, soap.V2025_2
		}, result{invalid, "nonce_rejected", soaptest.DetailInferred}},
		{"tba: nonce of 64 characters is fine, the signature is not", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`HMAC-SHA256">`), []byte(`HMAC-SHA256">AAAA`), 1)
			}, strings.Repeat("n", 64))
			return f, b, soap.V2025_2
		}, result{invalid, "InvalidSignature", soaptest.DetailDocumented}},
		{"tba: nonce of 6 characters is fine, the signature is not", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`HMAC-SHA256">`), []byte(`HMAC-SHA256">AAAA`), 1)
			}, "nnnnnn")
			return f, b, soap.V2025_2
		}, result{invalid, "InvalidSignature", soaptest.DetailDocumented}},
		{"tba: lower-case sandbox id", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, func(b []byte) []byte { return bytes.Replace(b, []byte(">123456_SB1<"), []byte(">123456_sb1<"), 1) }, "nonceLowerCaseaaaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "fake:InvalidAccount", soaptest.DetailFake}},
		{"tba: bad signature", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`HMAC-SHA256">`), []byte(`HMAC-SHA256">AAAA`), 1)
			}, "nonceSignatureaaaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "InvalidSignature", soaptest.DetailDocumented}},
		{"tba: no timestamp", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, nil, func(b []byte) []byte {
				return regexp.MustCompile(`(<core:timestamp>)[^<]*`).ReplaceAll(b, []byte("$1"))
			}, "nonceNoTimestampaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "MissingTokenPassportRequiredFields", soaptest.DetailDocumented}},
		{"tba: record no longer installed", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := tokenReq(t, false, func(f *fixture) { soaptest.DropInstall(f.customer, f.rec.ApplicationID) }, nil, "nonceUninstalledaaaa")
			return f, b, soap.V2025_2
		}, result{invalid, "consumer_key_unknown", soaptest.DetailInferred}},
		{"tba: role without SOAP Web Services", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f := setup(t, false)
			f.customer.AddUser(soaptest.User{Email: "clerk@customer.example", Roles: []soaptest.Role{{ID: "1002", Name: "Clerk"}}})
			tok, err := f.fake.IssueToken(f.customer.ID(), "clerk@customer.example", "1002", f.rec.ConsumerKey)
			if err != nil {
				t.Fatal(err)
			}
			auth := &soap.TokenAuth{Account: f.customer.ID(), ConsumerKey: f.rec.ConsumerKey, ConsumerSecret: f.rec.ConsumerSecret, TokenID: tok.ID, TokenSecret: tok.Secret}
			r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: auth}
			b, err := r.Encode("nonceNoPermissionaaa", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return f, b, soap.V2025_2
		}, result{"You do not have permission to access SOAP web services feature.", "permission_denied", soaptest.DetailDocumented}},
		{"passport: role without SOAP Web Services", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, func(f *fixture) {
				f.customer.AddUser(soaptest.User{Email: "ops@customer.example", Password: "pw1", Roles: []soaptest.Role{{ID: "1002", Name: "Clerk"}}})
			}, func(p *soap.Passport) { p.Role = "1002" }, false)
			return f, b, soap.V2020_1
		}, result{"You do not have permission to access SOAP web services feature.", "permission_denied", soaptest.DetailInferred}},
		{"passport: no application id", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, nil, nil, true)
			return f, b, soap.V2020_1
		}, result{"Application ID mandatory but missing.", "fake:MissingApplicationId", soaptest.DetailFake}},
		{"passport: wrong password", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, nil, func(p *soap.Passport) { p.Password = "wrong" }, false)
			return f, b, soap.V2020_1
		}, result{invalid, "fake:InvalidCredentials", soaptest.DetailFake}},
		{"passport: unknown role", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, nil, func(p *soap.Passport) { p.Role = "1001" }, false)
			return f, b, soap.V2020_1
		}, result{invalid, "fake:InvalidRole", soaptest.DetailFake}},
		{"passport: unknown application id", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, nil, func(p *soap.Passport) { p.ApplicationID = "00000000-0000-0000-0000-000000000000" }, false)
			return f, b, soap.V2020_1
		}, result{invalid, "fake:InvalidApplicationId", soaptest.DetailFake}},
		{"passport: Waiting for Approval", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, true, nil, nil, false)
			return f, b, soap.V2020_1
		}, result{invalid, "fake:RecordWaitingForApproval", soaptest.DetailFake}},
		{"passport: Blocked", func(t *testing.T) (*fixture, []byte, soap.Version) {
			f, b := passReq(t, false, bundle, nil, false)
			return f, b, soap.V2020_1
		}, result{invalid, "fake:RecordBlocked", soaptest.DetailFake}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, body, v := tt.request(t)
			_, err := raw(t, f, f.customer.ID().SuiteTalkHost(), v, body)
			a := lastAudit(t, f.customer)
			got := result{FaultString: faultOf(t, err).String, Value: a.Value(), Origin: a.Origin}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("refusal mismatch (-want +got):\n%s", diff)
			}
			if a.Success || (a.Origin == soaptest.DetailFake) != strings.HasPrefix(a.Detail, "fake:") {
				t.Errorf("audit entry %+v: a value the fake made up must start with fake:, and only such a value", a)
			}
		})
	}
}

// TestIssueTokenRefusesBlocked: the access-token step of a record the
// account Blocked fails with IntegrationBlocked (subsect_156934879823), and
// no token is issued.
func TestIssueTokenRefusesBlocked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		state   nsdist.State
		wantErr bool
	}{
		{"Enabled", nsdist.StateEnabled, false},
		{"Blocked", nsdist.StateBlocked, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, false)
			first, err := f.fake.Connect(f.customer.ID(), f.rec)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.customer.SetState(f.rec.ApplicationID, tt.state); err != nil {
				t.Fatal(err)
			}
			email := "admin@" + f.customer.ID().HostID() + ".example"
			tok, err := f.fake.IssueToken(f.customer.ID(), email, soaptest.AdministratorRole.ID, first.ConsumerKey)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("IssueToken on a %s record: token %q, error %v; want error %v", tt.state, tok.ID, err, tt.wantErr)
			}
			if tt.wantErr && (!strings.Contains(err.Error(), "IntegrationBlocked") || tok.ID != "") {
				t.Errorf("IssueToken on a Blocked record: token %q, error %v; want no token and IntegrationBlocked", tok.ID, err)
			}
			if inst, _ := f.customer.Install(f.rec.ApplicationID); inst.State != tt.state {
				t.Errorf("State after IssueToken = %q, want %q unchanged", inst.State, tt.state)
			}
		})
	}
}

// TestBundleInstallKeepsExistingInstall: a bundle does not turn a Blocked
// record Enabled, nor the owner's own record into a bundle install.
func TestBundleInstallKeepsExistingInstall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(t *testing.T, f *fixture) *soaptest.Account
		want    soaptest.Install
		msg     string // what the error says of the existing install
	}{
		{"Blocked after a token install", func(t *testing.T, f *fixture) *soaptest.Account {
			if _, err := f.fake.Connect(f.customer.ID(), f.rec); err != nil {
				t.Fatal(err)
			}
			if err := f.customer.Block(f.rec.ApplicationID); err != nil {
				t.Fatal(err)
			}
			return f.customer
		}, soaptest.Install{State: nsdist.StateBlocked, Channel: soaptest.ChannelToken}, `"Acme Sync" is installed in 123456_SB1 (token, Blocked)`},
		{"the owner's own record", func(t *testing.T, f *fixture) *soaptest.Account { return f.vendor },
			soaptest.Install{State: nsdist.StateEnabled, Channel: soaptest.ChannelCreated}, `TSTDRV1234567 owns "Acme Sync"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, false)
			acct := tt.prepare(t, f)
			if err := acct.InstallBundle(f.rec.ApplicationID, "installer"); !errors.Is(err, soaptest.ErrAlreadyInstalled) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("InstallBundle = %v, want ErrAlreadyInstalled saying %s", err, tt.msg)
			}
			inst, _ := acct.Install(f.rec.ApplicationID)
			if diff := cmp.Diff(tt.want, soaptest.Install{State: inst.State, Channel: inst.Channel}); diff != "" {
				t.Errorf("install after a bundle mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRequestShapeRules: two authentication headers are ambiguous
// (section_1509544929), and a request nested deeper than the fake reads is
// refused rather than walked.
func TestRequestShapeRules(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	auth, err := f.fake.Connect(f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: auth}
	tba, err := r.Encode("nonceShapeRulesaaaaa", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	withPassport := bytes.Replace(tba, []byte("<soapenv:Header>"), []byte(`<soapenv:Header><msg:passport><core:email>a@b.example</core:email><core:password>pw</core:password><core:account>123456_SB1</core:account><core:role internalId="3"/></msg:passport>`), 1)
	deep := func(n int) []byte {
		return bytes.Replace(tba, []byte("<msg:getServerTime/>"), []byte("<msg:getServerTime>"+strings.Repeat("<x>", n)+strings.Repeat("</x>", n)+"</msg:getServerTime>"), 1)
	}
	tests := []struct {
		name string
		body []byte
		want string // faultstring prefix; empty for success
	}{
		{"tokenPassport and passport", withPassport, "Ambiguous authentication"},
		{"nested 300 levels", deep(300), "Unable to parse the request: elements nested too deeply."},
		{"nested 200 levels", bytes.Replace(deep(200), []byte("nonceShapeRulesaaaaa"), []byte("nonceShapeRulesbbbbb"), 1), ""},
	}
	for _, tt := range tests { // sequential: one token, nonces matter
		_, err := raw(t, f, f.customer.ID().SuiteTalkHost(), soap.V2025_2, tt.body)
		if tt.want == "" {
			// the signature covers the nonce: a changed nonce fails the
			// signature, which proves the request was parsed to the end
			if a := lastAudit(t, f.customer); a.Value() != "InvalidSignature" {
				t.Errorf("%s: error %v, audit %+v; want the request read to the end (InvalidSignature)", tt.name, err, a)
			}
			continue
		}
		if got := faultOf(t, err).String; !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: faultstring %q, want %q", tt.name, got, tt.want)
		}
	}
}
