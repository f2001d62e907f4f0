package ruffleproxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/leakcheck"
	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpserver"
)

// handlerStacks names the handler's own frames, for the leak check.
var handlerStacks = []string{"ruffleproxy.(*Handler).ServeHTTP", "ruffleproxy.relay"}

// tcpServer runs serve for each accepted loopback connection until the test ends.
func tcpServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	return tcpserver.Serve(t, 0, serve).String()
}

// drainingTarget is a target that reads until the bridge closes its side and
// then reports how reading ended (nil: a clean end of stream).
func drainingTarget(t *testing.T) (addr string, ended <-chan error) {
	done := make(chan error, 1)
	addr = tcpServer(t, func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err := io.Copy(io.Discard, c)
		done <- err
	})
	return addr, done
}

func echoTCP(c net.Conn) { io.Copy(c, c) }

// bridge starts an HTTP server whose only handler is a bridge allowing allow.
func bridge(t *testing.T, allow ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(&Handler{Allow: allow, Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(srv.Close)
	return srv
}

func bridgeURL(srv *httptest.Server, target string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/?target=" + url.QueryEscape(target)
}

func dial(t *testing.T, ctx context.Context, u string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	ws.SetReadLimit(-1)
	return ws
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// readN reads binary messages until n bytes arrived; the bridge may split or
// join the TCP stream into messages of any size.
func readN(t *testing.T, ctx context.Context, ws *websocket.Conn, n int) []byte {
	t.Helper()
	var got bytes.Buffer
	for got.Len() < n {
		typ, p, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("read after %d of %d bytes: %v", got.Len(), n, err)
		}
		if typ != websocket.MessageBinary {
			t.Fatalf("message type %v, want binary", typ)
		}
		got.Write(p)
	}
	return got.Bytes()
}

func TestRelayRoundTrip(t *testing.T) {
	ctx := testCtx(t)
	target := tcpServer(t, echoTCP)
	srv := bridge(t, target)
	ws := dial(t, ctx, bridgeURL(srv, target))

	small := []byte("<policy-file-request/>\x00hello")
	big := make([]byte, 3<<20) // several MiB, far above any single read buffer
	rand.Read(big)
	for _, msg := range [][]byte{small, big, small} {
		// Write concurrently: the echo sends data back while we are still
		// sending, so a sequential write of a big message could deadlock on
		// full TCP buffers.
		errc := make(chan error, 1)
		go func() { errc <- ws.Write(ctx, websocket.MessageBinary, msg) }()
		got := readN(t, ctx, ws, len(msg))
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("echo of %d bytes differs (got %d bytes)", len(msg), len(got))
		}
	}
	if err := ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	leakcheck.Wait(t, handlerStacks...)
}

func TestRefusesUnlistedTarget(t *testing.T) {
	// A real loopback listener that is NOT on the allowlist.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	other := ln.Addr().String()
	srv := bridge(t, "127.0.0.1:1") // allow something else only

	for _, target := range []string{other, "", "localhost" + other[strings.LastIndex(other, ":"):]} {
		_, resp, err := websocket.Dial(testCtx(t), bridgeURL(srv, target), nil)
		if err == nil {
			t.Fatalf("target %q: bridge accepted an unlisted target", target)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("target %q: want HTTP 403, got %v (%v)", target, resp, err)
		}
	}

	noDialYet(t, ln)
}

func TestTargetCloseClosesWebSocket(t *testing.T) {
	ctx := testCtx(t)
	target := tcpServer(t, func(c net.Conn) { c.Write([]byte("bye")) })
	srv := bridge(t, target)
	ws := dial(t, ctx, bridgeURL(srv, target))
	defer ws.CloseNow()

	if got := readN(t, ctx, ws, 3); string(got) != "bye" {
		t.Fatalf("got %q, want bye", got)
	}
	_, _, err := ws.Read(ctx)
	if st := websocket.CloseStatus(err); st != websocket.StatusNormalClosure {
		t.Fatalf("after target EOF: want close 1000, got %v (%v)", st, err)
	}
	leakcheck.Wait(t, handlerStacks...)
}

func TestWebSocketCloseClosesTarget(t *testing.T) {
	ctx := testCtx(t)
	target, sawEOF := drainingTarget(t)
	srv := bridge(t, target)
	ws := dial(t, ctx, bridgeURL(srv, target))
	if err := ws.Write(ctx, websocket.MessageBinary, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-sawEOF:
		if err != nil {
			t.Fatalf("target saw %v, want a clean EOF", err)
		}
	case <-ctx.Done():
		t.Fatal("target connection was not closed after the WebSocket closed")
	}
	leakcheck.Wait(t, handlerStacks...)
}

func TestTextMessageRefused(t *testing.T) {
	ctx := testCtx(t)
	target := tcpServer(t, echoTCP)
	srv := bridge(t, target)
	ws := dial(t, ctx, bridgeURL(srv, target))
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte("text")); err != nil {
		t.Fatal(err)
	}
	_, _, err := ws.Read(ctx)
	if st := websocket.CloseStatus(err); st != websocket.StatusUnsupportedData {
		t.Fatalf("want close 1003 for a text message, got %v (%v)", st, err)
	}
	leakcheck.Wait(t, handlerStacks...)
}

func TestUnreachableTarget(t *testing.T) {
	// Listen then close, so the allowed port refuses connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	srv := bridge(t, dead)
	_, resp, err := websocket.Dial(testCtx(t), bridgeURL(srv, dead), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("want HTTP 502 for an unreachable target, got %v (%v)", resp, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("dial hung")
	}
}

// wantClose reads until the bridge closes ws and checks the close frame.
func wantClose(t *testing.T, ctx context.Context, ws *websocket.Conn, code websocket.StatusCode, reason string) {
	t.Helper()
	for {
		_, _, err := ws.Read(ctx)
		if err == nil {
			continue // data the target sent before the close
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code || ce.Reason != reason {
			t.Fatalf("want close %d %q, got %v", code, reason, err)
		}
		return
	}
}

func TestTextMessageRefusedClosesTarget(t *testing.T) {
	ctx := testCtx(t)
	target, sawEOF := drainingTarget(t)
	srv := bridge(t, target)
	ws := dial(t, ctx, bridgeURL(srv, target))
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte("text")); err != nil {
		t.Fatal(err)
	}
	wantClose(t, ctx, ws, websocket.StatusUnsupportedData, "binary messages only")
	if err := <-sawEOF; err != nil {
		t.Fatalf("target saw %v, want a clean EOF", err)
	}
	leakcheck.Wait(t, handlerStacks...)
}

func TestTargetFailureSends1001(t *testing.T) {
	ctx := testCtx(t)
	target := tcpServer(t, func(c net.Conn) {
		// Wait for the client's byte, so the bridge is relaying, then reset.
		c.Read(make([]byte, 1))
		c.(*net.TCPConn).SetLinger(0)
	})
	srv := bridge(t, target)
	ws := dial(t, ctx, bridgeURL(srv, target))
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageBinary, []byte("x")); err != nil {
		t.Fatal(err)
	}
	wantClose(t, ctx, ws, websocket.StatusGoingAway, "target connection failed")
	leakcheck.Wait(t, handlerStacks...)
}

func TestShutdownSends1001(t *testing.T) {
	ctx := testCtx(t)
	target := tcpServer(t, echoTCP)
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewUnstartedServer(&Handler{Allow: []string{target}, Logger: slog.New(slog.DiscardHandler)})
	srv.Config.BaseContext = func(net.Listener) context.Context { return base }
	srv.Start()
	defer srv.Close()
	ws := dial(t, ctx, bridgeURL(srv, target))
	defer ws.CloseNow()
	// One round trip, so the relay is surely running when the server stops.
	if err := ws.Write(ctx, websocket.MessageBinary, []byte("x")); err != nil {
		t.Fatal(err)
	}
	readN(t, ctx, ws, 1)
	cancel()
	wantClose(t, ctx, ws, websocket.StatusGoingAway, "server shutting down")
	leakcheck.Wait(t, handlerStacks...)
}

func TestClientThatNeverAnswersCloseIsDropped(t *testing.T) {
	target := tcpServer(t, func(c net.Conn) { c.Write([]byte("bye")) })
	// A short wait for the client's answering close.
	addr := serveHandler(t, &Handler{Allow: []string{target}, CloseTimeout: 200 * time.Millisecond})
	_, br := rawws.Upgrade(t, addr, "/?target="+url.QueryEscape(target))
	// Read "bye" and the close frame, never answer; the bridge must then
	// end the connection itself (rawws's own deadline is 10 s).
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the bridge did not drop a client that never answered its close")
	}
	leakcheck.Wait(t, handlerStacks...)
}

func TestClientCloseWhileNotReading(t *testing.T) {
	// The target floods, the client never reads and then sends a close: the
	// bridge's writer is stuck on a full socket, and must still be freed.
	stuck := make(chan struct{})
	target := tcpServer(t, func(c net.Conn) {
		buf := make([]byte, 64<<10)
		signalled := false
		for {
			// A write that cannot finish within the deadline means every
			// buffer on the way to the client is full.
			if !signalled {
				c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
			}
			_, err := c.Write(buf)
			var ne net.Error
			if !signalled && errors.As(err, &ne) && ne.Timeout() {
				signalled = true
				c.SetWriteDeadline(time.Time{})
				close(stuck)
				continue
			}
			if err != nil {
				return
			}
		}
	})
	srv := bridge(t, target)
	c, _ := rawws.Upgrade(t, srv.Listener.Addr().String(), "/?target="+url.QueryEscape(target))
	select {
	case <-stuck:
	case <-testCtx(t).Done():
		t.Fatal("the flood never filled the buffers")
	}
	// A masked close frame, code 1000, zero mask key.
	if _, err := c.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8}); err != nil {
		t.Fatal(err)
	}
	leakcheck.Wait(t, handlerStacks...)
}

// noDialYet fails t if a connection reached ln before ours: accept is FIFO,
// so a dial by the bridge would be accepted first.
func noDialYet(t *testing.T, ln net.Listener) {
	t.Helper()
	mine, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	got, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.RemoteAddr().String() != mine.LocalAddr().String() {
		t.Fatalf("the first connection came from %v, not from the test: the bridge dialed", got.RemoteAddr())
	}
}

// A plain GET, or a handshake the library would refuse, is answered without
// dialing the target.
func TestNoDialBeforeAValidHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	target := ln.Addr().String()
	srv := bridge(t, target)
	u := srv.URL + "/?target=" + url.QueryEscape(target)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET: %d, want 400", resp.StatusCode)
	}
	_, _, resp = rawws.Request(t, srv.Listener.Addr().String(), "/?target="+url.QueryEscape(target), "Sec-WebSocket-Version: 13\r\n")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("handshake without a key: %d, want 400", resp.StatusCode)
	}
	noDialYet(t, ln)
}

func TestOriginChecked(t *testing.T) {
	target := tcpServer(t, echoTCP)
	// Without CheckOrigin: the library's default, the page's host is the Host.
	srv := bridge(t, target)
	path := "/?target=" + url.QueryEscape(target)
	addr := srv.Listener.Addr().String()
	key := "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if _, _, resp := rawws.Request(t, addr, path, key+"Origin: http://evil.test\r\n"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin, default rule: %d, want 403", resp.StatusCode)
	}
	if _, _, resp := rawws.Request(t, addr, path, key+"Origin: http://"+addr+"\r\n"); resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("same origin, default rule: %d, want 101", resp.StatusCode)
	}
	// With CheckOrigin, it alone decides.
	strict := httptest.NewServer(&Handler{Allow: []string{target}, Logger: slog.New(slog.DiscardHandler),
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://page.test" }})
	defer strict.Close()
	addr = strict.Listener.Addr().String()
	if _, _, resp := rawws.Request(t, addr, path, key+"Origin: http://"+addr+"\r\n"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("origin CheckOrigin refuses: %d, want 403", resp.StatusCode)
	}
	if _, _, resp := rawws.Request(t, addr, path, key+"Origin: https://page.test\r\n"); resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("origin CheckOrigin allows: %d, want 101", resp.StatusCode)
	}
}

func TestConnectionLimit(t *testing.T) {
	ctx := testCtx(t)
	target := tcpServer(t, echoTCP)
	h := &Handler{Allow: []string{target}, MaxConns: 2, Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(h)
	defer srv.Close()
	a, b := dial(t, ctx, bridgeURL(srv, target)), dial(t, ctx, bridgeURL(srv, target))
	_, resp, err := websocket.Dial(ctx, bridgeURL(srv, target), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third relay over MaxConns 2: want 503, got %v (%v)", resp, err)
	}
	a.Close(websocket.StatusNormalClosure, "")
	for deadline := time.Now().Add(10 * time.Second); h.Active() > 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a closed relay is still counted")
		}
	}
	c := dial(t, ctx, bridgeURL(srv, target))
	c.Close(websocket.StatusNormalClosure, "")
	b.Close(websocket.StatusNormalClosure, "")
}

// A bridge whose target is its own server: a request for the bridge that
// arrives through a relay is refused, so one client connection cannot be
// multiplied into a chain of server sockets and goroutines.
func TestNestedBridgeRefused(t *testing.T) {
	ctx := testCtx(t)
	h := &Handler{Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(h)
	defer srv.Close()
	self := srv.Listener.Addr().String()
	h.Allow = []string{self}
	ws := dial(t, ctx, bridgeURL(srv, self))
	defer ws.CloseNow()
	req := "GET /?target=" + url.QueryEscape(self) + " HTTP/1.1\r\nHost: " + self +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if err := ws.Write(ctx, websocket.MessageBinary, []byte(req)); err != nil {
		t.Fatal(err)
	}
	got := readN(t, ctx, ws, len("HTTP/1.1 403"))
	if !bytes.HasPrefix(got, []byte("HTTP/1.1 403")) {
		t.Fatalf("a bridge request through the bridge got %q, want 403", got)
	}
}
