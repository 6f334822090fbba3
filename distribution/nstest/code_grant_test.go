package nstest_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

// CompleteCodeGrant is a customer's administrator allowing the record:
// the token names the account, the client, the record's scopes and the
// times a code exchange gives (7 days of refresh for a confidential
// client; a public one's validity and rotation window), it works at
// serverTime, and the record is installed as the account's preference
// says. A second grant reuses the administrator it made.
func TestCompleteCodeGrant(t *testing.T) {
	t.Parallel()
	for _, public := range []bool{false, true} {
		f := newO2(t, false)
		in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true, PublicClient: public})
		tok, err := f.fake.CompleteCodeGrant(custID, in)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Account != custID || tok.ClientID != in.ClientID || tok.AccessToken == "" || tok.RefreshToken == "" || tok.Public != public ||
			!slices.Equal(tok.Scopes, []oauth2.Scope{"rest_webservices", "restlets"}) || !tok.IssuedAt.Equal(start) || !tok.GrantedAt.Equal(start) ||
			!tok.Expiry.Equal(start.Add(time.Hour)) {
			t.Errorf("public %v: token %v (scopes %v, issued %v, granted %v)", public, tok, tok.Scopes, tok.IssuedAt, tok.GrantedAt)
		}
		wantRefresh, wantRotation := start.Add(7*24*time.Hour), time.Time{}
		if public {
			wantRefresh, wantRotation = start.Add(in.RefreshTokenValidity), start.Add(in.MaxTokenRotation)
		}
		if !tok.RefreshExpiry.Equal(wantRefresh) || !tok.RotationDeadline.Equal(wantRotation) {
			t.Errorf("public %v: RefreshExpiry %v, RotationDeadline %v; want %v, %v", public, tok.RefreshExpiry, tok.RotationDeadline, wantRefresh, wantRotation)
		}
		if st := f.time(t, tok.AccessToken); st != http.StatusOK {
			t.Errorf("public %v: serverTime with the token = %d, want 200", public, st)
		}
		if inst, ok := f.cust.Install(in.ApplicationID); !ok || inst.State != nsdist.StateEnabled {
			t.Errorf("public %v: install %+v, %v; want Enabled", public, inst, ok)
		}
		again, err := f.fake.CompleteCodeGrant(custID, in)
		if err != nil || again.AccessToken == tok.AccessToken {
			t.Errorf("public %v: a second grant = %v, %v; want new tokens", public, again, err)
		}
	}
}

// Under WithCodeGrantApproval(CodeGrantNotInstalled), an account that
// requires approval gets tokens but no install; an unknown account or
// record is an error.
func TestCompleteCodeGrantRefusals(t *testing.T) {
	t.Parallel()
	f := newO2(t, true, nstest.WithCodeGrantApproval(nstest.CodeGrantNotInstalled))
	in := f.record(t, nstest.IntegrationSpec{OAuth2CodeGrant: true})
	if tok, err := f.fake.CompleteCodeGrant(custID, in); err != nil || tok.AccessToken == "" {
		t.Fatalf("CompleteCodeGrant = %v, %v", tok, err)
	}
	if inst, ok := f.cust.Install(in.ApplicationID); ok {
		t.Errorf("installed %+v, want no install", inst)
	}
	if _, err := f.fake.CompleteCodeGrant("7654321", in); !errors.Is(err, nstest.ErrUnknownAccount) {
		t.Errorf("unknown account: %v, want ErrUnknownAccount", err)
	}
	other := *in
	other.ClientID = "no-such-client-id"
	if _, err := f.fake.CompleteCodeGrant(custID, &other); !errors.Is(err, nstest.ErrUnknownIntegration) {
		t.Errorf("unknown record: %v, want ErrUnknownIntegration", err)
	}
}
