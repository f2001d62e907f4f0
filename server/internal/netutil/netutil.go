// Package netutil holds what the server's listeners share: the accept-loop
// policy, and the set of connections with caps that displaces the oldest.
package netutil

import (
	"errors"
	"net"
	"time"
)

// AcceptBackoff says whether an Accept error is worth retrying (out of file
// descriptors and the like) and how long to wait first, doubling from prev up
// to one second. Closed listeners and permanent errors are not retried.
func AcceptBackoff(err error, prev time.Duration) (time.Duration, bool) {
	if errors.Is(err, net.ErrClosed) {
		return 0, false
	}
	var ne interface{ Temporary() bool }
	if !errors.As(err, &ne) || !ne.Temporary() {
		return 0, false
	}
	return min(max(2*prev, 5*time.Millisecond), time.Second), true
}
