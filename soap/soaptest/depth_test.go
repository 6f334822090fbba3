package soaptest_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist/soap"
)

// The fake reads requests nested up to its bound and refuses one level
// more: an envelope with 253 levels under getServerTime is answered, 254
// get the "nested too deeply" fault (the bound counts the envelope's own
// levels too).
func TestNestingBoundIsExact(t *testing.T) {
	t.Parallel()
	f := setup(t, false)
	auth, err := f.fake.Connect(f.customer.ID(), f.rec)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		depth   int
		refused bool
	}{{253, false}, {254, true}} {
		r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: auth}
		env, err := r.Encode("nonceNestingBound"+strings.Repeat("b", i+1), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		body := bytes.Replace(env, []byte("<msg:getServerTime/>"),
			[]byte("<msg:getServerTime>"+strings.Repeat("<x>", tc.depth)+strings.Repeat("</x>", tc.depth)+"</msg:getServerTime>"), 1)
		_, err = raw(t, f, f.customer.ID().SuiteTalkHost(), soap.V2025_2, body)
		switch {
		case tc.refused && (err == nil || !strings.Contains(err.Error(), "nested too deeply")):
			t.Errorf("depth %d: %v, want the nesting fault", tc.depth, err)
		case !tc.refused && err != nil:
			t.Errorf("depth %d: %v, want an answer", tc.depth, err)
		}
	}
}
