package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestAutoinstallFake(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run(t.Context(), nil, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "awaiting_approval: most likely waiting for approval") {
		t.Errorf("output:\n%s", out.String())
	}
	out.Reset()
	if code := run(t.Context(), []string{"-require-approval", "true", "-json"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatal(code)
	}
	if !strings.Contains(out.String(), `"outcome": "awaiting_approval"`) || !strings.Contains(out.String(), `"predicted_state": "Waiting for Approval"`) {
		t.Errorf("json:\n%s", out.String())
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"-h"}, func(string) string { return "" }, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "NETSUITE_CONSUMER_KEY") {
		t.Errorf("-h: exit %d, stderr %q", code, errOut.String())
	}
	if code := run(t.Context(), []string{"extra"}, func(string) string { return "" }, &out, &errOut); code != 2 {
		t.Errorf("extra argument: exit %d", code)
	}
}
