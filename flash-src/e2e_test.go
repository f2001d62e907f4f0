package flashsrc_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/web-socket-js/web-socket-js/internal/ruffleproxy"
	"github.com/web-socket-js/web-socket-js/internal/testkit/browser"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"
)

// esc is BRIDGE.md's string encoding, written again here so the SWF is checked against an
// independent implementation.
func esc(s string) string {
	var b strings.Builder
	for _, c := range utf16.Encode([]rune(s)) {
		switch {
		case c >= 0x20 && c <= 0x7E && !strings.ContainsRune(`%\"'<>&`, rune(c)):
			b.WriteByte(byte(c))
		case c < 0x100:
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			fmt.Fprintf(&b, "%%u%04X", c)
		}
	}
	return b.String()
}

// unesc reverses esc strictly; lone surrogates decode to U+FFFD (Go strings are UTF-8).
func unesc(s string) (string, error) {
	var units []uint16
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c > 0x7E || strings.IndexByte(`\"'<>&`, c) >= 0 {
			return "", fmt.Errorf("raw %q at %d in an esc string", c, i)
		}
		if c != '%' {
			units = append(units, uint16(c))
			i++
			continue
		}
		n, width := 2, 3
		if i+1 < len(s) && s[i+1] == 'u' {
			n, width = 4, 6
		}
		if i+width > len(s) {
			return "", fmt.Errorf("truncated escape at %d", i)
		}
		digits := s[i+width-n : i+width]
		if strings.ToUpper(digits) != digits {
			return "", fmt.Errorf("lower-case escape %q", digits)
		}
		v, err := strconv.ParseUint(digits, 16, 16)
		if err != nil || (n == 4 && v < 0x100) {
			return "", fmt.Errorf("bad escape %q", s[i:i+width])
		}
		units = append(units, uint16(v))
		i += width
	}
	return string(utf16.Decode(units)), nil
}

// event is one BRIDGE.md event, decoded.
type event struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Protocol   string `json:"protocol"`
	Extensions string `json:"extensions"`
	Kind       string `json:"kind"`
	Data       string `json:"data"`
	Message    string `json:"message"`
	WasClean   bool   `json:"wasClean"`
	Code       int    `json:"code"`
	Reason     string `json:"reason"`
	Level      string `json:"level"`
}

// driver speaks BRIDGE.md to the real WebSocketMain.swf from a minimal page.
type driver struct {
	t      *testing.T
	page   *browser.Page
	peer   *peer
	nextID int
}

const bridgePage = `<script>
window.readyVersion = 0; window.events = []; window.reentrant = 0; window.inCall = false; window.notifies = 0;
window.unpolledNotify = false; window.doubleNotify = 0;
function swf() { return document.getElementById("ws"); }
function pageBridge(kind, arg) {
  if (window.inCall) window.reentrant++;
  if (kind === "ready") { window.readyVersion = arg; return; }
  if (kind === "notify") {
    window.notifies++;
    if (window.unpolledNotify) window.doubleNotify++;
    window.unpolledNotify = true;
    setTimeout(pump, 0);
  }
}
function call(name, args) {
  window.inCall = true;
  try { var f = swf(); return f[name].apply(f, args); } finally { window.inCall = false; }
}
function pump() {
  window.unpolledNotify = false;
  var evs = call("wsjsPoll", []);
  for (var i = 0; i < evs.length; i++) window.events.push(evs[i]);
}
function eventsFor(id) { return window.events.filter(function (e) { return e.id === id; }); }
function closed(id) { return window.events.some(function (e) { return e.id === id && e.type === "close"; }); }
</script>`

func (d *driver) call(out any, name string, args ...any) {
	d.t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		d.t.Fatal(err)
	}
	d.page.MustEval(fmt.Sprintf("call(%q, %s)", name, b), out)
}

// create opens socket to path on the peer; it returns the id and the create error ("" = none).
func (d *driver) create(url, protocols, headers, proxyHost string, proxyPort int) (int, string) {
	d.t.Helper()
	return d.createWithCookie(url, protocols, "", headers, proxyHost, proxyPort)
}

func (d *driver) createWithCookie(url, protocols, cookie, headers, proxyHost string, proxyPort int) (int, string) {
	d.t.Helper()
	d.nextID++
	var res string
	d.call(&res, "wsjsCreate", d.nextID, esc(url), esc(protocols), esc("http://127.0.0.1"), esc(cookie), esc(headers), esc(proxyHost), proxyPort)
	msg, err := unesc(res)
	if err != nil {
		d.t.Fatalf("wsjsCreate returned a non-esc string %q: %v", res, err)
	}
	return d.nextID, msg
}

func (d *driver) peerURL(path, k string) string {
	return fmt.Sprintf("ws://127.0.0.1:%d%s?k=%s", d.peer.port(), path, k)
}

func (d *driver) open(path, k string) int {
	d.t.Helper()
	id, err := d.create(d.peerURL(path, k), "", "", "", 0)
	if err != "" {
		d.t.Fatalf("wsjsCreate(%s): %s", path, err)
	}
	return id
}

// events returns the decoded events of socket id so far.
func (d *driver) events(id int) []event {
	d.t.Helper()
	var raw []event
	d.page.MustEval(fmt.Sprintf("eventsFor(%d)", id), &raw)
	for i := range raw {
		for _, f := range []*string{&raw[i].Protocol, &raw[i].Extensions, &raw[i].Message, &raw[i].Reason} {
			s, err := unesc(*f)
			if err != nil {
				d.t.Fatalf("event %+v: %v", raw[i], err)
			}
			*f = s
		}
		if raw[i].Type == "message" && raw[i].Kind == "t" {
			s, err := unesc(raw[i].Data)
			if err != nil {
				d.t.Fatalf("message data: %v", err)
			}
			raw[i].Data = s
		}
	}
	return raw
}

func (d *driver) waitFor(id int, jsCond string) []event {
	d.t.Helper()
	d.page.WaitFor(d.t, jsCond, 30*time.Second)
	return d.events(id)
}

func (d *driver) waitClosed(id int) []event {
	d.t.Helper()
	return d.waitFor(id, fmt.Sprintf("closed(%d)", id))
}

func (d *driver) waitEvents(id, n int) []event {
	d.t.Helper()
	return d.waitFor(id, fmt.Sprintf("eventsFor(%d).filter(function(e){return e.type!=='log'}).length >= %d", id, n))
}

func (d *driver) send(id int, kind, data string) int {
	d.t.Helper()
	var n int
	d.call(&n, "wsjsSend", id, kind, data)
	return n
}

// summary prints events compactly for comparisons and failure messages.
func summary(evs []event) string {
	var parts []string
	for _, e := range evs {
		switch e.Type {
		case "open":
			parts = append(parts, "open("+e.Protocol+")")
		case "message":
			if len(e.Data) > 60 {
				parts = append(parts, fmt.Sprintf("message:%s:%d chars", e.Kind, len(e.Data)))
			} else {
				parts = append(parts, "message:"+e.Kind+":"+e.Data)
			}
		case "error":
			parts = append(parts, "error")
		case "close":
			parts = append(parts, fmt.Sprintf("close(%v,%d,%s)", e.WasClean, e.Code, e.Reason))
		}
	}
	return strings.Join(parts, " ")
}

func errorText(evs []event) string {
	for _, e := range evs {
		if e.Type == "error" {
			return e.Message
		}
	}
	return ""
}

func runEndToEnd(t *testing.T, b *browser.Browser) {
	l := layout(t)
	swfPath := swftest.Compile(t, filepath.Join(l.FlashApp(), "WebSocketMain.as"), l.FlashApp())
	p := startPeer(t)
	proxies := startProxies(t, p.port())
	site := browser.NewSite(t)
	targets := []string{fmt.Sprintf("127.0.0.1:%d", p.port()), proxies.open.addr(), proxies.auth.addr(),
		fmt.Sprintf("127.0.0.1:%d", proxies.deadPort)}
	site.Handle("/ruffle-socket", &ruffleproxy.Handler{Allow: targets})
	var socketProxies []browser.SocketProxy
	for _, target := range targets {
		host, port, _ := strings.Cut(target, ":")
		n, _ := strconv.Atoi(port)
		socketProxies = append(socketProxies, browser.SocketProxy{Host: host, Port: n,
			ProxyURL: site.WSURL("/ruffle-socket?target=" + target)})
	}
	site.File("/WebSocketMain.swf", swfPath)
	site.HTML("/", `<!doctype html><html><head>`+browser.RuffleHead(socketProxies...)+bridgePage+
		`</head><body>`+browser.EmbedSWF("ws", "/WebSocketMain.swf", "bridge=pageBridge")+`</body></html>`)
	page := b.Open(t, site.URL+"/")
	page.WaitFor(t, "window.readyVersion", 30*time.Second)
	var version int
	page.MustEval("window.readyVersion", &version)
	if version != 1 {
		t.Fatalf("SWF announced bridge version %d, want 1", version)
	}
	d := &driver{t: t, page: page, peer: p}
	// Short close timeout, 2 MiB message limit: both are exercised below. The connect timeout
	// is generous because dozens of sockets start at once; one scenario lowers it.
	d.call(nil, "wsjsSetOptions", 20000, 1500, 2<<20)

	t.Run("create errors", func(t *testing.T) { testCreateErrors(t, d) })
	t.Run("protocol", func(t *testing.T) { testProtocol(t, d, proxies) })
	t.Run("debug log", func(t *testing.T) { testDebugLog(t, d) })
	t.Run("no socket left registered", func(t *testing.T) {
		// Every id used above has had its close event, so the SWF must have forgotten it: a
		// create with that id fails on the URL, not on "already in use".
		for id := 1; id <= d.nextID; id++ {
			var res string
			d.call(&res, "wsjsCreate", id, esc("http://not-ws/"), "", "", "", "", "", 0)
			if msg, _ := unesc(res); !strings.Contains(msg, "not a ws://") {
				t.Errorf("id %d: %q (the SWF still holds a closed socket)", id, msg)
			}
		}
	})
	var counts struct{ Reentrant, DoubleNotify, Notifies int }
	page.MustEval("({reentrant: window.reentrant, doubleNotify: window.doubleNotify, notifies: window.notifies})", &counts)
	if counts.Reentrant != 0 {
		t.Errorf("the SWF called the page %d time(s) from inside a page→SWF call", counts.Reentrant)
	}
	if counts.DoubleNotify != 0 {
		t.Errorf("the SWF sent \"notify\" %d time(s) while an earlier one was not yet answered by wsjsPoll", counts.DoubleNotify)
	}
	t.Logf("notify calls: %d", counts.Notifies)
	var remaining int
	page.MustEval("window.events.length", &remaining)
	t.Logf("events delivered to the page: %d", remaining)
}

func testCreateErrors(t *testing.T, d *driver) {
	cases := []struct{ url, protocols, headers, proxy, want string }{
		{"http://127.0.0.1/", "", "", "", "not a ws:// or wss:// URL"},
		{"ws://127.0.0.1/#x", "", "", "", "fragment"},
		{"ws://127.0.0.1:0/", "", "", "", "invalid port"},
		{"ws://127.0.0.1/", "a b", "", "", "invalid subprotocol"},
		{"ws://127.0.0.1/", "a,a", "", "", "requested twice"},
		{"ws://127.0.0.1/", "", "X-A: 1\r\nX-B: 2\nInjected: yes", "", "control character"},
		{"ws://127.0.0.1/", "", "Host: evil.example", "", "set by the WebSocket client"},
		{"ws://127.0.0.1/", "", "Proxy-Authorization: Basic eDp5", "", "needs a proxy"},
		{"wss://127.0.0.1/", "", "", "127.0.0.1", "not supported"},
	}
	for _, c := range cases {
		proxyPort := 0
		if c.proxy != "" {
			proxyPort = 3128
		}
		_, err := d.create(c.url, c.protocols, c.headers, c.proxy, proxyPort)
		if !strings.Contains(err, c.want) {
			t.Errorf("wsjsCreate(%q, protocols %q, headers %q): error %q, want it to mention %q", c.url, c.protocols, c.headers, err, c.want)
		}
	}
	// An id in use is refused; after its close event it may be reused.
	id := d.open("/hang", "reuse")
	d.nextID--
	if _, err := d.create(d.peerURL("/hang", "reuse2"), "", "", "", 0); !strings.Contains(err, "already in use") {
		t.Errorf("second wsjsCreate with id %d: %q, want 'already in use'", id, err)
	}
	d.call(nil, "wsjsClose", id, 0, "")
	evs := d.waitClosed(id)
	if got := summary(evs); got != "error close(false,1006,)" {
		t.Errorf("close while connecting: %s, want error then close 1006", got)
	}
	d.nextID--
	if _, err := d.create(d.peerURL("/echo", "reused"), "", "", "", 0); err != "" {
		t.Errorf("id %d could not be reused after its close event: %s", id, err)
	}
	d.call(nil, "wsjsClose", id, 1000, "")
	d.waitClosed(id)
	var n int
	d.call(&n, "wsjsSend", 999999, "t", "x")
	if n != -1 {
		t.Errorf("wsjsSend on an unknown id returned %d, want -1", n)
	}
	// Sending while connecting, or with an unknown kind, puts nothing on the wire.
	id = d.open("/hang", "send-early")
	if d.call(&n, "wsjsSend", id, "t", "x"); n != -1 {
		t.Errorf("wsjsSend while connecting returned %d, want -1", n)
	}
	if d.call(&n, "wsjsSend", id, "x", "x"); n != -1 {
		t.Errorf("wsjsSend of kind x returned %d, want -1", n)
	}
	d.call(nil, "wsjsClose", id, 0, "")
	d.waitClosed(id)
}

func testProtocol(t *testing.T, d *driver, proxies *proxyPair) {
	type check func(t *testing.T, id int)
	type scenario struct {
		name  string
		start func() int
		check check
	}
	want := func(expect string) check {
		return func(t *testing.T, id int) {
			if got := summary(d.waitClosed(id)); got != expect {
				t.Errorf("events: %s\nwant:   %s", got, expect)
			}
		}
	}
	violation := func(name string) scenario {
		v := violations[name]
		return scenario{"violation " + name, func() int { return d.open("/v/"+name, "v-"+name) }, func(t *testing.T, id int) {
			evs := d.waitClosed(id)
			if got, exp := summary(evs), fmt.Sprintf("open() error close(false,%d,)", v.code); got != exp {
				t.Errorf("events: %s\nwant:   %s", got, exp)
			}
			notes := d.peer.notesFor("v-"+name, 1, 10*time.Second)
			if exp := fmt.Sprintf("close %d ", v.code); len(notes) != 1 || notes[0] != exp {
				t.Errorf("peer saw %q, want the client's %q", notes, exp)
			}
			t.Logf("error: %s", errorText(evs))
		}}
	}
	badHandshake := func(kind, mention string) scenario {
		return scenario{"bad handshake " + kind, func() int { return d.open("/hs/"+kind, "hs-"+kind) }, func(t *testing.T, id int) {
			evs := d.waitClosed(id)
			if got := summary(evs); got != "error close(false,1006,)" {
				t.Errorf("events: %s, want error then close 1006", got)
			}
			if msg := errorText(evs); !strings.Contains(msg, mention) {
				t.Errorf("error %q does not mention %q", msg, mention)
			}
		}}
	}
	scenarios := []scenario{
		{"echo text, binary, hostile strings, 1 MiB, client close", func() int { return d.open("/echo", "echo") }, func(t *testing.T, id int) {
			testEcho(t, d, id)
		}},
		{"request headers and subprotocol negotiation", func() int {
			id, err := d.create(d.peerURL("/headers", "headers")+"&q=%C3%A9", "chat,superchat", "X-Custom: v1\r\nX-Other:  spaced  ", "", 0)
			if err != "" {
				t.Fatalf("create: %s", err)
			}
			return id
		}, func(t *testing.T, id int) { testHeaders(t, d, id) }},
		{"split response with a frame right after it", func() int { return d.open("/split-response", "split") }, func(t *testing.T, id int) {
			evs := d.waitEvents(id, 2)
			if got := summary(evs); got != "open() message:t:right after the handshake" {
				t.Errorf("events: %s", got)
			}
			d.call(nil, "wsjsClose", id, 1000, "")
			d.waitClosed(id)
		}},
		{"fragmented server message with a ping inside", func() int { return d.open("/fragmented", "frag") }, func(t *testing.T, id int) {
			evs := d.waitEvents(id, 2)
			if got := summary(evs); got != "open() message:t:fragmented \u2603" {
				t.Errorf("events: %s", got)
			}
			if notes := d.peer.notesFor("frag", 1, 10*time.Second); len(notes) == 0 || notes[0] != `op 10 "mid" masked=true` {
				t.Errorf("peer saw %q, want a masked pong with the ping's payload", notes)
			}
			d.call(nil, "wsjsClose", id, 1000, "")
			d.waitClosed(id)
		}},
		{"server ping gets pong", func() int { return d.open("/ping", "ping") }, func(t *testing.T, id int) {
			evs := d.waitEvents(id, 2)
			if got := summary(evs); got != "open() message:t:pong received" {
				t.Errorf("events: %s", got)
			}
			if notes := d.peer.notesFor("ping", 1, 10*time.Second); len(notes) == 0 || notes[0] != `op 10 "are you there?" masked=true` {
				t.Errorf("peer saw %q, want a masked pong with the ping's payload", notes)
			}
			d.call(nil, "wsjsClose", id, 3000, "")
			if got := summary(d.waitClosed(id)); got != "open() message:t:pong received close(true,3000,)" {
				t.Errorf("events: %s", got)
			}
		}},
		{"server close with code and reason", func() int { return d.open("/server-close", "sclose") }, func(t *testing.T, id int) {
			want("open() close(true,4001,bye \u2603)")(t, id)
			if notes := d.peer.notesFor("sclose", 1, 10*time.Second); len(notes) != 1 || notes[0] != "close 4001 " {
				t.Errorf("peer saw %q, want the close code echoed", notes)
			}
		}},
		{"server close without code", func() int { return d.open("/server-close-empty", "sclose0") }, func(t *testing.T, id int) {
			want("open() close(true,1005,)")(t, id)
			if notes := d.peer.notesFor("sclose0", 1, 10*time.Second); len(notes) != 1 || notes[0] != "close" {
				t.Errorf("peer saw %q, want an empty close echoed", notes)
			}
		}},
		{"abrupt TCP close", func() int { return d.open("/abrupt", "abrupt") }, want("open() message:t:last words error close(false,1006,)")},
		{"close handshake timeout", func() int { return d.open("/ignore-close", "ignore") }, func(t *testing.T, id int) {
			// As in Chromium (which waits 60 s): close 1006 with no error event.
			d.waitEvents(id, 1)
			d.call(nil, "wsjsClose", id, 1000, "bye")
			want("open() close(false,1006,)")(t, id)
			if notes := d.peer.notesFor("ignore", 1, 10*time.Second); len(notes) != 1 || notes[0] != "close 1000 bye" {
				t.Errorf("peer saw %q", notes)
			}
		}},
		{"message after the client's close is dropped", func() int { return d.open("/late-message", "late") }, func(t *testing.T, id int) {
			d.waitEvents(id, 1)
			d.call(nil, "wsjsClose", id, 4000, "")
			want("open() close(true,4000,)")(t, id)
		}},
		{"server drops TCP instead of answering close", func() int { return d.open("/drop-on-close", "drop") }, func(t *testing.T, id int) {
			// As in Chromium (issue 11 item 8): after the page's close(), a TCP drop before the
			// server's close frame is close 1006 with no error event.
			d.waitEvents(id, 1)
			d.call(nil, "wsjsClose", id, 1000, "")
			want("open() close(false,1006,)")(t, id)
			if notes := d.peer.notesFor("drop", 1, 10*time.Second); len(notes) != 1 || notes[0] != "close 1000 " {
				t.Errorf("peer saw %q, want the client's close frame", notes)
			}
		}},
		{"connect timeout", func() int {
			d.call(nil, "wsjsSetOptions", 2500, 1500, 2<<20)
			defer d.call(nil, "wsjsSetOptions", 20000, 1500, 2<<20)
			return d.open("/hang", "hang")
		}, func(t *testing.T, id int) {
			evs := d.waitClosed(id)
			if got := summary(evs); got != "error close(false,1006,)" {
				t.Errorf("events: %s", got)
			}
			if msg := errorText(evs); !strings.Contains(msg, "2500 ms") {
				t.Errorf("error %q does not name the connect timeout", msg)
			}
		}},
		{"wss without SecureSocket", func() int {
			id, err := d.create(fmt.Sprintf("wss://127.0.0.1:%d/echo", d.peer.port()), "", "", "", 0)
			if err != "" {
				t.Fatalf("create: %s", err)
			}
			return id
		}, func(t *testing.T, id int) {
			evs := d.waitClosed(id)
			if got := summary(evs); got != "error close(false,1006,)" {
				t.Errorf("events: %s", got)
			}
			if msg := errorText(evs); !strings.Contains(msg, "SecureSocket") {
				t.Errorf("error %q does not explain that TLS is missing", msg)
			}
		}},
		{"refused connection", func() int {
			id, err := d.create(fmt.Sprintf("ws://127.0.0.1:%d/", proxies.deadPort), "", "", "", 0)
			if err != "" {
				t.Fatalf("create: %s", err)
			}
			return id
		}, want("error close(false,1006,)")},
		badHandshake("accept", "Sec-WebSocket-Accept"),
		badHandshake("upgrade", "Upgrade"),
		badHandshake("connection", "Connection"),
		badHandshake("protocol", "subprotocol"),
		badHandshake("extension", "extension"),
		badHandshake("status", "403 Forbidden"),
		badHandshake("huge", "larger than"),
		{"CONNECT through tinyproxy", func() int {
			id, err := d.create(d.peerURL("/echo", "proxied"), "", "", "127.0.0.1", proxies.open.port)
			if err != "" {
				t.Fatalf("create: %s", err)
			}
			return id
		}, func(t *testing.T, id int) {
			d.waitEvents(id, 1)
			if n := d.send(id, "t", esc("through the tunnel")); n != 18 {
				t.Errorf("wsjsSend returned %d", n)
			}
			evs := d.waitEvents(id, 2)
			if got := summary(evs); got != "open() message:t:through the tunnel" {
				t.Errorf("events: %s", got)
			}
			d.call(nil, "wsjsClose", id, 1000, "")
			if got := summary(d.waitClosed(id)); got != "open() message:t:through the tunnel close(true,1000,)" {
				t.Errorf("events: %s", got)
			}
		}},
		{"CONNECT refused with 407", func() int {
			id, err := d.create(d.peerURL("/echo", "proxy407"), "", "", "127.0.0.1", proxies.auth.port)
			if err != "" {
				t.Fatalf("create: %s", err)
			}
			return id
		}, func(t *testing.T, id int) {
			evs := d.waitClosed(id)
			if got := summary(evs); got != "error close(false,1006,)" {
				t.Errorf("events: %s", got)
			}
			if msg := errorText(evs); !strings.Contains(msg, "407") {
				t.Errorf("error %q does not name the proxy's 407", msg)
			}
		}},
		{"CONNECT with Proxy-Authorization", func() int {
			auth := "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(proxyUser+":"+proxyPass))
			id, err := d.create(d.peerURL("/headers", "proxyauth"), "", auth, "127.0.0.1", proxies.auth.port)
			if err != "" {
				t.Fatalf("create: %s", err)
			}
			return id
		}, func(t *testing.T, id int) {
			evs := d.waitEvents(id, 2)
			if len(evs) < 2 || evs[0].Type != "open" || evs[1].Type != "message" {
				t.Fatalf("events: %s", summary(evs))
			}
			if strings.Contains(strings.ToLower(evs[1].Data), "proxy-authorization") {
				t.Errorf("proxy credentials reached the WebSocket server: %s", evs[1].Data)
			}
			d.call(nil, "wsjsClose", id, 1000, "")
			d.waitClosed(id)
		}},
	}
	for name := range violations {
		scenarios = append(scenarios, violation(name))
	}
	// Every connection starts before any is checked: they run side by side in one SWF.
	ids := make([]int, len(scenarios))
	for i, s := range scenarios {
		ids[i] = s.start()
	}
	for i, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.check(t, ids[i]) })
	}
}

func testEcho(t *testing.T, d *driver, id int) {
	d.waitEvents(id, 1)
	texts := []string{"hello", "", `back\slash "quotes" 'single' <tag> &amp; %41 %u0041`, "nul\x00inside", "line\u2028sep\u2029",
		"emoji \U0001F600 and \u00e9\u20ac", "\ufeffBOM first"}
	for _, s := range texts {
		if n := d.send(id, "t", esc(s)); n != len(s) {
			t.Errorf("wsjsSend(%q) returned %d, want %d (UTF-8 bytes)", s, n, len(s))
		}
	}
	// A lone surrogate is sent as U+FFFD, like a native WebSocket's send.
	if n := d.send(id, "t", "a%uD800b"); n != 5 {
		t.Errorf("wsjsSend with a lone surrogate returned %d, want 5", n)
	}
	bin := make([]byte, 300)
	for i := range bin {
		bin[i] = byte(i)
	}
	d.send(id, "b", base64.StdEncoding.EncodeToString(bin))
	d.send(id, "b", "")
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>8)
	}
	if n := d.send(id, "b", base64.StdEncoding.EncodeToString(big)); n != len(big) {
		t.Errorf("wsjsSend of 1 MiB returned %d", n)
	}
	if n := d.send(id, "b", "not base64!"); n != -1 {
		t.Errorf("wsjsSend of bad b64 returned %d, want -1", n)
	}
	want := len(texts) + 4
	evs := d.waitEvents(id, 1+want)
	var msgs []event
	for _, e := range evs {
		if e.Type == "message" {
			msgs = append(msgs, e)
		}
	}
	if len(msgs) != want {
		t.Fatalf("got %d messages, want %d: %s", len(msgs), want, summary(evs))
	}
	for i, s := range texts {
		if msgs[i].Kind != "t" || msgs[i].Data != s {
			t.Errorf("echo %d: got %q (%s), want %q", i, msgs[i].Data, msgs[i].Kind, s)
		}
	}
	if m := msgs[len(texts)]; m.Data != "a\uFFFDb" {
		t.Errorf("lone surrogate echo: %q, want a U+FFFD b", m.Data)
	}
	checkBinary := func(m event, want []byte, what string) {
		got, err := base64.StdEncoding.DecodeString(m.Data)
		if m.Kind != "b" || err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s echo: kind %s, %d bytes (err %v), sha256 %x, want %d bytes sha256 %x", what, m.Kind, len(got), err,
				sha256.Sum256(got), len(want), sha256.Sum256(want))
		}
	}
	checkBinary(msgs[len(texts)+1], bin, "300-byte binary")
	checkBinary(msgs[len(texts)+2], nil, "empty binary")
	checkBinary(msgs[len(texts)+3], big, "1 MiB binary")
	d.call(nil, "wsjsClose", id, 1000, "done \u2713")
	evs = d.waitClosed(id)
	if last := evs[len(evs)-1]; !last.WasClean || last.Code != 1000 {
		t.Errorf("client close ended with %+v, want clean 1000", last)
	}
	if n := d.send(id, "t", "late"); n != -1 {
		t.Errorf("wsjsSend after close returned %d, want -1", n)
	}
	for _, note := range d.peer.notesFor("echo", 1, 5*time.Second) {
		if note != "close 1000 done \u2713" {
			t.Errorf("peer noted %q", note)
		}
	}
}

func testHeaders(t *testing.T, d *driver, id int) {
	evs := d.waitEvents(id, 2)
	if len(evs) < 2 || evs[0].Type != "open" || evs[1].Type != "message" {
		t.Fatalf("events: %s", summary(evs))
	}
	if evs[0].Protocol != "superchat" {
		t.Errorf("open.protocol = %q, want the server's choice superchat", evs[0].Protocol)
	}
	var info struct {
		RequestURI string              `json:"requestURI"`
		Host       string              `json:"host"`
		Proto      string              `json:"proto"`
		Method     string              `json:"method"`
		KeyBytes   int                 `json:"keyBytes"`
		Header     map[string][]string `json:"header"`
	}
	if err := json.Unmarshal([]byte(evs[1].Data), &info); err != nil {
		t.Fatalf("peer report: %v", err)
	}
	h := func(name string) string { return strings.Join(info.Header[name], "|") }
	checks := []struct{ what, got, want string }{
		{"request URI", info.RequestURI, "/headers?k=headers&q=%C3%A9"},
		{"method", info.Method, "GET"},
		{"protocol", info.Proto, "HTTP/1.1"},
		{"Host", info.Host, fmt.Sprintf("127.0.0.1:%d", d.peer.port())},
		{"Upgrade", h("Upgrade"), "websocket"},
		{"Connection", h("Connection"), "Upgrade"},
		{"Sec-WebSocket-Version", h("Sec-Websocket-Version"), "13"},
		{"Sec-WebSocket-Protocol", h("Sec-Websocket-Protocol"), "chat, superchat"},
		{"Origin", h("Origin"), "http://127.0.0.1"},
		{"X-Custom", h("X-Custom"), "v1"},
		{"X-Other", h("X-Other"), "spaced"},
		{"Cookie (none given)", h("Cookie"), ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if info.KeyBytes != 16 {
		t.Errorf("Sec-WebSocket-Key decodes to %d bytes, want 16", info.KeyBytes)
	}
	d.call(nil, "wsjsClose", id, 1000, "")
	d.waitClosed(id)
}

// testDebugLog: with debug on, the handshake is logged but the cookie value never is, and
// message bodies appear; with debug off, nothing about bodies is logged.
func testDebugLog(t *testing.T, d *driver) {
	const secret = "hunter2-cookie-value"
	run := func(debug bool) []event {
		d.call(nil, "wsjsSetDebug", debug)
		id, err := d.createWithCookie(d.peerURL("/echo", fmt.Sprintf("debug-%v", debug)), "", "session="+secret, "", "", 0)
		if err != "" {
			t.Fatalf("create: %s", err)
		}
		d.waitEvents(id, 1)
		d.send(id, "t", esc("body-"+secret[:6]))
		d.waitEvents(id, 2)
		d.call(nil, "wsjsClose", id, 1000, "")
		return d.waitClosed(id)
	}
	logs := func(evs []event) string {
		var b strings.Builder
		for _, e := range evs {
			if e.Type == "log" {
				b.WriteString(e.Level + ": " + e.Message + "\n")
			}
		}
		return b.String()
	}
	on := logs(run(true))
	off := logs(run(false))
	if !strings.Contains(on, "GET /echo") || !strings.Contains(on, "Cookie: (not logged)") {
		t.Errorf("debug log lacks the handshake request with the cookie blanked:\n%s", on)
	}
	if !strings.Contains(on, "body-hunter") {
		t.Errorf("debug log lacks the message body:\n%s", on)
	}
	if strings.Contains(on, secret) || strings.Contains(off, secret) {
		t.Errorf("a cookie value was logged:\n%s\n%s", on, off)
	}
	if strings.Contains(off, "body-hunter") || strings.Contains(off, "GET /echo") {
		t.Errorf("with debug off, bodies or requests were logged:\n%s", off)
	}
}
