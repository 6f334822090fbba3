package nstest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
)

// TestLoginAuditKeepsTheLatest: the Login Audit Trail holds up to 1000
// entries; the next one drops the older half.
func TestLoginAuditKeepsTheLatest(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	emails := func() (n int, first, last string) {
		log := f.customer.LoginAudit()
		return len(log), log[0].Email, log[len(log)-1].Email
	}
	type trail struct {
		N           int
		First, Last string
	}
	nstest.AuditFailures(f.customer, 0, 1000)
	var got []trail
	n, first, last := emails()
	got = append(got, trail{n, first, last})
	nstest.AuditFailures(f.customer, 1000, 1)
	n, first, last = emails()
	got = append(got, trail{n, first, last})
	if diff := cmp.Diff([]trail{{1000, "0", "999"}, {501, "500", "1000"}}, got); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}
}

// TestBundleInstallKeepsExistingInstall: a bundle does not turn a Blocked
// record Enabled, nor the owner's own record into a bundle install.
func TestBundleInstallKeepsExistingInstall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(t *testing.T, f *fixture) *nstest.Account
		want    nstest.Install
		msg     string // what the error says of the existing install
	}{
		{"Blocked after a token install", func(t *testing.T, f *fixture) *nstest.Account {
			if _, err := tokenAuth(f.fake, f.customer.ID(), f.rec); err != nil {
				t.Fatal(err)
			}
			if err := f.customer.Block(f.rec.ApplicationID); err != nil {
				t.Fatal(err)
			}
			return f.customer
		}, nstest.Install{State: nsdist.StateBlocked, Channel: nstest.ChannelTBA}, `"Acme Sync" is installed in 123456_SB1 (tba, Blocked)`},
		{"the owner's own record", func(t *testing.T, f *fixture) *nstest.Account { return f.vendor },
			nstest.Install{State: nsdist.StateEnabled, Channel: nstest.ChannelCreated}, `TSTDRV1234567 owns "Acme Sync"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, false)
			acct := tt.prepare(t, f)
			if err := acct.InstallBundle(f.rec.ApplicationID, "installer"); !errors.Is(err, nstest.ErrAlreadyInstalled) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("InstallBundle = %v, want ErrAlreadyInstalled saying %s", err, tt.msg)
			}
			inst, _ := acct.Install(f.rec.ApplicationID)
			if diff := cmp.Diff(tt.want, nstest.Install{State: inst.State, Channel: inst.Channel}); diff != "" {
				t.Errorf("install after a bundle mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
