package policy

import (
	"container/list"
	"net"
	"sync"
)

// budget tracks the connections being served in one budget, oldest first,
// overall and per client address.
type budget struct {
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

func (b *budget) init(max, perIP int) {
	b.max, b.perIP = max, perIP
	b.byIP = make(map[string]*list.List)
	b.slots = make(map[net.Conn]*slot)
}

// add records c and returns the connection it displaces, if any: the
// oldest of c's address when that address is at its cap, else the oldest
// of all when the budget is full. The caller closes it.
func (b *budget) add(c net.Conn) (displaced net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ip := clientIP(c)
	same := b.byIP[ip]
	switch {
	case same != nil && same.Len() >= b.perIP:
		displaced = b.dropLocked(same.Front().Value.(*slot))
	case b.all.Len() >= b.max:
		displaced = b.dropLocked(b.all.Front().Value.(*slot))
	}
	if b.byIP[ip] == nil {
		b.byIP[ip] = list.New()
	}
	sl := &slot{c: c, ip: ip}
	sl.inAll = b.all.PushBack(sl)
	sl.inIPList = b.byIP[ip].PushBack(sl)
	b.slots[c] = sl
	return displaced
}

// remove forgets c (it was served, or displaced and closed).
func (b *budget) remove(c net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if sl := b.slots[c]; sl != nil {
		b.dropLocked(sl)
	}
}

func (b *budget) dropLocked(sl *slot) net.Conn {
	b.all.Remove(sl.inAll)
	ipl := b.byIP[sl.ip]
	ipl.Remove(sl.inIPList)
	if ipl.Len() == 0 {
		delete(b.byIP, sl.ip)
	}
	delete(b.slots, sl.c)
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
