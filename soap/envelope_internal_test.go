package soap

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"
)

// The templates must produce exactly what etree builds directly, for every
// shape, including values that need escaping.
func TestTemplateMatchesTree(t *testing.T) {
	t.Parallel()
	tricky := &Passport{Email: `a"b'c@x.com`, Password: "p&<>\"'w", Account: "123456", Role: `3"`, ApplicationID: "c4a2541d16fb4845b8a28b8a34bdbb61"}
	tba := &TokenAuth{Account: "123456_SB1", ConsumerKey: "k&<", ConsumerSecret: "s", TokenID: "t>'", TokenSecret: "u"}
	now := time.Unix(1700000000, 0)
	n := 0
	for _, v := range Versions() {
		for _, op := range Operations() {
			for _, r := range []*Request{
				{Operation: op, Version: v, Auth: tba},
				{Operation: op, Version: v, Auth: tricky},
				{Operation: op, Version: v, Session: true, ApplicationID: tricky.ApplicationID},
				{Operation: op, Version: v, Account: "123456_SB1"},
			} {
				want, err1 := r.encodeTree("nonce&1", now)
				got, err2 := r.Encode("nonce&1", now)
				if (err1 == nil) != (err2 == nil) {
					t.Fatalf("%s %s: errors differ: %v / %v", v, op, err1, err2)
				}
				if err1 != nil {
					continue
				}
				n++
				if !bytes.Equal(want, got) {
					t.Errorf("%s %s %T: template output differs\n tree: %s\n tmpl: %s", v, op, r.Auth, want, got)
				}
				if err := xml.Unmarshal(got, new(struct{})); err != nil {
					t.Errorf("%s %s: not well-formed: %v", v, op, err)
				}
			}
		}
	}
	if n < 60 {
		t.Fatalf("compared only %d envelopes", n)
	}
}

// Whitespace in a value survives exactly: etree would let a parser fold a
// carriage return, so the templates escape \t, \n and \r.
func TestEscapedWhitespaceRoundTrips(t *testing.T) {
	t.Parallel()
	pw := "a\tb\r\nc\rd"
	r := &Request{Operation: OpLogin, Version: V2020_1, Auth: &Passport{Email: "e", Password: pw, Account: "1", Role: "3\r", ApplicationID: "c4a2541d16fb4845b8a28b8a34bdbb61"}}
	b, err := r.Encode("", time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Body struct {
			Login struct {
				Passport struct {
					Password string `xml:"password"`
					Role     struct {
						ID string `xml:"internalId,attr"`
					} `xml:"role"`
				} `xml:"passport"`
			} `xml:"login"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	if got := env.Body.Login.Passport.Password; got != pw {
		t.Errorf("password = %q, want %q", got, pw)
	}
	if got := env.Body.Login.Passport.Role.ID; got != "3\r" {
		t.Errorf("role = %q, want %q", got, "3\r")
	}
}
