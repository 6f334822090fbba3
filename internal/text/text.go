// Package text holds small string helpers shared by nsdist's packages.
package text

import "unicode/utf8"

// Truncate cuts s to at most n bytes, on a rune boundary, and marks the
// cut with "…".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
