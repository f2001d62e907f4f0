package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/leakcheck"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpclient"
)

func TestXMLExactBytes(t *testing.T) {
	got, err := XML([]string{"localhost", "*.example.com"}, []string{"10081", "8000-8010"})
	if err != nil {
		t.Fatal(err)
	}
	want := "<?xml version=\"1.0\"?>\n<cross-domain-policy>\n" +
		"<allow-access-from domain=\"localhost\" to-ports=\"10081,8000-8010\"/>\n" +
		"<allow-access-from domain=\"*.example.com\" to-ports=\"10081,8000-8010\"/>\n" +
		"</cross-domain-policy>\n\x00"
	if string(got) != want {
		t.Fatalf("policy bytes:\n%q\nwant\n%q", got, want)
	}
	if _, err := XML(nil, []string{"1"}); err == nil {
		t.Fatal("a policy with no domain must be refused")
	}
	if _, err := XML([]string{`a"b`}, []string{"1"}); err == nil {
		t.Fatal("a domain with a quote must be refused")
	}
}

func TestParseDomains(t *testing.T) {
	good := map[string][]string{
		"localhost":                       {"localhost"},
		" 127.0.0.1 , example.com":        {"127.0.0.1", "example.com"},
		"*":                               {"*"},
		"*.example.com,a-b.c":             {"*.example.com", "a-b.c"},
		"EXAMPLE.com":                     {"EXAMPLE.com"},
		strings.Repeat("a", 63) + ".test": {strings.Repeat("a", 63) + ".test"},
	}
	for in, want := range good {
		got, err := ParseDomains(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseDomains(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", " ", "a,,b", "a b", "exa\"mple", "<x>", "-a.com", "a-.com", "a..b", "*.", "**",
		"*.*.com", "::1", "a.com:80", "http://a.com", strings.Repeat("a", 64) + ".test", "é.com"} {
		if got, err := ParseDomains(in); err == nil {
			t.Errorf("ParseDomains(%q) = %q, want an error", in, got)
		}
	}
}

func TestParsePorts(t *testing.T) {
	good := map[string][]string{
		"10081":            {"10081"},
		"843, 10081":       {"843", "10081"},
		"*":                {"*"},
		"8000-8010,007":    {"8000-8010", "7"},
		"1-65535":          {"1-65535"},
		"65535-65535, 443": {"65535-65535", "443"},
	}
	for in, want := range good {
		got, err := ParsePorts(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParsePorts(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "65536", "-1", "1-", "-", "10-9", "a", "1,,2", "1 2", "+5", "123456", "1-2-3", "**"} {
		if got, err := ParsePorts(in); err == nil {
			t.Errorf("ParsePorts(%q) = %q, want an error", in, got)
		}
	}
}

// oneByteReader hands out its input one byte per Read, like a slow client.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestReadRequest(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{Request, nil},
		{Request + "trailing bytes are not read", nil},
		{"<policy-file-request/>", io.ErrUnexpectedEOF},
		{"<policy", io.ErrUnexpectedEOF},
		{"", io.ErrUnexpectedEOF},
		{"<policy-file-request/>AAAAAAAA", ErrNotRequest},
		{"GET / HTTP/1.1\r\n\r\n", ErrNotRequest},
		{"<POLICY-file-request/>\x00", ErrNotRequest},
	}
	for _, c := range cases {
		for _, slow := range []bool{false, true} {
			src := strings.NewReader(c.in)
			var r io.Reader = src
			if slow {
				r = oneByteReader{src}
			}
			if err := ReadRequest(r); !errors.Is(err, c.want) {
				t.Errorf("ReadRequest(%q, slow=%v) = %v, want %v", c.in, slow, err, c.want)
			}
			if read := len(c.in) - src.Len(); read > len(Request) {
				t.Errorf("ReadRequest(%q) read %d bytes, more than the request's %d", c.in, read, len(Request))
			}
		}
	}
}

var testXML = func() []byte {
	x, err := XML([]string{"localhost"}, []string{"10081"})
	if err != nil {
		panic(err)
	}
	return x
}()

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startServer runs a standalone policy server on a loopback port.
func startServer(t *testing.T, timeout time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{XML: testXML, Timeout: timeout, Logger: quiet()}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		leakcheck.Wait(t, "policy.(*Server)")
	})
	return ln.Addr().String()
}

// exchange sends parts (pausing between them) and returns all bytes read
// until the server closes. The 10 s bound only stops a broken test.
func exchange(t *testing.T, addr string, pause time.Duration, parts ...string) []byte {
	t.Helper()
	c := tcpclient.Dial(t, addr)
	defer c.Close()
	go func() {
		for _, p := range parts {
			if _, err := c.Write([]byte(p)); err != nil {
				return
			}
			time.Sleep(pause)
		}
	}()
	got, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server did not close the connection (sent %q)", parts)
	}
	return got
}

func TestStandaloneServesExactPolicy(t *testing.T) {
	addr := startServer(t, 0)
	if got := exchange(t, addr, 0, Request); !bytes.Equal(got, testXML) {
		t.Fatalf("got %q, want %q", got, testXML)
	}
	// Several requests in a row: each gets the same answer.
	for range 3 {
		if got := exchange(t, addr, 0, Request); !bytes.Equal(got, testXML) {
			t.Fatalf("repeat: got %q", got)
		}
	}
}

func TestBadRequestsAreClosed(t *testing.T) {
	addr := startServer(t, 300*time.Millisecond)
	slow := strings.Split(Request, "") // one byte per 100 ms: 2.3 s, far past the deadline
	cases := map[string][]string{
		"partial":   {"<policy-file"},
		"silent":    nil,
		"oversized": {"<policy-file-request/>" + strings.Repeat("A", 100000)},
		"garbage":   {"\x16\x03\x01garbage"},
		"http":      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		"slow":      slow,
	}
	for name, parts := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := exchange(t, addr, 100*time.Millisecond, parts...); len(got) != 0 {
				t.Fatalf("a bad request got %q", got)
			}
		})
	}
}

// closedNow reports whether peer's other end was closed (EOF within 5 s).
func closedNow(t *testing.T, peer net.Conn) bool {
	t.Helper()
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := peer.Read(make([]byte, 1))
	return errors.Is(err, io.EOF)
}

// Beyond MaxConns the oldest stalled connection makes room: the new one,
// which may be a real client, is served.
func TestGoDisplacesTheOldestBeyondMaxConns(t *testing.T) {
	s := &Server{XML: testXML, MaxConns: 1, Timeout: 10 * time.Second, Logger: quiet()}
	held, heldPeer := net.Pipe()
	defer heldPeer.Close()
	s.Go(held) // occupies the only slot, silent
	fresh, freshPeer := net.Pipe()
	defer freshPeer.Close()
	s.Go(fresh)
	if !closedNow(t, heldPeer) {
		t.Fatal("the stalled connection was not closed to make room")
	}
	freshPeer.SetDeadline(time.Now().Add(5 * time.Second))
	go io.WriteString(freshPeer, Request)
	got, _ := io.ReadAll(freshPeer)
	if !bytes.Equal(got, testXML) {
		t.Fatalf("the new connection got %q", got)
	}
	s.Wait()
}

// tcpPair is a loopback connection from the given local address; it
// returns the server's end and the client's.
func tcpPair(t *testing.T, ln net.Listener, from string) (server, client net.Conn) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	client, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return server, client
}

// One address at MaxPerIP displaces its own oldest connection, not anybody
// else's; and in-band and standalone connections are separate budgets.
func TestPerAddressCapAndSeparateBudgets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := &Server{XML: testXML, MaxConns: 3, MaxPerIP: 2, Timeout: 10 * time.Second, Logger: quiet()}
	other, otherPeer := tcpPair(t, ln, "127.0.0.1")
	s.Go(other)
	var peers []net.Conn
	for range 3 {
		c, peer := tcpPair(t, ln, "127.0.0.2")
		s.Go(c)
		peers = append(peers, peer)
	}
	if !closedNow(t, peers[0]) {
		t.Fatal("127.0.0.2's oldest connection was not the one displaced")
	}
	// The standalone budget is empty: its first connection displaces no one
	// in-band (the check below would see other closed).
	s.init()
	c, peer := tcpPair(t, ln, "127.0.0.3")
	defer peer.Close()
	s.serveIn(s.standalone, c)
	otherPeer.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := otherPeer.Read(make([]byte, 1)); errors.Is(err, io.EOF) {
		t.Fatal("another address's connection was displaced")
	}
	for _, c := range append(peers, otherPeer, peer) {
		c.Close()
	}
	s.Wait()
}

// Clients that each wait for their answer before asking again never
// displace one another, even at exactly MaxPerIP of them: a slot is free
// before its client sees the close.
func TestSequentialClientsAtThePerAddressCap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{XML: testXML, MaxPerIP: 2, Logger: quiet()}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	errs := make(chan string, 2)
	for range 2 {
		go func() {
			for range 200 {
				if got := exchange(t, ln.Addr().String(), 0, Request); !bytes.Equal(got, testXML) {
					errs <- fmt.Sprintf("got %q", got)
					return
				}
			}
			errs <- ""
		}()
	}
	for range 2 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}
