package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The operator's OAuth 2.0 path, whole, as separate processes: the fake
// NetSuite server (examples/fakenetsuite), two customers authorizing
// through examples/oauth2 in Chromium (one account requires approval),
// `rollout -targets` over the shared token store, an administrator's
// approval through the fake's admin API, and a re-run with the journal.
func TestOperatorPathInChromium(t *testing.T) {
	exe := chromium(t)
	bin := buildExamples(t, "fakenetsuite", "oauth2", "rollout")
	dir := t.TempDir()
	cbPort := freePort(t)
	cfg, err := os.ReadFile("../../fakenetsuite/testdata/config.json")
	if err != nil {
		t.Fatal(err)
	}
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", cbPort)
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, bytes.ReplaceAll(cfg, []byte("http://127.0.0.1:8910/callback"), []byte(redirect)), 0o600); err != nil {
		t.Fatal(err)
	}
	base := startFake(t, filepath.Join(bin, "fakenetsuite"), cfgPath)
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 7)
	}
	env := append(os.Environ(), "NSDIST_STORE_KEY="+base64.StdEncoding.EncodeToString(key))
	store := "sqlite:" + filepath.Join(dir, "tokens.db")
	const clientID = "ade913a8501deb5208baf793b5c53366a56c6e1b4b5e27ac20d45af9df1fdf98" // Acme Mobile, a public client

	var tokens []string
	for _, c := range []struct {
		account, email, password string
		exit                     int
		state                    string
	}{
		{"1234567", "admin@enabled.example", "enabled-pw", 0, "state: Enabled"},
		{"7654321", "admin@waiting.example", "waiting-pw", 3, "state: not enabled: "},
	} {
		cmd := exec.Command(filepath.Join(bin, "oauth2"), "-netsuite-base", base, "-client-id", clientID, "-account", c.account,
			"-redirect", redirect, "-listen", fmt.Sprintf("127.0.0.1:%d", cbPort), "-store", store, "-tenant", "acme")
		cmd.Env = env
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stderr)
		var open string
		var seen []string
		for lines.Scan() {
			seen = append(seen, lines.Text())
			if u, ok := strings.CutPrefix(lines.Text(), "open: "); ok {
				open = u
				break
			}
		}
		if open == "" {
			t.Fatalf("%s: no authorize URL on stderr:\n%s", c.account, strings.Join(seen, "\n"))
		}
		consentInChromium(t, exe, open, c.email, c.password)
		rest, _ := io.ReadAll(stderr)
		err = cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		out := strings.Join(seen, "\n") + "\n" + string(rest)
		if code != c.exit || !strings.Contains(out, c.state) {
			t.Fatalf("%s: exit %d (%v), want %d and %q:\n%s", c.account, code, err, c.exit, c.state, out)
		}
		var tok struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &tok); err != nil || tok.Access == "" || tok.Refresh == "" {
			t.Fatalf("%s: token JSON %q: %v", c.account, stdout.String(), err)
		}
		tokens = append(tokens, tok.Access, tok.Refresh)
	}

	targets := filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(targets, []byte("account,label,auth,credentials\n1234567,Enabled Co,oauth2,acme\n7654321,Waiting Co,oauth2,acme\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rolloutRun := func(report string) (int, map[string]int, string) {
		cmd := exec.Command(filepath.Join(bin, "rollout"), "-targets", targets, "-record-name", "Acme Mobile", "-tokens", store,
			"-client-id", clientID, "-netsuite-base", base, "-journal", filepath.Join(dir, "rollout.jsonl"), "-report", report)
		cmd.Env = env
		out, _ := cmd.CombinedOutput()
		var rep struct {
			Counts      map[string]int `json:"counts"`
			FromJournal int            `json:"from_journal"`
		}
		b, err := os.ReadFile(report)
		if err == nil {
			err = json.Unmarshal(b, &rep)
		}
		if err == nil && rep.Counts == nil {
			err = fmt.Errorf("no counts")
		}
		if err != nil {
			t.Fatalf("report %s: %v\n%s", report, err, out)
		}
		rep.Counts["from_journal"] = rep.FromJournal
		return cmd.ProcessState.ExitCode(), rep.Counts, string(out)
	}
	code, counts, out := rolloutRun(filepath.Join(dir, "first.json"))
	if code != 0 || counts["enabled"] != 1 || counts["awaiting_approval"] != 1 {
		t.Fatalf("first rollout: exit %d, counts %v\n%s", code, counts, out)
	}
	approve(t, base, "7654321", "Acme Mobile")
	code, counts, out = rolloutRun(filepath.Join(dir, "second.json"))
	if code != 0 || counts["enabled"] != 2 || counts["awaiting_approval"] != 0 || counts["from_journal"] != 1 {
		t.Fatalf("re-run after the approval: exit %d, counts %v\n%s", code, counts, out)
	}
	for _, f := range []string{"tokens.db", "tokens.db-wal"} {
		raw, _ := os.ReadFile(filepath.Join(dir, f))
		for _, tok := range tokens {
			if bytes.Contains(raw, []byte(tok[len(tok)-40:])) {
				t.Errorf("%s holds a token in clear", f)
			}
		}
	}
}

// consentInChromium opens the authorize URL, signs in on the fake's page
// and allows; the browser then lands on the CLI's loopback listener.
func consentInChromium(t *testing.T, exe, authorize, email, password string) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()
	err := chromedp.Do(ctx,
		chromedp.Navigate(authorize),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SetValue(chromedp.ID("email"), email),
		chromedp.SetValue(chromedp.ID("password"), password),
	)
	// Click Allow (Log In, then Allow when a consent page follows) once per
	// page: the marker set with each click is gone once the next page loaded.
	const clickOnce = `(() => { const b = document.getElementById('allow'); if (!b || window.nsdistClicked) return 0; window.nsdistClicked = true; b.click(); return 1 })()`
	landed := ""
	for i := 0; err == nil && i < 300; i++ {
		if landed, err = chromedp.Run(ctx, chromedp.Location()); err != nil || strings.Contains(landed, "/callback") {
			break
		}
		if _, err = chromedp.Run(ctx, chromedp.Evaluate[int](clickOnce)); err != nil && ctx.Err() == nil {
			err = nil // the page was navigating away
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || !strings.Contains(landed, "/callback") {
		t.Fatalf("consent in Chromium: landed on %q: %v", landed, err)
	}
}

// buildExamples builds the main module's example commands into a
// temporary directory.
func buildExamples(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(os.PathSeparator)}
	for _, n := range names {
		args = append(args, "./examples/"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = "../../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// startFake starts the fake NetSuite server and returns its base URL.
func startFake(t *testing.T, exe, config string) string {
	t.Helper()
	cmd := exec.Command(exe, "-config", config, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("fakenetsuite said %q (%v):\n%s", line, err, stderr.String())
	}
	return base
}

// approve sets the record's State in the account to Enabled, as its
// administrator would, through the fake's admin API.
func approve(t *testing.T, base, account, record string) {
	t.Helper()
	u := base + "/_fake/accounts/" + account + "/integrations/" + strings.ReplaceAll(record, " ", "%20") + "/state"
	resp, err := http.Post(u, "application/json", strings.NewReader(`{"state":"Enabled"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("approve: %d %s", resp.StatusCode, b)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
