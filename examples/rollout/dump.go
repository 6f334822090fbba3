package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/nsdist/nsdist"
)

// dumper writes every request and response envelope to its own file,
// <sequence>-<account>-<operation>-request.xml / -response.xml, with the
// secrets replaced by fixed placeholders of the same XML type.
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
	return secretRE.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := secretRE.FindSubmatch(m)
		return append(append(append([]byte{}, sub[1]...), placeholders[string(sub[2])]...), sub[4]...)
	})
}

func (d *dumper) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.Trim(req.Header.Get("SOAPAction"), `"`)
	if op == "" { // not SOAP (REST serverTime, OAuth 2.0): no envelope to dump
		return d.next.RoundTrip(req)
	}
	n := d.seq.Add(1)
	acct := "generic"
	if host := req.URL.Hostname(); strings.HasSuffix(host, ".suitetalk.api.netsuite.com") {
		if a, err := nsdist.ParseAccountID(strings.TrimSuffix(host, ".suitetalk.api.netsuite.com")); err == nil {
			acct = string(a)
		}
	}
	name := fmt.Sprintf("%06d-%s-%s", n, acct, op)
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
	b, rerr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	d.write(name+"-response.xml", b)
	if rerr != nil {
		return nil, rerr
	}
	return resp, nil
}

func (d *dumper) write(name string, b []byte) {
	_ = os.WriteFile(filepath.Join(d.dir, name), redactEnvelope(b), 0o600) // a dump is best effort
}
