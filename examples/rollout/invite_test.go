package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/nstest"
	"github.com/nsdist/nsdist/distribution/sqlstore"
)

// A migration campaign over 100 TBA customers: the first run invites each
// one (a link into the Connect app); 30 follow their invitation and
// authorize with OAuth 2.0; the next run counts exactly the 70 left, each
// with a fresh invitation, and a used invitation is refused.
// Not parallel: NSDIST_STORE_KEY is the process's environment.
func TestMigrationCampaign(t *testing.T) {
	fake := nstest.NewServer()
	t.Cleanup(fake.Close)
	vendor := fake.MustAddAccount("TSTDRV1234567", nstest.AccountConfig{})
	rec, err := fake.CreateIntegration(vendor.ID(), nstest.IntegrationSpec{Name: "Acme Sync", TBA: true, TBAIssueToken: true, OAuth2CodeGrant: true,
		RedirectURIs: []string{"https://app.acme.example/cb"}, Scopes: []string{"rest_webservices"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	secrets := map[string]map[string]string{}
	var rows strings.Builder
	rows.WriteString("account,label,auth,credentials\n")
	for i := range 100 {
		a := fake.MustAddAccount(fmt.Sprintf("%d", 5000000+i), nstest.AccountConfig{})
		cred, err := fake.IssueTBAToken(a.ID(), rec)
		if err != nil {
			t.Fatal(err)
		}
		ref := fmt.Sprintf("cust%03d", i)
		secrets[ref] = map[string]string{"consumer_key": cred.Consumer.Key, "consumer_secret": cred.Consumer.Secret, "token": cred.Token.ID, "token_secret": cred.Token.Secret}
		fmt.Fprintf(&rows, "%s,Customer %d,tba,%s\n", a.ID(), i, ref)
	}
	b, _ := json.Marshal(secrets)
	secretsFile, targets := filepath.Join(dir, "secrets.json"), filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(secretsFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(targets, []byte(rows.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	key, _ := sqlstore.GenerateKey()
	t.Setenv("NSDIST_STORE_KEY", key.Base64())
	dsn := "sqlite:" + filepath.Join(dir, "tokens.db")
	campaign := func(report string) (left []string, invites map[string]string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args := []string{"-targets", targets, "-secrets", secretsFile, "-record-name", "Acme Sync", "-tokens", dsn, "-client-id", rec.ClientID,
			"-netsuite-base", fake.URL(), "-invite-base", "https://app.acme.example/", "-report", report, "-quiet"}
		if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
		}
		var rep struct {
			StillOnTBA []struct{ Account, Invitation string } `json:"still_on_tba"`
		}
		data, _ := os.ReadFile(report)
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		invites = map[string]string{}
		for _, s := range rep.StillOnTBA {
			left = append(left, s.Account)
			invites[s.Account] = s.Invitation
		}
		if !strings.Contains(stdout.String(), fmt.Sprintf("still on TBA (%d)", len(left))) {
			t.Errorf("the summary does not count %d still on TBA:\n%s", len(left), stdout.String())
		}
		return left, invites
	}
	left, invites := campaign(filepath.Join(dir, "first.json"))
	if len(left) != 100 || len(invites) != 100 {
		t.Fatalf("first run: %d still on TBA, %d invitations; want 100 and 100", len(left), len(invites))
	}
	// 30 customers follow their invitation: the Connect app redeems it and
	// the code grant stores their token under the invitation's tenant
	db, err := sqlstore.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := sqlstore.NewKeyring(key)
	inv, _ := sqlstore.NewInvitations(t.Context(), db, keys)
	store, _ := sqlstore.NewTokenStore(t.Context(), db, keys)
	var used string
	for _, acct := range left[:30] {
		link := invites[acct]
		if !strings.HasPrefix(link, "https://app.acme.example/invite/") {
			t.Fatalf("invitation %q", link)
		}
		got, err := inv.Redeem(t.Context(), strings.TrimPrefix(link, "https://app.acme.example/invite/"))
		if err != nil || string(got.Account) != acct || !strings.HasPrefix(got.Tenant, "cust") {
			t.Fatalf("redeem %s: %+v, %v", acct, got, err)
		}
		tok, err := fake.CompleteCodeGrant(nsdist.AccountID(acct), rec)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.OAuth2(got.Tenant).SaveToken(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
		used = link
	}
	if _, err := inv.Redeem(t.Context(), strings.TrimPrefix(used, "https://app.acme.example/invite/")); err == nil {
		t.Error("an invitation was redeemed twice")
	}
	db.Close()
	left2, invites2 := campaign(filepath.Join(dir, "second.json"))
	if len(left2) != 70 || len(invites2) != 70 {
		t.Fatalf("after 30 moved: %d still on TBA, %d invitations; want 70 and 70", len(left2), len(invites2))
	}
	for _, acct := range left[:30] {
		if _, ok := invites2[acct]; ok {
			t.Errorf("%s moved but is still counted", acct)
		}
	}
	for _, acct := range left2 {
		if invites2[acct] == "" || invites2[acct] == invites[acct] {
			t.Errorf("%s: invitation %q (first run's %q)", acct, invites2[acct], invites[acct])
		}
	}
}
