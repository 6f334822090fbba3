// Package jsonhint describes a JSON decoding error without quoting the
// input, which may hold secrets.
package jsonhint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Describe says where b fails to decode: "syntax error at line N", or
// "wrong shape" when it parsed into the wrong types.
func Describe(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at line %d", bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))+1)
	}
	return "wrong shape"
}
