// Package front relays connections byte for byte to an upstream server.
//
// It is the -upstream mode of the server: the public port answers Flash
// policy requests itself (package sniff diverts them before they get here)
// and hands every other connection — HTTP, WebSocket, TLS alike — to a Relay,
// which dials the upstream and copies both ways without looking at the bytes.
// TLS therefore ends at the upstream, with its own certificate.
package front

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pires/go-proxyproto"

	"github.com/web-socket-js/web-socket-js/server/internal/netutil"
)

// Defaults for the zero Options fields.
const (
	DefaultDialTimeout = 5 * time.Second
	DefaultIdleTimeout = 10 * time.Minute
	DefaultMaxConns    = 10000
)

// PROXY protocol versions for Options.ProxyProtocol.
const (
	ProxyNone = ""
	ProxyV1   = "v1" // text header
	ProxyV2   = "v2" // binary header
)

// Options configure a Relay.
type Options struct {
	Upstream      string        // host:port every connection is relayed to
	DialTimeout   time.Duration // for connecting to the upstream; 0 → DefaultDialTimeout
	IdleTimeout   time.Duration // a connection silent both ways this long is closed; 0 → DefaultIdleTimeout
	MaxConns      int           // relayed connections at once, more are closed at once; 0 → DefaultMaxConns
	ProxyProtocol string        // ProxyNone, ProxyV1 or ProxyV2: header sent to the upstream first
	Logger        *slog.Logger  // nil → slog.Default()
}

// Relay relays accepted connections to the upstream. Build it with New.
type Relay struct {
	o     Options
	log   *slog.Logger
	proxy byte // PROXY protocol version, 0 = none
	sem   chan struct{}

	ctx    context.Context // canceled when Shutdown gives up waiting
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	active map[*pair]struct{}
}

// New checks o and returns a Relay.
func New(o Options) (*Relay, error) {
	if _, port, err := net.SplitHostPort(o.Upstream); err != nil || port == "" {
		return nil, fmt.Errorf("upstream %q is not host:port", o.Upstream)
	}
	r := &Relay{o: o, log: o.Logger, active: make(map[*pair]struct{})}
	switch o.ProxyProtocol {
	case ProxyNone:
	case ProxyV1:
		r.proxy = 1
	case ProxyV2:
		r.proxy = 2
	default:
		return nil, fmt.Errorf("PROXY protocol %q: want v1 or v2", o.ProxyProtocol)
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.o.DialTimeout <= 0 {
		r.o.DialTimeout = DefaultDialTimeout
	}
	if r.o.IdleTimeout <= 0 {
		r.o.IdleTimeout = DefaultIdleTimeout
	}
	if r.o.MaxConns <= 0 {
		r.o.MaxConns = DefaultMaxConns
	}
	r.sem = make(chan struct{}, r.o.MaxConns)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// Serve relays every connection ln accepts until ln is closed. It returns nil
// once ln is closed, or the accept error that stopped it.
func (r *Relay) Serve(ln net.Listener) error {
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var retry bool
			if backoff, retry = netutil.AcceptBackoff(err, backoff); !retry {
				return err
			}
			r.log.Warn("front: accept failed", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		r.Go(c)
	}
}

// Go relays c on its own goroutine, or closes it at once when MaxConns
// connections are being relayed or the relay is shutting down.
func (r *Relay) Go(c net.Conn) {
	select {
	case r.sem <- struct{}{}:
	default:
		r.log.Warn("front: too many connections, closing", "remote", c.RemoteAddr().String(), "max_conns", r.o.MaxConns)
		c.Close()
		return
	}
	if r.ctx.Err() != nil {
		<-r.sem
		c.Close()
		return
	}
	r.wg.Add(1)
	go func() {
		defer func() { <-r.sem; r.wg.Done() }()
		r.relay(c)
	}()
}

// Active is the number of connections being relayed.
func (r *Relay) Active() int { return len(r.sem) }

// Shutdown waits for the connections being relayed to end by themselves
// until ctx ends, then closes the rest. The bytes are opaque, so there is no
// close message to send: clients and the upstream see the connection end.
// Call it after the listener is closed.
func (r *Relay) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	r.cancel()
	r.mu.Lock()
	n := len(r.active)
	for p := range r.active {
		p.closeBoth()
	}
	r.mu.Unlock()
	<-done
	r.log.Info("front: closed connections still open at the end of the grace period", "count", n)
	return ctx.Err()
}

func (r *Relay) relay(client net.Conn) {
	log := r.log.With("remote", client.RemoteAddr().String())
	up, err := r.dial(client)
	if err != nil {
		// The client gets a closed connection: nothing can be said in a
		// protocol this relay does not speak.
		log.Warn("front: upstream unreachable, closing the client", "upstream", r.o.Upstream, "err", err)
		client.Close()
		return
	}
	p := &pair{client: client, up: up, idle: r.o.IdleTimeout}
	if !r.track(p) {
		p.closeBoth()
		return
	}
	defer r.untrack(p)
	p.run()
	log.Debug("front: connection ended", "to_upstream", p.sent.Load(), "to_client", p.received.Load())
}

// dial connects to the upstream and sends the PROXY header, if configured.
func (r *Relay) dial(client net.Conn) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.o.DialTimeout)
	defer cancel()
	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", r.o.Upstream)
	if err != nil {
		return nil, err
	}
	if r.proxy == 0 {
		return up, nil
	}
	h := proxyproto.HeaderProxyFromAddrs(r.proxy, client.RemoteAddr(), client.LocalAddr())
	up.SetWriteDeadline(time.Now().Add(r.o.DialTimeout))
	if _, err := h.WriteTo(up); err != nil {
		up.Close()
		return nil, fmt.Errorf("sending the PROXY header: %w", err)
	}
	up.SetWriteDeadline(time.Time{})
	return up, nil
}

func (r *Relay) track(p *pair) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return false
	}
	r.active[p] = struct{}{}
	return true
}

func (r *Relay) untrack(p *pair) {
	r.mu.Lock()
	delete(r.active, p)
	r.mu.Unlock()
}

// pair is one relayed connection: the client's and the upstream's sockets.
type pair struct {
	client, up net.Conn
	idle       time.Duration
	last       atomic.Int64 // unix nanoseconds of the last byte either way
	sent       atomic.Int64 // bytes client → upstream
	received   atomic.Int64 // bytes upstream → client
	closing    sync.Once
}

// run copies both ways until both directions end. One side's clean end
// (EOF) is passed on as a half-close, so request/response protocols that
// close their sending side first still get their answer; an error on either
// side ends both.
func (p *pair) run() {
	p.touch()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(p.up, p.client, &p.sent) }()
	go func() { defer wg.Done(); p.pipe(p.client, p.up, &p.received) }()
	wg.Wait()
	p.closeBoth()
}

func (p *pair) pipe(dst, src net.Conn, count *atomic.Int64) {
	err := p.copy(dst, src, count)
	if err == nil {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			return
		}
	}
	p.closeBoth()
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copy moves bytes from src to dst until src ends (nil) or fails. A read
// that times out while the other direction was active within the idle
// timeout is retried: only a connection silent both ways is idle.
func (p *pair) copy(dst, src net.Conn, count *atomic.Int64) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		src.SetReadDeadline(time.Now().Add(p.idle))
		n, err := src.Read(buf)
		if n > 0 {
			p.touch()
			dst.SetWriteDeadline(time.Now().Add(p.idle))
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
			count.Add(int64(n))
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return nil
		case isTimeout(err) && p.activeWithin(p.idle):
		default:
			return err
		}
	}
}

func (p *pair) touch() { p.last.Store(time.Now().UnixNano()) }

func (p *pair) activeWithin(d time.Duration) bool {
	return time.Since(time.Unix(0, p.last.Load())) < d
}

func (p *pair) closeBoth() {
	p.closing.Do(func() {
		p.client.Close()
		p.up.Close()
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
