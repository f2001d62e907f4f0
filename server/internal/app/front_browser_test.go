package app

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/ruffleproxy"
	"github.com/web-socket-js/web-socket-js/internal/testkit/browser"
	"github.com/web-socket-js/web-socket-js/internal/testkit/nodeecho"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"
)

// swfDriverPage drives WebSocketMain.swf through its bridge (flash-src/BRIDGE.md)
// with plain ASCII strings, which esc leaves as they are.
const swfDriverPage = `<script>
window.ready = false; window.events = [];
function pageBridge(kind, arg) {
  if (kind === "ready") { window.ready = true; return; }
  if (kind === "notify") setTimeout(pump, 0);
}
function pump() {
  var evs = document.getElementById("ws").wsjsPoll();
  for (var i = 0; i < evs.length; i++) window.events.push(evs[i]);
}
function ofType(id, type) { return window.events.filter(function (e) { return e.id === id && e.type === type; }); }
</script>`

type swfEvent struct {
	Type string `json:"type"`
	Kind string `json:"kind"`
	Data string `json:"data"`
	Code int    `json:"code"`
}

// The real SWF in Ruffle connects to the front's port (Ruffle's socket
// proxy → bridge → front), and the front relays it to a Go and to a Node
// upstream, which echo.
func TestRuffleSWFThroughTheFront(t *testing.T) {
	b := browser.Start(t)
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	l := project.Layout{Root: root}
	swf := swftest.Compile(t, filepath.Join(l.FlashApp(), "WebSocketMain.as"), l.FlashApp())

	fronts := map[string]*Front{"gorilla": startFront(t, goUpstream(t)), "node ws": startFront(t, nodeecho.Start(t))}
	site := browser.NewSite(t)
	var allow []string
	var proxies []browser.SocketProxy
	for _, f := range fronts {
		allow = append(allow, f.Addr())
		host, port, _ := net.SplitHostPort(f.Addr())
		n, _ := strconv.Atoi(port)
		proxies = append(proxies, browser.SocketProxy{Host: host, Port: n, ProxyURL: site.WSURL("/ruffle-socket?target=" + f.Addr())})
	}
	site.Handle("/ruffle-socket", &ruffleproxy.Handler{Allow: allow, Logger: quiet()})
	site.File("/WebSocketMain.swf", swf)
	site.HTML("/", `<!doctype html><html><head>`+browser.RuffleHead(proxies...)+swfDriverPage+
		`</head><body>`+browser.EmbedSWF("ws", "/WebSocketMain.swf", "bridge=pageBridge")+`</body></html>`)
	page := b.Open(t, site.URL+"/")
	page.WaitFor(t, "window.ready", 30*time.Second)

	id := 0
	for name, f := range fronts {
		id++
		t.Run(name, func(t *testing.T) {
			var res string
			page.MustEval(fmt.Sprintf(`document.getElementById("ws").wsjsCreate(%d, "ws://%s/", "", %q, "", "", "", 0)`, id, f.Addr(), site.URL), &res)
			if res != "" {
				t.Fatalf("wsjsCreate: %s", res)
			}
			page.WaitFor(t, fmt.Sprintf(`ofType(%d, "open").length > 0 || ofType(%d, "close").length > 0`, id, id), 30*time.Second)
			page.MustEval(fmt.Sprintf(`document.getElementById("ws").wsjsSend(%d, "t", "hello through the front")`, id), nil)
			page.MustEval(fmt.Sprintf(`document.getElementById("ws").wsjsSend(%d, "b", "AAH+/w==")`, id), nil)
			page.WaitFor(t, fmt.Sprintf(`ofType(%d, "message").length >= 2 || ofType(%d, "close").length > 0`, id, id), 30*time.Second)
			var msgs []swfEvent
			page.MustEval(fmt.Sprintf(`ofType(%d, "message")`, id), &msgs)
			if len(msgs) != 2 || msgs[0].Kind != "t" || msgs[0].Data != "hello through the front" || msgs[1].Kind != "b" || msgs[1].Data != "AAH+/w==" {
				var all []swfEvent
				page.MustEval(`window.events`, &all)
				t.Fatalf("echo through the front to %s: %+v (all events %+v)", name, msgs, all)
			}
			page.MustEval(fmt.Sprintf(`document.getElementById("ws").wsjsClose(%d, 1000, "")`, id), nil)
			page.WaitFor(t, fmt.Sprintf(`ofType(%d, "close").length > 0`, id), 30*time.Second)
		})
	}
}
