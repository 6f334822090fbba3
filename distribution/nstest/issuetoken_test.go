package nstest_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"

	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/nsdist/nsdist/internal/oauth1"
)

// issueTokenAnswer is what the fake's issuetoken endpoint answered.
type issueTokenAnswer struct {
	Status int
	Code   string // error.code; empty on a success
}

// callIssueToken calls the fake's issuetoken endpoint for 123456_SB1 with
// an NLAuth header, as distribution/tba does.
func callIssueToken(t *testing.T, f *fixture, email, password, role string) issueTokenAnswer {
	t.Helper()
	endpoint := "https://123456-sb1.restlets.api.netsuite.com/rest/issuetoken?" + url.Values{"consumerKey": {f.rec.ConsumerKey}}.Encode()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, endpoint, nil)
	if err != nil {
		t.Fatal(err)
	}
	auth := "NLAuth nlauth_account=123456_SB1, nlauth_email=" + oauth1.Encode(email) + ", nlauth_signature=" + oauth1.Encode(password)
	if role != "" {
		auth += ", nlauth_role=" + oauth1.Encode(role)
	}
	req.Header.Set("Authorization", auth)
	resp, err := (&http.Client{Transport: f.fake.Transport()}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		TokenID string `json:"tokenId"`
		Error   struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("issuetoken answered %d with no JSON: %s", resp.StatusCode, b)
	}
	if resp.StatusCode == http.StatusOK && out.TokenID == "" {
		t.Fatalf("issuetoken answered 200 without a tokenId: %s", b)
	}
	return issueTokenAnswer{Status: resp.StatusCode, Code: out.Error.Code}
}

// TestIssueTokenRefusals: the issuetoken endpoint refuses a record that
// is Blocked in the account with IntegrationBlocked and an account with
// Token-Based Authentication off with FeatureDisabled, as the authorization
// flow does (Oracle lists those Detail values for the flow, none for
// issuetoken, so the audit entry is marked inferred), and writes the Login
// Audit Trail entry; bad credentials stay INVALID_LOGIN_ATTEMPT.
func TestIssueTokenRefusals(t *testing.T) {
	t.Parallel()
	const email, password = "ops@customer.example", "my pass@1"
	type audit struct {
		Email, ApplicationID, Value string
		Success                     bool
		Origin                      nstest.DetailOrigin
	}
	tests := []struct {
		name            string
		prep            func(t *testing.T, f *fixture)
		email, password string
		role            string
		want            issueTokenAnswer
		wantAudit       func(f *fixture) audit
	}{
		{
			name: "record Blocked after a first token",
			prep: func(t *testing.T, f *fixture) {
				t.Helper()
				if got := callIssueToken(t, f, email, password, ""); got.Status != http.StatusOK {
					t.Fatalf("first issuetoken = %+v, want 200", got)
				}
				if err := f.customer.Block(f.rec.ApplicationID); err != nil {
					t.Fatal(err)
				}
			},
			email: email, password: password,
			want: issueTokenAnswer{http.StatusBadRequest, "IntegrationBlocked"},
			wantAudit: func(f *fixture) audit {
				return audit{email, f.rec.ApplicationID, "IntegrationBlocked", false, nstest.DetailInferred}
			},
		},
		{
			name:  "Token-Based Authentication off",
			prep:  func(_ *testing.T, f *fixture) { f.customer.SetFeatures(true, false) },
			email: email, password: password,
			want: issueTokenAnswer{http.StatusBadRequest, "FeatureDisabled"},
			wantAudit: func(f *fixture) audit {
				return audit{email, f.rec.ApplicationID, "FeatureDisabled", false, nstest.DetailInferred}
			},
		},
		{
			name:  "unknown user",
			email: "nobody@customer.example", password: password,
			want: issueTokenAnswer{http.StatusUnauthorized, "INVALID_LOGIN_ATTEMPT"},
			wantAudit: func(*fixture) audit {
				return audit{"nobody@customer.example", "", "fake:InvalidLogin", false, nstest.DetailFake}
			},
		},
		{
			name:  "role the user does not have",
			email: email, password: password, role: "1001",
			want: issueTokenAnswer{http.StatusUnauthorized, "INVALID_LOGIN_ATTEMPT"},
			wantAudit: func(*fixture) audit {
				return audit{email, "", "fake:InvalidLogin", false, nstest.DetailFake}
			},
		},
		{
			name:  "success",
			email: email, password: password, role: nstest.AdministratorRole.ID,
			want: issueTokenAnswer{http.StatusOK, ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, false)
			f.customer.AddUser(nstest.User{Email: email, Password: password})
			if tt.prep != nil {
				tt.prep(t, f)
			}
			before := len(f.customer.LoginAudit())
			got := callIssueToken(t, f, tt.email, tt.password, tt.role)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("issuetoken(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
			if tt.wantAudit == nil {
				if inst, ok := f.customer.Install(f.rec.ApplicationID); !ok || inst.State != nsdist.StateEnabled {
					t.Errorf("install after issuetoken = %+v, %v; want Enabled", inst, ok)
				}
				return
			}
			if n := len(f.customer.LoginAudit()); n != before+1 {
				t.Fatalf("Login Audit Trail grew by %d entries, want 1", n-before)
			}
			a := lastAudit(t, f.customer)
			gotAudit := audit{a.Email, a.ApplicationID, a.Value(), a.Success, a.Origin}
			if diff := cmp.Diff(tt.wantAudit(f), gotAudit); diff != "" {
				t.Errorf("Login Audit Trail entry mismatch (-want +got):\n%s", diff)
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
			first, err := tokenAuth(f.fake, f.customer.ID(), f.rec)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.customer.SetState(f.rec.ApplicationID, tt.state); err != nil {
				t.Fatal(err)
			}
			email := "admin@" + f.customer.ID().HostID() + ".example"
			tok, err := f.fake.IssueToken(f.customer.ID(), email, nstest.AdministratorRole.ID, first.ConsumerKey)
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
