package js_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/ruffleproxy"
	"github.com/web-socket-js/web-socket-js/internal/testkit/browser"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"
)

// echoPeer is the WebSocket server of the browser tests (coder/websocket on 127.0.0.1): it
// echoes every message, offers the subprotocols "chat" and "superchat", and closes with
// code C and reason R when it receives the text "close:C:R". It counts handshakes from the
// SWF (which sends no User-Agent) and from the browser itself, so tests can tell which
// implementation reached it.
type echoPeer struct{ flash, native atomic.Int64 }

func (p *echoPeer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("User-Agent") == "" {
		p.flash.Add(1)
	} else {
		p.native.Add(1)
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{"chat", "superchat"},
		// The Flash socket's Origin is the test page, on another port.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(8 << 20)
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		if rest, ok := strings.CutPrefix(string(data), "close:"); ok && typ == websocket.MessageText {
			code, reason, _ := strings.Cut(rest, ":")
			n, _ := strconv.Atoi(code)
			c.Close(websocket.StatusCode(n), reason)
			return
		}
		if err := c.Write(ctx, typ, data); err != nil {
			return
		}
	}
}

// flashEnv is one Chromium, one site (Ruffle, the bundled shim, the real SWF, Ruffle's
// socket bridge) and one echo peer, shared by the pages of a test.
type flashEnv struct {
	b        *browser.Browser
	site     *browser.Site
	peerPort int
	peer     *echoPeer
	swf      string // the compiled WebSocketMain.swf
	dist     string // the bundled shim
}

func startFlashEnv(t testing.TB) *flashEnv {
	t.Helper()
	b := browser.Start(t)
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	app := project.Layout{Root: root}.FlashApp()
	swfPath := swftest.Compile(t, filepath.Join(app, "WebSocketMain.as"), app)
	dist := bundle(t)

	e := &flashEnv{b: b, swf: swfPath, dist: dist, peer: &echoPeer{}}
	srv := httptest.NewServer(e.peer)
	t.Cleanup(srv.Close)
	e.peerPort = srv.Listener.Addr().(*net.TCPAddr).Port
	e.site = e.newSite(t, fmt.Sprintf("127.0.0.1:%d", e.peerPort))
	return e
}

// newSite starts a site serving Ruffle, the shim, the SWF and the stand-in swfobject.js
// (at / and /dropin/), with Ruffle's socket bridge allowed to reach target.
func (e *flashEnv) newSite(t testing.TB, target string) *browser.Site {
	site := browser.NewSite(t)
	site.Handle("/ruffle-socket", &ruffleproxy.Handler{Allow: []string{target}})
	for _, dir := range []string{"", "/dropin"} {
		site.File(dir+"/WebSocketMain.swf", e.swf)
		site.File(dir+"/web_socket.js", filepath.Join(e.dist, "web_socket.js"))
		site.File(dir+"/web_socket.min.js", filepath.Join(e.dist, "web_socket.min.js"))
		site.File(dir+"/web_socket.mjs", filepath.Join(e.dist, "web_socket.mjs"))
		site.File(dir+"/swfobject.js", filepath.Join("test", "swfobject.js"))
	}
	return site
}

func (e *flashEnv) peerURL() string { return fmt.Sprintf("ws://127.0.0.1:%d/", e.peerPort) }

func (e *flashEnv) ruffleHead() string {
	target := fmt.Sprintf("127.0.0.1:%d", e.peerPort)
	return browser.RuffleHead(browser.SocketProxy{Host: "127.0.0.1", Port: e.peerPort,
		ProxyURL: e.site.WSURL("/ruffle-socket?target=" + target)})
}

// helpersJS are the test page's promise helpers, each bounded by a timeout.
const helpersJS = `<script>
var logs = [];
window.WEB_SOCKET_LOGGER = { log: function (m) { logs.push(m); console.log(m); }, error: function (m) { logs.push("ERROR " + m); console.error(m); } };
function within(p, what, ms) {
  return Promise.race([p, new Promise(function (_, reject) { setTimeout(function () { reject(new Error("timed out: " + what)); }, ms || 20000); })]);
}
function opened(ws) {
  return within(new Promise(function (resolve, reject) {
    ws.addEventListener("open", function () { resolve(ws); });
    ws.addEventListener("close", function (e) { reject(new Error("closed before open: " + e.code + " " + e.reason)); });
  }), "open " + ws.url);
}
function messages(ws, n) {
  var got = [];
  return within(new Promise(function (resolve, reject) {
    ws.addEventListener("message", function on(e) {
      got.push(e.data);
      if (got.length === n) { ws.removeEventListener("message", on); resolve(got); }
    });
    ws.addEventListener("close", function (e) { reject(new Error("closed after " + got.length + " of " + n + " messages: " + e.code)); });
  }), n + " messages on " + ws.url);
}
function closed(ws) {
  return within(new Promise(function (resolve) {
    ws.addEventListener("close", function (e) {
      resolve({ type: e.type, code: e.code, reason: e.reason, wasClean: e.wasClean, readyState: ws.readyState, target: e.target === ws });
    });
  }), "close " + ws.url);
}
async function bytes(data) {
  if (data instanceof Blob) data = await data.arrayBuffer();
  return Array.from(new Uint8Array(data));
}
</script>`

// flashPage serves and opens a page that forces the Flash implementation (the minified
// build) with Ruffle, then waits until window.WebSocket is the shim.
func (e *flashEnv) flashPage(t *testing.T, path, extraHead string) *browser.Page {
	t.Helper()
	e.site.HTML(path, `<!doctype html><html><head><meta charset="utf-8">`+e.ruffleHead()+helpersJS+
		`<script>window.NativeWebSocket = window.WebSocket; WEB_SOCKET_FORCE_FLASH = true; WEB_SOCKET_SWF_LOCATION = "/WebSocketMain.swf";</script>`+
		extraHead+`<script src="/web_socket.min.js"></script></head><body></body></html>`)
	p := e.b.Open(t, e.site.URL+path)
	p.WaitFor(t, "window.WebSocket && window.WebSocket.__isFlashImplementation", 20*time.Second)
	return p
}

// eval runs an async script body in the page and decodes its JSON result into out.
func eval(t *testing.T, p *browser.Page, peer, body string, out any) {
	t.Helper()
	js := "(async function () { var PEER = " + strconv.Quote(peer) + ";\n" + body + "\n})()"
	if err := p.Eval(js, out); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserFlash(t *testing.T) {
	env := startFlashEnv(t)
	p := env.flashPage(t, "/", "")
	peer := env.peerURL()

	t.Run("OpenEchoClose", func(t *testing.T) {
		flashBefore := env.peer.flash.Load()
		var got struct {
			States   []int
			Echo     []string
			URL      string
			Protocol string
			Close    map[string]any
		}
		eval(t, p, peer, `
			var ws = new WebSocket(PEER), states = [ws.readyState];
			await opened(ws);
			states.push(ws.readyState);
			var m = messages(ws, 2);
			ws.send("hello"); ws.send("world");
			var echo = await m;
			var c = closed(ws);
			ws.close();
			states.push(ws.readyState);
			var cl = await c;
			states.push(ws.readyState);
			return { States: states, Echo: echo, URL: ws.url, Protocol: ws.protocol, Close: cl };`, &got)
		if fmt.Sprint(got.States) != "[0 1 2 3]" || fmt.Sprint(got.Echo) != "[hello world]" || got.URL != peer || got.Protocol != "" {
			t.Fatalf("got %+v", got)
		}
		if got.Close["wasClean"] != true || got.Close["code"] != float64(1005) || got.Close["target"] != true {
			t.Fatalf("close() without a code: %+v, want clean 1005 (no status in the echoed close frame)", got.Close)
		}
		if env.peer.flash.Load() != flashBefore+1 || env.peer.native.Load() != 0 {
			t.Fatalf("the peer saw %d Flash and %d native handshakes, want 1 and 0", env.peer.flash.Load()-flashBefore, env.peer.native.Load())
		}
	})

	t.Run("Binary", func(t *testing.T) {
		var got struct {
			Types []string
			Bytes [][]int
		}
		eval(t, p, peer, `
			var ws = await opened(new WebSocket(PEER)), all = new Uint8Array(256);
			for (var i = 0; i < 256; i++) all[i] = i;
			ws.binaryType = "arraybuffer";
			var m = messages(ws, 4);
			ws.send(all.buffer);
			ws.send(new Uint8Array(all.buffer, 10, 5));
			ws.send(new DataView(all.buffer, 250, 6));
			ws.send(new Blob([new Uint8Array([1, 2, 3]), "xyz"]));
			var ab = await m;
			ws.binaryType = "blob";
			m = messages(ws, 2);
			ws.send(new Uint8Array([0, 255, 128]));
			ws.send(new Uint8Array(0));
			var bl = await m;
			var big = new Uint8Array(300000);
			for (i = 0; i < big.length; i++) big[i] = (i * 7919) & 255;
			ws.binaryType = "arraybuffer";
			m = messages(ws, 1);
			ws.send(big);
			var bigBack = new Uint8Array((await m)[0]), same = bigBack.length === big.length;
			for (i = 0; same && i < big.length; i++) same = bigBack[i] === big[i];
			ws.close();
			var all2 = ab.concat(bl), out = { Types: [], Bytes: [] };
			for (i = 0; i < all2.length; i++) {
				out.Types.push(all2[i] instanceof ArrayBuffer ? "ArrayBuffer" : all2[i] instanceof Blob ? "Blob" : typeof all2[i]);
				out.Bytes.push(await bytes(all2[i]));
			}
			out.Types.push(same ? "big ok" : "big differs: " + bigBack.length);
			return out;`, &got)
		wantTypes := "[ArrayBuffer ArrayBuffer ArrayBuffer ArrayBuffer Blob Blob big ok]"
		if fmt.Sprint(got.Types) != wantTypes {
			t.Fatalf("types %v, want %v", got.Types, wantTypes)
		}
		var full []int
		for i := 0; i < 256; i++ {
			full = append(full, i)
		}
		want := [][]int{full, {10, 11, 12, 13, 14}, {250, 251, 252, 253, 254, 255}, {1, 2, 3, 'x', 'y', 'z'}, {0, 255, 128}, {}}
		if fmt.Sprint(got.Bytes) != fmt.Sprint(want) {
			t.Fatalf("bytes %v, want %v", got.Bytes, want)
		}
	})

	t.Run("CloseCodesAndReasons", func(t *testing.T) {
		var got []map[string]any
		eval(t, p, peer, `
			var out = [], ws, c;
			ws = await opened(new WebSocket(PEER)); c = closed(ws); ws.close(4000, "bye \u2603"); out.push(await c);
			ws = await opened(new WebSocket(PEER)); c = closed(ws); ws.close(1000); out.push(await c);
			ws = await opened(new WebSocket(PEER)); c = closed(ws); ws.close(undefined, "reason only"); out.push(await c);
			ws = await opened(new WebSocket(PEER)); c = closed(ws); ws.send("close:4001:server says \u00e9"); out.push(await c);
			ws = await opened(new WebSocket(PEER)); c = closed(ws); ws.send("close:1001:"); out.push(await c);
			return out;`, &got)
		want := []string{"4000 bye ☃", "1000 ", "1000 reason only", "4001 server says é", "1001 "}
		for i, c := range got {
			if s := fmt.Sprintf("%v %v", c["code"], c["reason"]); s != want[i] || c["wasClean"] != true {
				t.Errorf("close %d: %v, want clean %q", i, c, want[i])
			}
		}
		if len(got) != len(want) {
			t.Fatalf("got %d closes", len(got))
		}
	})

	t.Run("Subprotocols", func(t *testing.T) {
		var got []string
		eval(t, p, peer, `
			var out = [], list = [undefined, "chat", ["nope", "superchat"], ["nope"]];
			for (var i = 0; i < list.length; i++) {
				var ws = await opened(new WebSocket(PEER, list[i]));
				out.push(ws.protocol);
				ws.close();
			}
			return out;`, &got)
		if fmt.Sprintf("%q", got) != `["" "chat" "superchat" ""]` {
			t.Fatalf("protocols %q", got)
		}
	})

	t.Run("TwentySockets", func(t *testing.T) {
		var got []string
		eval(t, p, peer, `
			var jobs = [];
			for (var i = 0; i < 20; i++) jobs.push((async function (i) {
				var ws = await opened(new WebSocket(PEER + "?n=" + i));
				var m = messages(ws, 1);
				ws.send("socket " + i);
				var echo = (await m)[0], c = closed(ws);
				ws.close(3000 + i, "done " + i);
				var cl = await c;
				return echo + "|" + cl.code + "|" + cl.reason + "|" + cl.wasClean;
			})(i));
			return await Promise.all(jobs);`, &got)
		if len(got) != 20 {
			t.Fatalf("%d results", len(got))
		}
		for i, s := range got {
			if want := fmt.Sprintf("socket %d|%d|done %d|true", i, 3000+i, i); s != want {
				t.Errorf("socket %d: %q, want %q", i, s, want)
			}
		}
	})

	t.Run("HostileStrings", func(t *testing.T) {
		var got []string
		eval(t, p, peer, `
			var list = ["", "\u0000", "a\u0000b", "\\", "\\\\\"'", "<>&amp;%", "%", "%u0041%41", "]]><![CDATA[x]]>",
				"</script><script>alert(1)</script>", "\u2028\u2029", "\ufeffBOM", "\ud83d\ude00 \u00e9 \u4e2d",
				"\ud800", "x\udc00y", "\r\n\t", "{\"json\": [1, 2]}", "\\u0041", "$&$1", "x".repeat(100000) + "\u20ac"];
			var ws = await opened(new WebSocket(PEER)), m = messages(ws, list.length), bad = [];
			for (var i = 0; i < list.length; i++) ws.send(list[i]);
			var back = await m;
			for (i = 0; i < list.length; i++) {
				var want = list[i].toWellFormed();
				if (back[i] !== want) bad.push(i + ": sent " + JSON.stringify(list[i].slice(0, 40)) + ", got " + JSON.stringify(String(back[i]).slice(0, 40)));
			}
			ws.close();
			return bad;`, &got)
		if len(got) > 0 {
			t.Fatalf("strings that did not round-trip (lone surrogates become U+FFFD, as natively):\n%s", strings.Join(got, "\n"))
		}
	})

	t.Run("Errors", func(t *testing.T) {
		var got []string
		eval(t, p, peer, `
			function name(f) { try { f(); return "no error"; } catch (e) { return (e instanceof DOMException ? "DOMException " : "") + e.name + " " + e.code; } }
			var out = [];
			out.push(name(function () { new WebSocket("ftp://127.0.0.1/"); }));
			out.push(name(function () { new WebSocket(PEER + "#x"); }));
			out.push(name(function () { new WebSocket(PEER, ["a", "a"]); }));
			var ws = new WebSocket(PEER);
			out.push(name(function () { ws.send("too early"); }));
			await opened(ws);
			out.push(name(function () { ws.close(1001); }));
			out.push(name(function () { ws.close(1000, "x".repeat(124)); }));
			var c = closed(ws);
			ws.close();
			ws.send("after close");
			out.push("bufferedAmount " + ws.bufferedAmount);
			await c;
			return out;`, &got)
		want := []string{"DOMException SyntaxError 12", "DOMException SyntaxError 12", "DOMException SyntaxError 12",
			"DOMException InvalidStateError 11", "DOMException InvalidAccessError 15", "DOMException SyntaxError 12", "bufferedAmount 11"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got  %q\nwant %q", got, want)
		}
	})

	// The same observations made with the shim and with Chromium's own WebSocket must agree.
	t.Run("MatchesNative", func(t *testing.T) {
		var got struct{ Flash, Native []string }
		eval(t, p, peer, observeJS+`
			return { Flash: await observe(WebSocket), Native: await observe(NativeWebSocket) };`, &got)
		if len(got.Flash) != len(got.Native) {
			t.Fatalf("different numbers of observations:\nflash  %q\nnative %q", got.Flash, got.Native)
		}
		for i := range got.Flash {
			if got.Flash[i] != got.Native[i] {
				t.Errorf("observation %d differs:\nflash  %s\nnative %s", i, got.Flash[i], got.Native[i])
			}
		}
	})

	t.Run("ConnectionRefusedIsErrorThenClose1006", func(t *testing.T) {
		var got []string
		// Port 9 on 127.0.0.1 is not in Ruffle's socketProxy: Flash's connect fails.
		eval(t, p, peer, `
			var ws = new WebSocket("ws://127.0.0.1:9/"), ev = [];
			ws.onerror = function (e) { ev.push(e.type + " " + ws.readyState); };
			var c = await closed(ws);
			ev.push("close " + c.code + " " + c.wasClean);
			return ev;`, &got)
		if fmt.Sprint(got) != "[error 3 close 1006 false]" {
			t.Fatalf("got %q", got)
		}
	})
}

// TestBrowserHTTPSPageRefusesWS (issue 12 item 8): on a page served over https, the real
// shim (minified, Ruffle running) throws SecurityError for ws: URLs exactly where
// Chromium's own WebSocket does, so a page's data and cookies never leave it in clear.
// The page comes from a TLS server with a throwaway certificate (the harness's Chromium
// ignores certificate errors).
func TestBrowserHTTPSPageRefusesWS(t *testing.T) {
	env := startFlashEnv(t)
	tlsSite := httptest.NewUnstartedServer(env.site.Mux)
	tlsSite.StartTLS()
	t.Cleanup(tlsSite.Close)
	env.site.HTML("/https.html", `<!doctype html><html><head><meta charset="utf-8">`+env.ruffleHead()+helpersJS+
		`<script>window.NativeWebSocket = window.WebSocket; WEB_SOCKET_FORCE_FLASH = true; WEB_SOCKET_SWF_LOCATION = "/WebSocketMain.swf"; document.cookie = "sid=secret";</script>`+
		`<script src="/web_socket.min.js"></script></head><body></body></html>`)
	p := env.b.Open(t, tlsSite.URL+"/https.html")
	p.WaitFor(t, "window.WebSocket && window.WebSocket.__isFlashImplementation", 20*time.Second)
	var got struct {
		Protocol string            `json:"protocol"`
		Shim     map[string]string `json:"shim"`
		Native   map[string]string `json:"native"`
	}
	eval(t, p, "", `
		function attempt(C, url) {
			try {
				var ws = new C(url);
				ws.close();
				return "opened";
			} catch (e) {
				return e.name + " " + e.code + (e instanceof DOMException ? " DOMException" : "");
			}
		}
		var urls = ["ws://example.invalid/", "WS://example.invalid:8080/x", "http://example.invalid/"], r = { protocol: location.protocol, shim: {}, native: {} };
		urls.forEach(function (u) { r.shim[u] = attempt(WebSocket, u); r.native[u] = attempt(NativeWebSocket, u); });
		return r;`, &got)
	if got.Protocol != "https:" {
		t.Fatalf("the page is on %q, want https:", got.Protocol)
	}
	for url, shim := range got.Shim {
		if want := "SecurityError 18 DOMException"; shim != want {
			t.Errorf("shim: new WebSocket(%q) on an https page: %s, want %s", url, shim, want)
		}
		if native := got.Native[url]; native != shim {
			t.Errorf("new WebSocket(%q): shim %q, Chromium %q", url, shim, native)
		}
	}
	// Loopback is where the two part: Chromium counts ws://127.0.0.1 as potentially
	// trustworthy and lets it through; the shim refuses every ws: (js/README.md says so).
	var loopback []string
	eval(t, p, "", `
		return [WebSocket, NativeWebSocket].map(function (C) {
			try { new C("ws://127.0.0.1:9/").close(); return "opened"; } catch (e) { return e.name; }
		});`, &loopback)
	if fmt.Sprint(loopback) != "[SecurityError opened]" {
		t.Errorf("ws://127.0.0.1 from an https page: shim, Chromium = %v, want [SecurityError opened]", loopback)
	}
	// wss: stays allowed (it fails later, asynchronously, as any unreachable host does).
	var wss string
	eval(t, p, "", `try { new WebSocket("wss://example.invalid/").close(); return "ok"; } catch (e) { return e.name; }`, &wss)
	if wss != "ok" {
		t.Errorf("shim: new WebSocket(wss:) on an https page threw %s", wss)
	}
}

// TestBrowserFlashDebug: WEB_SOCKET_DEBUG turns on the SWF's debug log, which reaches
// WEB_SOCKET_LOGGER through the bridge; loadFlashPolicyFile reaches the SWF.
func TestBrowserFlashDebug(t *testing.T) {
	env := startFlashEnv(t)
	p := env.flashPage(t, "/debug", `<script>WEB_SOCKET_DEBUG = true;</script>`)
	var logs []string
	eval(t, p, env.peerURL(), `
		WebSocket.loadFlashPolicyFile("xmlsocket://127.0.0.1:843");
		var ws = await opened(new WebSocket(PEER, [], "", 0, "X-Test: 1"));
		var c = closed(ws);
		ws.close();
		await c;
		return logs;`, &logs)
	all := strings.Join(logs, "\n")
	for _, want := range []string{"[WebSocket] socket policy: xmlsocket://127.0.0.1:843", "[WebSocket] ", "X-Test: 1"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in the log:\n%s", want, all)
		}
	}
}

// TestBrowserESModule: the module build works through Flash without replacing
// window.WebSocket.
func TestBrowserESModule(t *testing.T) {
	env := startFlashEnv(t)
	env.site.HTML("/esm", `<!doctype html><html><head>`+env.ruffleHead()+helpersJS+
		`<script>window.NativeWebSocket = window.WebSocket; WEB_SOCKET_SWF_LOCATION = "/WebSocketMain.swf";</script>`+
		`<script type="module">import FlashWebSocket, { FlashWebSocket as Named } from "/web_socket.mjs";`+
		`window.Imported = { FlashWebSocket: FlashWebSocket, same: FlashWebSocket === Named };</script></head><body></body></html>`)
	p := env.b.Open(t, env.site.URL+"/esm")
	p.WaitFor(t, "window.Imported", 20*time.Second)
	flashBefore := env.peer.flash.Load()
	var got []string
	eval(t, p, env.peerURL(), `
		var WS = Imported.FlashWebSocket, ws = await opened(new WS(PEER)), m = messages(ws, 1);
		ws.send("from the module");
		var echo = (await m)[0];
		ws.close();
		return [echo, String(Imported.same), String(window.WebSocket === NativeWebSocket), String(WS.__isFlashImplementation)];`, &got)
	if fmt.Sprint(got) != "[from the module true true true]" {
		t.Fatalf("got %q", got)
	}
	if env.peer.flash.Load() != flashBefore+1 {
		t.Fatal("the echo did not come through the SWF")
	}
}

// TestBrowserFlashSWFMissing: a SWF that never starts fails every socket (error, close
// 1006) after WEB_SOCKET_SWF_TIMEOUT, with the reason logged.
func TestBrowserFlashSWFMissing(t *testing.T) {
	env := startFlashEnv(t)
	env.site.HTML("/missing", `<!doctype html><html><head>`+env.ruffleHead()+helpersJS+
		`<script>WEB_SOCKET_FORCE_FLASH = true; WEB_SOCKET_SWF_LOCATION = "/no-such.swf"; WEB_SOCKET_SWF_TIMEOUT = 3000;</script>`+
		`<script src="/web_socket.min.js"></script></head><body></body></html>`)
	p := env.b.Open(t, env.site.URL+"/missing")
	var got struct {
		Events []string
		Logs   []string
	}
	eval(t, p, env.peerURL(), `
		var ev = [], a = new WebSocket(PEER), b = new WebSocket(PEER);
		[a, b].forEach(function (ws, i) { ws.onerror = function () { ev.push(i + " error"); }; });
		var pa = closed(a), pb = closed(b), ca = await pa, cb = await pb;
		ev.push("0 close " + ca.code + " " + ca.wasClean, "1 close " + cb.code + " " + cb.wasClean);
		return { Events: ev, Logs: logs };`, &got)
	if fmt.Sprint(got.Events) != "[0 error 1 error 0 close 1006 false 1 close 1006 false]" {
		t.Fatalf("events %q", got.Events)
	}
	if !strings.Contains(strings.Join(got.Logs, "\n"), "ERROR [WebSocket] WebSocketMain.swf did not start") {
		t.Fatalf("no logged reason in %q", got.Logs)
	}
}

// dropInPage is a page written as the original web-socket-js README told users to write
// it, word for word apart from the server address. The test environment around it stands
// in for an old browser: Ruffle plays Flash Player, WEB_SOCKET_FORCE_FLASH hides the
// native WebSocket, and alert() is recorded.
func dropInPage(env *flashEnv, swfobject bool) string {
	tag := ""
	if swfobject {
		tag = `<script type="text/javascript" src="swfobject.js"></script>` + "\n"
	}
	return `<!DOCTYPE html>
<html><head>
` + env.ruffleHead() + `<script>WEB_SOCKET_FORCE_FLASH = true; window.alerts = []; window.alert = function (m) { alerts.push(String(m)); };</script>
` + tag + `<script type="text/javascript" src="web_socket.js"></script>
<script type="text/javascript">
  // Let the library know where WebSocketMain.swf is:
  WEB_SOCKET_SWF_LOCATION = "WebSocketMain.swf";

  // Write your code in the same way as for native WebSocket:
  var ws = new WebSocket("` + env.peerURL() + `");
  ws.onopen = function() {
    ws.send("Hello");  // Sends a message.
  };
  ws.onmessage = function(e) {
    // Receives a message.
    alert(e.data);
  };
  ws.onclose = function() {
    alert("closed");
  };
</script>
</head><body></body></html>`
}

func TestBrowserDropIn(t *testing.T) {
	env := startFlashEnv(t)
	for _, withSWFObject := range []bool{true, false} {
		name := map[bool]string{true: "WithSWFObject", false: "WithoutSWFObject"}[withSWFObject]
		t.Run(name, func(t *testing.T) {
			path := "/dropin/" + strings.ToLower(name) + ".html"
			env.site.HTML(path, dropInPage(env, withSWFObject))
			p := env.b.Open(t, env.site.URL+path)
			p.WaitFor(t, "window.alerts && alerts.length >= 1", 30*time.Second)
			p.MustEval("ws.close()", nil)
			p.WaitFor(t, "alerts.length >= 2", 20*time.Second)
			var got struct {
				Alerts    []string
				SWFObject []string
				Flash     bool
			}
			p.MustEval(`({Alerts: alerts, SWFObject: window.swfobject ? swfobject.calls : null, Flash: !!WebSocket.__isFlashImplementation})`, &got)
			if fmt.Sprint(got.Alerts) != "[Hello closed]" || !got.Flash {
				t.Fatalf("got %+v", got)
			}
			if withSWFObject && len(got.SWFObject) != 0 {
				t.Fatalf("the shim called swfobject: %v", got.SWFObject)
			}
		})
	}
}

// TestBrowserSamplePage drives js/sample.html in both modes against an echo on the page's
// own server, the way `mage serve` serves it.
func TestBrowserSamplePage(t *testing.T) {
	env := startFlashEnv(t)
	// A site of its own: the sample's socket proxy targets the page's own host:port.
	site := browser.NewSite(t)
	site.Handle("/ruffle-socket", &ruffleproxy.Handler{Allow: []string{"127.0.0.1:" + strconv.Itoa(site.Port())}})
	site.Handle("/echo", &echoPeer{})
	site.File("/sample.html", "sample.html")
	site.File("/web_socket.js", filepath.Join(env.dist, "web_socket.js"))
	site.File("/WebSocketMain.swf", env.swf)
	for _, mode := range []string{"native", "flash"} {
		t.Run(mode, func(t *testing.T) {
			p := env.b.Open(t, site.URL+"/sample.html?mode="+mode)
			if mode == "flash" {
				p.WaitFor(t, "window.WebSocket && WebSocket.__isFlashImplementation", 20*time.Second)
			}
			p.MustEval(`document.getElementById("connect").click()`, nil)
			p.WaitFor(t, `document.getElementById("state").textContent === "open"`, 30*time.Second)
			p.MustEval(`document.getElementById("send").click()`, nil)
			p.WaitFor(t, `document.getElementById("log").textContent.indexOf("\u2190 Hello, world!") >= 0`, 20*time.Second)
			p.MustEval(`document.getElementById("disconnect").click()`, nil)
			p.WaitFor(t, `document.getElementById("log").textContent.indexOf("closed: code 1000") >= 0`, 20*time.Second)
			var impl string
			p.MustEval(`document.getElementById("impl").textContent`, &impl)
			want := map[string]string{"native": "browser's own", "flash": "web_socket.js"}[mode]
			if !strings.Contains(impl, want) {
				t.Fatalf("implementation note %q, want it to mention %q", impl, want)
			}
		})
	}
}

// observeJS records what page code can see of a WebSocket implementation: URL and
// subprotocol rules, attributes, errors, events and their fields, close rules.
const observeJS = `
async function observe(WS) {
	var out = [], host = PEER.replace(/^ws:\/\//, "").replace(/\/$/, "");
	function attempt(f) { try { return f(); } catch (e) { return "throws " + e.name + " " + e.code; } }
	out.push("constants " + [WS.CONNECTING, WS.OPEN, WS.CLOSING, WS.CLOSED, WS.prototype.OPEN].join());
	var urls = [PEER, "WS://" + host.toUpperCase(), "http://" + host + "/a b?c=d", "https://127.0.0.1/", "ws://" + host + ":443/", "ws://[::1]:1/x", "ws://u:p@" + host + "/", "ws://" + host + "/#",
		"ftp://" + host + "/", "/relative?x", "ws://" + host + "/\u00e9", "ws://exa mple/", "ws://"];
	var made = [];
	urls.forEach(function (u) {
		out.push("url " + JSON.stringify(u) + " -> " + attempt(function () { var ws = new WS(u); made.push(ws); return ws.url; }));
	});
	made.forEach(function (ws) { ws.onerror = ws.onclose = null; ws.close(); });
	[undefined, "chat", ["chat", "superchat"], ["a", "a"], "", "a b", ["x", ""], [], "\u00e9", null].forEach(function (p) {
		out.push("protocols " + JSON.stringify(p) + " -> " + attempt(function () { var ws = new WS(PEER, p); ws.close(); return "ok"; }));
	});
	var ws = new WS(PEER, ["nope", "superchat"]);
	out.push("initial " + [ws.readyState, ws.bufferedAmount, JSON.stringify(ws.extensions), JSON.stringify(ws.protocol), ws.binaryType, ws.onopen, ws.onmessage].join());
	out.push("send while connecting: " + attempt(function () { ws.send("x"); }));
	await opened(ws);
	out.push("open " + [ws.readyState, JSON.stringify(ws.protocol), JSON.stringify(ws.extensions)].join());
	var m = new Promise(function (r) { ws.addEventListener("message", r); });
	ws.send("echo me");
	var e = await m;
	out.push("message " + [e.type, JSON.stringify(e.data), e.origin, JSON.stringify(e.lastEventId), e.target === ws, e.currentTarget === ws, e.bubbles, e.cancelable].join());
	[999, 1001, 2999, 5000, 1000.5, 3000.5, 999.5, 2999.5, 4999.5, 3001.5, -1, "x", NaN, 1e9].forEach(function (c) {
		out.push("close(" + c + ") " + attempt(function () { var w = new WS(PEER); try { w.close(c); return "ok"; } finally { w.close(); } }));
	});
	out.push("long reason " + attempt(function () { ws.close(1000, "\u00e9".repeat(62)); }));
	var c = closed(ws), order = [];
	ws.addEventListener("close", function () { order.push("listener"); });
	ws.onclose = function () { order.push("handler"); };
	ws.close(4000, "bye");
	out.push("after close " + ws.readyState);
	ws.send("abcd");
	ws.send(new Uint8Array(3));
	out.push("bufferedAmount " + ws.bufferedAmount);
	var cl = await c;
	// Native listeners each end in a microtask checkpoint; the shim's run in one task. Let all run.
	await new Promise(function (r) { setTimeout(r, 0); });
	out.push("close " + [cl.type, cl.code, cl.reason, cl.wasClean, cl.readyState, cl.target].join() + " order " + order.join());
	var w2 = new WS(PEER), seq = [];
	w2.onerror = function (e) { seq.push(e.type + " " + w2.readyState); };
	var c2 = closed(w2);
	w2.close();
	seq.push("after close() " + w2.readyState);
	var cl2 = await c2;
	seq.push("close " + cl2.code + " " + cl2.wasClean + " " + JSON.stringify(cl2.reason));
	out.push("abort while connecting: " + seq.join("; "));
	return out;
}`
