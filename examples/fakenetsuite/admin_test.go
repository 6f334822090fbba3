package main

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

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
