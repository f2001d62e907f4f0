package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/leakcheck"
	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpclient"
	"github.com/web-socket-js/web-socket-js/internal/testkit/testcert"
	"github.com/web-socket-js/web-socket-js/server/internal/policy"
)

// serverStacks names the server's own goroutines for leak checks.
var serverStacks = []string{
	"server/internal/echo.", "server/internal/sniff.(*Listener)", "server/internal/policy.(*Server)",
	"internal/ruffleproxy.", "server/internal/app.(*Server)",
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// testConfig is the default configuration on an ephemeral loopback port.
func testConfig(t *testing.T, args ...string) Config {
	t.Helper()
	cfg, err := ParseFlags(append([]string{"-addr", "127.0.0.1:0", "-dist", t.TempDir()}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// start runs a server for the test and, at its end, shuts it down and
// checks nothing was left running.
func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	return startLogged(t, cfg, quiet())
}

// startLogged is start with the server's log going to log.
func startLogged(t *testing.T, cfg Config, log *slog.Logger) *Server {
	t.Helper()
	checkLeaks(t)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := s.Wait(); err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	return s
}

// leakChecked registers, once per test, a check that runs after every
// server of the test has stopped (cleanups run last-in first-out).
var leakChecked sync.Map

func checkLeaks(t *testing.T) {
	if _, dup := leakChecked.LoadOrStore(t, true); !dup {
		t.Cleanup(func() { leakcheck.Wait(t, serverStacks...) })
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, u string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(testCtx(t), u, opts)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func echoOnce(t *testing.T, c *websocket.Conn, typ websocket.MessageType, msg []byte) {
	t.Helper()
	ctx := testCtx(t)
	if err := c.Write(ctx, typ, msg); err != nil {
		t.Fatal(err)
	}
	gotTyp, got, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if gotTyp != typ || !bytes.Equal(got, msg) {
		t.Fatalf("echo of %v %d bytes: got %v %d bytes", typ, len(msg), gotTyp, len(got))
	}
}

func TestGoClientEcho(t *testing.T) {
	s := start(t, testConfig(t, "-subprotocols", "chat,echo"))
	big := make([]byte, 900<<10)
	rand.Read(big)
	for _, path := range []string{"/", EchoPath} {
		c := dial(t, s.WSURL(path), &websocket.DialOptions{Subprotocols: []string{"x", "echo", "chat"}})
		if c.Subprotocol() != "echo" {
			t.Errorf("%s: subprotocol %q, want echo (the client's first configured offer)", path, c.Subprotocol())
		}
		c.SetReadLimit(-1)
		echoOnce(t, c, websocket.MessageText, []byte("héllo"))
		echoOnce(t, c, websocket.MessageBinary, []byte{0, 1, 2, 255})
		echoOnce(t, c, websocket.MessageText, nil)
		echoOnce(t, c, websocket.MessageBinary, big)
		if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
			t.Fatalf("%s: close: %v", path, err)
		}
	}
}

// readAll reads everything from a fresh connection to addr after sending req.
func readAll(t *testing.T, addr, req string) []byte {
	t.Helper()
	c := tcpclient.Dial(t, addr)
	defer c.Close()
	io.WriteString(c, req)
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", req, err)
	}
	return got
}

func TestPolicyInBandAndStandalone(t *testing.T) {
	s := start(t, testConfig(t, "-policy-addr", "127.0.0.1:0"))
	_, port, _ := net.SplitHostPort(s.Addr())
	want, _ := policy.XML([]string{"localhost", "127.0.0.1"}, []string{port})
	for _, addr := range []string{s.Addr(), s.PolicyAddr()} {
		if got := readAll(t, addr, policy.Request); !bytes.Equal(got, want) {
			t.Fatalf("policy from %s: got %q, want %q", addr, got, want)
		}
	}
	// Explicit lists replace the defaults.
	s2 := start(t, testConfig(t, "-policy-domains", "example.com", "-policy-ports", "843,10081"))
	want2 := "<?xml version=\"1.0\"?>\n<cross-domain-policy>\n<allow-access-from domain=\"example.com\" to-ports=\"843,10081\"/>\n</cross-domain-policy>\n\x00"
	if got := readAll(t, s2.Addr(), policy.Request); string(got) != want2 {
		t.Fatalf("explicit policy: got %q", got)
	}
}

func TestOriginRefused(t *testing.T) {
	s := start(t, testConfig(t, "-origins", "*.allowed.test"))
	_, resp, err := websocket.Dial(testCtx(t), s.WSURL("/"), &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {"http://evil.test"}},
	})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: want 403, got %v (%v)", resp, err)
	}
	for _, origin := range []string{"http://" + s.Addr(), "https://app.allowed.test"} {
		c := dial(t, s.WSURL("/"), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		echoOnce(t, c, websocket.MessageText, []byte(origin))
		c.Close(websocket.StatusNormalClosure, "")
	}
}

func TestOversizeMessageCloses1009(t *testing.T) {
	s := start(t, testConfig(t, "-max-message", "1000"))
	c := dial(t, s.WSURL(EchoPath), nil)
	echoOnce(t, c, websocket.MessageBinary, make([]byte, 1000)) // the limit itself is fine
	ctx := testCtx(t)
	c.Write(ctx, websocket.MessageBinary, make([]byte, 1001))
	_, _, err := c.Read(ctx)
	if st := websocket.CloseStatus(err); st != websocket.StatusMessageTooBig {
		t.Fatalf("oversize message: want close 1009, got %v (%v)", st, err)
	}
}

func TestConnectionLimit(t *testing.T) {
	s := start(t, testConfig(t, "-max-conns", "2"))
	a := dial(t, s.WSURL("/"), nil)
	b := dial(t, s.WSURL("/"), nil)
	echoOnce(t, a, websocket.MessageText, []byte("a"))
	echoOnce(t, b, websocket.MessageText, []byte("b"))
	_, resp, err := websocket.Dial(testCtx(t), s.WSURL("/"), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third connection over -max-conns 2: want 503, got %v (%v)", resp, err)
	}
	// A freed slot can be used again.
	a.Close(websocket.StatusNormalClosure, "")
	for deadline := time.Now().Add(10 * time.Second); s.echo.Active() > 1; {
		if time.Now().After(deadline) {
			t.Fatal("closed connection still counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := dial(t, s.WSURL("/"), nil)
	echoOnce(t, c, websocket.MessageText, []byte("c"))
}

// openSilent opens n connections to addr that never send a byte, closed
// when the test ends, from the given local addresses in turn (none: the
// system's choice).
func openSilent(t *testing.T, addr string, n int, from ...string) {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := range n {
		var d net.Dialer
		if len(from) > 0 {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from[i%len(from)])}
		}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("after %d silent connections: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
}

func TestIdleConnectionsDoNotBlockARealClient(t *testing.T) {
	s := start(t, testConfig(t))
	openSilent(t, s.Addr(), 1000)
	c := dial(t, s.WSURL("/"), nil)
	echoOnce(t, c, websocket.MessageText, []byte("served despite 1000 silent sockets"))
	if got := readAll(t, s.Addr(), policy.Request); !bytes.HasPrefix(got, []byte("<?xml")) {
		t.Fatalf("policy while 1000 sockets are silent: %q", got)
	}
}

func TestStaticFilesAndRoutes(t *testing.T) {
	dist, ruffle := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dist, "sample.html"), []byte("<title>try it</title>"), 0o644)
	os.WriteFile(filepath.Join(dist, "web_socket.js"), []byte("var x;"), 0o644)
	os.Mkdir(filepath.Join(dist, "sub"), 0o755)
	os.WriteFile(filepath.Join(ruffle, "ruffle.js"), []byte("/*ruffle*/"), 0o644)
	cfg := testConfig(t, "-ruffle-dir", ruffle)
	cfg.Dist = dist
	s := start(t, cfg)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	cases := []struct {
		path, body string
		code       int
	}{
		{"/", "<title>try it</title>", 200},
		{"/web_socket.js", "var x;", 200},
		{"/ruffle/ruffle.js", "/*ruffle*/", 200},
		{"/sub/", "", 404},
		{"/ruffle/", "", 404},
		{"/missing", "", 404},
		{EchoPath, "", http.StatusUpgradeRequired},
	}
	for _, c := range cases {
		code, body := get(c.path)
		if code != c.code || c.body != "" && body != c.body {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, code, body, c.code, c.body)
		}
	}
	// Without a built page, / says what to do.
	s2 := start(t, testConfig(t))
	resp, err := http.Get(s2.URL())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(b), "mage build") {
		t.Fatalf("no page: %d %q", resp.StatusCode, b)
	}
}

func TestBridgeToOwnPortAndRefusal(t *testing.T) {
	s := start(t, testConfig(t, "-bridge"))
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	bridgeURL := func(target string) string {
		return s.WSURL(BridgePath) + "?target=" + url.QueryEscape(target)
	}
	_, resp, err := websocket.Dial(testCtx(t), bridgeURL(other.Addr().String()), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bridge to another loopback port: want 403, got %v (%v)", resp, err)
	}
	// The default allowlist is this server's own port: a policy request
	// sent through the bridge comes back as raw bytes, then close 1000.
	_, port, _ := net.SplitHostPort(s.Addr())
	c := dial(t, bridgeURL("127.0.0.1:"+port), nil)
	ctx := testCtx(t)
	if err := c.Write(ctx, websocket.MessageBinary, []byte(policy.Request)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for {
		_, p, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Fatalf("bridge ended with %v", err)
			}
			break
		}
		got = append(got, p...)
	}
	if !bytes.HasPrefix(got, []byte("<?xml")) || got[len(got)-1] != 0 {
		t.Fatalf("policy through the bridge: %q", got)
	}
}

// waitClosed reads (discarding pings) until the server closes the connection.
func waitClosed(t *testing.T, br *bufio.Reader, why string) {
	t.Helper()
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the server did not close the connection", why)
	}
}

func TestUnresponsiveClientIsDropped(t *testing.T) {
	s := start(t, testConfig(t, "-ping-interval", "50ms", "-ping-timeout", "100ms"))
	_, br := rawws.Upgrade(t, s.Addr(), "/echo")
	// We read the pings but never answer them.
	waitClosed(t, br, "client that never answers pings")
}

func TestStalledMessageIsDropped(t *testing.T) {
	s := start(t, testConfig(t, "-message-timeout", "200ms", "-ping-interval", "-1s"))
	c, br := rawws.Upgrade(t, s.Addr(), "/echo")
	// A masked binary frame that announces 100 bytes and delivers 10.
	frame := append([]byte{0x82, 0x80 | 100, 1, 2, 3, 4}, make([]byte, 10)...)
	c.Write(frame)
	waitClosed(t, br, "client that stalls mid-message")
}

func TestShutdownSends1001(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := Start(ctx, testConfig(t, "-bridge"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	var clients []*websocket.Conn
	for range 5 {
		c := dial(t, s.WSURL("/"), nil)
		echoOnce(t, c, websocket.MessageText, []byte("hi"))
		clients = append(clients, c)
	}
	// And one Ruffle bridge connection (to this server's own port).
	_, port, _ := net.SplitHostPort(s.Addr())
	clients = append(clients, dial(t, s.WSURL(BridgePath)+"?target=127.0.0.1%3A"+port, nil))
	cancel()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.Read(testCtx(t))
			if st := websocket.CloseStatus(err); st != websocket.StatusGoingAway {
				t.Errorf("client %d: want close 1001 at shutdown, got %v (%v)", i, st, err)
			}
		}()
	}
	wg.Wait()
	if err := s.Wait(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", s.Addr()); err == nil {
		t.Fatal("still accepting after shutdown")
	}
	leakcheck.Wait(t, serverStacks...)
}

// selfSigned writes a certificate for 127.0.0.1 and returns its paths and pool.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	c := testcert.New(t, "127.0.0.1")
	return c.CertFile, c.KeyFile, c.Pool
}

func TestTLSEchoAndPlainPolicyOnOnePort(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	s := start(t, testConfig(t, "-tls-cert", certFile, "-tls-key", keyFile))
	if !strings.HasPrefix(s.WSURL("/"), "wss://") {
		t.Fatalf("WSURL %s", s.WSURL("/"))
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c := dial(t, s.WSURL("/"), &websocket.DialOptions{HTTPClient: client})
	echoOnce(t, c, websocket.MessageText, []byte("over TLS"))
	c.Close(websocket.StatusNormalClosure, "")
	// Flash asks for the policy in plain text, even before a TLS socket.
	if got := readAll(t, s.Addr(), policy.Request); !bytes.HasPrefix(got, []byte("<?xml")) {
		t.Fatalf("plain policy on the TLS port: %q", got)
	}
}

func TestBadFlags(t *testing.T) {
	bad := [][]string{
		{"-addr", "nonsense"},
		{"-policy-domains", "a\"b"},
		{"-policy-ports", "0"},
		{"-origins", "[bad"},
		{"-tls-cert", "x"},
		{"-max-message", "0"},
		{"-max-conns", "-1"},
		{"-log-level", "loud"},
		{"-bridge-allow", "nohost"},
		{"-bridge-max-conns", "0"},
		{"-max-handshakes", "0"},
		{"-max-handshakes-per-ip", "0"},
		{"-max-http-conns", "-1"},
		{"-http-write-timeout", "0s"},
		{"-policy-max-conns", "0"},
		{"-policy-max-per-ip", "0"},
		{"stray"},
	}
	for _, args := range bad {
		if _, err := ParseFlags(args, io.Discard); err == nil {
			t.Errorf("ParseFlags(%q) accepted bad input", args)
		}
	}
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"-version"}, &out); err != nil || !strings.Contains(out.String(), Version) {
		t.Fatalf("-version: %v %q", err, out.String())
	}
	out.Reset()
	if err := Run(context.Background(), []string{"-h"}, &out); err != nil || !strings.Contains(out.String(), "-policy-addr") {
		t.Fatalf("-h: %v %q", err, out.String())
	}
	if err := Run(context.Background(), []string{"-max-conns", "x"}, io.Discard); !errors.Is(err, ErrUsage) {
		t.Fatalf("bad flag: %v, want ErrUsage", err)
	}
}
