package rollout_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/distribution/rollout"
)

// lineLen is the length of the line Record writes for e in journal id
// (without its newline): the entry with the journal's identity first.
func lineLen(t *testing.T, id string, e rollout.Entry) int {
	t.Helper()
	b, err := json.Marshal(struct {
		Journal string `json:"journal"`
		rollout.Entry
	}{id, e})
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// sized returns an entry for account whose line in journal id has exactly
// n bytes; NSID, which Record does not shorten, makes up the length (an
// ASCII letter adds one byte to the line).
func sized(t *testing.T, id string, account nsdist.AccountID, n int) rollout.Entry {
	t.Helper()
	e := rollout.Entry{Run: "r", Record: testRecord, Time: time.Unix(1, 0).UTC(), Account: account, Outcome: "enabled", NSID: "x"}
	e.NSID = strings.Repeat("x", 1+n-lineLen(t, id, e))
	return e
}

// TestJournalRecordLineCap: Record refuses a line of MaxJournalLine bytes
// and writes one a byte shorter, which a re-opened journal reads.
func TestJournalRecordLineCap(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	id := j.ID()
	if err := j.Record(t.Context(), sized(t, id, "1", rollout.MaxJournalLine)); err == nil || !strings.Contains(err.Error(), "line cap") {
		t.Errorf("Record of a %d-byte line = %v, want the line cap error", rollout.MaxJournalLine, err)
	}
	fits := sized(t, id, "2", rollout.MaxJournalLine-1)
	if err := j.Record(t.Context(), fits); err != nil {
		t.Errorf("Record of a %d-byte line: %v", rollout.MaxJournalLine-1, err)
	}
	j.Close()
	latest, ps := openLatest(t, path, testRecord)
	if len(latest) != 1 || latest["2"].NSID != fits.NSID || len(ps) != 0 {
		t.Errorf("re-opened: %d accounts, NSID of %d bytes, problems %v; want account 2 whole", len(latest), len(latest["2"].NSID), ps)
	}
}

// TestJournalReadLineCap: OpenJournal reads a line of MaxJournalLine bytes
// (before its newline) and skips one a byte longer.
func TestJournalReadLineCap(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	id := j.ID()
	j.Close()
	b, _ := json.Marshal(struct {
		Journal string `json:"journal"`
		rollout.Entry
	}{id, sized(t, id, "3", rollout.MaxJournalLine-1)})
	if len(b) != rollout.MaxJournalLine-1 {
		t.Fatalf("sized line has %d bytes, want %d", len(b), rollout.MaxJournalLine-1)
	}
	// padded with blanks: MaxJournalLine bytes for account 3, one more for 4
	other := bytes.Replace(b, []byte(`"account":"3"`), []byte(`"account":"4"`), 1)
	appendTo(t, path, string(b)+" \n"+string(other)+"  \n")
	latest, ps := openLatest(t, path, testRecord)
	got := []nsdist.AccountID{}
	for a := range latest {
		got = append(got, a)
	}
	if diff := cmp.Diff([]nsdist.AccountID{"3"}, got); diff != "" {
		t.Errorf("accounts read (-want +got):\n%s", diff)
	}
	// lines: 1 header, 2 account 3, 3 account 4
	if diff := cmp.Diff([]problem{{3, false}}, problems(ps)); diff != "" {
		t.Errorf("Problems() mismatch (-want +got):\n%s\n%v", diff, ps)
	}
}

// TestJournalTruncateText: free text is kept up to 16 KiB and otherwise
// cut on a rune boundary, with an ellipsis.
func TestJournalTruncateText(t *testing.T) {
	t.Parallel()
	const limit = 16 << 10
	tests := []struct {
		name, text, want string
	}{
		{"short", "boom", "boom"},
		{"exactly the cap", strings.Repeat("a", limit), strings.Repeat("a", limit)},
		{"one byte over", strings.Repeat("a", limit+1), strings.Repeat("a", limit) + "…"},
		{"cut on a rune start", strings.Repeat("é", limit), strings.Repeat("é", limit/2) + "…"},
		{"cut inside a rune", "a" + strings.Repeat("é", limit), "a" + strings.Repeat("é", limit/2-1) + "…"},
		{"no rune start at all", strings.Repeat("\x80", limit+10), "…"},
	}
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for i, tt := range tests {
		e := entry("run-1", i, "failed")
		e.Error, e.Sentence, e.NextStep = tt.text, tt.text, tt.text
		if err := j.Record(t.Context(), e); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, _ := j.Latest(t.Context(), testRecord)
		g := got[e.Account]
		for field, v := range map[string]string{"Error": g.Error, "Sentence": g.Sentence, "NextStep": g.NextStep} {
			if v != tt.want {
				t.Errorf("%s: %s has %d bytes %q…, want %d bytes", tt.name, field, len(v), v[:min(len(v), 8)], len(tt.want))
			}
		}
	}
}

// TestJournalRecordVisibleAndClosed: a recorded entry is in Latest at
// once, without reopening; after Close, Record fails and keeps nothing.
func TestJournalRecordVisibleAndClosed(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	e := entry("run-1", 1, "enabled")
	if err := j.Record(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	got, _ := j.Latest(t.Context(), testRecord)
	if diff := cmp.Diff(map[nsdist.AccountID]rollout.Entry{e.Account: e}, got); diff != "" {
		t.Errorf("Latest after Record (-want +got):\n%s", diff)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	late := entry("run-1", 2, "enabled")
	if err := j.Record(t.Context(), late); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Record after Close = %v, want an error", err)
	}
	if err := j.Begin(t.Context(), "run-2", testRecord); err == nil {
		t.Error("Begin after Close succeeded")
	}
	if got, _ := j.Latest(t.Context(), testRecord); len(got) != 1 {
		t.Errorf("Latest after a refused Record has %d accounts, want 1", len(got))
	}
}

// TestJournalTornReason: the torn tail's problem says how many bytes were cut.
func TestJournalTornReason(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	writeJournal(t, path, "run-1", 2)
	tail := `{"journal":"x"` // 14 bytes, no newline
	appendTo(t, path, tail)
	_, ps := openLatest(t, path, testRecord)
	if len(ps) != 1 {
		t.Fatalf("Problems() = %v, want one", ps)
	}
	want := &rollout.LineError{Path: path, Line: 5, Reason: "torn: 14 bytes without a newline, from a write a crash interrupted", Cut: true}
	if diff := cmp.Diff(want, ps[0]); diff != "" {
		t.Errorf("torn tail problem (-want +got):\n%s", diff)
	}
}

// TestJournalHolderNoteTempFile: when the holder note cannot be renamed
// into place (a directory has its name), its temporary file is removed.
func TestJournalHolderNoteTempFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "j.jsonl")
	if err := os.MkdirAll(filepath.Join(path+".lock", "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	j, err := rollout.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	names, err := filepath.Glob(filepath.Join(dir, ".j.jsonl.lock.*"))
	if err != nil || len(names) != 0 {
		t.Errorf("temporary holder notes left behind: %v %v", names, err)
	}
	_, err = rollout.OpenJournal(path)
	if err == nil || !strings.Contains(err.Error(), "held by another process") {
		t.Errorf("second OpenJournal = %v, want the holder unnamed", err)
	}
}
