package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nsdist/nsdist/soap"
)

// sizedBody is a response body of n bytes that holds none of them.
type sizedBody struct{ n int64 }

var xs = bytes.Repeat([]byte("x"), 32<<10)

func (b *sizedBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(int64(len(p)), b.n)], xs)
	b.n -= int64(k)
	return k, nil
}

func (b *sizedBody) Close() error { return nil }

// bigAnswer answers every request with a body of n bytes.
type bigAnswer struct{ n int64 }

func (a bigAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{"Content-Type": {"text/xml"}},
		Body: &sizedBody{n: a.n}, ContentLength: a.n, Request: r}, nil
}

// TestDumpObeysTheClientsCap: a 300 MiB answer costs the dump no more than
// the client's own 10 MiB cap: the heap the soap client allocates reading
// it through the dumper exceeds what it allocates without the dumper by at
// most what the client's capped read costs, and the dump file holds at most
// the cap, marked as cut.
func TestDumpObeysTheClientsCap(t *testing.T) { //nolint:paralleltest // measures the heap
	dir := t.TempDir()
	const size = 300 << 20
	hex := strings.Repeat("ab", 32)
	auth := &soap.TokenAuth{Account: "123456", ConsumerKey: hex, ConsumerSecret: hex, TokenID: hex, TokenSecret: hex}
	allocated := func(rt http.RoundTripper) uint64 {
		t.Helper()
		c, err := soap.NewClient("123456", soap.WithAuth(auth), soap.WithTransport(rt), soap.WithRetryPolicy(soap.NoRetry()))
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err = c.Do(t.Context(), soap.OpGetServerTime)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatal("a 300 MiB answer was accepted")
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	plain := allocated(bigAnswer{n: size})
	dumped := allocated(&dumper{dir: dir, next: bigAnswer{n: size}})
	t.Logf("heap allocated reading a 300 MiB answer: %d MiB without the dump, %d MiB with it", plain>>20, dumped>>20)
	// The client alone reads its cap and stops; the dump may cost as much
	// again, never the answer's size. (The race detector doubles both.)
	if dumped > 2*plain {
		t.Errorf("the dump of a 300 MiB answer allocated %d MiB more than the client alone, want at most what the client's own capped read costs, %d MiB",
			(dumped-plain)>>20, plain>>20)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-response.xml"))
	if len(files) != 1 {
		t.Fatalf("response dumps %v, want one", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > soap.DefaultMaxResponseSize+200 || !bytes.Contains(b[len(b)-200:], []byte("cut at")) {
		t.Errorf("the response dump has %d bytes ending %q, want at most the cap and a note that it was cut", len(b), b[max(0, len(b)-100):])
	}
}
