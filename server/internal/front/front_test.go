package front_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"

	"github.com/web-socket-js/web-socket-js/internal/testkit/leakcheck"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpclient"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpserver"
	"github.com/web-socket-js/web-socket-js/server/internal/front"
)

var quiet = slog.New(slog.DiscardHandler)

// upstream runs handle for each connection on a loopback listener.
func upstream(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	return tcpserver.Serve(t, 10*time.Second, handle).String()
}

// echoUpstream copies every byte back and, at the client's EOF, writes
// "bye" and closes (so a half-close must reach it, and its answer come back).
func echoUpstream(c net.Conn) {
	io.Copy(c, c)
	io.WriteString(c, "bye")
}

// startRelay serves a Relay on a loopback listener; the cleanup closes the
// listener, shuts the relay down and checks no relay goroutine is left.
func startRelay(t testing.TB, o front.Options) (*front.Relay, string) {
	t.Helper()
	o.Logger = quiet
	r, err := front.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- r.Serve(ln) }()
	t.Cleanup(func() {
		ln.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r.Shutdown(ctx)
		leakcheck.Wait(t, "server/internal/front.")
	})
	return r, ln.Addr().String()
}

func TestRelaysBothWaysAndHalfClose(t *testing.T) {
	_, addr := startRelay(t, front.Options{Upstream: upstream(t, echoUpstream)})
	c := tcpclient.Dial(t, addr)
	msg := strings.Repeat("0123456789", 20000) // more than one buffer
	go func() {
		io.WriteString(c, msg)
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != msg+"bye" {
		t.Fatalf("got %d bytes ending %q, want the %d bytes back and then bye", len(got), got[max(0, len(got)-10):], len(msg))
	}
}

func TestUpstreamDownClosesTheClient(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := ln.Addr().String()
	ln.Close()
	r, addr := startRelay(t, front.Options{Upstream: down})
	c := tcpclient.Dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("read %d bytes, %v; want the connection closed", n, err)
	} else if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("the client was left hanging: %v", err)
	}
	waitActive(t, r, 0)
}

func waitActive(t *testing.T, r *front.Relay, n int) {
	t.Helper()
	for i := 0; i < 500 && r.Active() != n; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if got := r.Active(); got != n {
		t.Fatalf("%d connections relayed, want %d", got, n)
	}
}

func TestConnectionLimit(t *testing.T) {
	r, addr := startRelay(t, front.Options{Upstream: upstream(t, echoUpstream), MaxConns: 1})
	first := tcpclient.Dial(t, addr)
	io.WriteString(first, "x")
	if _, err := io.ReadFull(first, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	waitActive(t, r, 1)
	second := tcpclient.Dial(t, addr)
	if n, err := second.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("second connection over the limit: read %d, %v; want it closed", n, err)
	}
	// The first still works.
	io.WriteString(first, "y")
	if _, err := io.ReadFull(first, make([]byte, 1)); err != nil {
		t.Fatalf("the first connection broke: %v", err)
	}
}

func TestIdleTimeoutCountsBothDirections(t *testing.T) {
	const idle = 300 * time.Millisecond
	// This upstream talks every 50 ms for 1 s while the client never writes.
	talker := upstream(t, func(c net.Conn) {
		for i := 0; i < 20; i++ {
			if _, err := io.WriteString(c, "t"); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		io.Copy(io.Discard, c)
	})
	_, addr := startRelay(t, front.Options{Upstream: talker, IdleTimeout: idle})
	c := tcpclient.Dial(t, addr)
	got := make([]byte, 20)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("a connection active one way was cut: %v", err)
	}
	// Now silent both ways: closed after about idle.
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("silent connection: read %d, %v; want it closed by the relay", n, err)
	}
}

func TestProxyProtocolHeaders(t *testing.T) {
	for _, v := range []string{front.ProxyV1, front.ProxyV2} {
		t.Run(v, func(t *testing.T) {
			seen := make(chan *proxyproto.Header, 1)
			up := upstream(t, func(c net.Conn) {
				br := bufio.NewReader(c)
				h, err := proxyproto.Read(br)
				if err != nil {
					t.Errorf("upstream: no PROXY header: %v", err)
					return
				}
				seen <- h
				rest, _ := br.ReadString('!')
				io.WriteString(c, rest)
			})
			_, addr := startRelay(t, front.Options{Upstream: up, ProxyProtocol: v})
			c := tcpclient.Dial(t, addr)
			io.WriteString(c, "hello!")
			got := make([]byte, 6)
			if _, err := io.ReadFull(c, got); err != nil || string(got) != "hello!" {
				t.Fatalf("after the header: %q %v", got, err)
			}
			h := <-seen
			src, dst, ok := h.TCPAddrs()
			if !ok || src.String() != c.LocalAddr().String() || dst.String() != addr {
				t.Fatalf("header %v: source %v destination %v, want %s → %s", h, src, dst, c.LocalAddr(), addr)
			}
			if int(h.Version) != map[string]int{"v1": 1, "v2": 2}[v] {
				t.Fatalf("version %d", h.Version)
			}
		})
	}
}

func TestShutdownWaitsThenCloses(t *testing.T) {
	r, addr := startRelay(t, front.Options{Upstream: upstream(t, echoUpstream)})
	c := tcpclient.Dial(t, addr)
	io.WriteString(c, "x")
	io.ReadFull(c, make([]byte, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with a connection open: %v, want the grace period to run out", err)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Fatalf("Shutdown did not wait for the grace period")
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("after Shutdown: read %d, %v; want closed", n, err)
	}
	// A connection after shutdown is closed at once.
	late := tcpclient.Dial(t, addr)
	if n, err := late.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("connection after Shutdown: read %d, %v", n, err)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []front.Options{{Upstream: "nohost"}, {Upstream: "127.0.0.1:1", ProxyProtocol: "v3"}} {
		if _, err := front.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}
