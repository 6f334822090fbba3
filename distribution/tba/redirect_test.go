package tba_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A 3xx from a token endpoint is not followed: the other host receives
// nothing, and the error is a FlowError with CodeRedirect that shows the
// Location's host only.
func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	consumer := tba.Consumer{Key: "ck-0123456789", Secret: "consumer-secret"}
	access := tba.Token{ID: "tk-0123456789", Secret: "token-secret"}
	creds := tba.UserCredentials{Account: "123456", Email: "a@b.example", Password: "the-password"}
	ops := []struct {
		name string
		call func(context.Context, *tba.Client) error
	}{
		{"requesttoken", func(ctx context.Context, c *tba.Client) error {
			_, err := c.RequestToken(ctx, "123456", consumer, "https://app.example/cb", "")
			return err
		}},
		{"issuetoken", func(ctx context.Context, c *tba.Client) error {
			_, err := c.IssueToken(ctx, creds, consumer.Key, "")
			return err
		}},
		{"tokeninfo", func(ctx context.Context, c *tba.Client) error {
			_, err := c.TokenInfo(ctx, "123456", consumer, access)
			return err
		}},
	}
	type test struct {
		name   string
		status int
		call   func(context.Context, *tba.Client) error
	}
	var tests []test
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, op := range ops {
			tests = append(tests, test{fmt.Sprintf("%d %s", status, op.name), status, op.call})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			hosts := map[string]int{}
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				hosts[r.URL.Host]++
				mu.Unlock()
				h := http.Header{}
				status := http.StatusOK
				if r.URL.Host == "123456.restlets.api.netsuite.com" {
					status = tt.status
					h.Set("Location", "https://user:locpw@evil.example/steal?token=LEAKQ")
				}
				return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
			})
			client, err := tba.NewClient(tba.WithTransport(rt))
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(t.Context(), client)

			var fe *tba.FlowError
			if !errors.As(err, &fe) || fe.Code != tba.CodeRedirect {
				t.Fatalf("error = %v, want a FlowError with CodeRedirect", err)
			}
			if !errors.Is(err, tba.ErrFlow) || !errors.Is(err, soap.ErrRedirect) {
				t.Errorf("error %v does not match ErrFlow and soap.ErrRedirect", err)
			}
			want := fmt.Sprintf("tba: Redirect: http %d redirect to https://evil.example not followed (the request carries credentials) (http %d)", tt.status, tt.status)
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]int{"123456.restlets.api.netsuite.com": 1}, hosts); diff != "" {
				t.Errorf("requests per host mismatch (-want +got):\n%s", diff)
			}
			printed := fmt.Sprintf("%v %+v %#v %s", err, err, fe, fe.NextStep)
			for _, s := range []string{"consumer-secret", "token-secret", "the-password", "locpw", "LEAKQ", "/steal"} {
				if strings.Contains(printed, s) {
					t.Errorf("printed error contains %q: %s", s, printed)
				}
			}
		})
	}
}
