package rollout_test

import (
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/tba"
	"github.com/nsdist/nsdist/soap"
)

// credentialOf turns the fake's SOAP credentials into the SOAP channel's.
func credentialOf(a soap.Auth) distribution.Credential {
	switch a := a.(type) {
	case *soap.TokenAuth:
		return tba.Credential{Consumer: tba.Consumer{Key: a.ConsumerKey, Secret: a.ConsumerSecret}, Token: tba.Token{ID: a.TokenID, Secret: a.TokenSecret}}
	case *soap.Passport:
		return tba.UserCredentials{Email: a.Email, Password: a.Password, Role: a.Role, ApplicationID: a.ApplicationID}
	}
	return nil
}

// Tests that fork a child process (TestKillAndResume,
// TestJournalTwoProcessesKill, TestJournalWriteFailure) do not call
// t.Parallel. Between fork and exec a child holds a copy of every open file
// of this process, close-on-exec or not, and with it the flock of any
// journal a parallel test has open: that test's Close then leaves the
// journal locked until the child execs, and its reopen fails with
// ErrJournalLocked (seen once in CI, TestJournalLocked). Sequential tests
// run before any parallel test's body, and exec.Cmd.Start returns after
// the exec, so no copy outlives them.
