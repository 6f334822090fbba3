package oauth2

import "testing"

// truncate keeps a string of n bytes or fewer whole, and cuts a longer one
// to n bytes and an ellipsis.
func TestTruncate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{{"abcd", 4, "abcd"}, {"abcde", 4, "abcd…"}, {"", 0, ""}} {
		if got := truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
