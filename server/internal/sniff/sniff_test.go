package sniff

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/leakcheck"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpclient"
	"github.com/web-socket-js/web-socket-js/server/internal/policy"
)

var testXML = func() []byte {
	x, err := policy.XML([]string{"localhost"}, []string{"10081"})
	if err != nil {
		panic(err)
	}
	return x
}()

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// sniffStacks names this package's goroutines (and the policy handler's).
var sniffStacks = []string{"sniff.(*Listener)", "policy.(*Server)"}

// startMixed serves policy and HTTP on one loopback port, as the server does.
func startMixed(t *testing.T, timeout time.Duration) string {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ps := &policy.Server{XML: testXML, Timeout: timeout, Logger: quiet()}
	ln := New(inner, timeout, ps.Go, quiet())
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.URL.Path)
	})}
	done := make(chan struct{})
	go func() { hs.Serve(ln); close(done) }()
	t.Cleanup(func() {
		hs.Shutdown(context.Background())
		<-done
		ln.Close()
		ps.Wait()
		leakcheck.Wait(t, sniffStacks...)
	})
	return inner.Addr().String()
}

func TestOnePortServesPolicyAndHTTP(t *testing.T) {
	addr := startMixed(t, 2*time.Second)

	c := tcpclient.Dial(t, addr)
	defer c.Close()
	io.WriteString(c, policy.Request)
	got, err := io.ReadAll(c)
	c.Close()
	if err != nil || !bytes.Equal(got, testXML) {
		t.Fatalf("in-band policy: got %q, %v; want %q", got, err, testXML)
	}

	resp, err := http.Get("http://" + addr + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello /x" {
		t.Fatalf("HTTP through the sniffer: got %q", body)
	}
}

func TestSilentConnectionIsClosed(t *testing.T) {
	addr := startMixed(t, 200*time.Millisecond)
	c := tcpclient.Dial(t, addr)
	n, err := c.Read(make([]byte, 1))
	var ne net.Error
	if n != 0 || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("silent connection: want it closed by the server, got n=%d err=%v", n, err)
	}
}

func TestCloseDropsPendingConnections(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := New(inner, time.Minute, func(c net.Conn) { c.Close() }, quiet())
	var conns []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	// Wait until all 20 are being sniffed, then close.
	for deadline := time.Now().Add(10 * time.Second); ; {
		n := ln.Pending()
		if n == len(conns) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d connections reached the sniffer", n, len(conns))
		}
		time.Sleep(10 * time.Millisecond)
	}
	ln.Close()
	for _, c := range conns {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("a pending connection was not closed")
		}
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
	leakcheck.Wait(t, sniffStacks...)
}

// memConn is a connection whose peer has already sent data and half-closed.
type memConn struct {
	r   *bytes.Reader
	out bytes.Buffer
	mu  sync.Mutex
}

func (m *memConn) Read(p []byte) (int, error) { return m.r.Read(p) }
func (m *memConn) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.out.Write(p)
}
func (m *memConn) Close() error                     { return nil }
func (m *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (m *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (m *memConn) SetDeadline(time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(time.Time) error { return nil }

// oneConnListener hands out one connection, then blocks until closed.
type oneConnListener struct {
	c    chan net.Conn
	done chan struct{}
	once sync.Once
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.c:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}
func (l *oneConnListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *oneConnListener) Addr() net.Addr { return &net.TCPAddr{} }

// FuzzSniff: for any first bytes, a connection is either answered as a
// policy request (exact policy iff the request is exact, nothing otherwise)
// or handed to HTTP with every byte intact; an empty one is dropped.
func FuzzSniff(f *testing.F) {
	f.Add([]byte(policy.Request))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mc := &memConn{r: bytes.NewReader(data)}
		inner := &oneConnListener{c: make(chan net.Conn, 1), done: make(chan struct{})}
		inner.c <- mc
		ps := &policy.Server{XML: testXML, Logger: quiet()}
		diverted := make(chan struct{})
		ln := New(inner, time.Second, func(c net.Conn) { ps.ServeConn(c); close(diverted) }, quiet())
		defer ln.Close()

		switch {
		case len(data) == 0:
			return // nothing to route; Close must still return
		case data[0] == PolicyByte:
			<-diverted
			want := []byte(nil)
			if bytes.HasPrefix(data, []byte(policy.Request)) {
				want = testXML
			}
			if !bytes.Equal(mc.out.Bytes(), want) {
				t.Fatalf("policy answer %q, want %q", mc.out.Bytes(), want)
			}
		default:
			c, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(bufio.NewReader(c))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("HTTP side got %q, %v; want %q", got, err, data)
			}
		}
	})
}

// Sniffing needs one byte: a client that has sent only "G" so far is
// already handed to HTTP, so HTTP clients never wait on the sniffer.
func TestOneByteIsEnoughForHTTP(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A sniff timeout far beyond the test's bound: only the byte can release it.
	ln := New(inner, time.Hour, func(c net.Conn) { c.Close() }, quiet())
	defer ln.Close()
	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "G")
	got := make(chan net.Conn, 1)
	go func() {
		if sc, err := ln.Accept(); err == nil {
			got <- sc
		}
	}()
	select {
	case sc := <-got:
		defer sc.Close()
		b := make([]byte, 1)
		if _, err := io.ReadFull(sc, b); err != nil || b[0] != 'G' {
			t.Fatalf("replayed byte %q, %v", b, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a connection that sent one HTTP byte was not handed to HTTP")
	}
}

// The wrapper must not hide what net/http uses on a TCP connection:
// ReadFrom (sendfile) and CloseWrite.
func TestConnPassesThroughTCPMethods(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	client := tcpclient.Dial(t, inner.Addr().String())
	defer client.Close()
	srv, err := inner.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client.Write([]byte("GET"))
	pc, err := Peek(srv, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var b [3]byte
	if _, err := io.ReadFull(pc, b[:]); err != nil || string(b[:]) != "GET" {
		t.Fatalf("read %q, %v", b, err)
	}
	if n, err := pc.ReadFrom(bytes.NewReader([]byte("reply"))); n != 5 || err != nil {
		t.Fatalf("ReadFrom: %d, %v", n, err)
	}
	if err := pc.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	got, err := io.ReadAll(client) // ends at EOF only if the write side was closed
	if err != nil || string(got) != "reply" {
		t.Fatalf("client read %q, %v", got, err)
	}
}

// At MaxPending, a new connection closes the oldest one still waiting.
func TestOldestPendingIsClosedAtTheCap(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := Listen(inner, Options{Timeout: time.Minute, MaxPending: 3, Divert: func(c net.Conn) { c.Close() }, Logger: quiet()})
	defer ln.Close()
	var conns []net.Conn
	for i := range 5 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
		// One at a time, so "oldest" is well defined.
		for deadline := time.Now().Add(10 * time.Second); ln.Pending() < min(i+1, 3); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("connection not pending")
			}
		}
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		open := errors.As(err, &ne) && ne.Timeout()
		if open != (i >= 2) {
			t.Errorf("connection %d: open=%v (%v), want only the 3 newest open", i, open, err)
		}
	}
}

// With UntilHeaders, deadlines set before PastHandshake are held to the
// handshake deadline, and apply as set afterwards.
func TestDeadlinesHeldUntilPastHandshake(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := Listen(inner, Options{Timeout: 200 * time.Millisecond, UntilHeaders: true, Logger: quiet()})
	defer ln.Close()
	for _, past := range []bool{false, true} {
		client, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		client.Write([]byte("G"))
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(time.Hour)) // what an HTTP server would ask
		if past {
			c.(*Conn).PastHandshake()
		}
		if ln.Pending() != 0 != !past {
			t.Errorf("past=%v: %d pending", past, ln.Pending())
		}
		c.Read(make([]byte, 1)) // the replayed byte
		done := make(chan error, 1)
		go func() { _, err := c.Read(make([]byte, 1)); done <- err }()
		select {
		case err := <-done:
			if past {
				t.Fatalf("past the handshake, the hour-long deadline was cut: %v", err)
			}
		case <-time.After(2 * time.Second):
			if !past {
				t.Fatal("the read outlived the handshake deadline")
			}
		}
		c.Close()
	}
}

// One address at MaxPendingPerIP closes its own oldest connection, not
// another address's.
func TestPendingPerAddressCap(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := Listen(inner, Options{Timeout: time.Minute, MaxPending: 10, MaxPendingPerIP: 2, Logger: quiet()})
	defer ln.Close()
	dialFrom := func(ip string, pending int) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		c, err := d.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		for deadline := time.Now().Add(10 * time.Second); ln.Pending() < pending; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("connection not pending")
			}
		}
		return c
	}
	other := dialFrom("127.0.0.1", 1)
	first := dialFrom("127.0.0.2", 2)
	dialFrom("127.0.0.2", 3)
	dialFrom("127.0.0.2", 3) // displaces first, so still 3
	first.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := first.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("127.0.0.2's oldest connection: %v, want closed", err)
	}
	other.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := other.Read(make([]byte, 1)); errors.Is(err, io.EOF) {
		t.Fatal("another address's connection was closed")
	}
}
