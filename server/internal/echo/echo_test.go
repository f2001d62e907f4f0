package echo

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpclient"
)

func newTestServer(tb testing.TB, opts Options) (*httptest.Server, *Handler) {
	tb.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	h := New(opts)
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv, h
}

// waitActive waits (up to 10 s) until h has exactly n connections.
func waitActive(tb testing.TB, h *Handler, n int) {
	tb.Helper()
	for i := 0; h.Active() != n; i++ {
		if i == 1000 {
			tb.Fatalf("%d connections active, want %d", h.Active(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A client may send its first frame in the same packet as its handshake;
// those bytes sit in net/http's buffer at the upgrade and must be echoed
// (gorilla, the echo's library before, dropped such a connection).
func TestFrameRightBehindHandshake(t *testing.T) {
	srv, _ := newTestServer(t, Options{PingInterval: -1})
	addr := srv.Listener.Addr().String()
	c := tcpclient.Dial(t, addr)
	defer c.Close()

	var req bytes.Buffer
	fmt.Fprintf(&req, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	// Two masked text frames, "hi" and 2000 × "x" (more than the frame reader holds).
	req.Write(maskedText([]byte("hi")))
	req.Write(maskedText(bytes.Repeat([]byte("x"), 2000)))
	if _, err := c.Write(req.Bytes()); err != nil { // one write: one packet on loopback
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	for _, want := range []string{"hi", string(bytes.Repeat([]byte("x"), 2000))} {
		if got := readServerFrame(t, br); got != want {
			t.Fatalf("echo: got %d bytes %.20q…, want %d bytes", len(got), got, len(want))
		}
	}
}

// Malformed upgrades get a clear HTTP error (RFC 6455 §4.4: an unsupported
// version is answered 426 with the versions we speak) and give their
// connection slot back: with room for one connection, a good client still
// gets in.
func TestBadHandshakesAreRefusedAndFreeTheirSlot(t *testing.T) {
	srv, h := newTestServer(t, Options{PingInterval: -1, MaxConns: 1})
	addr := srv.Listener.Addr().String()
	cases := []struct {
		name, headers string
		status        int
		version       string // Sec-WebSocket-Version the answer must carry, if any
	}{
		{"version 8", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n", http.StatusUpgradeRequired, "13"},
		{"no version", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", http.StatusBadRequest, ""},
		{"no key", "Sec-WebSocket-Version: 13\r\n", http.StatusBadRequest, ""},
		{"empty key", "Sec-WebSocket-Key: \r\nSec-WebSocket-Version: 13\r\n", http.StatusBadRequest, ""},
		{"key of the right length, not base64", "Sec-WebSocket-Key: ########################\r\nSec-WebSocket-Version: 13\r\n", http.StatusBadRequest, ""},
		{"key for 15 bytes", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\nSec-WebSocket-Version: 13\r\n", http.StatusBadRequest, ""},
	}
	for _, tc := range cases {
		c, br, resp := rawws.Request(t, addr, "/", tc.headers)
		// The refused connection is closed once its slot is free again.
		io.Copy(io.Discard, resp.Body)
		expectEOF(t, c, br)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if got := resp.Header.Get("Sec-WebSocket-Version"); tc.version != "" && got != tc.version {
			t.Errorf("%s: Sec-WebSocket-Version %q, want %q", tc.name, got, tc.version)
		}
	}
	rawws.Upgrade(t, addr, "/") // fails the test unless it gets 101
	waitActive(t, h, 1)
}

// RFC 6455 §4.1: the opening handshake is HTTP/1.1 or later; an HTTP/1.0
// upgrade is refused with a reason, not switched.
func TestHTTP10UpgradeIsRefused(t *testing.T) {
	srv, h := newTestServer(t, Options{PingInterval: -1})
	c := tcpclient.Dial(t, srv.Listener.Addr().String())
	defer c.Close()
	fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", srv.Listener.Addr())
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusHTTPVersionNotSupported || !bytes.Contains(body, []byte("HTTP/1.1")) {
		t.Fatalf("HTTP/1.0 upgrade: %s %q, want 505 naming HTTP/1.1", resp.Status, body)
	}
	if h.Active() != 0 {
		t.Fatalf("%d connections active after a refused upgrade", h.Active())
	}
}

// Several frames in one packet: after the first echo the rest sit in the
// library's read buffer, not in the socket; all must be echoed, in order.
func TestPipelinedFramesAreAllEchoed(t *testing.T) {
	srv, _ := newTestServer(t, Options{PingInterval: -1})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	want := []string{"one", "two", string(bytes.Repeat([]byte("3"), 300)), "four"}
	for round := range 3 { // the first round on a fresh connection, later ones after messages
		var batch bytes.Buffer
		for _, m := range want {
			batch.Write(maskedText([]byte(m)))
		}
		if _, err := c.Write(batch.Bytes()); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if got := readServerFrame(t, br); got != w {
				t.Fatalf("round %d: got %.20q, want %.20q", round, got, w)
			}
		}
	}
}

// Control frames inside and after a message: a ping between two fragments
// gets its pong before the echo, and a close behind a message comes back
// after that message's echo.
func TestControlFramesAroundMessages(t *testing.T) {
	srv, _ := newTestServer(t, Options{PingInterval: -1})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	for round := range 3 {
		packet := bytes.Join([][]byte{
			maskedFrame(0x01, []byte("frag")), maskedFrame(0x89, []byte("are you there")), maskedFrame(0x80, []byte("ment")),
		}, nil)
		if _, err := c.Write(packet); err != nil {
			t.Fatal(err)
		}
		if op, p := readFrame(t, br); op != websocket.PongMessage || string(p) != "are you there" {
			t.Fatalf("round %d: frame %x %q, want the pong", round, op, p)
		}
		if op, p := readFrame(t, br); op != websocket.TextMessage || string(p) != "fragment" {
			t.Fatalf("round %d: frame %x %q, want the echo of the fragments", round, op, p)
		}
	}
	if _, err := c.Write(append(maskedText([]byte("last")), maskedFrame(0x88, []byte{3, 232})...)); err != nil {
		t.Fatal(err)
	}
	if op, p := readFrame(t, br); op != websocket.TextMessage || string(p) != "last" {
		t.Fatalf("frame %x %q, want the echo of the last message", op, p)
	}
	if code, _ := readClose(t, br); code != websocket.CloseNormalClosure {
		t.Fatalf("close %d, want 1000", code)
	}
}

// A long mixed stream, cut at random places: messages of every size class
// (around the 128-byte wait array and the 4 KiB frame reader, and larger),
// fragmented or not, with pings between fragments, written in random
// chunks with pauses. Every message and every pong must come back, in order.
func TestMixedStreamCutAnywhere(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	srv, _ := newTestServer(t, Options{PingInterval: -1})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	c.SetDeadline(time.Now().Add(30 * time.Second))

	// A frame is 6 bytes (8 from 126 on) more than its payload.
	sizes := []int{0, 1, 5, 121, 122, 123, 125, 126, 200, 1000, 4087, 4088, 4096, 8192, 9000, 20000}
	var stream bytes.Buffer
	var messages [][]byte
	pings := 0
	for i := range 300 {
		msg := make([]byte, sizes[rng.IntN(len(sizes))])
		for j := range msg {
			msg[j] = byte(i + j)
		}
		messages = append(messages, msg)
		parts := 1 + rng.IntN(3)
		for p := range parts {
			lo, hi := len(msg)*p/parts, len(msg)*(p+1)/parts
			op := byte(0x2)
			if p > 0 {
				op = 0x0
			}
			if p == parts-1 {
				op |= 0x80
			}
			stream.Write(maskedFrame(op, msg[lo:hi]))
			if p < parts-1 && rng.IntN(3) == 0 {
				stream.Write(maskedFrame(0x89, []byte{byte(pings)}))
				pings++
			}
		}
	}
	go writeInRandomChunks(c, stream.Bytes(), rng.Uint64())

	gotPongs := 0
	for i := 0; i < len(messages); {
		var msg []byte
		for {
			fin, op, payload := readFrameFin(t, br)
			if op == 0xA {
				if len(payload) != 1 || int(payload[0]) != gotPongs%256 {
					t.Fatalf("pong %d carries %x", gotPongs, payload)
				}
				gotPongs++
				continue
			}
			msg = append(msg, payload...)
			if fin {
				break
			}
		}
		if !bytes.Equal(msg, messages[i]) {
			t.Fatalf("message %d: echo of %d bytes, want %d", i, len(msg), len(messages[i]))
		}
		i++
	}
	if gotPongs != pings {
		t.Fatalf("%d pongs for %d pings", gotPongs, pings)
	}
}

// writeInRandomChunks writes b in chunks of 1 byte to 3 KB, pausing now
// and then so that the server sees parts of frames on their own.
func writeInRandomChunks(c net.Conn, b []byte, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	for len(b) > 0 {
		n := min(len(b), 1+rng.IntN(3000))
		if _, err := c.Write(b[:n]); err != nil {
			return // the reader reports what is missing
		}
		b = b[n:]
		if rng.IntN(10) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// Over TLS pipelined and large messages come back whole too.
func TestTLSConnectionsEcho(t *testing.T) {
	h := New(Options{PingInterval: -1, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	d := websocket.Dialer{TLSClientConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}
	url := "wss://" + srv.Listener.Addr().String() + "/"
	msgs := [][]byte{[]byte("tls"), bytes.Repeat([]byte("L"), 5*frameReaderSize+1), []byte("after")}
	for range 3 {
		c, _, err := d.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for _, m := range msgs {
			if err := c.WriteMessage(websocket.BinaryMessage, m); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range msgs {
			_, got, err := c.ReadMessage()
			if err != nil || !bytes.Equal(got, m) {
				t.Fatalf("echo of %d bytes: got %d bytes, %v", len(m), len(got), err)
			}
		}
	}
}

// RFC 6455 §8.1: a text message that is not UTF-8 fails the connection
// with 1007; it is not echoed. Valid text, and binary with the same bytes,
// are echoed.
func TestInvalidUTF8TextCloses1007(t *testing.T) {
	srv, h := newTestServer(t, Options{PingInterval: -1})
	addr := srv.Listener.Addr().String()
	for _, bad := range [][]byte{{0xff, 0xfe}, {0xED, 0xA0, 0x80}, []byte("ok so far \xc3")} {
		c, br := rawws.Upgrade(t, addr, "/")
		packet := bytes.Join([][]byte{
			maskedText([]byte("héllo")), maskedFrame(0x82, bad),
			// Split across fragments, a character cut in two is still valid.
			maskedFrame(0x01, []byte("\xc3")), maskedFrame(0x80, []byte("\xa9")),
			maskedText(bad),
		}, nil)
		if _, err := c.Write(packet); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"héllo", string(bad), "é"} {
			if got := readServerFrame(t, br); got != want {
				t.Fatalf("echo %q, want %q", got, want)
			}
		}
		if code, reason := readClose(t, br); code != websocket.CloseInvalidFramePayloadData {
			t.Fatalf("text % x: close %d %q, want 1007", bad, code, reason)
		}
		expectEOF(t, c, br)
	}
	waitActive(t, h, 0)
}

// With pings off, a client that sends but never reads is dropped once an
// echo has waited MessageTimeout to be written: it cannot hold the
// connection's goroutine and buffers for ever.
func TestClientThatStopsReadingIsDropped(t *testing.T) {
	srv, h := newTestServer(t, Options{PingInterval: -1, MessageTimeout: 300 * time.Millisecond})
	c, _ := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	frame := maskedFrame(0x82, make([]byte, 512<<10))
	go func() {
		// Enough to fill both sides' socket buffers; the writes stop by
		// themselves when the server drops the connection.
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		for range 64 {
			if _, err := c.Write(frame); err != nil {
				return
			}
		}
	}()
	waitActive(t, h, 1)
	waitActive(t, h, 0)
}

// RFC 6455 §5.5.1 and §7.4: a close frame's body is empty or a two-byte
// code a peer may send plus a UTF-8 reason. A valid one is answered with
// its code; an empty one with an empty close; anything else (one byte, a
// reserved or unassigned code, a reason that is not UTF-8) fails the
// connection with 1002. Each ends with the connection closed.
func TestCloseFrameBodiesAreChecked(t *testing.T) {
	srv, h := newTestServer(t, Options{PingInterval: -1})
	code := func(c int, reason string) []byte { return append([]byte{byte(c >> 8), byte(c)}, reason...) }
	cases := []struct {
		name string
		body []byte
		want int // the code of the server's close frame (1005: none)
	}{
		{"normal", code(1000, "bye"), 1000},
		{"application code", code(4000, ""), 4000},
		{"empty", nil, websocket.CloseNoStatusReceived},
		{"one byte", []byte{0x03}, websocket.CloseProtocolError},
		{"code 999", code(999, ""), websocket.CloseProtocolError},
		{"code 1005, which must not be sent", code(1005, ""), websocket.CloseProtocolError},
		{"code 1006, which must not be sent", code(1006, ""), websocket.CloseProtocolError},
		{"unassigned code 1016", code(1016, ""), websocket.CloseProtocolError},
		{"reason not UTF-8", code(1000, "\xff"), websocket.CloseProtocolError},
	}
	for _, tc := range cases {
		c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
		if _, err := c.Write(append(maskedText([]byte("first")), maskedFrame(0x88, tc.body)...)); err != nil {
			t.Fatal(err)
		}
		if got := readServerFrame(t, br); got != "first" {
			t.Fatalf("%s: echo %q", tc.name, got)
		}
		if got, reason := readClose(t, br); got != tc.want {
			t.Errorf("%s: close %d %q, want %d", tc.name, got, reason, tc.want)
		}
		expectEOF(t, c, br)
	}
	waitActive(t, h, 0)
}

// A frame length of 2^63 (not a length a message can have) is answered
// with close 1009 before the connection is dropped; so is a length over
// the limit.
func TestImpossibleLengthCloses1009(t *testing.T) {
	srv, _ := newTestServer(t, Options{PingInterval: -1, MaxMessage: 1000})
	for _, length := range []uint64{1 << 63, 1001} {
		c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
		header := []byte{0x82, 0x80 | 127}
		for s := 56; s >= 0; s -= 8 {
			header = append(header, byte(length>>s))
		}
		if _, err := c.Write(append(header, 1, 2, 3, 4)); err != nil {
			t.Fatal(err)
		}
		if code, reason := readClose(t, br); code != websocket.CloseMessageTooBig {
			t.Fatalf("length %d: close %d %q, want 1009", length, code, reason)
		}
		expectEOF(t, c, br)
	}
}

// Shutdown sends every client 1001 and returns once they have answered;
// a client that comes later gets 1001 at once.
func TestShutdownSends1001(t *testing.T) {
	srv, h := newTestServer(t, Options{PingInterval: -1})
	const n = 5
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Listener.Addr().String()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		conns[i] = c
	}
	waitActive(t, h, n)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Shutdown(ctx) }()
	for i, c := range conns { // reading the close answers it (gorilla's default)
		if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Fatalf("client %d: %v, want close 1001", i, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A client that comes after Shutdown is told at once.
	_, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	if code, _ := readClose(t, br); code != websocket.CloseGoingAway {
		t.Fatalf("client after Shutdown: close %d, want 1001", code)
	}
	if h.Active() != 0 {
		t.Fatalf("%d connections after Shutdown", h.Active())
	}
}

// A client that never answers the 1001 is dropped at the deadline, and
// Shutdown still returns.
func TestShutdownDropsClientsThatDoNotAnswer(t *testing.T) {
	srv, h := newTestServer(t, Options{PingInterval: -1})
	_, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	waitActive(t, h, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Shutdown(ctx) }()
	if code, _ := readClose(t, br); code != websocket.CloseGoingAway {
		t.Fatalf("close %d, want 1001", code)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Shutdown reported success although a client never answered")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return")
	}
	waitActive(t, h, 0)
}

// BenchmarkIdleConnectionMemory opens silent connections and reports what
// each costs the server in live heap and goroutine stack. The raw clients
// run no goroutines, so the figures are the server's; `mage bench`
// measures a whole server process.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const n = 500
	srv, h := newTestServer(b, Options{PingInterval: -1})
	addr := srv.Listener.Addr().String()
	var heap, stack float64
	for b.Loop() {
		before := settledMemStats()
		conns := make([]net.Conn, 0, n)
		for range n {
			c, _ := rawws.Upgrade(b, addr, "/")
			conns = append(conns, c)
		}
		waitActive(b, h, n)
		after := settledMemStats()
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		stack += float64(after.StackInuse) - float64(before.StackInuse)
		for _, c := range conns {
			c.Close()
		}
		waitActive(b, h, 0)
	}
	b.ReportMetric(heap/float64(b.N*n), "heap-B/conn")
	b.ReportMetric(stack/float64(b.N*n), "stack-B/conn")
}

func settledMemStats() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// maskedText builds one client text frame (RFC 6455 §5.2).
func maskedText(p []byte) []byte { return maskedFrame(0x81, p) }

// maskedFrame builds one masked client frame with the given first byte
// (FIN and opcode).
func maskedFrame(first byte, p []byte) []byte {
	key := []byte{0x12, 0x34, 0x56, 0x78}
	f := []byte{first}
	switch {
	case len(p) < 126:
		f = append(f, 0x80|byte(len(p)))
	case len(p) < 1<<16:
		f = append(f, 0x80|126, byte(len(p)>>8), byte(len(p)))
	default:
		f = append(f, 0x80|127)
		for s := 56; s >= 0; s -= 8 {
			f = append(f, byte(uint64(len(p))>>s))
		}
	}
	f = append(f, key...)
	for i, b := range p {
		f = append(f, b^key[i%4])
	}
	return f
}

// readServerFrame reads one unmasked, unfragmented frame and returns its payload.
func readServerFrame(t *testing.T, r io.Reader) string {
	t.Helper()
	_, p := readFrame(t, r)
	return string(p)
}

// readFrame reads one unmasked server frame of any length (RFC 6455 §5.2).
func readFrame(t *testing.T, r io.Reader) (opcode byte, payload []byte) {
	t.Helper()
	_, opcode, payload = readFrameFin(t, r)
	return opcode, payload
}

// readFrameFin is readFrame that also reports the frame's FIN bit.
func readFrameFin(t *testing.T, r io.Reader) (fin bool, opcode byte, payload []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatal(err)
	}
	n := uint64(h[1] & 0x7f)
	if n >= 126 {
		ext := make([]byte, map[uint64]int{126: 2, 127: 8}[n])
		if _, err := io.ReadFull(r, ext); err != nil {
			t.Fatal(err)
		}
		n = 0
		for _, b := range ext {
			n = n<<8 | uint64(b)
		}
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		t.Fatal(err)
	}
	return h[0]&0x80 != 0, h[0] & 0x0F, payload
}

// readClose reads server frames up to a close frame and returns its code
// (1005 when it has none) and reason, skipping pings and pongs; it fails
// on a data frame.
func readClose(t *testing.T, r io.Reader) (code int, reason string) {
	t.Helper()
	for {
		op, p := readFrame(t, r)
		switch {
		case op == websocket.CloseMessage && len(p) >= 2:
			return int(p[0])<<8 | int(p[1]), string(p[2:])
		case op == websocket.CloseMessage:
			return websocket.CloseNoStatusReceived, ""
		case op != websocket.PingMessage && op != websocket.PongMessage:
			t.Fatalf("frame %x %q, want a close frame", op, p)
		}
	}
}

// expectEOF checks that the server has closed the connection.
func expectEOF(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := br.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after the close: read %d bytes, %v; want the connection closed", n, err)
	}
}
