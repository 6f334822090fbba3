package main

import (
	"errors"
	"os"
	"path/filepath"
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
