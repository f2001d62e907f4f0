package flashsrc_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/testkit/browser"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"
)

// TestInRuffle starts Chromium once for every browser test of this package: the AS3 unit
// tests and the end-to-end runs of WebSocketMain.swf.
func TestInRuffle(t *testing.T) {
	b := browser.Start(t)
	t.Run("AS3 unit tests", func(t *testing.T) { runUnitTests(t, b) })
	t.Run("end to end", func(t *testing.T) { runEndToEnd(t, b) })
	t.Run("insecure entry point", func(t *testing.T) { runInsecureEntry(t, b) })
}

// runInsecureEntry: WebSocketMainInsecure.swf (allowDomain("*")) starts the same bridge.
func runInsecureEntry(t *testing.T, b *browser.Browser) {
	l := layout(t)
	swfPath := swftest.Compile(t, filepath.Join(l.FlashApp(), "WebSocketMainInsecure.as"), l.FlashApp())
	page := b.OpenSWF(t, swfPath, "ws")
	var first []any
	page.MustEval(`window.calls[0]`, &first)
	if len(first) != 2 || first[0] != "ready" || first[1] != float64(1) {
		t.Fatalf("first call from WebSocketMainInsecure.swf = %v, want [ready 1]", first)
	}
	var res string
	page.MustEval(`document.getElementById("ws").wsjsCreate(1, "ftp://x/", "", "", "", "", "", 0)`, &res)
	if !strings.Contains(res, "not a ws://") {
		t.Errorf("wsjsCreate on the insecure SWF returned %q", res)
	}
}

func layout(t *testing.T) project.Layout {
	t.Helper()
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	return project.Layout{Root: root}
}

// runUnitTests compiles flash-src/test/TestMain.as against the real sources, runs it in
// Ruffle and fails with every AS3 assertion that failed.
func runUnitTests(t *testing.T, b *browser.Browser) {
	l := layout(t)
	swfPath := swftest.Compile(t, filepath.Join(l.FlashSrc(), "test", "TestMain.as"), l.FlashApp(), filepath.Join(l.FlashSrc(), "test"))
	site := browser.NewSite(t)
	site.File("/TestMain.swf", swfPath)
	site.HTML("/", `<!doctype html><html><head>`+browser.RuffleHead()+`
<script>window.result = null; function wsjsTestsDone(passed, failures) { window.result = {passed: passed, failures: failures}; }</script>
</head><body>`+browser.EmbedSWF("tests", "/TestMain.swf", "")+`</body></html>`)
	page := b.Open(t, site.URL+"/")
	page.WaitFor(t, `window.result`, 90*time.Second)
	var res struct {
		Passed   int      `json:"passed"`
		Failures []string `json:"failures"`
	}
	page.MustEval(`window.result`, &res)
	t.Logf("AS3 assertions passed: %d, failed: %d", res.Passed, len(res.Failures))
	if len(res.Failures) > 0 {
		t.Errorf("%d AS3 assertion(s) failed:\n  %s", len(res.Failures), strings.Join(res.Failures, "\n  "))
	}
	// The suites hold a few hundred assertions; far fewer means a suite stopped early.
	if res.Passed < 300 {
		t.Errorf("only %d AS3 assertions passed; a suite did not run to the end", res.Passed)
	}
}
