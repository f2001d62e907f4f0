package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/leakcheck"
	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpclient"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpserver"
	"github.com/web-socket-js/web-socket-js/server/internal/policy"
	"github.com/web-socket-js/web-socket-js/server/internal/ratelog"
	"github.com/web-socket-js/web-socket-js/server/internal/sniff"
)

// These tests play the attacks from the security review against the real
// server: each one fails on the server as it was before the fix.

// upgradeStatus sends a WebSocket handshake for path with exactly the given
// Host and Origin headers (Origin omitted when "") and returns the status.
func upgradeStatus(t *testing.T, addr, path, host, origin string) int {
	t.Helper()
	c := tcpclient.Dial(t, addr)
	defer c.Close()
	if origin != "" {
		origin = "Origin: " + origin + "\r\n"
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n", path, host, origin)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("handshake for %s (Host %s, Origin %q): %v", path, host, origin, err)
	}
	return resp.StatusCode
}

// DNS rebinding: attacker.test resolves to the server, so the browser sends
// Host: attacker.test and Origin http://attacker.test. "Own origin" is the
// bound address, so that page is refused; so is a non-web scheme on the
// server's own host and port.
func TestOwnOriginIsTheBoundAddressNotTheHostHeader(t *testing.T) {
	s := start(t, testConfig(t))
	_, port, _ := net.SplitHostPort(s.Addr())
	for _, c := range []struct{ host, origin string }{
		{"attacker.test:" + port, "http://attacker.test:" + port},
		{"attacker.test:" + port, "https://attacker.test:" + port},
		{s.Addr(), "ftp://" + s.Addr()},
	} {
		for _, path := range []string{"/", EchoPath} {
			if got := upgradeStatus(t, s.Addr(), path, c.host, c.origin); got != http.StatusForbidden {
				t.Errorf("%s with Host %s, Origin %s: %d, want 403", path, c.host, c.origin, got)
			}
		}
	}
	for _, origin := range []string{"", "http://" + s.Addr(), "http://localhost:" + port} {
		if got := upgradeStatus(t, s.Addr(), EchoPath, s.Addr(), origin); got != http.StatusSwitchingProtocols {
			t.Errorf("own origin %q: %d, want 101", origin, got)
		}
	}
}

// bridgePath is the bridge's path with target.
func bridgePath(target string) string { return BridgePath + "?target=" + url.QueryEscape(target) }

// The bridge is not served unless the try-it needs it or it is asked for.
func TestBridgeOffByDefault(t *testing.T) {
	s := start(t, testConfig(t))
	if got := upgradeStatus(t, s.Addr(), bridgePath(s.Addr()), s.Addr(), ""); got != http.StatusNotFound {
		t.Fatalf("bridge without -bridge or -ruffle-dir: %d, want 404", got)
	}
	for _, flag := range [][]string{{"-bridge"}, {"-ruffle-dir", t.TempDir()}} {
		s := start(t, testConfig(t, flag...))
		if got := upgradeStatus(t, s.Addr(), bridgePath("127.0.0.1:"+port(s)), s.Addr(), ""); got != http.StatusSwitchingProtocols {
			t.Errorf("bridge with %q: %d, want 101", flag, got)
		}
	}
}

func port(s *Server) string {
	_, p, _ := net.SplitHostPort(s.Addr())
	return p
}

// Another site's page may not drive the bridge (and through it reach the
// echo with no Origin at all).
func TestBridgeChecksOrigin(t *testing.T) {
	s := start(t, testConfig(t, "-bridge", "-origins", "https://page.test"))
	own := bridgePath("127.0.0.1:" + port(s))
	cases := []struct {
		host, origin string
		want         int
	}{
		{s.Addr(), "http://evil.test", http.StatusForbidden},
		{"attacker.test:" + port(s), "http://attacker.test:" + port(s), http.StatusForbidden},
		{s.Addr(), "http://" + s.Addr(), http.StatusSwitchingProtocols},
		{s.Addr(), "https://page.test", http.StatusSwitchingProtocols},
	}
	for _, c := range cases {
		if got := upgradeStatus(t, s.Addr(), own, c.host, c.origin); got != c.want {
			t.Errorf("bridge, Origin %s: %d, want %d", c.origin, got, c.want)
		}
	}
}

// Relays count against -bridge-max-conns even when the echo has room.
func TestBridgeConnectionLimit(t *testing.T) {
	s := start(t, testConfig(t, "-bridge", "-bridge-max-conns", "2"))
	own := s.WSURL(bridgePath("127.0.0.1:" + port(s)))
	dial(t, own, nil)
	dial(t, own, nil)
	_, resp, err := websocket.Dial(testCtx(t), own, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third relay over -bridge-max-conns 2: want 503, got %v (%v)", resp, err)
	}
}

// A bridge request sent through a relay to the server's own port is
// refused: nesting cannot turn one client connection into many.
func TestBridgeDoesNotNest(t *testing.T) {
	s := start(t, testConfig(t, "-bridge"))
	self := "127.0.0.1:" + port(s)
	c := dial(t, s.WSURL(bridgePath(self)), nil)
	ctx := testCtx(t)
	req := "GET " + bridgePath(self) + " HTTP/1.1\r\nHost: " + self + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if err := c.Write(ctx, websocket.MessageBinary, []byte(req)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for len(got) < len("HTTP/1.1 403") {
		_, p, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, p...)
	}
	if !strings.HasPrefix(string(got), "HTTP/1.1 403") {
		t.Fatalf("nested bridge request answered %q, want 403", got)
	}
}

// A plain GET on the bridge is answered without dialing the target.
func TestBridgeDialsNothingForAPlainGET(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := start(t, testConfig(t, "-bridge-allow", ln.Addr().String()))
	resp, err := http.Get("http://" + s.Addr() + bridgePath(ln.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET on the bridge: %d, want 400", resp.StatusCode)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	mine, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	c := <-accepted
	if c == nil {
		t.Fatal("accept failed")
	}
	defer c.Close()
	if c.RemoteAddr().String() != mine.LocalAddr().String() {
		t.Fatalf("the target's first connection came from %v: the bridge dialed for a plain GET", c.RemoteAddr())
	}
}

// Relays are pinged like echo connections: a client that never answers is
// dropped.
func TestBridgeDropsUnresponsiveClient(t *testing.T) {
	target := silentTarget(t)
	s := start(t, testConfig(t, "-bridge-allow", target, "-ping-interval", "50ms", "-ping-timeout", "100ms"))
	_, br := rawws.Upgrade(t, s.Addr(), bridgePath(target))
	waitClosed(t, br, "bridge client that never answers pings")
}

// silentTarget is a TCP target that accepts and holds connections, silent,
// until the test ends.
func silentTarget(t *testing.T) string {
	t.Helper()
	return tcpserver.Serve(t, 0, func(c net.Conn) { io.Copy(io.Discard, c) }).String()
}

// closedWithin reads c until the server closes it and fails unless that
// happens before limit (counted from start): a read still blocked then
// means the server holds the connection.
func closedWithin(t *testing.T, c net.Conn, start time.Time, limit time.Duration, what string) {
	t.Helper()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: still open %v after it started", what, limit)
	}
}

// A request that declares a body and sends none, or a chunked body that
// stalls, is answered and closed at once; before, it was held with no answer.
func TestStalledRequestBodyIsRefused(t *testing.T) {
	s := start(t, testConfig(t))
	for _, head := range []string{
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
	} {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		begun := time.Now()
		io.WriteString(c, head)
		c.SetReadDeadline(begun.Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%q: no answer: %v", head, err)
		}
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%q: %d, want 413", head, resp.StatusCode)
		}
		closedWithin(t, c, begun, 5*time.Second, "connection after a refused body")
	}
}

// A client that asks for a big file and never reads is dropped after
// -http-write-timeout instead of holding a connection and its goroutine.
func TestStalledDownloadIsDropped(t *testing.T) {
	cfg := testConfig(t, "-http-write-timeout", "500ms")
	big := make([]byte, 64<<20) // more than the socket buffers on the way hold
	if err := os.WriteFile(filepath.Join(cfg.Dist, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(t, cfg)
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	// Never read. The kernel may keep delivering what the server queued
	// before it closed, so watch the server's side: its connection
	// goroutine must end while this client is still connected.
	leakcheck.Wait(t, "net/http.(*conn).serve")
}

// One deadline from accept through the headers: a client silent for most of
// -handshake-timeout that then trickles a byte at a time is closed at the
// deadline, not given a fresh header timeout after its first byte.
func TestHandshakeDeadlineIsAbsolute(t *testing.T) {
	const timeout = 3 * time.Second
	s := start(t, testConfig(t, "-handshake-timeout", timeout.String()))
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	begun := time.Now()
	time.Sleep(timeout * 9 / 10)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for _, b := range []byte("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ") {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
		}
	}()
	// The old two-step deadline closed it at 0.9+1 = 1.9 × timeout.
	closedWithin(t, c, begun, timeout*3/2, "connection trickling its headers")
}

// 3,000 connections that never send a byte, from twelve addresses (250
// each, under -max-handshakes-per-ip): the server keeps at most
// -max-handshakes of them (closing the oldest), so they cost a bounded
// number of goroutines and descriptors, and a client that speaks at once is
// still served well within the handshake timeout.
func TestSilentFloodIsCappedAndClientsAreServed(t *testing.T) {
	const silent, maxPending = 3000, sniff.DefaultMaxPending // the default -max-handshakes
	raiseFileLimit(t, 2*silent+1000)
	s := start(t, testConfig(t))
	before := runtime.NumGoroutine()
	var from []string
	for i := 2; i < 14; i++ {
		from = append(from, fmt.Sprintf("127.0.0.%d", i))
	}
	openSilent(t, s.Addr(), silent, from...)
	sniffer := s.ln.(*sniff.Listener) // the listener that holds connections still in their handshake
	// Every dial is accepted before the client's request below; let the
	// accept loop catch up with the last of them.
	for deadline := time.Now().Add(10 * time.Second); sniffer.Pending() < maxPending; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d pending", sniffer.Pending())
		}
	}
	if p := sniffer.Pending(); p > maxPending {
		t.Fatalf("%d connections pending, over -max-handshakes %d", p, maxPending)
	}
	g := runtime.NumGoroutine() - before
	if g > maxPending+100 {
		t.Fatalf("%d silent connections hold %d goroutines; the cap is %d", silent, g, maxPending)
	}
	t.Logf("%d silent connections: %d pending, %d goroutines", silent, sniffer.Pending(), g)
	// Served within half the handshake timeout: not waiting for silent
	// connections to time out.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.WSURL(EchoPath), nil)
	if err != nil {
		t.Fatalf("a client during the flood: %v", err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Read(ctx); err != nil {
		t.Fatalf("echo during the flood: %v", err)
	}
	if got := readAll(t, s.Addr(), policy.Request); !strings.HasPrefix(string(got), "<?xml") {
		t.Fatalf("policy during the flood: %q", got)
	}
}

// 1,100 connections that send '<' and stall, on the main port and on the
// standalone policy port: a fresh client still gets its policy within a
// second on both. Before, the 1,024-slot budget was full and new policy
// connections were closed at once.
func TestPolicyServedDuringAStalledFlood(t *testing.T) {
	const stalled = 1100
	raiseFileLimit(t, 4*stalled+1000)
	s := start(t, testConfig(t, "-policy-addr", "127.0.0.1:0"))
	for _, addr := range []string{s.Addr(), s.PolicyAddr()} {
		var conns []net.Conn
		for range stalled {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("after %d stalled connections: %v", len(conns), err)
			}
			defer c.Close()
			c.Write([]byte("<"))
			conns = append(conns, c)
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		io.WriteString(c, policy.Request)
		got, err := io.ReadAll(c)
		if !strings.HasPrefix(string(got), "<?xml") {
			t.Fatalf("policy on %s with %d stalled connections open: %q (%v)", addr, stalled, got, err)
		}
	}
}

// runLogged runs the command in-process with args and returns the address it
// printed, its output so far, and a stop function that waits for Run.
func runLogged(t *testing.T, args ...string) (addr string, out *syncBuffer, stop func()) {
	t.Helper()
	checkLeaks(t)
	out = &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, append([]string{"-addr", "127.0.0.1:0", "-dist", t.TempDir()}, args...), out) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := urlIn.FindStringSubmatch(out.String()); m != nil {
			return m[1], out, stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed:\n%s", out.String())
		}
	}
}

var urlIn = regexp.MustCompile(`try it at http://([^/]+)/`)

// 1,024 garbage policy requests and 200 foreign-origin upgrades: each kind
// of refusal is written once, then counted, and the count is written at
// shutdown. Before, every connection wrote its own line.
func TestRefusalsAreLoggedAtABoundedRate(t *testing.T) {
	addr, out, stop := runLogged(t)
	begun := time.Now()
	for range 1024 {
		readAll(t, addr, "<garbage")
	}
	for range 200 {
		if got := upgradeStatus(t, addr, EchoPath, addr, "http://evil.test"); got != http.StatusForbidden {
			t.Fatalf("foreign origin: %d", got)
		}
	}
	stop()
	// One line per started interval, and every refusal accounted for.
	intervals := 1 + int(time.Since(begun)/ratelog.DefaultInterval)
	log := out.String()
	for msg, refused := range map[string]int{"policy: bad request, closing": 1024, "echo: origin refused": 200} {
		written, counted := refusalLines(log, msg)
		if written > intervals || written+counted != refused {
			t.Errorf("%q: %d lines and %d counted for %d refusals in %d interval(s)", msg, written, counted, refused, intervals)
		}
	}
}

var timesAttr = regexp.MustCompile(` times=(\d+)`)

// refusalLines counts the log lines for msg and the repeats their summary
// lines report.
func refusalLines(log, msg string) (written, counted int) {
	for _, line := range strings.Split(log, "\n") {
		switch {
		case strings.Contains(line, `msg="`+msg+` (repeated)"`):
			if m := timesAttr.FindStringSubmatch(line); m != nil {
				n, _ := strconv.Atoi(m[1])
				counted += n
			}
		case strings.Contains(line, `msg="`+msg+`"`):
			written++
		}
	}
	return written, counted
}

// dyingListener accepts nothing and fails for good once die is closed.
type dyingListener struct {
	net.Listener
	die chan struct{}
}

func (l dyingListener) Accept() (net.Conn, error) {
	<-l.die
	return nil, errors.New("listener died")
}

// A main listener that dies while -policy-addr still serves ends the server
// with an error (the command exits non-zero) instead of leaving a server
// with no HTTP port running.
func TestDeadMainListenerEndsTheServer(t *testing.T) {
	cfg := testConfig(t, "-policy-addr", "127.0.0.1:0")
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	die := make(chan struct{})
	s, err := build(cfg, quiet(), dyingListener{inner, die})
	if err != nil {
		t.Fatal(err)
	}
	if s.policyLn, err = net.Listen("tcp", cfg.PolicyAddr); err != nil {
		t.Fatal(err)
	}
	s.serve(context.Background())
	close(die)
	stopped := make(chan error, 1)
	go func() { stopped <- s.Wait() }()
	select {
	case err := <-stopped:
		if err == nil || !strings.Contains(err.Error(), "listener died") {
			t.Fatalf("the server stopped with %v, want the listener's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server kept running (policy port only) after its main listener died")
	}
}

// getOn sends a GET for path on c (kept alive) and returns the status.
func getOn(t *testing.T, c net.Conn, br *bufio.Reader, path string) int {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Plain HTTP connections past their headers count against -max-http-conns:
// downloads nobody reads fill it and the next request gets 503 (before,
// nothing counted them); kept-alive idle connections give way to a new one.
func TestHTTPConnectionsAreCapped(t *testing.T) {
	cfg := testConfig(t, "-max-http-conns", "2")
	os.WriteFile(filepath.Join(cfg.Dist, "big.bin"), make([]byte, 64<<20), 0o644)
	os.WriteFile(filepath.Join(cfg.Dist, "small.txt"), []byte("hi"), 0o644)
	s := start(t, cfg)
	dialKept := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	// A connection counts as busy until the server has marked it idle, just
	// after its answer went out, so a client that comes at that moment may
	// get 503; these clients ask again until they are answered.
	admitted := func(path string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			c, br := dialKept()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			if resp.StatusCode == http.StatusOK {
				if path == "/small.txt" {
					io.Copy(io.Discard, resp.Body)
				}
				return // headers read: admitted (a download's body stays unread)
			}
			c.Close()
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %d, want 200", path, resp.StatusCode)
			}
		}
	}
	// Two kept-alive idle connections, then a third client: one idle gives way.
	admitted("/small.txt")
	admitted("/small.txt")
	admitted("/small.txt")
	// Two downloads whose bodies are never read hold both places.
	admitted("/big.bin")
	admitted("/big.bin")
	c, br := dialKept()
	if got := getOn(t, c, br, "/small.txt"); got != http.StatusServiceUnavailable {
		t.Fatalf("with two stalled downloads over -max-http-conns 2: %d, want 503", got)
	}
}
