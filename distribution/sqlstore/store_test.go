package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution"
	"github.com/nsdist/nsdist/distribution/oauth2"
	"github.com/nsdist/nsdist/distribution/sqlstore"
	"github.com/nsdist/nsdist/distribution/tba"
)

var t0 = time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)

func oauthToken(account nsdist.AccountID, role, access, refresh string, issued time.Time) *oauth2.Token {
	return &oauth2.Token{Account: account, ClientID: "c1e4f5d6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4",
		AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", Expiry: issued.Add(time.Hour), IssuedAt: issued,
		Scopes: []oauth2.Scope{oauth2.ScopeRESTWebServices}, Role: role, Entity: "-5", Public: true}
}

func TestTokenStore(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		st, err := sqlstore.NewTokenStore(ctx, b.open(t), mustKeyring(t, mustKey(t)))
		if err != nil {
			t.Fatal(err)
		}
		acme, other := st.OAuth2("acme"), st.OAuth2("other")
		tok := oauthToken("123456_SB1", "3", "at-1", "rt-1", t0)
		if err := acme.SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		// another role of the same account and client is another credential
		tok2 := oauthToken("123456_SB1", "1000", "at-2", "rt-2", t0)
		if err := acme.SaveToken(ctx, tok2); err != nil {
			t.Fatal(err)
		}
		newer := oauthToken("123456_SB1", "3", "at-3", "rt-3", t0.Add(time.Hour))
		stale := oauthToken("123456_SB1", "3", "at-0", "rt-0", t0.Add(-time.Hour))
		tests := []struct {
			name    string
			save    *oauth2.Token // saved first, if set
			store   *sqlstore.OAuth2Tokens
			key     sqlstore.OAuth2Key
			want    *oauth2.Token
			wantErr error
		}{
			{"round trip", nil, acme, sqlstore.KeyOf(tok), tok, nil},
			{"by role", nil, acme, sqlstore.KeyOf(tok2), tok2, nil},
			{"another tenant sees nothing", nil, other, sqlstore.KeyOf(tok), nil, sqlstore.ErrNotFound},
			{"unknown account", nil, acme, sqlstore.OAuth2Key{Account: "999999", ClientID: tok.ClientID, Role: "3", Entity: "-5"}, nil, sqlstore.ErrNotFound},
			{"a newer token replaces", newer, acme, sqlstore.KeyOf(tok), newer, nil},
			{"a stale token does not", stale, acme, sqlstore.KeyOf(tok), newer, nil},
		}
		for _, tt := range tests { // in order: the saves build on each other
			if tt.save != nil {
				if err := tt.store.SaveToken(ctx, tt.save); err != nil {
					t.Fatalf("%s: SaveToken: %v", tt.name, err)
				}
			}
			got, err := tt.store.Load(ctx, tt.key)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: Load error = %v, want %v", tt.name, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateComparable(time.Time{})); diff != "" {
				t.Errorf("%s: Load mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
		keys, err := acme.Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]sqlstore.OAuth2Key{sqlstore.KeyOf(tok2), sqlstore.KeyOf(tok)}, keys); diff != "" {
			t.Errorf("Keys mismatch (-want +got):\n%s", diff)
		}
		if err := acme.Delete(ctx, sqlstore.KeyOf(tok)); err != nil {
			t.Fatal(err)
		}
		if _, err := acme.Load(ctx, sqlstore.KeyOf(tok)); !errors.Is(err, sqlstore.ErrNotFound) {
			t.Errorf("Load after Delete = %v", err)
		}

		// TBA
		tb := st.TBA("acme")
		want := tba.Token{ID: "tok-id", Secret: "tok-secret"}
		if err := tb.Save(ctx, "123456", want); err != nil {
			t.Fatal(err)
		}
		if err := tb.Save(ctx, "bad id", want); err == nil {
			t.Error("Save with an invalid account id succeeded")
		}
		got, err := tb.Get(ctx, "123456")
		if err != nil || got != want {
			t.Errorf("TBA Get = %v, %v", got, err)
		}
		if _, err := st.TBA("other").Get(ctx, "123456"); !errors.Is(err, sqlstore.ErrNotFound) {
			t.Errorf("another tenant's TBA Get = %v, want ErrNotFound", err)
		}
		if err := tb.Delete(ctx, "123456"); err != nil {
			t.Fatal(err)
		}
		if _, err := tb.Get(ctx, "123456"); !errors.Is(err, sqlstore.ErrNotFound) {
			t.Errorf("TBA Get after Delete = %v", err)
		}
	})
}

// TestSecretsNeverInClear looks at the database as its file or server
// holds it: no token, secret or PKCE verifier appears, in text or hex.
func TestSecretsNeverInClear(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.open(t)
		kr := mustKeyring(t, mustKey(t))
		st, err := sqlstore.NewTokenStore(ctx, db, kr)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := sqlstore.NewPendingStore[*oauth2.Authorization](ctx, db, kr)
		if err != nil {
			t.Fatal(err)
		}
		secrets := []string{"ACCESS-9f8e7d6c5b4a", "REFRESH-1a2b3c4d5e6f", "TBASECRET-77aa88bb99cc", "TBATOKEN-5e5e5e5e5e5e", "VERIFIER-0c0d0e0f1011121314", "STATE-2a2b2c2d2e2f303132"}
		if err := st.OAuth2("acme").SaveToken(ctx, oauthToken("7654321", "3", secrets[0], secrets[1], t0)); err != nil {
			t.Fatal(err)
		}
		if err := st.TBA("acme").Save(ctx, "7654321", tba.Token{ID: secrets[3], Secret: secrets[2]}); err != nil {
			t.Fatal(err)
		}
		a := &oauth2.Authorization{State: secrets[5], Verifier: secrets[4], URL: "https://system.netsuite.com/app/login/oauth2/authorize.nl?state=" + secrets[5]}
		if err := ps.Put(ctx, secrets[5], distribution.Pending[*oauth2.Authorization]{Flow: a, Session: "s", Created: t0}); err != nil {
			t.Fatal(err)
		}
		pt, err := sqlstore.NewPendingStore[tba.Token](ctx, db, kr)
		if err != nil {
			t.Fatal(err)
		}
		if err := pt.Put(ctx, "tba-state-0123456789", distribution.Pending[tba.Token]{Flow: tba.Token{ID: secrets[3] + "R", Secret: secrets[2] + "R"}, Created: t0}); err != nil {
			t.Fatal(err)
		}
		raw := b.raw(t)
		if !strings.Contains(string(raw), "7654321") {
			t.Fatalf("the raw %s data does not show even the account id: the check looks in the wrong place", b.name)
		}
		if s := containsAny(raw, secrets...); s != "" {
			t.Errorf("%s holds %q in clear", b.name, s)
		}
	})
}

// TestDecryptErrors: a wrong key, a tampered row and a row moved to
// another tenant each give a *DecryptError and no token; rotation keeps
// old rows readable until Reseal moves them.
func TestDecryptErrors(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.open(t)
		oldKey, newKey := mustKey(t), mustKey(t)
		st, err := sqlstore.NewTokenStore(ctx, db, mustKeyring(t, oldKey))
		if err != nil {
			t.Fatal(err)
		}
		tok := oauthToken("123456", "3", "access-secret-1", "refresh-secret-1", t0)
		if err := st.OAuth2("acme").SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := st.TBA("acme").Save(ctx, "123456", tba.Token{ID: "t", Secret: "tba-secret-1"}); err != nil {
			t.Fatal(err)
		}
		reopen := func(keys ...sqlstore.Key) *sqlstore.TokenStore {
			s, err := sqlstore.NewTokenStore(ctx, db, mustKeyring(t, keys[0], keys[1:]...))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		exec := func(q string, args ...any) {
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		k := sqlstore.KeyOf(tok)
		tests := []struct {
			name        string
			store       *sqlstore.TokenStore
			tenant      string
			damage      func() // run before loading, undone after
			undo        func()
			wantUnknown bool
		}{
			{"wrong key", reopen(newKey), "acme", nil, nil, true},
			{"tampered ciphertext", reopen(oldKey), "acme",
				func() { exec(`UPDATE nsdist_tokens SET sealed = $1 WHERE kind = 'oauth2'`, tamper(t, db)) },
				nil, false},
		}
		for _, tt := range tests {
			if tt.damage != nil {
				tt.damage()
			}
			got, err := tt.store.OAuth2(tt.tenant).Load(ctx, k)
			var de *sqlstore.DecryptError
			if !errors.As(err, &de) || !errors.Is(err, sqlstore.ErrDecrypt) || de.UnknownKey != tt.wantUnknown || got != nil {
				t.Errorf("%s: Load = %v, %v; want nil and a *DecryptError with UnknownKey %v", tt.name, got, err, tt.wantUnknown)
			}
			if err != nil && (strings.Contains(err.Error(), "secret") || strings.Contains(fmt.Sprintf("%+v %#v", err, de), "secret-1")) {
				t.Errorf("%s: the error shows a secret: %v", tt.name, err)
			}
		}

		// a row moved to another tenant, or another account, does not open
		st2 := reopen(oldKey)
		if err := st2.TBA("acme").Save(ctx, "222222", tba.Token{ID: "t", Secret: "tba-secret-2"}); err != nil {
			t.Fatal(err)
		}
		exec(`UPDATE nsdist_tokens SET tenant = 'mallory' WHERE kind = 'tba' AND account = '123456'`)
		if got, err := st2.TBA("mallory").Get(ctx, "123456"); !errors.Is(err, sqlstore.ErrDecrypt) || got != (tba.Token{}) {
			t.Errorf("a row moved to another tenant: Get = %v, %v; want ErrDecrypt", got, err)
		}
		exec(`UPDATE nsdist_tokens SET account = '333333' WHERE kind = 'tba' AND account = '222222'`)
		if _, err := st2.TBA("acme").Get(ctx, "333333"); !errors.Is(err, sqlstore.ErrDecrypt) {
			t.Errorf("a row moved to another account: Get = %v; want ErrDecrypt", err)
		}

		// rotation: the new key first, the old one still readable; Reseal
		// moves the rows; then the new key alone reads them
		exec(`DELETE FROM nsdist_tokens`)
		if err := reopen(oldKey).OAuth2("acme").SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		both := reopen(newKey, oldKey)
		if got, err := both.OAuth2("acme").Load(ctx, k); err != nil || got.AccessToken != tok.AccessToken {
			t.Fatalf("Load with the old key second = %v, %v", got, err)
		}
		if n, err := both.Reseal(ctx); n != 1 || err != nil {
			t.Errorf("Reseal = %d, %v; want 1 row moved", n, err)
		}
		if n, err := both.Reseal(ctx); n != 0 || err != nil {
			t.Errorf("second Reseal = %d, %v; want 0", n, err)
		}
		if got, err := reopen(newKey).OAuth2("acme").Load(ctx, k); err != nil || got.AccessToken != tok.AccessToken {
			t.Errorf("Load with the new key alone after Reseal = %v, %v", got, err)
		}
	})
}

// tamper returns the stored OAuth 2.0 row's ciphertext with one bit flipped.
func tamper(t *testing.T, db *sql.DB) []byte {
	t.Helper()
	var sealed []byte
	if err := db.QueryRow(`SELECT sealed FROM nsdist_tokens WHERE kind = 'oauth2'`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	sealed[len(sealed)/2] ^= 1
	return sealed
}

func TestKeys(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"standard base64", k.Base64(), false},
		{"unpadded, url-safe", strings.NewReplacer("+", "-", "/", "_", "=", "").Replace(k.Base64()), false},
		{"surrounding space", " " + k.Base64() + "\n", false},
		{"empty", "", true},
		{"not base64", "not base64 at all!!", true},
		{"16 bytes", "AAECAwQFBgcICQoLDA0ODw==", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := sqlstore.ParseKey(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseKey(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil && strings.TrimSpace(tt.in) != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
				t.Errorf("the error repeats the key: %v", err)
			}
			if !tt.wantErr && got.ID() != k.ID() {
				t.Errorf("ParseKey(%q).ID() = %s, want %s", tt.in, got.ID(), k.ID())
			}
		})
	}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q", k, k, k, k, k), k.String(), fmt.Sprint(mustKeyring(t, k))} {
		if strings.Contains(s, k.Base64()) || strings.Contains(s, strings.TrimRight(k.Base64(), "=")[:20]) {
			t.Errorf("a key printed as %q", s)
		}
	}
	if _, err := sqlstore.NewKeyring(sqlstore.Key{}); err == nil {
		t.Error("NewKeyring with a zero Key succeeded")
	}
}

func TestPendingStore(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		clk := &clock{now: t0}
		kr := mustKeyring(t, mustKey(t))
		replicas := make([]*sqlstore.PendingStore[*oauth2.Authorization], 2)
		for i := range replicas {
			s, err := sqlstore.NewPendingStore[*oauth2.Authorization](ctx, b.open(t), kr, sqlstore.WithClock(clk.Now), sqlstore.WithTTL(10*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			replicas[i] = s
		}
		a := &oauth2.Authorization{URL: "https://123456.app.netsuite.com/app/login/oauth2/authorize.nl", State: oauth2.NewState(),
			Verifier: "v3rifier-0123456789012345678901234567890123", Account: "123456", RedirectURL: "https://app.example/cb",
			Scopes: []oauth2.Scope{oauth2.ScopeRESTWebServices}, Created: t0}
		want := distribution.Pending[*oauth2.Authorization]{Flow: a, Session: "hash", Tenant: "acme-eu", Source: "192.0.2.1", Created: t0}
		if err := replicas[0].Put(ctx, a.State, want); err != nil {
			t.Fatal(err)
		}
		if err := replicas[1].Put(ctx, a.State, want); err == nil {
			t.Error("a second Put of the same state succeeded")
		}
		// 2 replicas × 10 goroutines take the same state: one gets it
		var got atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				p, err := replicas[i%2].Take(ctx, a.State)
				switch {
				case err == nil:
					got.Add(1)
					if diff := cmp.Diff(want, p, cmpopts.IgnoreUnexported(oauth2.Authorization{})); diff != "" {
						t.Errorf("Take mismatch (-want +got):\n%s", diff)
					}
				case !errors.Is(err, distribution.ErrNoPending):
					t.Errorf("Take = %v", err)
				}
			})
		}
		wg.Wait()
		if got.Load() != 1 {
			t.Errorf("%d of 20 concurrent Takes got the flow, want 1", got.Load())
		}
		// expiry
		if err := replicas[0].Put(ctx, "state-expiring-0123456789", want); err != nil {
			t.Fatal(err)
		}
		clk.Add(10*time.Minute + time.Second)
		if _, err := replicas[1].Take(ctx, "state-expiring-0123456789"); !errors.Is(err, distribution.ErrNoPending) {
			t.Errorf("Take after the TTL = %v, want ErrNoPending", err)
		}
		if _, err := replicas[1].Take(ctx, "never-put-0123456789012345"); !errors.Is(err, distribution.ErrNoPending) {
			t.Errorf("Take of an unknown state = %v, want ErrNoPending", err)
		}
		// full: a new flow is refused, the ones in progress stay
		small, err := sqlstore.NewPendingStore[*oauth2.Authorization](ctx, b.open(t), kr, sqlstore.WithClock(clk.Now), sqlstore.WithMaxPending(3))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := small.Put(ctx, "full-"+strconv.Itoa(i), want); err != nil {
				t.Fatal(err)
			}
		}
		if err := small.Put(ctx, "full-3", want); !errors.Is(err, distribution.ErrTooManyPending) {
			t.Errorf("Put past WithMaxPending = %v, want ErrTooManyPending", err)
		}
		if _, err := small.Take(ctx, "full-0"); err != nil {
			t.Errorf("a flow in progress after the refusal: %v", err)
		}
	})
}

func TestLeases(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		clk := &clock{now: t0}
		l1, err := sqlstore.NewLeases(ctx, b.open(t), sqlstore.WithClock(clk.Now))
		if err != nil {
			t.Fatal(err)
		}
		l2, err := sqlstore.NewLeases(ctx, b.open(t), sqlstore.WithClock(clk.Now))
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name  string
			l     *sqlstore.Leases
			op    string // acquire, release, advance
			owner string
			want  bool
		}{
			{"A takes a free lease", l1, "acquire", "A", true},
			{"B cannot take it", l2, "acquire", "B", false},
			{"A extends its own", l2, "acquire", "A", true},
			{"B releasing A's lease does nothing", l2, "release", "B", false},
			{"B still cannot take it", l1, "acquire", "B", false},
			{"30 s later A's lease expired", nil, "advance", "", false},
			{"B takes an expired lease over", l2, "acquire", "B", true},
			{"A cannot take it back", l1, "acquire", "A", false},
			{"B releases", l2, "release", "B", false},
			{"A takes it", l1, "acquire", "A", true},
		}
		for _, s := range steps {
			switch s.op {
			case "advance":
				clk.Add(30 * time.Second)
			case "release":
				if err := s.l.Release(ctx, "cred-1", s.owner); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
			case "acquire":
				got, err := s.l.TryAcquire(ctx, "cred-1", s.owner, 20*time.Second)
				if err != nil || got != s.want {
					t.Errorf("%s: TryAcquire = %v, %v; want %v", s.name, got, err, s.want)
				}
			}
		}
		owner, until, err := l2.Holder(ctx, "cred-1")
		if owner != "A" || !until.Equal(clk.Now().Add(20*time.Second)) || err != nil {
			t.Errorf("Holder = %q, %v, %v", owner, until, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if err := l2.Acquire(wctx, "cred-1", "B", time.Second); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "held by A") {
			t.Errorf("Acquire of a held lease = %v, want DeadlineExceeded naming A", err)
		}
	})
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		// replicas starting at once
		var wg sync.WaitGroup
		dbs := []*sql.DB{b.open(t), b.open(t), b.open(t), b.open(t)}
		for _, db := range dbs {
			wg.Go(func() {
				if err := sqlstore.Migrate(ctx, db); err != nil {
					t.Errorf("concurrent Migrate: %v", err)
				}
			})
		}
		wg.Wait()
		var n, v int
		if err := dbs[0].QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM nsdist_schema_migrations`).Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		if n != sqlstore.SchemaVersion() || v != sqlstore.SchemaVersion() {
			t.Errorf("nsdist_schema_migrations: %d rows, version %d; want %d", n, v, sqlstore.SchemaVersion())
		}
		if _, err := dbs[0].ExecContext(ctx, `INSERT INTO nsdist_schema_migrations (version, name, applied_ms) VALUES (99, 'future', 0)`); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlstore.NewTokenStore(ctx, dbs[1], mustKeyring(t, mustKey(t))); !errors.Is(err, sqlstore.ErrSchemaTooNew) {
			t.Errorf("a store on a newer schema = %v, want ErrSchemaTooNew", err)
		}
	})
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		dsn     string
		wantErr string // substring; empty: success
	}{
		{"sqlite: prefix", "sqlite:" + dir + "/a.db", ""},
		{"plain path", dir + "/b.db", ""},
		{"empty", "", "empty DSN"},
		{"query in a sqlite path", "sqlite:" + dir + "/c.db?mode=ro", "without ? or #"},
		{"no such directory", "sqlite:" + dir + "/missing/d.db", "sqlstore: open"},
		{"postgres with a password, nobody listening", "postgres://u:s3cr3t-pw@127.0.0.1:1/db?connect_timeout=2", "127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := sqlstore.Open(t.Context(), tt.dsn)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Open(%q) = %v", tt.dsn, err)
				}
				defer db.Close()
				var mode string
				if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
					t.Errorf("journal_mode = %q, %v; want wal", mode, err)
				}
				return
			}
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.dsn)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("Open(%q) = %v; want it to mention %q and no password", tt.dsn, err, tt.wantErr)
			}
		})
	}
}

var _ = nsdist.AccountID("") // soap names the account type the TBA store takes

// A ciphertext is bound to its row's version: an older one put back after
// a later save does not open (a spent refresh token cannot be restored
// that way), and a NUL in a key column is refused on every backend.
func TestTokenRollbackAndNUL(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.open(t)
		st, err := sqlstore.NewTokenStore(ctx, db, mustKeyring(t, mustKey(t)))
		if err != nil {
			t.Fatal(err)
		}
		tenant := "rollback-" + randomHex(8)
		first := oauthToken("7654321", "3", "ACCESS-1", "REFRESH-1", t0)
		if err := st.OAuth2(tenant).SaveToken(ctx, first); err != nil {
			t.Fatal(err)
		}
		var keyID string
		var sealed []byte
		if err := db.QueryRowContext(ctx, `SELECT key_id, sealed FROM nsdist_tokens WHERE tenant = $1`, tenant).Scan(&keyID, &sealed); err != nil {
			t.Fatal(err)
		}
		second := oauthToken("7654321", "3", "ACCESS-2", "REFRESH-2", t0.Add(time.Hour))
		if err := st.OAuth2(tenant).SaveToken(ctx, second); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE nsdist_tokens SET key_id = $1, sealed = $2 WHERE tenant = $3`, keyID, sealed, tenant); err != nil {
			t.Fatal(err)
		}
		if tok, err := st.OAuth2(tenant).Load(ctx, sqlstore.KeyOf(first)); !errors.Is(err, sqlstore.ErrDecrypt) {
			t.Errorf("the first ciphertext put back over the second: %v, %v; want ErrDecrypt", tok, err)
		}
		for _, bad := range []string{"acme\x00", "\x00"} {
			if err := st.OAuth2(bad).SaveToken(ctx, first); err == nil || !strings.Contains(err.Error(), "NUL") {
				t.Errorf("tenant %q: %v, want a refusal naming the NUL", bad, err)
			}
			if _, err := st.OAuth2(bad).Load(ctx, sqlstore.KeyOf(first)); err == nil || !strings.Contains(err.Error(), "NUL") {
				t.Errorf("load tenant %q: %v", bad, err)
			}
		}
	})
}

// Reauthorizations lists the authorizations that end before a time,
// soonest first, across tenants; M2M tokens never appear.
func TestReauthorizations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlstore.NewTokenStore(ctx, newBackend(t, "sqlite").open(t), mustKeyring(t, mustKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	public := oauthToken("1111111", "3", "A1", "R1", t0) // public, chain ends in 168 h
	public.RotationDeadline = t0.Add(168 * time.Hour)
	confidential := oauthToken("2222222", "3", "A2", "R2", t0)
	confidential.Public, confidential.RefreshExpiry = false, t0.Add(7*24*time.Hour+time.Hour)
	m2m := oauthToken("3333333", "3", "A3", "", t0)
	m2m.M2M, m2m.Public = true, false
	for tenant, tok := range map[string]*oauth2.Token{"acme-eu": public, "acme-us": confidential, "acme-m2m": m2m} {
		if err := st.OAuth2(tenant).SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Reauthorizations(ctx, t0.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Tenant != "acme-eu" || !got[0].By.Equal(public.RotationDeadline) || !got[0].Public ||
		got[1].Tenant != "acme-us" || !got[1].By.Equal(confidential.RefreshExpiry) || got[1].Public || got[1].Key.Account != "2222222" {
		t.Fatalf("Reauthorizations = %+v", got)
	}
	if got, err := st.Reauthorizations(ctx, t0.Add(7*24*time.Hour+time.Minute)); err != nil || len(got) != 1 || got[0].Tenant != "acme-eu" {
		t.Errorf("within a week: %+v, %v; want the public one only", got, err)
	}
}

// Invitations: single use, bound to their tenant and account by the
// store's HMAC key, and expiring; Moved says who has authorized with
// OAuth 2.0.
func TestInvitations(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		clk := &clock{now: t0}
		db := b.open(t)
		kr := mustKeyring(t, mustKey(t))
		inv, err := sqlstore.NewInvitations(ctx, db, kr, sqlstore.WithClock(clk.Now), sqlstore.WithTTL(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		tenant := "campaign-" + randomHex(6)
		tok, err := inv.Issue(ctx, tenant, "7654321")
		if err != nil {
			t.Fatal(err)
		}
		other, _ := inv.Issue(ctx, tenant, "1234567")
		id, mac, _ := strings.Cut(other, ".")
		forged := id + "." + mac[:len(mac)-2] + map[bool]string{true: "AA", false: "AB"}[!strings.HasSuffix(mac, "AA")]
		if _, err := inv.Redeem(ctx, forged); !errors.Is(err, sqlstore.ErrInvitation) {
			t.Errorf("a forged MAC: %v", err)
		}
		got, err := inv.Redeem(ctx, tok)
		if err != nil || got.Tenant != tenant || got.Account != "7654321" {
			t.Fatalf("Redeem = %+v, %v", got, err)
		}
		if _, err := inv.Redeem(ctx, tok); !errors.Is(err, sqlstore.ErrInvitation) {
			t.Errorf("a second Redeem: %v", err)
		}
		late, _ := inv.Issue(ctx, tenant, "2222222")
		clk.Add(49 * time.Hour)
		if _, err := inv.Redeem(ctx, late); !errors.Is(err, sqlstore.ErrInvitation) {
			t.Errorf("an expired invitation: %v", err)
		}
		// a second replica shares the key
		inv2, _ := sqlstore.NewInvitations(ctx, b.open(t), kr, sqlstore.WithClock(clk.Now), sqlstore.WithTTL(48*time.Hour))
		fresh, _ := inv.Issue(ctx, tenant, "3333333")
		if got, err := inv2.Redeem(ctx, fresh); err != nil || got.Account != "3333333" {
			t.Errorf("redeemed on another replica: %+v, %v", got, err)
		}
		st, _ := sqlstore.NewTokenStore(ctx, db, kr)
		if moved, err := st.Moved(ctx, tenant, "7654321"); err != nil || moved {
			t.Errorf("Moved before any token: %v, %v", moved, err)
		}
		if err := st.OAuth2(tenant).SaveToken(ctx, oauthToken("7654321", "3", "A", "R", t0)); err != nil {
			t.Fatal(err)
		}
		if moved, err := st.Moved(ctx, tenant, "7654321"); err != nil || !moved {
			t.Errorf("Moved after a token: %v, %v", moved, err)
		}
	})
}

// A flood from one source fills only that source's 20 places: its 21st
// flow is refused, another source's goes in, and no flow is evicted.
func TestPendingStorePerSource(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		ps, err := sqlstore.NewPendingStore[string](ctx, b.open(t), mustKeyring(t, mustKey(t)))
		if err != nil {
			t.Fatal(err)
		}
		flood, other := "198.51.100."+randomHex(4), "203.0.113."+randomHex(4)
		for i := range 20 {
			if err := ps.Put(ctx, flood+"-"+strconv.Itoa(i), distribution.Pending[string]{Flow: "f", Source: flood, Created: time.Now()}); err != nil {
				t.Fatalf("flow %d from the source: %v", i+1, err)
			}
		}
		if err := ps.Put(ctx, flood+"-20", distribution.Pending[string]{Source: flood, Created: time.Now()}); !errors.Is(err, distribution.ErrTooManyPending) {
			t.Errorf("the 21st flow from one source: %v, want ErrTooManyPending", err)
		}
		if err := ps.Put(ctx, other+"-0", distribution.Pending[string]{Flow: "real user", Source: other, Created: time.Now()}); err != nil {
			t.Errorf("another source's flow: %v", err)
		}
		if p, err := ps.Take(ctx, flood+"-0"); err != nil || p.Flow != "f" {
			t.Errorf("the first flood flow after the refusal: %v, %v", p, err)
		}
	})
}
