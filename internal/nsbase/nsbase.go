// Package nsbase sends requests meant for NetSuite's hosts to another
// base URL, a fake NetSuite server for example, keeping the NetSuite host
// in the Host header, as the fake routes by it.
package nsbase

import (
	"fmt"
	"net/http"
	"net/url"
)

// Transport returns a RoundTripper that sends every request to base's
// scheme, host and port through next, with the path and query unchanged
// and the Host header set to the host the request named.
func Transport(base string, next http.RoundTripper) (http.RoundTripper, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("-netsuite-base %q: want http(s)://host[:port]", base)
	}
	return &transport{scheme: u.Scheme, host: u.Host, next: next}, nil
}

type transport struct {
	scheme, host string
	next         http.RoundTripper
}

// RoundTrip sends a copy of r to the base URL.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	c := r.Clone(r.Context())
	c.Host = r.URL.Host
	u := *r.URL
	u.Scheme, u.Host = t.scheme, t.host
	c.URL = &u
	return t.next.RoundTrip(c)
}
