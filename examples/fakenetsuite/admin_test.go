package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// adminRefused checks a 403 with a one-line JSON error.
func adminRefused(t *testing.T, status int, b []byte) {
	t.Helper()
	var body struct {
		Error string `json:"error"`
	}
	if status != http.StatusForbidden || json.Unmarshal(b, &body) != nil || body.Error == "" || strings.Count(string(b), "\n") != 1 {
		t.Errorf("answer %d %q, want 403 with one line of JSON {\"error\": …}", status, b)
	}
}

// A page in a browser can send the admin API "simple" requests (text/plain
// or form bodies, no preflight) from another site, and browsers mark them
// (Sec-Fetch-Site, Origin): the admin API refuses every request marked
// cross-site or same-site, and an Origin that is not the request's own
// host. curl and python-requests, which send neither header, get through
// with any body the contract allows, as before.
func TestAdminRefusesCrossSiteRequests(t *testing.T) {
	t.Parallel()
	s := start(t)
	state := "/_fake/accounts/7654321/integrations/Acme%20Sync/state"
	tests := []struct {
		name, method, path, body string
		hdr                      map[string]string
		want                     int
	}{
		{"text/plain POST, as a page's form sends it", http.MethodPost, "/_fake/reset", "x", map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"form POST from another site", http.MethodPost, state, "state=Enabled", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"multipart POST from another site", http.MethodPost, state, "--b--\r\n", map[string]string{"Content-Type": "multipart/form-data; boundary=b", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"JSON body without a content type, as requests sends data=", http.MethodPost, state, `{"state":"Enabled"}`, nil, http.StatusNoContent},
		{"JSON body as curl -d sends it", http.MethodPost, state, `{"state":"Enabled"}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusNoContent},
		{"cross-site fetch", http.MethodGet, "/_fake/integrations", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site fetch", http.MethodGet, "/_fake/integrations", "", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"foreign Origin", http.MethodPost, "/_fake/reset", "", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"opaque Origin", http.MethodPost, "/_fake/reset", "", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"Origin on another port", http.MethodGet, "/_fake/integrations", "", map[string]string{"Origin": "http://127.0.0.1:1"}, http.StatusForbidden},
		{"the server's own page", http.MethodGet, "/_fake/integrations", "", map[string]string{"Origin": s.base, "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"typed into the address bar", http.MethodGet, "/_fake/integrations", "", map[string]string{"Sec-Fetch-Site": "none"}, http.StatusOK},
		{"reset without a body, as curl and requests send it", http.MethodPost, "/_fake/reset", "", nil, http.StatusNoContent},
		{"JSON with a charset", http.MethodPost, state, `{"state":"Enabled"}`, map[string]string{"Content-Type": "application/json; charset=utf-8"}, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			status, _, b := s.do(t, tt.method, "", tt.path, body, tt.hdr)
			if tt.want == http.StatusForbidden {
				adminRefused(t, status, b)
			} else if status != tt.want {
				t.Errorf("%s %s: %d %q, want %d", tt.method, tt.path, status, b, tt.want)
			}
		})
	}
}

// DNS rebinding: a name the attacker controls, resolved to 127.0.0.1,
// reaches the server with that name in Host. The admin API answers any
// Host no rebinding can produce (the contract says "on any Host"): an IP
// literal, a name without a dot (localhost, a container's name) or a
// NetSuite host; a dotted name of any other domain is refused.
func TestAdminOnlyOnItsOwnHost(t *testing.T) {
	t.Parallel()
	s := start(t)
	port := strings.TrimPrefix(s.base, "http://127.0.0.1:")
	tests := []struct {
		host string
		want int
	}{
		{"127.0.0.1:" + port, http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"LocalHost:" + port, http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"rebound.evil.example:" + port, http.StatusForbidden},
		{"rebound.evil.example", http.StatusForbidden},
		{"localhost.evil.example:" + port, http.StatusForbidden},
		{"127.0.0.1:1", http.StatusOK},
		{"127.0.0.1", http.StatusOK},
		{"fakenetsuite:" + port, http.StatusOK},
		{"1234567.suitetalk.api.netsuite.com", http.StatusOK},
		{"system.netsuite.com:" + port, http.StatusOK},
		{"evil-netsuite.com", http.StatusForbidden},
		{"netsuite.com.evil.example", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			status, _, b := s.do(t, http.MethodGet, tt.host, "/_fake/integrations", nil, nil)
			if tt.want == http.StatusForbidden {
				adminRefused(t, status, b)
			} else if status != tt.want {
				t.Errorf("Host %s: %d %q, want %d", tt.host, status, b, tt.want)
			}
		})
	}
	// the NetSuite endpoints are routed by Host as before
	tok := s.token("1234567")
	if _, err := s.serverTime(t, "1234567", tok.TokenID, tok.TokenSecret); err != nil {
		t.Errorf("getServerTime on the NetSuite host: %v", err)
	}
}

// A 5 MiB body, with a length or chunked, to a SOAP, REST or admin
// endpoint is answered 413 without being read into memory: the bytes the
// whole process allocates while it is refused stay well under the body's
// size. (TotalAlloc counts every allocation, so a body read and thrown
// away counts too, where the live heap after a GC would not show it.)
//
// Not parallel: it reads the process's allocation counters, which other
// tests running at the same time would move.
func TestBodyCap(t *testing.T) {
	base := startInProcess(t, defaultLimits)
	big := bytes.Repeat([]byte("a"), 5<<20)
	suitetalk := hostID("1234567") + ".suitetalk.api.netsuite.com"
	tests := []struct {
		name, host, path, contentType string
		chunked                       bool
	}{
		{"SOAP envelope", suitetalk, soapPath, "text/xml; charset=utf-8", false},
		{"SOAP envelope, chunked", suitetalk, soapPath, "text/xml; charset=utf-8", true},
		{"OAuth 2.0 token request", suitetalk, "/services/rest/auth/oauth2/v1/token", "application/x-www-form-urlencoded", false},
		{"TBA request token", hostID("1234567") + ".restlets.api.netsuite.com", "/rest/requesttoken", "application/x-www-form-urlencoded", true},
		{"admin", "", "/_fake/accounts/1234567/preferences", "application/json", false},
	}
	client := &http.Client{}
	defer client.CloseIdleConnections()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(big)
			if tt.chunked {
				body = io.MultiReader(body) // no length: sent chunked
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			req.Header.Set("Content-Type", tt.contentType)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			runtime.ReadMemStats(&after)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || strings.Count(string(b), "\n") != 1 {
				t.Errorf("POST %s with %d bytes: %d %q, want 413 with a one-line reason", tt.path, len(big), resp.StatusCode, b)
			}
			grew := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated while refusing %d bytes: %d bytes", len(big), grew)
			if grew > uint64(len(big))/2 {
				t.Errorf("allocated %d bytes while refusing a %d-byte body: the body was read", grew, len(big))
			}
		})
	}
}
