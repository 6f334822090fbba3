package soap

import (
	"errors"
	"strings"
	"testing"
)

// TestNormalizeApplicationIDRefusesNonXML: invalid UTF-8, C1 controls and
// the non-characters XML 1.0 cannot carry are refused, and the warning
// counts characters, not bytes.
func TestNormalizeApplicationIDRefusesNonXML(t *testing.T) {
	for _, s := range []string{"abc\xffdef", "abc\u0085def", "abc\u009fdef", "abc\uFFFEdef", "abc\uFFFFdef", "abc\x7fdef"} {
		if id, err := NormalizeApplicationID(s); !errors.Is(err, ErrInvalidApplicationID) {
			t.Errorf("NormalizeApplicationID(%q) = %q, %v; want ErrInvalidApplicationID", s, id, err)
		}
	}
	if _, err := NormalizeApplicationID("abc\u00a0déf"); err != nil {
		t.Errorf("NBSP and é refused: %v", err)
	}
	err := CheckApplicationID("ééé")
	if !errors.Is(err, ErrUnusualApplicationID) || !strings.Contains(err.Error(), ": 3 characters") {
		t.Errorf("CheckApplicationID(ééé) = %v; want 3 characters", err)
	}
}
