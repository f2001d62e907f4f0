// Package sniff lets one port carry both Flash policy requests and HTTP.
//
// A Listener looks at the first byte of every accepted connection. Flash's
// policy request starts with '<', which no HTTP request (nor a TLS
// ClientHello, 0x16) can start with, so one byte decides: '<' goes to the
// policy handler, everything else is returned by Accept with that byte
// replayed. HTTP clients therefore wait for nothing but their own first packet.
package sniff

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/web-socket-js/web-socket-js/server/internal/netutil"
)

// PolicyByte is the first byte of a Flash policy request.
const PolicyByte = '<'

// DefaultTimeout is how long a new connection may stay silent before it is
// closed. It matches a typical HTTP header timeout: a client silent that long
// would be dropped by the HTTP server anyway.
const DefaultTimeout = 10 * time.Second

// IsPolicy reports whether a connection whose first byte is b is a policy
// request.
func IsPolicy(b byte) bool { return b == PolicyByte }

// Listener wraps an inner listener. Build it with New.
type Listener struct {
	inner   net.Listener
	timeout time.Duration
	divert  func(net.Conn)
	log     *slog.Logger

	conns   chan net.Conn
	errc    chan error
	done    chan struct{}
	closing sync.Once
	wg      sync.WaitGroup

	mu      sync.Mutex
	pending map[net.Conn]struct{} // connections still being sniffed
}

// New starts sniffing connections accepted from inner. divert is called, on
// the sniffing goroutine, with every connection whose first byte is '<' (that
// byte is replayed to it); it owns and must close the connection. timeout ≤ 0
// means DefaultTimeout. log nil means slog.Default().
func New(inner net.Listener, timeout time.Duration, divert func(net.Conn), log *slog.Logger) *Listener {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if log == nil {
		log = slog.Default()
	}
	l := &Listener{
		inner:   inner,
		timeout: timeout,
		divert:  divert,
		log:     log,
		conns:   make(chan net.Conn),
		errc:    make(chan error, 1),
		done:    make(chan struct{}),
		pending: make(map[net.Conn]struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// Accept returns the next connection that is not a policy request.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case <-l.done:
		return nil, net.ErrClosed
	default:
	}
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errc:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting, closes connections still being sniffed and waits
// for the sniffing goroutines (not for diverted policy connections, which
// their handler owns).
func (l *Listener) Close() error {
	var err error
	l.closing.Do(func() {
		close(l.done)
		err = l.inner.Close()
		l.mu.Lock()
		for c := range l.pending {
			c.Close()
		}
		l.mu.Unlock()
		l.wg.Wait()
	})
	return err
}

// Addr is the inner listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		c, err := l.inner.Accept()
		if err != nil {
			var retry bool
			if backoff, retry = netutil.AcceptBackoff(err, backoff); retry {
				l.log.Warn("accept failed", "err", err, "retry_in", backoff)
				select {
				case <-time.After(backoff):
					continue
				case <-l.done:
					return
				}
			}
			select {
			case <-l.done: // closed by us: Accept reports net.ErrClosed
			case l.errc <- err:
			}
			return
		}
		backoff = 0
		if !l.track(c) {
			c.Close()
			return
		}
		l.wg.Add(1)
		go l.sniff(c)
	}
}

// track records c as pending; false once the listener is closed.
func (l *Listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return false
	default:
	}
	l.pending[c] = struct{}{}
	return true
}

func (l *Listener) untrack(c net.Conn) {
	l.mu.Lock()
	delete(l.pending, c)
	l.mu.Unlock()
}

func (l *Listener) sniff(c net.Conn) {
	defer l.wg.Done()
	pc, err := Peek(c, l.timeout)
	l.untrack(c)
	if err != nil {
		l.log.Debug("closed before first byte", "remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	if IsPolicy(pc.First()) {
		l.divert(pc)
		return
	}
	select {
	case l.conns <- pc:
	case <-l.done:
		c.Close()
	}
}

// Conn is a connection whose first byte has been read and is replayed by Read.
type Conn struct {
	net.Conn
	first  byte
	replay atomic.Bool // the first byte is still to be returned
}

// First is the byte that was peeked.
func (c *Conn) First() byte { return c.first }

// Read returns the peeked byte first, then reads from the connection. After
// the first call it costs one atomic load.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) > 0 && c.replay.Load() && c.replay.CompareAndSwap(true, false) {
		p[0] = c.first
		// The byte alone: reading more could block, and the caller may
		// need only this one.
		return 1, nil
	}
	return c.Conn.Read(p)
}

// The methods below pass through what net/http and the echo handler look
// for on a *net.TCPConn, which embedding the net.Conn interface would hide.

// ReadFrom lets net/http send files with sendfile(2) when the inner
// connection can.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

// writerOnly hides ReadFrom, so io.Copy does not call back into it.
type writerOnly struct{ io.Writer }

// CloseWrite half-closes the connection when the inner one can (net/http
// does so before closing after an error response, so the client reads it).
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// Peek reads the first byte of c within timeout and returns c wrapped so the
// byte is read again. The read deadline is cleared on success.
func Peek(c net.Conn, timeout time.Duration) (*Conn, error) {
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return nil, err
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		return nil, err
	}
	pc := &Conn{Conn: c, first: b[0]}
	pc.replay.Store(true)
	return pc, nil
}
