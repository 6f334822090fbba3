package soap_test

import (
	"strings"
	"testing"

	"github.com/nsdist/nsdist/soap"
)

// TestTokenAuthStringAbbreviates: identifiers show four characters only
// when they are long enough that four give nothing away; secrets never.
func TestTokenAuthStringAbbreviates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, want string
	}{
		{"", `ConsumerKey:""`},
		{"12345678", "ConsumerKey:…"},
		{"123456789", "ConsumerKey:1234…"},
	}
	for _, tt := range tests {
		got := soap.TokenAuth{Account: "1", ConsumerKey: tt.key, ConsumerSecret: "cs-secret", TokenSecret: "ts-secret"}.String()
		if !strings.Contains(got, tt.want+" ") || strings.Contains(got, "secret") && !strings.Contains(got, "[REDACTED]") {
			t.Errorf("TokenAuth{ConsumerKey: %q}.String() = %q, want it to contain %q", tt.key, got, tt.want)
		}
	}
}
