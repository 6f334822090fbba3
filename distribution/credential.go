package distribution

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
)

// Credential is what the customer gave for one target. Each channel
// package provides its own: distribution/tba's Credential (a TBA token)
// and UserCredentials (endpoints up to 2020.1), distribution/oauth2's
// Grant (a code-grant token) and M2MKey. The account is the Target's; a
// credential never names it again, or if it does, it must be the same.
type Credential interface {
	// Channel is the auto-installation channel the credential belongs to;
	// the AutoInstaller sends the target to that channel's prober.
	Channel() approval.Channel
	// Validate reports a missing or malformed field, or a credential for
	// another account than account, before anything is sent. Its error
	// wraps ErrCredential.
	Validate(account nsdist.AccountID) error
}

// Confirmer is implemented by a credential that installs nothing and only
// confirms a record already in the target (OAuth 2.0 client credentials,
// section_162686838198): the target's Require Approval preference says
// nothing about the record's State then, so the AutoInstaller does not
// predict one from it.
type Confirmer interface {
	Credential
	InstallsNothing() bool
}

// ErrCredential is wrapped by every error about a target's credential found
// before anything is sent.
var ErrCredential = errors.New("distribution: unusable credential")

// LogValue shows the target without secrets (slog does not call a nested
// field's LogValue on its own).
func (t Target) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("account", string(t.Account))}
	if t.Label != "" {
		attrs = append(attrs, slog.String("label", t.Label))
	}
	if t.Credential != nil {
		attrs = append(attrs, slog.String("channel", string(t.Credential.Channel())), slog.String("credential", fmt.Sprint(t.Credential)))
	}
	return slog.GroupValue(attrs...)
}

// credential returns the target's credential, checked against its account.
func (t Target) credential() (Credential, error) {
	if t.Credential == nil {
		return nil, fmt.Errorf("%w: target %s has no credential", ErrCredential, t.Account)
	}
	if err := t.Credential.Validate(t.Account); err != nil {
		return nil, err
	}
	return t.Credential, nil
}

func installsNothing(c Credential) bool {
	n, ok := c.(Confirmer)
	return ok && n.InstallsNothing()
}
