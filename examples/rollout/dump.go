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
	b, rerr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	d.write(name+"-response.xml", b)
	if rerr != nil {
		return nil, rerr
	}
	return resp, nil
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
	b, rerr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	d.writeRaw(name+"-response.txt", append([]byte(resp.Status+"\n\n"), redactREST(b)...))
	if rerr != nil {
		return nil, rerr
	}
	return resp, nil
}

func (d *dumper) writeRaw(name string, b []byte) {
	_ = os.WriteFile(filepath.Join(d.dir, name), b, 0o600) // a dump is best effort
}

func (d *dumper) write(name string, b []byte) {
	_ = os.WriteFile(filepath.Join(d.dir, name), redactEnvelope(b), 0o600) // a dump is best effort
}
