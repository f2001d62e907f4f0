// Package sniff lets one port carry both Flash policy requests and HTTP.
//
// A Listener looks at the first byte of every accepted connection. Flash's
// policy request starts with '<', which no HTTP request (nor a TLS
// ClientHello, 0x16) can start with, so one byte decides: '<' goes to the
// policy handler, everything else is returned by Accept with that byte
// replayed. HTTP clients therefore wait for nothing but their own first packet.
//
// Until a connection is past its handshake it is pending: it has one
// deadline counted from accept, which deadlines set meanwhile (net/http's
// header timeout) cannot extend, and at most Options.MaxPending connections
// are pending at once (MaxPendingPerIP from one address), a new one
// closing the oldest it competes with (netutil.ConnSet).
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

// DefaultMaxPending is how many connections may be waiting for their
// handshake at once (see Options.MaxPending).
const DefaultMaxPending = 1024

// DefaultMaxPendingPerIP is how many of them may come from one client
// address (see Options.MaxPendingPerIP).
const DefaultMaxPendingPerIP = 256

// Options configure a Listener. Zero fields take defaults.
type Options struct {
	// Timeout is the deadline, counted from accept, for the first byte and,
	// with UntilHeaders, for everything up to PastHandshake. ≤ 0 →
	// DefaultTimeout.
	Timeout time.Duration
	// MaxPending caps connections not yet past their handshake (still being
	// sniffed, or with UntilHeaders not yet PastHandshake). When a new
	// connection arrives at the cap, the oldest pending one is closed: a
	// flood of silent connections then churns among itself instead of
	// locking out a client that speaks at once. ≤ 0 → DefaultMaxPending.
	MaxPending int
	// MaxPendingPerIP caps the pending connections from one client address;
	// at the cap a new one closes that address's oldest, so one address
	// cannot displace everybody else's. ≤ 0 → DefaultMaxPendingPerIP.
	MaxPendingPerIP int
	// UntilHeaders keeps a connection pending, and its deadline absolute,
	// after the first byte until PastHandshake is called (an HTTP server
	// calls it once a request's headers are in): deadlines set meanwhile,
	// such as net/http's header timeout, are held to Timeout from accept.
	// Without it a connection stops being pending at its first byte.
	UntilHeaders bool
	// Divert is called, on the sniffing goroutine, with every connection
	// whose first byte is '<' (that byte is replayed to it); it owns and
	// must close the connection, which is no longer pending.
	Divert func(net.Conn)
	// Logger nil means slog.Default().
	Logger *slog.Logger
}

// Listener wraps an inner listener. Build it with Listen or New.
type Listener struct {
	inner   net.Listener
	opts    Options
	log     *slog.Logger
	pending *netutil.ConnSet

	conns   chan net.Conn
	errc    chan error
	done    chan struct{}
	closing sync.Once
	wg      sync.WaitGroup
}

// New starts sniffing connections accepted from inner, with a first-byte
// deadline of timeout; see Options for the arguments.
func New(inner net.Listener, timeout time.Duration, divert func(net.Conn), log *slog.Logger) *Listener {
	return Listen(inner, Options{Timeout: timeout, Divert: divert, Logger: log})
}

// Listen starts sniffing connections accepted from inner.
func Listen(inner net.Listener, o Options) *Listener {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.MaxPendingPerIP <= 0 {
		o.MaxPendingPerIP = DefaultMaxPendingPerIP
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	l := &Listener{
		inner: inner,
		opts:  o,
		log:   o.Logger,
		conns: make(chan net.Conn),
		errc:  make(chan error, 1),
		done:  make(chan struct{}),
	}
	l.pending = netutil.NewConnSet(o.MaxPending, o.MaxPendingPerIP)
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

// Close stops accepting, closes connections not yet past their handshake
// and waits for the sniffing goroutines (not for diverted policy
// connections, which their handler owns).
func (l *Listener) Close() error {
	var err error
	l.closing.Do(func() {
		close(l.done)
		err = l.inner.Close()
		l.pending.CloseAll()
		l.wg.Wait()
	})
	return err
}

// Pending is the number of connections not yet past their handshake.
func (l *Listener) Pending() int { return l.pending.Len() }

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
		select {
		case <-l.done:
			c.Close()
			return
		default:
		}
		pc := &Conn{Conn: c, l: l, deadline: time.Now().Add(l.opts.Timeout)}
		if evicted := l.pending.Add(pc); evicted != nil {
			l.log.Debug("too many connections waiting for their handshake: closed the oldest",
				"remote", evicted.RemoteAddr().String(), "max_pending", l.opts.MaxPending)
			evicted.Close()
		}
		l.wg.Add(1)
		go l.sniff(pc)
	}
}

func (l *Listener) sniff(pc *Conn) {
	defer l.wg.Done()
	if err := pc.peek(); err != nil {
		l.log.Debug("closed before first byte", "remote", pc.RemoteAddr().String(), "err", err)
		pc.Close()
		return
	}
	if IsPolicy(pc.First()) {
		// The policy server has its own budget and deadline.
		pc.PastHandshake()
		l.opts.Divert(pc)
		return
	}
	if !l.opts.UntilHeaders {
		pc.PastHandshake()
	}
	select {
	case l.conns <- pc:
	case <-l.done:
		pc.Close()
	}
}

// Conn is a connection whose first byte has been read and is replayed by Read.
type Conn struct {
	net.Conn
	first  byte
	replay atomic.Bool // the first byte is still to be returned

	l        *Listener // nil for Peek's connections
	deadline time.Time // absolute handshake deadline, from accept
	hs       handshakeState
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
	pc := &Conn{Conn: c, deadline: time.Now().Add(timeout)}
	pc.hs.past = true
	if err := pc.peek(); err != nil {
		return nil, err
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		return nil, err
	}
	return pc, nil
}

// peek reads the first byte by the handshake deadline.
func (c *Conn) peek() error {
	if err := c.Conn.SetReadDeadline(c.deadline); err != nil {
		return err
	}
	var b [1]byte
	if _, err := io.ReadFull(c.Conn, b[:]); err != nil {
		return err
	}
	c.first = b[0]
	c.replay.Store(true)
	return nil
}
