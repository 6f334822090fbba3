package soap

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	ok := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><getServerTimeResponse xmlns="urn:messages_2025_2.platform.webservices.netsuite.com"><c:getServerTimeResult xmlns:c="urn:core_2025_2.platform.webservices.netsuite.com"><c:status isSuccess="true"/><c:serverTime>2026-11-26T00:00:00Z</c:serverTime></c:getServerTimeResult></getServerTimeResponse></s:Body></s:Envelope>`
	busy := func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(503, "<html>busy</html>")
		r.Header.Set("Retry-After", "3")
		return r, nil
	}
	mt.RegisterResponder(http.MethodPost, "https://123456.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2",
		httpmock.Responder(busy).Then(httpmock.NewStringResponder(200, ok)))
	c, err := NewClient("123456", WithTransport(mt), WithAuth(&TokenAuth{Account: "123456", ConsumerKey: "k", ConsumerSecret: "s", TokenID: "t", TokenSecret: "u"}))
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	c.cfg.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	if _, err := c.Do(t.Context(), OpGetServerTime); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] != 3*time.Second {
		t.Errorf("waits = %v, want [3s] from Retry-After", waits)
	}
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	t.Parallel()
	p := DefaultRetryPolicy()
	p.Jitter = 0
	now := time.Unix(0, 0)
	b := p.backOff(func() time.Time { return now })
	var got []time.Duration
	for range 8 {
		got = append(got, b.NextBackOff())
	}
	want := []time.Duration{100, 200, 400, 800, 1600, 3200, 5000, 5000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("waits = %v, want 100ms doubling to 5s", got)
		}
	}
	now = now.Add(3 * time.Minute)
	if d := b.NextBackOff(); d != -1 {
		t.Errorf("after 3 minutes NextBackOff = %v, want Stop", d)
	}
}
