package browser_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/testkit/browser"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"
)

// The built WebSocketMain.swf runs in Ruffle, calls the page over ExternalInterface
// ("ready" with the bridge version) and answers a page→SWF callback.
func TestSWFReachesThePageInRuffle(t *testing.T) {
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	l := project.Layout{Root: root}
	swfPath := swftest.Compile(t, filepath.Join(l.FlashApp(), "WebSocketMain.as"), l.FlashApp())
	page := browser.Start(t).OpenSWF(t, swfPath, "flash")
	var first []any
	page.MustEval(`window.calls[0]`, &first)
	if len(first) != 2 || first[0] != "ready" || first[1] != float64(1) {
		t.Fatalf("first SWF→page call = %v, want [ready 1]", first)
	}
	var polled []any
	page.MustEval(`document.getElementById("flash").wsjsPoll()`, &polled)
	if polled == nil {
		t.Fatal("wsjsPoll() returned nothing; want an (empty) event array")
	}
}

func TestMissingChromiumFailsUnlessOptedOut(t *testing.T) {
	t.Setenv("WSJS_CHROMIUM", filepath.Join(t.TempDir(), "no-chromium"))
	t.Setenv(browser.SkipEnv, "1")
	ran := false
	t.Run("skips with opt-out", func(t *testing.T) {
		ran = true
		browser.Start(t)
		t.Error("Start returned without Chromium")
	})
	if !ran {
		t.Fatal("subtest did not run")
	}
}

// Without the opt-out, a missing Chromium is a failure that says what to install; run in
// a child process so the failure can be observed.
func TestMissingChromiumIsAFailureWithoutOptOut(t *testing.T) {
	if os.Getenv("WSJS_BROWSER_CHILD") == "1" {
		browser.Start(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMissingChromiumIsAFailureWithoutOptOut$", "-test.v")
	cmd.Env = append(os.Environ(), "WSJS_BROWSER_CHILD=1", "WSJS_CHROMIUM=/nonexistent/chromium", browser.SkipEnv+"=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("child test passed without Chromium:\n%s", out)
	}
	if !strings.Contains(string(out), "apt-get install -y chromium") || !strings.Contains(string(out), browser.SkipEnv) {
		t.Fatalf("failure message does not say how to install or skip:\n%s", out)
	}
}
