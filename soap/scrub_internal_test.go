package soap

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestScrubberHead: scrubbing a window of a long text gives the first n+1
// bytes that scrubbing all of it gives, wherever the secrets fall
// relative to the window's end, and however much blanking shrinks it.
func TestScrubberHead(t *testing.T) {
	t.Parallel()
	long := "060cd9ab3ffbbe1e3d3918e90165ffd37ab12acc76b4691046e2d29c7d7674c2"
	sc := newScrubber(long, "Hunter&<Two>", "abc") // "abc" is too short to blank
	sc.build()
	margin := 4*sc.maxLen + 64
	const n = 200
	tests := []struct {
		name string
		in   string
	}{
		{"short", "a " + long + " b"},
		{"secret far beyond the window", strings.Repeat("x", 10_000) + long},
		{"secret across the first window's end", strings.Repeat("x", n+margin-10) + long + strings.Repeat("y", 1000)},
		{"secrets that shrink the window below n", strings.Repeat(long, 1000) + "tail " + long},
		{"escaped forms that shrink it", strings.Repeat("Hunter&amp;amp;&amp;lt;Two&amp;gt;", 500) + "Hunter&amp;&lt;Two&gt;"},
		{"short values stay", strings.Repeat("abc ", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			full := sc.text(tt.in)
			got := head(sc, tt.in, n)
			k := min(n+1, len(full))
			if len(got) < k {
				t.Fatalf("head() returned %d bytes, want at least %d", len(got), k)
			}
			if diff := cmp.Diff(full[:k], got[:k]); diff != "" {
				t.Errorf("head(%.40q…, %d) mismatch (-want +got):\n%s", tt.in, n, diff)
			}
			if strings.Contains(got[:k], long[:16]) {
				t.Errorf("head() = %.300q keeps part of the secret", got)
			}
		})
	}
	// A secret across the window's end, wherever that end falls, after a
	// short secret whose blanking lengthens the text.
	sc2 := newScrubber(long, "wxyz")
	for off := 0; off < n+margin+sc.maxLen; off += 13 { // a step shorter than the secret: every window end cuts it once
		in := "wxyz" + strings.Repeat("x", off) + long + strings.Repeat("y", 100)
		full, got := sc2.text(in), head(sc2, in, n)
		if k := min(n+1, len(full)); len(got) < k || got[:k] != full[:k] {
			t.Fatalf("head() with the secret at %d = %.300q, want the start of %.300q", off+4, got, full)
		}
	}
	var none *scrubber
	if got := head(none, strings.Repeat("z", 1000), n); len(got) != n+1 {
		t.Errorf("nil scrubber head() returned %d bytes, want %d", len(got), n+1)
	}
	if newScrubber("", "abc") != nil {
		t.Error("newScrubber with no usable secret is not nil")
	}
}
