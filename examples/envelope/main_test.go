package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist/internal/xsdcheck"
)

var today = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestEnvelopeCommand(t *testing.T) {
	tba := []string{"-account", "123456_sb1", "-consumer-key", "ck", "-consumer-secret", "cs", "-token", "tk", "-token-secret", "ts"}
	pp := []string{"-account", "123456", "-auth", "passport", "-email", "a@b.c", "-password", "pw", "-role", "3", "-app-id", "C4A2541D-16FB-4845-B8A2-8B8A34BDBB61"}
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
		warn     bool
	}{
		{"tba deterministic", append([]string{"-nonce", "abcdefghij", "-timestamp", "1700000000"}, tba...), 0, "<core:nonce>abcdefghij</core:nonce><core:timestamp>1700000000</core:timestamp>", false},
		{"datacenter", []string{"-op", "getDataCenterUrls", "-account", "123456-sb1"}, 0, "<msg:account>123456_SB1</msg:account>", false},
		{"passport login 2017_2 warns", append([]string{"-op", "login", "-version", "2017_2"}, pp...), 0, "<msg:login><msg:passport>", true},
		{"passport logout 2020_1", append([]string{"-op", "logout", "-version", "2020_1"}, pp...), 0, "<msg:logout/>", true},
		{"governance 2025_2", append([]string{"-op", "getIntegrationGovernanceInfo"}, tba...), 0, "<msg:getIntegrationGovernanceInfo/>", false},
		{"passport on 2025_2", pp, 2, "", false},
		{"tba with app id", append([]string{"-app-id", "C4A2541D-16FB-4845-B8A2-8B8A34BDBB61"}, tba...), 2, "", false},
		{"governance on 2017_2", append([]string{"-op", "getAccountGovernanceInfo", "-version", "2017_2"}, tba...), 2, "", false},
		{"login with tba", append([]string{"-op", "login", "-version", "2017_2"}, tba...), 2, "", false},
		{"missing secret", []string{"-account", "1", "-consumer-key", "a", "-consumer-secret", "b", "-token", "c"}, 2, "", false},
		{"unknown op", append([]string{"-op", "search"}, tba...), 2, "", false},
		{"bad version", append([]string{"-version", "2030_1"}, tba...), 2, "", false},
		{"bad auth", append([]string{"-auth", "oauth2"}, tba...), 2, "", false},
	}
	t.Setenv("NETSUITE_CONSUMER_KEY", "")
	t.Setenv("NETSUITE_APP_ID", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut, today)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errOut.String())
			}
			if code == 2 {
				if out.Len() != 0 || strings.Count(strings.TrimSpace(errOut.String()), "\n") != 0 || errOut.Len() == 0 {
					t.Errorf("want one line on stderr and nothing on stdout; got %q / %q", out.String(), errOut.String())
				}
				return
			}
			if !strings.Contains(out.String(), tt.contains) {
				t.Errorf("stdout lacks %q:\n%s", tt.contains, out.String())
			}
			if hasWarn := strings.Contains(errOut.String(), "warning"); hasWarn != tt.warn {
				t.Errorf("stderr warning = %v, want %v: %q", hasWarn, tt.warn, errOut.String())
			}
			if strings.Count(out.String(), "<?xml") != 1 {
				t.Errorf("stdout is not exactly one envelope: %s", out.String())
			}
		})
	}
}

func TestEnvelopeCommandEnvironment(t *testing.T) {
	t.Setenv("NETSUITE_CONSUMER_KEY", "envkey")
	t.Setenv("NETSUITE_CONSUMER_SECRET", "envsecret")
	t.Setenv("NETSUITE_TOKEN", "envtoken")
	t.Setenv("NETSUITE_TOKEN_SECRET", "envtokensecret")
	var out, errOut bytes.Buffer
	if code := run([]string{"-account", "123456"}, &out, &errOut, today); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "<core:consumerKey>envkey</core:consumerKey>") || strings.Contains(out.String(), "envsecret") {
		t.Errorf("environment fallback wrong:\n%s", out.String())
	}
	docs := map[string][]byte{"env": out.Bytes()}
	xsdcheck.Validate(t, docs)
}

// -h exits 0 and lists the variables; a missing credential is named by its
// flag and variable, not by the SDK's field.
func TestHelpAndFlagNames(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run([]string{"-h"}, &out, &errOut, time.Now()); code != 0 || !strings.Contains(errOut.String(), "NETSUITE_TOKEN_SECRET") {
		t.Errorf("-h: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	code := run([]string{"-account", "123456", "-consumer-key", "ck", "-consumer-secret", "", "-token", "", "-token-secret", ""}, &out, &errOut, time.Now())
	if code != 2 || !strings.Contains(errOut.String(), "-consumer-secret ($NETSUITE_CONSUMER_SECRET)") || strings.Contains(errOut.String(), "ConsumerSecret") {
		t.Errorf("missing secret: exit %d, stderr %q", code, errOut.String())
	}
}
