package browsertest

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nsdist/nsdist/examples/connect/connectapp"
)

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("NSDIST_REQUIRE_BROWSER") != "" {
		t.Fatal("NSDIST_REQUIRE_BROWSER is set but no Chromium is installed (Debian: apt-get install chromium)")
	}
	t.Skip("browser test skipped: no Chromium on PATH (Debian: apt-get install chromium); .ci/run installs it")
	return ""
}

// Click Connect, Allow on the fake consent page, land back on the app:
// Enabled, or waiting for approval with the administrator's step; for both
// channels (OAuth 2.0 code grant, TBA three-step flow) and both preferences.
func TestConnectInChromium(t *testing.T) {
	exe := chromium(t)
	for _, c := range []struct {
		auth     string
		approval bool
	}{{"oauth2", false}, {"oauth2", true}, {"tba", false}, {"tba", true}} {
		auth, approval := c.auth, c.approval
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://localhost:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")
		app, err := connectapp.NewApp(base, connectapp.Config{Auth: auth, RequireApproval: approval})
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: app}
		go srv.Serve(ln) //nolint:errcheck

		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()))
		actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
		ctx, cancel := chromedp.NewContext(actx)
		ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
		var headline, next string
		var shot []byte
		err = chromedp.Do(ctx,
			chromedp.Navigate(base+"/"),
			chromedp.Click(chromedp.ID("signin")),
			chromedp.WaitVisible(chromedp.ID("connect")),
			chromedp.Click(chromedp.ID("connect")),
			chromedp.WaitVisible(chromedp.ID("allow")),
			chromedp.Click(chromedp.ID("allow")),
			chromedp.WaitVisible(chromedp.ID("headline")),
		)
		if err == nil {
			headline, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("headline")))
		}
		if err == nil {
			shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		}
		if err == nil && approval {
			next, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("next")))
		}
		cancelTimeout()
		cancel()
		cancelAlloc()
		srv.Close()
		app.Close()
		if err != nil {
			t.Fatalf("%s approval=%v: %v", auth, approval, err)
		}
		want := map[string]map[bool]string{
			"oauth2": {false: "Connected: Enabled", true: "Connected: waiting for approval"},
			"tba":    {false: "Connected: Enabled", true: "Connected: waiting for approval"},
		}[auth][approval]
		if headline != want {
			t.Errorf("%s approval=%v: headline %q, want %q", auth, approval, headline, want)
		}
		if approval && !strings.Contains(next, "must open Setup > Integration > Manage Integrations") {
			t.Errorf("%s: next step %q", auth, next)
		}
		if len(shot) < 1000 {
			t.Errorf("screenshot is %d bytes", len(shot))
		}
		dir := os.Getenv("NSDIST_SCREENSHOT_DIR")
		if dir == "" {
			dir = t.TempDir()
		}
		name := "connect-" + auth + "-" + map[bool]string{false: "enabled", true: "waiting"}[approval] + ".png"
		if err := os.WriteFile(filepath.Join(dir, name), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
