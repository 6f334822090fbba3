package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestApprovalCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		allowed bool
		state   string
		steps   bool
	}{
		{[]string{"-channel", "tba", "-tba", "-require-approval", "true", "-date", "2026-11-26"}, true, "Waiting for Approval", true},
		{[]string{"-channel", "tba", "-tba", "-require-approval", "false", "-date", "2026-11-26"}, true, "Enabled", false},
		{[]string{"-channel", "tba", "-tba", "-date", "2026-11-26"}, true, "Unknown", true},
		{[]string{"-channel", "tba", "-date", "2026-11-26"}, false, "None", false},
		{[]string{"-channel", "credentials", "-user-credentials", "-version", "2020_1", "-require-approval", "true", "-date", "2026-11-26"}, true, "Waiting for Approval", true},
		{[]string{"-channel", "credentials", "-user-credentials", "-version", "2025_2", "-date", "2026-11-26"}, false, "None", false},
		{[]string{"-channel", "bundle", "-require-approval", "true", "-date", "2026-11-26"}, true, "Enabled", true},
		{[]string{"-channel", "sdf", "-date", "2026-11-26"}, true, "Unknown", true},
		{[]string{"-channel", "oauth2", "-date", "2026-11-26"}, false, "None", false},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if code := run(tt.args, &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errOut.String())
		}
		var got struct {
			Allowed      bool     `json:"allowed"`
			Blocking     []string `json:"blocking"`
			InitialState string   `json:"initial_state"`
			AdminSteps   []string `json:"admin_steps"`
			Editable     []string `json:"editable_in_target"`
			Resettable   *bool    `json:"credentials_resettable_in_target"`
			Warnings     []string `json:"warnings"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%v: %v\n%s", tt.args, err, out.String())
		}
		if got.Allowed != tt.allowed || got.InitialState != tt.state || (len(got.AdminSteps) > 0) != tt.steps || got.Blocking == nil || got.Warnings == nil || got.Resettable == nil || len(got.Editable) < 2 {
			t.Errorf("%v: got %+v", tt.args, got)
		}
		if !tt.allowed && len(got.Blocking) == 0 {
			t.Errorf("%v: not allowed but no reasons", tt.args)
		}
	}
	for _, bad := range [][]string{{"-channel", "fax"}, {"-require-approval", "maybe"}, {"-date", "26/11/2026"}, {"-version", "1999_1"}} {
		var out, errOut bytes.Buffer
		if code := run(bad, &out, &errOut); code != 2 || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q", bad, code, out.String())
		}
	}
}

// -h exits 0 and says what the command is for; an extra argument exits 2;
// messages carry one prefix.
func TestHelpAndArguments(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run([]string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "Prints one approval Decision") {
		t.Errorf("-h: exit %d, stderr %q", code, errOut.String())
	}
	for _, args := range [][]string{{"extra"}, {"-channel", "fax"}} {
		out.Reset()
		errOut.Reset()
		if code := run(args, &out, &errOut); code != 2 || strings.Contains(errOut.String(), "approval: approval:") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}
