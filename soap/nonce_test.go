package soap_test

import (
	"testing"

	"github.com/nsdist/nsdist/soap"
)

// TestRandomNonceAlphabet: nonces are 20 characters from [0-9A-Za-z], and
// a few hundred of them use the whole alphabet (a generator that drew from
// a corner of it would repeat a handful of characters).
func TestRandomNonceAlphabet(t *testing.T) {
	t.Parallel()
	seen := map[rune]bool{}
	for range 500 {
		n, err := soap.RandomNonce()
		if err != nil {
			t.Fatal(err)
		}
		if len(n) != 20 {
			t.Fatalf("nonce %q has %d characters, want 20", n, len(n))
		}
		for _, c := range n {
			if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
				t.Fatalf("nonce %q has %q, want only letters and digits", n, c)
			}
			seen[c] = true
		}
	}
	// 10,000 draws from 62 characters miss one with probability ~62·e^-161.
	if len(seen) != 62 {
		t.Errorf("500 nonces used %d distinct characters, want all 62", len(seen))
	}
}
