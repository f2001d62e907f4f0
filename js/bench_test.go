package js_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/ruffleproxy"
	"github.com/web-socket-js/web-socket-js/internal/testkit/browser"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpserver"
)

// rateJS measures n echo round trips on one socket made with Ctor, with up to inFlight
// messages sent and not yet echoed (1: strictly one after another), returning
// milliseconds; the handshake is not timed.
const rateJS = `<script>
function roundTrips(Ctor, url, n, inFlight) {
  return within(new Promise(function (resolve, reject) {
    var ws = new Ctor(url), i = 0, sent = 0, t0;
    function more() { while (sent < n && sent - i < inFlight) { ws.send("ping 0123456789"); sent++; } }
    ws.onopen = function () { t0 = performance.now(); more(); };
    ws.onmessage = function () {
      if (++i < n) { more(); return; }
      var ms = performance.now() - t0;
      ws.onclose = null;
      ws.close();
      resolve(ms);
    };
    ws.onclose = function (e) { reject(new Error("closed after " + i + " round trips: " + e.code)); };
  }), n + " round trips", 120000);
}
</script>`

// floorAS is the least a SWF can do to echo through Ruffle: raw bytes on a
// flash.net.Socket, each chunk handed to the page by ExternalInterface straight from the
// socket event, each page string written and flushed at once. No WebSocket framing, no
// codec, no event queue: its rate is the ceiling Ruffle's own scheduling allows, and the
// Flash path is reported against it.
const floorAS = `package {
import flash.display.Sprite;
import flash.events.Event;
import flash.events.ProgressEvent;
import flash.external.ExternalInterface;
import flash.net.Socket;
import flash.utils.ByteArray;

public class FloorEcho extends Sprite {
	private var socket:Socket;

	public function FloorEcho() {
		ExternalInterface.addCallback("floorConnect", connect);
		ExternalInterface.addCallback("floorSend", send);
		ExternalInterface.addCallback("floorClose", close);
		ExternalInterface.call("floorEvent", "ready", "");
	}

	private function connect(host:String, port:int):void {
		socket = new Socket();
		socket.addEventListener(Event.CONNECT, function(e:Event):void { ExternalInterface.call("floorEvent", "open", ""); });
		socket.addEventListener(Event.CLOSE, function(e:Event):void { ExternalInterface.call("floorEvent", "close", ""); });
		socket.addEventListener(ProgressEvent.SOCKET_DATA, received);
		socket.connect(host, port);
	}

	private function received(e:ProgressEvent):void {
		var b:ByteArray = new ByteArray();
		socket.readBytes(b);
		ExternalInterface.call("floorEvent", "data", b.toString());
	}

	private function send(s:String):void {
		socket.writeUTFBytes(s);
		socket.flush();
	}

	private function close():void {
		try {
			socket.close();
		} catch (e:Error) {
		}
	}
}
}
`

// floorJS gives the floor SWF the part of the WebSocket interface roundTrips uses (one
// socket at a time; messages are "\n"-terminated on the raw stream). Like web_socket.js,
// it never calls the SWF from inside the SWF's call: events wait for a 0 ms timer.
const floorJS = `<script>
var floorCur;
function floorSWF() { return document.getElementById("floor"); }
function floorEvent(kind, data) {
  setTimeout(function () {
    var s = floorCur, parts, i;
    if (!s) return;
    if (kind == "open") return s.onopen();
    if (kind == "close") return s.onclose({ code: 1006 });
    if (kind != "data") return;
    parts = (s.buf + data).split("\n");
    s.buf = parts.pop();
    for (i = 0; i < parts.length && floorCur === s; i++) s.onmessage({ data: parts[i] });
  }, 0);
}
function FloorSocket() { this.buf = ""; floorCur = this; floorSWF().floorConnect("127.0.0.1", FLOOR_PORT); }
FloorSocket.prototype.send = function (d) { floorSWF().floorSend(d + "\n"); };
FloorSocket.prototype.close = function () { floorCur = null; floorSWF().floorClose(); };
</script>`

// BenchmarkEchoRoundTrip compares echo round trips per second through the Flash path
// (web_socket.js → WebSocketMain.swf in Ruffle → socket bridge → peer) with the browser's
// native WebSocket, in the same page against the same peer, and prints the ratio (target
// ≥ 0.5): one message at a time (latency-bound), and with 64 in flight (throughput). It
// also measures the floor SWF (floorAS, raw TCP echo) in the same page: what Ruffle allows
// at all. Ruffle hands a SWF its socket data once per animation frame, so one message at a
// time cannot beat the frame rate (about 60/s) whatever the SWF does.
func BenchmarkEchoRoundTrip(b *testing.B) {
	env := startFlashEnv(b)
	floorPort := tcpEcho(b)
	floorTarget := fmt.Sprintf("127.0.0.1:%d", floorPort)
	env.site.Handle("/floor-socket", &ruffleproxy.Handler{Allow: []string{floorTarget}})
	env.site.File("/FloorEcho.swf", compileFloor(b))
	head := browser.RuffleHead(
		browser.SocketProxy{Host: "127.0.0.1", Port: env.peerPort,
			ProxyURL: env.site.WSURL(fmt.Sprintf("/ruffle-socket?target=127.0.0.1:%d", env.peerPort))},
		browser.SocketProxy{Host: "127.0.0.1", Port: floorPort, ProxyURL: env.site.WSURL("/floor-socket?target=" + floorTarget)})
	env.site.HTML("/bench", `<!doctype html><html><head>`+head+helpersJS+rateJS+floorJS+
		`<script>var FLOOR_PORT = `+strconv.Itoa(floorPort)+`; window.NativeWebSocket = window.WebSocket; WEB_SOCKET_FORCE_FLASH = true; WEB_SOCKET_SWF_LOCATION = "/WebSocketMain.swf";</script>`+
		`<script src="/web_socket.min.js"></script></head><body>`+browser.EmbedSWF("floor", "/FloorEcho.swf", "")+`</body></html>`)
	p := env.b.Open(b, env.site.URL+"/bench")
	p.WaitFor(b, "window.WebSocket && WebSocket.__isFlashImplementation && floorSWF() && floorSWF().floorSend", 20*time.Second)
	paths := []struct{ name, ctor string }{{"Flash", "WebSocket"}, {"Native", "NativeWebSocket"}, {"RuffleFloor", "FloorSocket"}}
	// Warm up every path (Ruffle's first socket, JIT) before measuring.
	for _, c := range paths {
		measure(b, p, c.ctor, env.peerURL(), 50, 1)
	}
	for _, inFlight := range []int{1, 64} {
		rates := map[string]float64{}
		for _, c := range paths {
			b.Run(fmt.Sprintf("%s/inflight=%d", c.name, inFlight), func(b *testing.B) {
				ms := measure(b, p, c.ctor, env.peerURL(), b.N, inFlight)
				rate := float64(b.N) / (ms / 1000)
				b.ReportMetric(rate, "roundtrips/s")
				rates[c.name] = rate
			})
		}
		if rates["Native"] > 0 && rates["RuffleFloor"] > 0 {
			fmt.Printf("echo round trips/s, %d in flight: Flash %.0f, native %.0f, ratio %.2f (target >= 0.5); Ruffle floor %.0f (floor/native %.2f, Flash/floor %.2f)\n",
				inFlight, rates["Flash"], rates["Native"], rates["Flash"]/rates["Native"],
				rates["RuffleFloor"], rates["RuffleFloor"]/rates["Native"], rates["Flash"]/rates["RuffleFloor"])
		}
	}
}

func measure(b *testing.B, p *browser.Page, ctor, url string, n, inFlight int) float64 {
	b.Helper()
	var ms float64
	js := fmt.Sprintf("roundTrips(%s, %s, %d, %d)", ctor, strconv.Quote(url), n, inFlight)
	if err := p.Eval(js, &ms); err != nil {
		b.Fatal(err)
	}
	if ms <= 0 {
		ms = 0.001
	}
	return ms
}

// compileFloor compiles floorAS and returns the SWF's path.
func compileFloor(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	entry := filepath.Join(dir, "FloorEcho.as")
	if err := os.WriteFile(entry, []byte(floorAS), 0o644); err != nil {
		b.Fatal(err)
	}
	return swftest.Compile(b, entry, dir)
}

// tcpEcho starts a raw TCP echo server on 127.0.0.1 for the floor SWF and returns its port.
func tcpEcho(b *testing.B) int {
	b.Helper()
	return tcpserver.Serve(b, 5*time.Minute, func(c net.Conn) { io.Copy(c, c) }).Port
}
