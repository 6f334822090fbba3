package oauth2_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/nsdist/nsdist/distribution/oauth2"
)

// A Refresher made with a token newer (IssuedAt) than the one the client
// already holds for the credential replaces it; an older one does not.
func TestRefresherNewerTokenReplaces(t *testing.T) {
	t.Parallel()
	c := newClient(t, oauth2.Config{ClientID: "cid"})
	at := time.Now()
	old := &oauth2.Token{Account: "123456", ClientID: "cid", AccessToken: "at-old", RefreshToken: "rt-old", Expiry: at.Add(time.Hour), IssuedAt: at}
	c.Refresher(old, nil)
	newer := *old
	newer.AccessToken, newer.RefreshToken, newer.IssuedAt = "at-new", "rt-new", at.Add(time.Second)
	if got, err := c.Refresher(&newer, nil).Token(t.Context()); err != nil || got.AccessToken != "at-new" {
		t.Errorf("after a newer token: %v, %v; want at-new", got, err)
	}
	if got, err := c.Refresher(old, nil).Token(t.Context()); err != nil || got.AccessToken != "at-new" {
		t.Errorf("after an older token: %v, %v; want at-new still", got, err)
	}
}

// A save retried on the next call gets a context that is still live (a
// minute, detached from the caller's), whatever the caller's context.
func TestRefresherRetriedSaveContext(t *testing.T) {
	t.Parallel()
	var refreshes atomic.Int32
	n := newNS(t, func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
		k := refreshes.Add(1)
		tokenJSON(w, fmt.Sprintf(`{"access_token":"at-%d","refresh_token":"rt-%d","expires_in":3600}`, k, k))
	})
	c := newClient(t, oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(n.srv.URL))
	var calls atomic.Int32
	save := func(ctx context.Context, _ *oauth2.Token) error {
		if calls.Add(1) == 1 {
			return errors.New("database is down")
		}
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) < 30*time.Second {
			return fmt.Errorf("the save's context has %v left (deadline %v)", time.Until(dl), ok)
		}
		return ctx.Err()
	}
	cr := c.Refresher(&oauth2.Token{Account: "123456", AccessToken: "old", RefreshToken: "rt-0", Public: true, Expiry: time.Now().Add(-time.Minute)}, save)
	if _, err := cr.Token(t.Context()); err == nil {
		t.Fatal("the first save failed but Token returned no error")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if tok, err := cr.Token(ctx); err != nil || tok.RefreshToken != "rt-1" {
		t.Errorf("the retried save: %v, %v; want rt-1 saved", tok, err)
	}
}

// Revoke sends the refresh token when there is one, else the access
// token; nothing to revoke is ErrConfig with nothing sent; a refusal is an
// error.
func TestRevokeWhichToken(t *testing.T) {
	t.Parallel()
	refuse := atomic.Bool{}
	n := newNS(t, func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
		if refuse.Load() {
			w.WriteHeader(http.StatusBadRequest)
			tokenJSON(w, `{"error":"invalid_request"}`)
		}
	})
	c := newClient(t, oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(n.srv.URL))
	for _, tt := range []struct {
		tok  *oauth2.Token
		want string
	}{
		{&oauth2.Token{Account: "123456", AccessToken: "a-only"}, "a-only"},
		{&oauth2.Token{Account: "123456", RefreshToken: "r-only"}, "r-only"},
	} {
		before := len(n.requests())
		if err := c.Revoke(t.Context(), tt.tok); err != nil {
			t.Fatalf("Revoke(%s): %v", tt.want, err)
		}
		if reqs := n.requests(); len(reqs) != before+1 || reqs[before].Form.Get("token") != tt.want {
			t.Errorf("Revoke sent %+v, want token=%s", reqs[before:], tt.want)
		}
	}
	before := len(n.requests())
	for _, tok := range []*oauth2.Token{nil, {Account: "123456"}} {
		if err := c.Revoke(t.Context(), tok); !errors.Is(err, oauth2.ErrConfig) {
			t.Errorf("Revoke(%v) = %v, want ErrConfig", tok, err)
		}
	}
	if len(n.requests()) != before {
		t.Error("a Revoke with nothing to revoke sent a request")
	}
	refuse.Store(true)
	var oe *oauth2.Error
	if err := c.Revoke(t.Context(), &oauth2.Token{Account: "123456", RefreshToken: "r"}); !errors.As(err, &oe) || oe.Code != oauth2.CodeInvalidRequest {
		t.Errorf("a refused Revoke = %v, want the invalid_request *Error", err)
	}
}

// Tokens of two client IDs for the same account, role and entity are two
// credentials: neither Refresher hands out the other's token.
func TestRefresherPerClientID(t *testing.T) {
	t.Parallel()
	c := newClient(t, oauth2.Config{ClientID: "cid"})
	at := time.Now()
	for _, id := range []string{"x", "y"} {
		tok := &oauth2.Token{Account: "123456", ClientID: id, AccessToken: "at-" + id, RefreshToken: "rt-" + id, Role: "3", Entity: "7",
			Expiry: at.Add(time.Hour), IssuedAt: at}
		if got, err := c.Refresher(tok, nil).Token(t.Context()); err != nil || got.AccessToken != "at-"+id {
			t.Errorf("client %s: %v, %v; want at-%s", id, got, err, id)
		}
	}
}

// A token without a client ID is the client's; a SaveFunc given to a later
// Refresher of the credential is the one its refreshes save with.
func TestRefresherClientIDAndLaterSave(t *testing.T) {
	t.Parallel()
	n := newNS(t, func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
		tokenJSON(w, `{"access_token":"at-1","refresh_token":"rt-1","expires_in":3600}`)
	})
	c := newClient(t, oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(n.srv.URL))
	tok := &oauth2.Token{Account: "123456", AccessToken: "old", RefreshToken: "rt-0", Expiry: time.Now().Add(-time.Minute)}
	c.Refresher(tok, nil)
	var saved atomic.Pointer[oauth2.Token]
	got, err := c.Refresher(tok, func(_ context.Context, nt *oauth2.Token) error { saved.Store(nt); return nil }).Token(t.Context())
	if err != nil || got.AccessToken != "at-1" || got.ClientID != "cid" {
		t.Fatalf("Token = %v (client %q), %v; want at-1 of client cid", got, got.ClientID, err)
	}
	if s := saved.Load(); s == nil || s.RefreshToken != "rt-1" {
		t.Errorf("the later SaveFunc saved %v, want the refreshed token", s)
	}
}

// A token without a refresh token (client credentials) is handed out while
// valid, even when due, and once expired is ErrReauthorize (invalid_grant),
// with nothing sent.
func TestRefresherNoRefreshToken(t *testing.T) {
	t.Parallel()
	n := newNS(t, func(http.ResponseWriter, *http.Request, url.Values) {})
	c := newClient(t, oauth2.Config{ClientID: "cid"}, oauth2.WithBaseURL(n.srv.URL))
	due := &oauth2.Token{Account: "123456", AccessToken: "at-due", M2M: true, Expiry: time.Now().Add(time.Minute)}
	if got, err := c.Refresher(due, nil).Token(t.Context()); err != nil || got.AccessToken != "at-due" {
		t.Errorf("a due token without a refresh token: %v, %v; want it", got, err)
	}
	expired := &oauth2.Token{Account: "654321", AccessToken: "at-old", Expiry: time.Now().Add(-time.Minute)}
	var oe *oauth2.Error
	if got, err := c.Refresher(expired, nil).Token(t.Context()); !errors.Is(err, oauth2.ErrReauthorize) || !errors.As(err, &oe) || oe.Code != oauth2.CodeInvalidGrant {
		t.Errorf("an expired token without a refresh token: %v, %v; want invalid_grant", got, err)
	}
	if len(n.requests()) != 0 {
		t.Errorf("%d requests sent, want none", len(n.requests()))
	}
}

// TestRevokeAccessTokenKeepsTheState: revoking an access token alone ends
// no authorization, so a Refresher still held and a new one share one
// state and one refresh (the refresh token is not spent twice).
func TestRevokeAccessTokenKeepsTheState(t *testing.T) {
	t.Parallel()
	mt, used := rotatingTokens(t, true)
	mt.RegisterRegexpResponder(http.MethodPost, regexp.MustCompile(`/revoke$`), httpmock.NewStringResponder(200, ""))
	c, err := oauth2.NewClient(oauth2.Config{ClientID: "client"}, oauth2.WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	tok := &oauth2.Token{Account: "123456", AccessToken: "at", RefreshToken: "rt-0", Public: true, Expiry: time.Now().Add(-time.Minute)}
	held := c.Refresher(tok, nil)
	if err := c.Revoke(t.Context(), &oauth2.Token{Account: "123456", AccessToken: "at-other"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresher(tok, nil).Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := held.Token(t.Context()); err != nil {
		t.Fatalf("the held Refresher: %v", err)
	}
	if v, _ := used.Load("rt-0"); v != 1 {
		t.Errorf("rt-0 used %v times, want once", v)
	}
}
