package distribution

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"sync"
	"time"

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

// Authorized is implemented by a credential that knows when the customer's
// authorization produced it (an OAuth 2.0 grant's time): a Target without
// TokenIssuedAt takes it from there, since a refusal right after the
// authorization most likely means the record waits for approval.
type Authorized interface {
	Credential
	AuthorizedAt() time.Time
}

// Identified is implemented by a credential that can tell which
// authorization it is: a rollout's journal keeps its [Fingerprint], so that
// a re-run checks again an account whose customer has since given another
// credential of the same channel (a new TBA token, an OAuth 2.0 grant of
// another user or role, another M2M certificate) and skips it only when
// the credential is the one already proven.
type Identified interface {
	Credential
	// Identity returns the fields that tell this credential from another
	// of its channel for the same account: identifiers (a token id, a
	// consumer key, a user and role, a client and certificate id), never
	// a secret. It is input for Fingerprint, not for display: a
	// field may be one that String abbreviates. Empty means unknown.
	Identity() []string
}

// fingerprintKey separates credential fingerprints from every other
// HMAC-SHA-256 nsdist computes: it is a domain label, not a secret.
const fingerprintKey = "nsdist credential fingerprint v1"

// fingerprintMACs are HMACs keyed with fingerprintKey, for reuse: a
// rollout takes one fingerprint per target.
var fingerprintMACs = sync.Pool{New: func() any { return hmac.New(sha256.New, []byte(fingerprintKey)) }}

// Fingerprint is a non-reversible digest of c's channel and [Identified]
// identity: 32 hex digits of HMAC-SHA-256, equal for two credentials of
// the same authorization and, short of a collision, different otherwise.
// It is "" when c is nil, is not Identified, or has no identity.
func Fingerprint(c Credential) string {
	ic, ok := c.(Identified)
	if !ok {
		return ""
	}
	fields := ic.Identity()
	if len(fields) == 0 {
		return ""
	}
	m := fingerprintMACs.Get().(hash.Hash) //nolint:forcetypeassert // the pool holds only these
	defer fingerprintMACs.Put(m)
	m.Reset()
	var buf [sha256.Size]byte
	for _, f := range append([]string{string(c.Channel())}, fields...) {
		// each field's length first: ("ab", "c") and ("a", "bc") differ
		m.Write(binary.AppendUvarint(buf[:0], uint64(len(f))))
		io.WriteString(m, f) //nolint:errcheck // a hash never fails
	}
	return hex.EncodeToString(m.Sum(buf[:0])[:16])
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

// CredentialRef is one targets-file row's reference to a credential: what
// a CredentialSource resolves.
type CredentialRef struct {
	Account nsdist.AccountID
	// Auth is the row's auth column, lower case: tba (the default) or
	// passport for the SOAP channel (distribution/tba).
	Auth string
	// Ref is the credentials column: a reference, never a secret.
	Ref string
	// Version is the version column (a SOAP endpoint such as 2020_1), or "".
	Version string
}

// CredentialSource resolves a targets file's credential references into
// channel credentials. Target files name a reference, never a secret; a
// vendor plugs in its vault. distribution/tba provides the sources for
// NETSUITE_<REF>_* variables and a secrets file.
type CredentialSource interface {
	Credential(ctx context.Context, ref CredentialRef) (Credential, error)
}

// ErrNoCredentials is returned when a source has nothing for a reference.
var ErrNoCredentials = errors.New("distribution: no credentials")

// FieldError is a CredentialSource's error about one column of the row
// (auth, version): LoadTargets reports it under that column.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// Secrets are the values one credential reference names, wherever they are
// kept: NETSUITE_<REF>_* variables, a secrets file, a vault. Keys are lower
// case with underscores (consumer_key, token_secret, email, app_id, ...).
type Secrets interface {
	// Get returns the key's value, or "".
	Get(key string) string
	// Missing returns nil when every key has a value, or else an error
	// wrapping ErrNoCredentials that names the empty ones as the store
	// names them (NETSUITE_ACME_TOKEN_SECRET, or the file entry's key).
	Missing(keys ...string) error
}

// A CredentialBuilder makes one channel's credential from the secrets a
// targets-file row's reference names; tba.BuildCredential builds TBA
// tokens and user credentials.
type CredentialBuilder func(ref CredentialRef, s Secrets) (Credential, error)
