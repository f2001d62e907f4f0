package netutil

import (
	"container/list"
	"net"
	"sync"
)

// ConnSet holds connections oldest first, with a cap on all of them and on
// those from one client address. Adding a connection beyond a cap displaces
// the oldest it competes with — its own address's, or the oldest of all —
// never the new one: a flood of stalled connections then churns among itself
// while a client that completes its exchange at once gets through. Build it
// with NewConnSet; it is safe for concurrent use.
type ConnSet struct {
	mu         sync.Mutex
	max, perIP int
	all        list.List             // of *slot
	byIP       map[string]*list.List // of *slot
	slots      map[net.Conn]*slot
}

type slot struct {
	c        net.Conn
	ip       string
	inAll    *list.Element
	inIPList *list.Element
}

// NewConnSet returns an empty set holding at most max connections, perIP of
// them from one address.
func NewConnSet(max, perIP int) *ConnSet {
	return &ConnSet{max: max, perIP: perIP, byIP: make(map[string]*list.List), slots: make(map[net.Conn]*slot)}
}

// Add records c and returns the connection it displaces, if any: the
// oldest of c's address when that address is at its cap, else the oldest
// of all when the set is full. The caller closes it.
func (s *ConnSet) Add(c net.Conn) (displaced net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ip := clientIP(c)
	same := s.byIP[ip]
	switch {
	case same != nil && same.Len() >= s.perIP:
		displaced = s.dropLocked(same.Front().Value.(*slot))
	case s.all.Len() >= s.max:
		displaced = s.dropLocked(s.all.Front().Value.(*slot))
	}
	if s.byIP[ip] == nil {
		s.byIP[ip] = list.New()
	}
	sl := &slot{c: c, ip: ip}
	sl.inAll = s.all.PushBack(sl)
	sl.inIPList = s.byIP[ip].PushBack(sl)
	s.slots[c] = sl
	return displaced
}

// Remove forgets c; it does nothing if c is not in the set.
func (s *ConnSet) Remove(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sl := s.slots[c]; sl != nil {
		s.dropLocked(sl)
	}
}

// Len is the number of connections held.
func (s *ConnSet) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all.Len()
}

// CloseAll closes and forgets every connection held.
func (s *ConnSet) CloseAll() {
	s.mu.Lock()
	var conns []net.Conn
	for c, sl := range s.slots {
		s.dropLocked(sl)
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func (s *ConnSet) dropLocked(sl *slot) net.Conn {
	s.all.Remove(sl.inAll)
	ipl := s.byIP[sl.ip]
	ipl.Remove(sl.inIPList)
	if ipl.Len() == 0 {
		delete(s.byIP, sl.ip)
	}
	delete(s.slots, sl.c)
	return sl.c
}

// clientIP is the address part of c's remote address (the whole string
// for addresses without a port).
func clientIP(c net.Conn) string {
	a := c.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(a); err == nil {
		return host
	}
	return a
}
