package sqlstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"

	"github.com/nsdist/nsdist/internal/redact"
)

// KeySize is the size of a store key: AES-256.
const KeySize = 32

const nonceSize = 12 // AES-GCM's standard nonce, random per row

// Key is a 32-byte AES-256-GCM key with its id. The id is derived from the
// key (a truncated SHA-256 under a fixed label), so a vendor only keeps the
// key itself; it is stored beside every row the key seals, which is how a
// [Keyring] finds the key for an older row after a rotation. Key's String,
// GoString, Format and LogValue show the id only. Get one from ParseKey,
// NewKey or GenerateKey; the zero Key is refused by NewKeyring.
type Key struct {
	id     string
	secret []byte
}

// ParseKey reads a key given as standard or URL-safe base64, with or
// without padding (the form NSDIST_STORE_KEY takes). It must decode to
// exactly 32 bytes. The error never repeats the input.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Key{}, errors.New("sqlstore: empty key: want 32 random bytes in base64 (for example: openssl rand -base64 32)")
	}
	var b []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return Key{}, errors.New("sqlstore: the key is not base64: want 32 random bytes in base64 (for example: openssl rand -base64 32)")
	}
	if len(b) != KeySize {
		return Key{}, fmt.Errorf("sqlstore: the key decodes to %d bytes, want %d (AES-256)", len(b), KeySize)
	}
	return NewKey(b)
}

// NewKey returns a key over a copy of b, which must hold 32 bytes.
func NewKey(b []byte) (Key, error) {
	if len(b) != KeySize {
		return Key{}, fmt.Errorf("sqlstore: a key has %d bytes, want %d (AES-256)", len(b), KeySize)
	}
	secret := append([]byte(nil), b...)
	sum := sha256.Sum256(append([]byte("nsdist sqlstore key id\x00"), secret...))
	return Key{id: hex.EncodeToString(sum[:8]), secret: secret}, nil
}

// GenerateKey returns a new random key.
func GenerateKey() (Key, error) {
	var b [KeySize]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		return Key{}, fmt.Errorf("sqlstore: generate key: %w", err)
	}
	return NewKey(b[:])
}

// ID returns the key's id: 16 hex digits, the same for the same key.
func (k Key) ID() string { return k.id }

// Base64 returns the key in the form ParseKey reads. It is the secret:
// print it only to hand it to a vault.
func (k Key) Base64() string { return base64.StdEncoding.EncodeToString(k.secret) }

// String shows the id, never the key.
func (k Key) String() string {
	return "sqlstore.Key{ID:" + k.id + " Secret:" + redact.Placeholder + "}"
}

// GoString shows the id, never the key.
func (k Key) GoString() string { return k.String() }

// Format prints the redacted form for every verb.
func (k Key) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) } //nolint:errcheck

// LogValue shows the id, never the key.
func (k Key) LogValue() slog.Value { return slog.GroupValue(slog.String("key_id", k.id)) }

// Keyring seals with its current key and opens with any key it holds, so
// that keys can rotate: put the new key first and keep the old ones until
// [TokenStore.Reseal] has moved every row to the new key. Use NewKeyring;
// a Keyring is immutable and safe for concurrent use.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewKeyring returns a keyring that seals with current and opens rows
// sealed with current or any of older.
func NewKeyring(current Key, older ...Key) (*Keyring, error) {
	kr := &Keyring{current: current.id, aeads: map[string]cipher.AEAD{}}
	for i, k := range append([]Key{current}, older...) {
		if len(k.secret) != KeySize {
			return nil, fmt.Errorf("sqlstore: key %d of the keyring is not set: use ParseKey, NewKey or GenerateKey", i+1)
		}
		if _, dup := kr.aeads[k.id]; dup {
			continue
		}
		block, err := aes.NewCipher(k.secret)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: key %s: %w", k.id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: key %s: %w", k.id, err)
		}
		kr.aeads[k.id] = aead
	}
	return kr, nil
}

// CurrentID returns the id of the key that seals new rows.
func (kr *Keyring) CurrentID() string { return kr.current }

// String lists the key ids, never the keys.
func (kr *Keyring) String() string {
	return fmt.Sprintf("sqlstore.Keyring{Current:%s Keys:%d}", kr.current, len(kr.aeads))
}

// ErrDecrypt is matched (errors.Is) by every [*DecryptError].
var ErrDecrypt = errors.New("sqlstore: cannot decrypt")

// DecryptError says that a stored row could not be opened: it was sealed
// with a key the keyring does not hold (a wrong or missing NSDIST_STORE_KEY),
// or its ciphertext or one of the columns bound to it (tenant, account,
// client id, ...) was changed. No plaintext is ever returned with it.
type DecryptError struct {
	Table string // the table of the row
	Row   string // the row's key columns, no secret
	KeyID string // the key id stored with the row
	// UnknownKey is true when the keyring holds no key with KeyID;
	// false means the key was found and authentication failed: the row
	// was altered or moved (or the key was replaced under the same id).
	UnknownKey bool
}

func (e *DecryptError) Error() string {
	if e.UnknownKey {
		return fmt.Sprintf("sqlstore: cannot decrypt %s row %s: it was sealed with key %s, which the keyring does not hold (a wrong or missing store key?)", e.Table, e.Row, e.KeyID)
	}
	return fmt.Sprintf("sqlstore: cannot decrypt %s row %s: authentication failed under key %s (the row was altered, or moved to another key)", e.Table, e.Row, e.KeyID)
}

// Unwrap returns ErrDecrypt.
func (e *DecryptError) Unwrap() error { return ErrDecrypt }

// seal encrypts plaintext under the current key, bound to ad; the result
// is nonce || ciphertext || tag.
func (kr *Keyring) seal(plaintext, ad []byte) (keyID string, sealed []byte, err error) {
	aead := kr.aeads[kr.current]
	nonce := make([]byte, nonceSize, nonceSize+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return "", nil, fmt.Errorf("sqlstore: nonce: %w", err)
	}
	return kr.current, aead.Seal(nonce, nonce, plaintext, adWithKey(ad, kr.current)), nil
}

// open decrypts a sealed value; any failure is a *DecryptError.
func (kr *Keyring) open(table, row, keyID string, sealed, ad []byte) ([]byte, error) {
	aead, ok := kr.aeads[keyID]
	if !ok {
		return nil, &DecryptError{Table: table, Row: row, KeyID: keyID, UnknownKey: true}
	}
	if len(sealed) < nonceSize+aead.Overhead() {
		return nil, &DecryptError{Table: table, Row: row, KeyID: keyID}
	}
	pt, err := aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], adWithKey(ad, keyID))
	if err != nil {
		return nil, &DecryptError{Table: table, Row: row, KeyID: keyID}
	}
	return pt, nil
}

func adWithKey(ad []byte, keyID string) []byte {
	return append(append([]byte(nil), ad...), assocData("key", keyID)...)
}

// assocData encodes the columns a sealed value is bound to, each with its
// length, so that no two different rows share associated data.
func assocData(parts ...string) []byte {
	var b []byte
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(min(len(p), math.MaxUint32)))
		b = append(b, p...)
	}
	return b
}
