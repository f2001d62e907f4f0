// Package browser is the test harness for everything that runs in a page: it starts
// headless Chromium, serves pages (with the pinned Ruffle) from 127.0.0.1, and lets a
// test evaluate script in them.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// SkipEnv, set to 1, turns "Chromium is missing" from a failure into a skip.
const SkipEnv = "WSJS_SKIP_BROWSER"

// ChromiumPath is the browser the tests drive; $WSJS_CHROMIUM overrides it.
func ChromiumPath() string {
	if p := os.Getenv("WSJS_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// Browser is one headless Chromium process.
type Browser struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// Start launches Chromium for t and stops it when t ends. Without Chromium the test fails
// with a clear message, unless WSJS_SKIP_BROWSER=1 says to skip browser tests.
func Start(t testing.TB) *Browser {
	t.Helper()
	path := ChromiumPath()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv(SkipEnv) == "1" {
			t.Skipf("skipping browser test: no Chromium at %s and %s=1", path, SkipEnv)
		}
		t.Fatalf("browser tests need headless Chromium at %s (install: apt-get install -y chromium; other path: WSJS_CHROMIUM=...); set %s=1 to skip them", path, SkipEnv)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("mute-audio", true),
		// Pages served over https by tests use a throwaway certificate (httptest's).
		chromedp.Flag("ignore-certificate-errors", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("starting Chromium at %s: %v", path, err)
	}
	b := &Browser{ctx: ctx, cancel: func() { cancelCtx(); cancelAlloc() }}
	t.Cleanup(b.cancel)
	return b
}

// Page is one browser tab.
type Page struct {
	t    testing.TB
	ctx  context.Context
	mu   sync.Mutex
	logs []string
}

// Open loads url in a new tab, closed when t ends. Console output and uncaught page
// exceptions are collected (Logs) and printed when the test fails.
func (b *Browser) Open(t testing.TB, url string) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	p := &Page{t: t, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("page console (%s):\n  %s", url, strings.Join(p.Logs(), "\n  "))
		}
		cancel()
	})
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	if err := chromedp.Listen(ctx, p.collect); err != nil {
		t.Fatalf("listening to the tab: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	return p
}

func (p *Page) collect(ev any) {
	var line string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		parts := make([]string, 0, len(e.Args))
		for _, a := range e.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		line = string(e.Type) + ": " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		line = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			line += " " + e.ExceptionDetails.Exception.Description
		}
	default:
		return
	}
	p.mu.Lock()
	p.logs = append(p.logs, line)
	p.mu.Unlock()
}

// Logs returns the console lines and exceptions seen so far.
func (p *Page) Logs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.logs...)
}

// Eval evaluates a script expression in the page, awaiting it when it is a promise, and
// stores its JSON value in out (which may be nil).
func (p *Page) Eval(expr string, out any) error {
	raw, err := chromedp.Run(p.ctx, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise))
	if errors.Is(err, chromedp.ErrJSUndefined) || errors.Is(err, chromedp.ErrJSNull) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("evaluating %q: %w", shorten(expr), err)
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// MustEval is Eval that fails the test on error.
func (p *Page) MustEval(expr string, out any) {
	p.t.Helper()
	if err := p.Eval(expr, out); err != nil {
		p.t.Fatal(err)
	}
}

// WaitFor polls a script expression until it is truthy, failing the test after timeout.
func (p *Page) WaitFor(t testing.TB, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := p.Eval("!!("+expr+")", &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s (last error: %v)", timeout, shorten(expr), err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func shorten(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
