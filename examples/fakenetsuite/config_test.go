package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nsdist/nsdist/distribution/nstest"
)

// FuzzParseConfig: any bytes as a config give a config or an error that
// is a *configError (the program exits 2 naming the problem), never a
// panic; a config it accepts loads into a fake.
func FuzzParseConfig(f *testing.F) {
	good, err := os.ReadFile(filepath.Join("testdata", "config.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	bad, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.json"))
	for _, p := range bad {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{`{}`, `[]`, `{"accounts":[{"id":"1"}]}`, `{"accounts":null}`, `{"integrations":[{"owner":"x","name":""}]}`, `{"a":1}{"b":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseConfig(data)
		if err != nil {
			var ce *configError
			if !errors.As(err, &ce) {
				t.Fatalf("parseConfig: %T %v, want a *configError", err, err)
			}
			return
		}
		if c == nil {
			t.Fatal("no config and no error")
		}
		fake := nstest.NewServer()
		defer fake.Close()
		if _, err := c.apply(fake); err != nil {
			var ce *configError
			if !errors.As(err, &ce) {
				t.Fatalf("apply: %T %v, want a *configError", err, err)
			}
		}
	})
}

// A user's manage_own_certificates reaches the fake; a value that is not
// a boolean is refused naming where it is.
func TestConfigManageOwnCertificates(t *testing.T) {
	cfg := `{"accounts":[{"id":"1234567","users":[{"email":"clerk@x.example","password":"pw","role":1003,"manage_own_certificates":true},` +
		`{"email":"admin@x.example","password":"pw","manage_own_certificates":false}]}]}`
	c, err := parseConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	us := c.Accounts[0].Users
	if us[0].ManageOwnCertificates == nil || !*us[0].ManageOwnCertificates || us[1].ManageOwnCertificates == nil || *us[1].ManageOwnCertificates {
		t.Fatalf("users %+v", us)
	}
	if _, err := parseConfig([]byte(strings.Replace(cfg, `"manage_own_certificates":true`, `"manage_own_certificates":"yes"`, 1))); err == nil ||
		!strings.Contains(err.Error(), "manage_own_certificates") {
		t.Errorf("a string for manage_own_certificates: %v", err)
	}
}
