package flashsrc_test

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/ruffleproxy"
	"github.com/web-socket-js/web-socket-js/internal/testkit/browser"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"
)

// TestSendManyInRuffle checks the optional wsjsSendMany callback (BRIDGE.md) of the real
// WebSocketMain.swf: "ready" announces it, each message gets what wsjsSend would have
// returned, and the peer receives the good ones, in order.
func TestSendManyInRuffle(t *testing.T) {
	b := browser.Start(t)
	l := layout(t)
	swfPath := swftest.Compile(t, filepath.Join(l.FlashApp(), "WebSocketMain.as"), l.FlashApp())
	p := startPeer(t)
	target := fmt.Sprintf("127.0.0.1:%d", p.port())
	site := browser.NewSite(t)
	site.Handle("/ruffle-socket", &ruffleproxy.Handler{Allow: []string{target}})
	site.File("/WebSocketMain.swf", swfPath)
	// pageBridge (bridgePage) keeps the version; the features string is kept here.
	site.HTML("/", `<!doctype html><html><head>`+
		browser.RuffleHead(browser.SocketProxy{Host: "127.0.0.1", Port: p.port(), ProxyURL: site.WSURL("/ruffle-socket?target=" + target)})+
		bridgePage+`<script>var basicBridge = pageBridge;
pageBridge = function (kind, arg, features) { if (kind === "ready") window.readyFeatures = features; return basicBridge(kind, arg); };</script>`+
		`</head><body>`+browser.EmbedSWF("ws", "/WebSocketMain.swf", "bridge=pageBridge")+`</body></html>`)
	page := b.Open(t, site.URL+"/")
	page.WaitFor(t, "window.readyVersion", 30*time.Second)
	var features string
	page.MustEval("String(window.readyFeatures)", &features)
	if features != "sendMany" {
		t.Fatalf(`"ready" announced features %q, want "sendMany"`, features)
	}
	d := &driver{t: t, page: page, peer: p}
	sendMany := func(id int, items ...string) []int {
		t.Helper()
		var res []int
		d.call(&res, "wsjsSendMany", id, items)
		return res
	}

	id := d.open("/echo", "many")
	d.waitEvents(id, 1)
	b64 := base64.StdEncoding.EncodeToString
	got := sendMany(id, "t", esc("one"), "b", b64([]byte{1, 2, 3}), "t", esc("drei \u00e9"),
		"x", "unknown kind", "b", "not base64!", "t", esc(""), "t", "bad%esc")
	if want := []int{3, 3, 7, -1, -1, 0, -1}; !reflect.DeepEqual(got, want) {
		t.Errorf("wsjsSendMany returned %v, want %v", got, want)
	}
	evs := d.waitEvents(id, 5)
	if s, want := summary(evs), "open() message:t:one message:b:"+b64([]byte{1, 2, 3})+" message:t:drei \u00e9 message:t:"; s != want {
		t.Errorf("echoes: %s, want %s", s, want)
	}
	if got := sendMany(id); len(got) != 0 {
		t.Errorf("wsjsSendMany with no items returned %v", got)
	}
	if got := sendMany(id, "t"); len(got) != 0 {
		t.Errorf("wsjsSendMany with a kind but no data returned %v", got)
	}
	if got := sendMany(999999, "t", "a", "t", "b"); !reflect.DeepEqual(got, []int{-1, -1}) {
		t.Errorf("wsjsSendMany on an unknown id returned %v, want [-1 -1]", got)
	}
	d.call(nil, "wsjsClose", id, 1000, "")
	d.waitClosed(id)
	if got := sendMany(id, "t", "late"); !reflect.DeepEqual(got, []int{-1}) {
		t.Errorf("wsjsSendMany after close returned %v, want [-1]", got)
	}
	evs = d.events(id)
	if s, want := summary(evs), "open() message:t:one message:b:"+b64([]byte{1, 2, 3})+" message:t:drei \u00e9 message:t: close(true,1000,)"; s != want {
		t.Errorf("events: %s, want %s", s, want)
	}
	// Each refused message is reported once, as wsjsSend reports it.
	var logged int
	for _, e := range evs {
		if e.Type == "log" && e.Level == "error" {
			logged++
		}
	}
	if logged != 3 {
		t.Errorf("%d error log events for 3 refused messages", logged)
	}
}
