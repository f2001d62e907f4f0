package js_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/browser"
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

// BenchmarkEchoRoundTrip compares echo round trips per second through the Flash path
// (web_socket.js → WebSocketMain.swf in Ruffle → socket bridge → peer) with the browser's
// native WebSocket, in the same page against the same peer, and prints the ratio (target
// ≥ 0.5): one message at a time (latency-bound), and with 64 in flight (throughput).
func BenchmarkEchoRoundTrip(b *testing.B) {
	env := startFlashEnv(b)
	env.site.HTML("/bench", `<!doctype html><html><head>`+env.ruffleHead()+helpersJS+rateJS+
		`<script>window.NativeWebSocket = window.WebSocket; WEB_SOCKET_FORCE_FLASH = true; WEB_SOCKET_SWF_LOCATION = "/WebSocketMain.swf";</script>`+
		`<script src="/web_socket.min.js"></script></head><body></body></html>`)
	p := env.b.Open(b, env.site.URL+"/bench")
	p.WaitFor(b, "window.WebSocket && WebSocket.__isFlashImplementation", 20*time.Second)
	// Warm up both paths (Ruffle's first socket, JIT) before measuring.
	for _, ctor := range []string{"WebSocket", "NativeWebSocket"} {
		measure(b, p, ctor, env.peerURL(), 50, 1)
	}
	for _, inFlight := range []int{1, 64} {
		rates := map[string]float64{}
		for _, c := range []struct{ name, ctor string }{{"Flash", "WebSocket"}, {"Native", "NativeWebSocket"}} {
			b.Run(fmt.Sprintf("%s/inflight=%d", c.name, inFlight), func(b *testing.B) {
				ms := measure(b, p, c.ctor, env.peerURL(), b.N, inFlight)
				rate := float64(b.N) / (ms / 1000)
				b.ReportMetric(rate, "roundtrips/s")
				rates[c.name] = rate
			})
		}
		if rates["Native"] > 0 {
			fmt.Printf("echo round trips/s, %d in flight: Flash %.0f, native %.0f, ratio %.2f (target >= 0.5)\n",
				inFlight, rates["Flash"], rates["Native"], rates["Flash"]/rates["Native"])
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
