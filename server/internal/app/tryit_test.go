package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/jsbundle"
	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/ruffle"
	"github.com/web-socket-js/web-socket-js/internal/testkit/browser"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"

	"github.com/web-socket-js/web-socket-js/internal/testkit/syncbuf"
)

// tryItDist builds what the try-it page needs into a temporary dist: the
// page itself, the bundled shim and the compiled SWF.
func tryItDist(t *testing.T) string {
	t.Helper()
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	l := project.Layout{Root: root}
	dist := t.TempDir()
	swf := swftest.Compile(t, filepath.Join(l.FlashApp(), "WebSocketMain.as"), l.FlashApp())
	copyFile(t, swf, filepath.Join(dist, "WebSocketMain.swf"))
	copyFile(t, filepath.Join(l.JS(), "sample.html"), filepath.Join(dist, "sample.html"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := jsbundle.Build(ctx, jsbundle.Options{JSDir: l.JS(), OutDir: dist, Version: "0.0.0-test"}); err != nil {
		t.Fatalf("bundling js/: %v", err)
	}
	return dist
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// The try-it page, served by the real server, in headless Chromium: type,
// send and see the echo, with the browser's WebSocket and with
// WebSocketMain.swf in Ruffle reaching the server through the bridge.
func TestTryItPageBothModes(t *testing.T) {
	b := browser.Start(t)
	dist := tryItDist(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ruffleDir, err := ruffle.Dir(ctx)
	if err != nil {
		t.Fatalf("Ruffle: %v", err)
	}
	cfg := testConfig(t, "-ruffle-dir", ruffleDir)
	cfg.Dist = dist
	logs := &syncBuffer{}
	s := startLogged(t, cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))

	for _, mode := range []struct{ name, query, impl string }{
		{"native", "", "browser's own"},
		{"flash", "?mode=flash", "web_socket.js"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			page := b.Open(t, s.URL()+mode.query)
			page.WaitFor(t, fmt.Sprintf(`document.getElementById("impl").textContent.indexOf(%q) >= 0`, mode.impl), 30*time.Second)
			page.MustEval(`document.getElementById("connect").click()`, nil)
			page.WaitFor(t, `document.getElementById("state").textContent === "open"`, 60*time.Second)
			msg := "echo me, " + mode.name + " ☃"
			page.MustEval(fmt.Sprintf(`document.getElementById("message").value = %q; document.getElementById("send").click()`, msg), nil)
			page.WaitFor(t, fmt.Sprintf(`document.getElementById("log").textContent.indexOf("\u2190 " + %q) >= 0`, msg), 30*time.Second)
			page.MustEval(`document.getElementById("disconnect").click()`, nil)
			page.WaitFor(t, `document.getElementById("log").textContent.indexOf("closed: code 1000") >= 0`, 30*time.Second)
		})
	}
	// The Flash mode really went SWF → Ruffle → bridge → this server.
	if !strings.Contains(logs.String(), "ruffle bridge: open") {
		t.Fatalf("the Flash mode never used the bridge; server log:\n%s", logs.String())
	}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer = syncbuf.Buffer
