package app

import "net"

// listening is what the server and the front share while they serve: the
// public listener, the standalone policy listener if any, and how serving
// ended.
type listening struct {
	ln       net.Listener
	policyLn net.Listener  // nil without -policy-addr
	done     chan struct{} // closed once shutdown is complete
	err      error         // why serving stopped; set before done closes
}

// Wait blocks until shutdown is complete and returns why serving stopped
// (nil after a requested shutdown).
func (l *listening) Wait() error {
	<-l.done
	return l.err
}

// Addr is the bound host:port of the public listener.
func (l *listening) Addr() string { return l.ln.Addr().String() }

// PolicyAddr is the standalone policy listener's address, or "".
func (l *listening) PolicyAddr() string {
	if l.policyLn == nil {
		return ""
	}
	return l.policyLn.Addr().String()
}
