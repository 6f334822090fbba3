package nsbase

import (
	"net/http"
	"testing"
)

type record struct{ got *http.Request }

func (r *record) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = req
	return &http.Response{StatusCode: 204, Body: http.NoBody, Request: req}, nil
}

func TestTransport(t *testing.T) {
	t.Parallel()
	rec := &record{}
	rt, err := Transport("http://127.0.0.1:8080", rec)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://123456.suitetalk.api.netsuite.com/services/rest/system/v1/serverTime?x=1", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if got := rec.got; got.URL.String() != "http://127.0.0.1:8080/services/rest/system/v1/serverTime?x=1" || got.Host != "123456.suitetalk.api.netsuite.com" {
		t.Errorf("sent to %s with Host %q", got.URL, got.Host)
	}
	if req.URL.Host != "123456.suitetalk.api.netsuite.com" {
		t.Error("the caller's request was changed")
	}
	for _, bad := range []string{"", "ftp://x", "http://user:pw@x", "http://x/path", "::"} {
		if _, err := Transport(bad, rec); err == nil {
			t.Errorf("Transport(%q) accepted", bad)
		}
	}
}
