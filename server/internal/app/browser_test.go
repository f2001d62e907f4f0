package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/browser"
)

// echoScript opens a native WebSocket to url, sends a text and a binary
// message and resolves with what came back (or with the failure).
const echoScript = `new Promise(resolve => {
  const ws = new WebSocket(%q, ["chat"]);
  ws.binaryType = "arraybuffer";
  const got = [];
  ws.onopen = () => { ws.send("héllo ☃"); ws.send(new Uint8Array([0, 1, 254, 255]).buffer); };
  ws.onmessage = e => {
    got.push(typeof e.data === "string" ? e.data : Array.from(new Uint8Array(e.data)).join(","));
    if (got.length === 2) { ws.close(1000); resolve({protocol: ws.protocol, got}); }
  };
  ws.onclose = e => resolve({closed: e.code, got});
})`

type echoResult struct {
	Protocol string   `json:"protocol"`
	Got      []string `json:"got"`
	Closed   int      `json:"closed"`
}

func TestChromiumNativeWebSocketEcho(t *testing.T) {
	b := browser.Start(t)
	dist := t.TempDir()
	os.WriteFile(filepath.Join(dist, "blank.html"), []byte("<!doctype html><title>blank</title>"), 0o644)
	cfg := testConfig(t, "-subprotocols", "chat")
	cfg.Dist = dist
	s := start(t, cfg)

	page := b.Open(t, s.URL()+"blank.html")
	page.WaitFor(t, "document.title === 'blank'", 30*time.Second)
	for _, path := range []string{"/", EchoPath} {
		var res echoResult
		page.MustEval(fmt.Sprintf(echoScript, s.WSURL(path)), &res)
		if res.Protocol != "chat" || len(res.Got) != 2 || res.Got[0] != "héllo ☃" || res.Got[1] != "0,1,254,255" {
			t.Fatalf("Chromium echo on %s: %+v", path, res)
		}
	}
}

func TestChromiumForeignOriginRefused(t *testing.T) {
	b := browser.Start(t)
	s := start(t, testConfig(t))
	// A page on another port is another origin.
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>foreign</title>")
	}))
	defer foreign.Close()
	page := b.Open(t, foreign.URL+"/")
	page.WaitFor(t, "document.title === 'foreign'", 30*time.Second)
	var res echoResult
	page.MustEval(fmt.Sprintf(echoScript, s.WSURL("/")), &res)
	if res.Closed != 1006 || len(res.Got) != 0 {
		t.Fatalf("foreign origin: want the handshake refused (close 1006, no echo), got %+v", res)
	}
}
