package policy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/web-socket-js/web-socket-js/server/internal/netutil"
)

// DefaultTimeout bounds how long one policy connection may take, from the
// first byte read to the last byte written. The request is 23 bytes; a
// client that needs longer is broken or hostile.
const DefaultTimeout = 3 * time.Second

// RequestTimeout bounds reading the 23-byte request (within Timeout): Flash
// sends it in one packet as soon as it connects.
const RequestTimeout = time.Second

// DefaultMaxConns bounds how many policy connections are served at once, in
// each budget (in-band and standalone).
const DefaultMaxConns = 1024

// DefaultMaxPerIP bounds how many of a budget's connections one client
// address may hold.
const DefaultMaxPerIP = 32

// ErrNotRequest reports bytes that are not the policy request.
var ErrNotRequest = errors.New("not a policy file request")

// ReadRequest reads the policy request from r. It never reads past the
// request's length, and it gives up at the first byte that does not match,
// so garbage is rejected as soon as it arrives.
func ReadRequest(r io.Reader) error {
	var buf [len(Request)]byte
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		for i := n; i < n+m; i++ {
			if buf[i] != Request[i] {
				return ErrNotRequest
			}
		}
		n += m
		if n == len(buf) {
			return nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// Server answers policy requests with a fixed policy. The zero value is not
// usable: set XML (from XML()).
//
// Connections handed over with Go (in-band, from the main port) and those
// accepted by Serve (a standalone port) have separate budgets, so a flood on
// one leaves the other alone. In each, a client address holds at most
// MaxPerIP connections and all together at most MaxConns; a new connection
// over either cap closes the oldest one it competes with (that address's, or
// the budget's), never itself. A flood of stalled connections therefore
// churns among itself, while a real client, which sends its 23 bytes at once
// and is answered within a round trip, still gets its policy.
type Server struct {
	XML      []byte        // the policy, NUL included
	Timeout  time.Duration // per connection; 0 → DefaultTimeout
	MaxConns int           // concurrent connections per budget; 0 → DefaultMaxConns
	MaxPerIP int           // concurrent connections per client address and budget; 0 → DefaultMaxPerIP
	Logger   *slog.Logger  // nil → slog.Default()

	once               sync.Once
	inBand, standalone *netutil.ConnSet
	wg                 sync.WaitGroup
}

func (s *Server) init() {
	s.once.Do(func() {
		n, perIP := s.MaxConns, s.MaxPerIP
		if n <= 0 {
			n = DefaultMaxConns
		}
		if perIP <= 0 {
			perIP = DefaultMaxPerIP
		}
		s.inBand = netutil.NewConnSet(n, perIP)
		s.standalone = netutil.NewConnSet(n, perIP)
	})
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

// ServeConn reads one request from c, answers it if it is exact, and closes
// c in every case. It returns once c is closed.
func (s *Server) ServeConn(c net.Conn) { s.serveConn(c, func() {}) }

// serveConn is ServeConn calling finished just before it closes c, so the
// connection's budget slot is free before its client sees the close and
// opens its next connection.
func (s *Server) serveConn(c net.Conn, finished func()) {
	defer c.Close()
	defer finished()
	log := s.logger().With("remote", c.RemoteAddr().String())
	start := time.Now()
	c.SetDeadline(start.Add(s.timeout()))
	c.SetReadDeadline(start.Add(min(RequestTimeout, s.timeout())))
	if err := ReadRequest(c); err != nil {
		log.Info("policy: bad request, closing", "err", err)
		return
	}
	if _, err := c.Write(s.XML); err != nil {
		log.Info("policy: write failed", "err", err)
		return
	}
	log.Debug("policy: served")
}

// Go serves c (handed over in-band) on its own goroutine, tracked so Wait
// can wait for it, in the in-band budget.
func (s *Server) Go(c net.Conn) {
	s.init()
	s.serveIn(s.inBand, c)
}

// serveIn serves c on its own goroutine, counted in b; a connection b
// closes to make room is logged at debug only (one line per attacker
// connection would flood the log).
func (s *Server) serveIn(b *netutil.ConnSet, c net.Conn) {
	if old := b.Add(c); old != nil {
		s.logger().Debug("policy: too many connections, closed the oldest", "remote", old.RemoteAddr().String())
		old.Close()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.serveConn(c, func() { b.Remove(c) })
	}()
}

// Wait waits for every connection started with Go to finish; each is bounded
// by Timeout.
func (s *Server) Wait() { s.wg.Wait() }

// Serve accepts policy connections on ln until ctx ends or ln fails, then
// closes ln and waits for the connections in flight.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.init()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer s.Wait()
	defer ln.Close()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var retry bool
			if backoff, retry = netutil.AcceptBackoff(err, backoff); !retry {
				return err
			}
			s.logger().Warn("policy: accept failed", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
				continue
			case <-ctx.Done():
				return nil
			}
		}
		backoff = 0
		s.serveIn(s.standalone, c)
	}
}
