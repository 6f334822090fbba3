package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/soap"
)

// dumper writes every request and response envelope to its own file,
// <sequence>-<account>-<operation>-request.xml / -response.xml, with the
// secrets replaced by fixed placeholders of the same XML type. A response
// file holds what the client read, at most maxDump bytes, written when the
// client closes the body.
type dumper struct {
	dir  string
	next http.RoundTripper
	seq  atomic.Uint64
}

var secretRE = regexp.MustCompile(`(<(?:[A-Za-z0-9_]+:)?(password|signature|nonce)(?:\s[^>]*)?>)([^<]*)(</)`)

// placeholders keep each element valid for its schema type: the nonce
// stays alphanumeric, the signature stays Base64.
var placeholders = map[string]string{
	"password":  "REDACTED",
	"signature": "UkVEQUNURUQ=",
	"nonce":     "REDACTED0000000000000",
}

func redactEnvelope(b []byte) []byte {
	if !secretRE.Match(b) { // no copy of a body that holds no secret element
		return b
	}
	return secretRE.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := secretRE.FindSubmatch(m)
		return append(append(append([]byte{}, sub[1]...), placeholders[string(sub[2])]...), sub[4]...)
	})
}

func (d *dumper) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.Trim(req.Header.Get("SOAPAction"), `"`)
	if op == "" { // REST serverTime and the OAuth 2.0 endpoints
		return d.roundTripREST(req)
	}
	name := fmt.Sprintf("%06d-%s-%s", d.seq.Add(1), accountOf(req), op)
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		d.write(name+"-request.xml", b)
	}
	resp, err := d.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	teeBody(resp, func(b []byte, cut bool) {
		var note []byte
		if cut {
			note = fmt.Appendf(nil, "\n<!-- nsdist dump: cut at %d bytes, the client's cap -->\n", maxDump)
		}
		d.writeRaw(name+"-response.xml", redactEnvelope(b), note)
	})
	return resp, nil
}

// maxDump caps what the dump keeps of a response: the soap client's cap
// (the OAuth 2.0 client reads less). A dump shows what the client read,
// and costs no more memory than the client's own read.
const maxDump = soap.DefaultMaxResponseSize

// dumpBody is a response body that keeps a copy of what its reader reads,
// up to maxDump bytes, and hands it to done on Close. The body is never
// read ahead of the client: a 300 MiB answer costs the dump maxDump bytes.
type dumpBody struct {
	io.ReadCloser
	buf  bytes.Buffer
	cut  bool
	once sync.Once
	done func(b []byte, cut bool)
}

// teeBody replaces resp's body with a dumpBody that calls done.
func teeBody(resp *http.Response, done func(b []byte, cut bool)) {
	tb := &dumpBody{ReadCloser: resp.Body, done: done}
	if resp.ContentLength > 0 {
		tb.buf.Grow(int(min(resp.ContentLength, maxDump)))
	}
	resp.Body = tb
}

func (b *dumpBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	keep := min(n, maxDump-b.buf.Len())
	b.buf.Write(p[:keep])
	b.cut = b.cut || keep < n
	return n, err
}

func (b *dumpBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { b.done(b.buf.Bytes(), b.cut) })
	return err
}

func accountOf(req *http.Request) string {
	for _, suffix := range []string{".suitetalk.api.netsuite.com", ".restlets.api.netsuite.com"} {
		if host := req.URL.Hostname(); strings.HasSuffix(host, suffix) {
			if a, err := nsdist.ParseAccountID(strings.TrimSuffix(host, suffix)); err == nil {
				return string(a)
			}
		}
	}
	return "generic"
}

// restSecretRE finds the secrets a REST or OAuth 2.0 exchange carries:
// form values and JSON members by name.
var restSecretRE = regexp.MustCompile(`((?:^|&)(?:refresh_token|code|code_verifier|client_assertion|client_secret|token)=)[^&]*|("(?:access_token|refresh_token|id_token)"\s*:\s*)"[^"]*"`)

func redactREST(b []byte) []byte {
	if !restSecretRE.Match(b) {
		return b
	}
	return restSecretRE.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := restSecretRE.FindSubmatch(m)
		if len(sub[1]) > 0 {
			return append(append([]byte{}, sub[1]...), "REDACTED"...)
		}
		return append(append([]byte{}, sub[2]...), `"REDACTED"`...)
	})
}

// roundTripREST writes a REST exchange as text, <sequence>-<account>-
// <operation>-request.txt / -response.txt: the request line, the
// Authorization scheme (never its value) and the body, with every token,
// code, verifier, assertion and secret replaced.
func (d *dumper) roundTripREST(req *http.Request) (*http.Response, error) {
	op := path.Base(req.URL.Path)
	name := fmt.Sprintf("%06d-%s-%s", d.seq.Add(1), accountOf(req), op)
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body, body = io.NopCloser(bytes.NewReader(b)), b
	}
	scheme, _, _ := strings.Cut(req.Header.Get("Authorization"), " ")
	head := fmt.Sprintf("%s %s\nAuthorization: %s REDACTED\n\n", req.Method, req.URL.Path, scheme)
	d.writeRaw(name+"-request.txt", append([]byte(head), redactREST(body)...))
	resp, err := d.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	status := resp.Status
	teeBody(resp, func(b []byte, cut bool) {
		var note []byte
		if cut {
			note = fmt.Appendf(nil, "\n[nsdist dump: cut at %d bytes, the client's cap]\n", maxDump)
		}
		d.writeRaw(name+"-response.txt", []byte(status+"\n\n"), redactREST(b), note)
	})
	return resp, nil
}

// writeRaw writes the parts one after the other into the file name: no
// copy of a large body to join them.
func (d *dumper) writeRaw(name string, parts ...[]byte) {
	f, err := os.OpenFile(filepath.Join(d.dir, name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return // a dump is best effort
	}
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			break
		}
	}
	_ = f.Close()
}

func (d *dumper) write(name string, b []byte) { d.writeRaw(name, redactEnvelope(b)) }
