package netutil

import (
	"net"
	"testing"
)

// fakeConn is a connection from a given address that records its closing.
type fakeConn struct {
	net.Conn
	from   string
	closed bool
}

func (c *fakeConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.ParseIP(c.from), Port: 1} }
func (c *fakeConn) Close() error         { c.closed = true; return nil }

func TestConnSetDisplacesTheOldestCompetitor(t *testing.T) {
	s := NewConnSet(3, 2)
	a1, b1, b2, b3 := &fakeConn{from: "192.0.2.1"}, &fakeConn{from: "192.0.2.2"}, &fakeConn{from: "192.0.2.2"}, &fakeConn{from: "192.0.2.2"}
	for _, c := range []*fakeConn{a1, b1, b2} {
		if d := s.Add(c); d != nil {
			t.Fatalf("displaced %v below the caps", d)
		}
	}
	if d := s.Add(b3); d != b1 {
		t.Fatalf("an address over its cap displaced %v, want its own oldest", d)
	}
	a2 := &fakeConn{from: "192.0.2.3"}
	if d := s.Add(a2); d != a1 {
		t.Fatalf("the full set displaced %v, want the oldest of all", d)
	}
	s.Remove(b2)
	s.Remove(b2) // twice: nothing happens
	if s.Len() != 2 {
		t.Fatalf("Len %d, want 2", s.Len())
	}
	s.CloseAll()
	if !b3.closed || !a2.closed || s.Len() != 0 {
		t.Fatal("CloseAll left connections open or held")
	}
}
