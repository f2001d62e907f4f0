package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/ruffleproxy"
	"github.com/web-socket-js/web-socket-js/server/internal/echo"
	"github.com/web-socket-js/web-socket-js/server/internal/origin"
	"github.com/web-socket-js/web-socket-js/server/internal/policy"
	"github.com/web-socket-js/web-socket-js/server/internal/ratelog"
)

// Paths the server answers on.
const (
	EchoPath   = "/echo"
	BridgePath = "/ruffle-socket"
	RufflePath = "/ruffle/"
)

// Run parses args, serves until ctx ends, then shuts down gracefully. It
// prints the URL and logs to stdout. -h and -version return nil; a bad flag
// returns an error wrapping ErrUsage.
func Run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := ParseFlags(args, stdout)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	// Refusals are logged where they happen, once per connection; the rate
	// limit keeps an attacker's thousand connections to two lines.
	logs := ratelog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}), ratelog.DefaultInterval)
	defer logs.Flush()
	log := slog.New(logs)
	if ok, err := runMode(ctx, cfg, log, stdout); ok {
		return err
	}
	s, err := Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "web-socket-js server %s: try it at %s (WebSocket echo on %s and %s; Ctrl-C stops)\n",
		Version, s.URL(), s.WSURL("/"), s.WSURL(EchoPath))
	if s.PolicyAddr() != "" {
		fmt.Fprintf(stdout, "socket policy also served on %s\n", s.PolicyAddr())
	}
	return s.Wait()
}

// ErrUsage marks errors in the command line.
var ErrUsage = errors.New("usage")

// Server is a running server. Build it with Start.
type Server struct {
	listening
	cfg    Config
	log    *slog.Logger
	http   *http.Server
	echo   *echo.Handler
	policy *policy.Server
	tls    bool

	baseCancel context.CancelFunc
}

// Start binds the listeners and serves in the background until ctx ends;
// Wait then returns once shutdown is complete.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	inner, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s, err := build(cfg, log, inner)
	if err != nil {
		inner.Close()
		return nil, err
	}
	if cfg.PolicyAddr != "" {
		if s.policyLn, err = net.Listen("tcp", cfg.PolicyAddr); err != nil {
			inner.Close()
			return nil, fmt.Errorf("listen on -policy-addr %s: %w (port 843 needs root or CAP_NET_BIND_SERVICE)", cfg.PolicyAddr, err)
		}
	}
	s.serve(ctx)
	return s, nil
}

// build assembles handlers and the sniffing listener around inner.
func build(cfg Config, log *slog.Logger, inner net.Listener) (*Server, error) {
	bound := inner.Addr().(*net.TCPAddr)
	host, _, _ := net.SplitHostPort(cfg.Addr)
	domains, ports := defaultPolicy(host, bound.Port, cfg.PolicyDomains, cfg.PolicyPorts)
	xml, err := policy.XML(domains, ports)
	if err != nil {
		return nil, fmt.Errorf("socket policy: %v (set -policy-domains)", err)
	}
	origins, err := origin.New(cfg.Origins, origin.OwnHosts(host, bound.Port, interfaceIPs()))
	if err != nil {
		return nil, fmt.Errorf("-origins: %v", err)
	}
	s := &Server{listening: listening{done: make(chan struct{})}, cfg: cfg, log: log}
	s.policy = policyServer(cfg, xml, log)
	s.echo = echo.New(echo.Options{
		Origins:        origins,
		Subprotocols:   cfg.Subprotocols,
		MaxMessage:     cfg.MaxMessage,
		MaxConns:       cfg.MaxConns,
		PingInterval:   cfg.PingInterval,
		PingTimeout:    cfg.PingTimeout,
		MessageTimeout: cfg.MessageTimeout,
		Logger:         log,
	})
	s.ln = frontDoor(inner, cfg, s.policy.Go, log)
	s.http = httpServer(cfg, s.routes(s.bridge(bound.Port, origins)), log)
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			s.ln.Close()
			return nil, fmt.Errorf("-tls-cert/-tls-key: %w", err)
		}
		// HTTP/1.1 only: WebSocket upgrades need it, and policy requests are
		// sniffed below TLS, so they are answered in plain text as Flash expects.
		s.http.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
		s.tls = true
	}
	log.Info("server configured", "addr", bound.String(), "policy_domains", domains, "policy_ports", ports,
		"bridge", s.cfg.bridgeOn(), "bridge_allow", s.cfg.BridgeAllow, "origins", cfg.Origins, "subprotocols", cfg.Subprotocols, "tls", s.tls)
	return s, nil
}

func (s *Server) serve(ctx context.Context) {
	base, cancel := context.WithCancel(context.Background())
	s.baseCancel = cancel
	s.http.BaseContext = func(net.Listener) context.Context { return base }

	var wg sync.WaitGroup
	var httpErr, policyErr error
	// Each listener's goroutine reports here when it ends. Whichever ends
	// first, before a shutdown was asked for, ends the server: a server with
	// only some of its ports is not one to keep running.
	ended := make(chan struct{}, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { ended <- struct{}{} }()
		if s.tls {
			httpErr = s.http.ServeTLS(s.ln, "", "")
		} else {
			httpErr = s.http.Serve(s.ln)
		}
		// Shutdown closes the listener first, so a closed-listener error
		// is the expected end too.
		if errors.Is(httpErr, http.ErrServerClosed) || errors.Is(httpErr, net.ErrClosed) {
			httpErr = nil
		}
	}()
	policyCtx, stopPolicy := context.WithCancel(context.Background())
	if s.policyLn != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { ended <- struct{}{} }()
			policyErr = s.policy.Serve(policyCtx, s.policyLn)
		}()
	}
	go func() {
		defer close(s.done)
		early := false
		select {
		case <-ctx.Done():
		case <-ended:
			early = true
		}
		s.shutdown()
		stopPolicy()
		wg.Wait()
		s.err = errors.Join(httpErr, policyErr)
		if early && s.err == nil {
			s.err = errUnexpectedStop
		}
	}()
}

// errUnexpectedStop is the error of a server whose listener stopped serving
// without an error of its own and without a shutdown request.
var errUnexpectedStop = errors.New("a listener stopped serving unexpectedly")

// shutdown stops accepting, sends 1001 to WebSocket clients, closes bridge
// connections and waits (bounded) for all of it.
func (s *Server) shutdown() {
	s.log.Info("shutting down")
	grace := s.cfg.ShutdownGrace
	if grace <= 0 {
		grace = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	// Bridge connections first (their target may be this server, whose
	// sockets are about to close), then WebSocket clients; a client that
	// slips in meanwhile is refused with 1001 too. Then stop accepting.
	s.baseCancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.echo.Shutdown(ctx); err != nil {
			s.log.Warn("echo shutdown", "err", err)
		}
	}()
	s.ln.Close()
	if err := s.http.Shutdown(ctx); err != nil {
		s.log.Warn("http shutdown", "err", err)
		s.http.Close()
	}
	wg.Wait()
	s.policy.Wait()
	s.log.Info("stopped")
}

// interfaceIPs are this machine's addresses, which pages loaded from this
// server by IP address have as their origin host; none if they cannot be
// listed.
func interfaceIPs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips
}

// URL is the try-it page's address.
func (s *Server) URL() string {
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	return scheme + "://" + s.Addr() + "/"
}

// WSURL is the WebSocket address for path.
func (s *Server) WSURL(path string) string {
	scheme := "ws"
	if s.tls {
		scheme = "wss"
	}
	return scheme + "://" + s.Addr() + path
}

// routes maps paths: WebSocket upgrades on / and /echo go to the echo
// handler; other requests get files.
func (s *Server) routes(bridge *ruffleproxy.Handler) http.Handler {
	mux := http.NewServeMux()
	files := fileHandler(s.cfg.Dist, s.cfg.Page)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && echo.IsUpgrade(r) {
			s.echo.ServeHTTP(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc(EchoPath, func(w http.ResponseWriter, r *http.Request) {
		if !echo.IsUpgrade(r) {
			w.Header().Set("Upgrade", "websocket")
			http.Error(w, "this is a WebSocket echo endpoint", http.StatusUpgradeRequired)
			return
		}
		s.echo.ServeHTTP(w, r)
	})
	if bridge != nil {
		mux.Handle(BridgePath, bridge)
	} else {
		mux.HandleFunc(BridgePath, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "the Ruffle socket bridge is off: start the server with -bridge or -ruffle-dir", http.StatusNotFound)
		})
	}
	mux.Handle(RufflePath, ruffleHandler(s.cfg.RuffleDir))
	return mux
}

// bridge is the Ruffle socket bridge, or nil when it is not served. Its
// pages are the echo's, and its relays are pinged like echo connections.
func (s *Server) bridge(port int, origins *origin.Policy) *ruffleproxy.Handler {
	if !s.cfg.bridgeOn() {
		return nil
	}
	if s.cfg.BridgeAllow == nil {
		s.cfg.BridgeAllow = []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	}
	return &ruffleproxy.Handler{
		Allow:        s.cfg.BridgeAllow,
		Logger:       s.log,
		CheckOrigin:  func(r *http.Request) bool { return origins.Allowed(r.Header.Get("Origin")) },
		MaxConns:     s.cfg.BridgeMaxConns,
		PingInterval: s.cfg.PingInterval,
		PingTimeout:  s.cfg.PingTimeout,
	}
}

// fileHandler serves dir's files, page at /, and no directory listings.
func fileHandler(dir, page string) http.Handler {
	fs := http.FileServer(noDirs{http.Dir(dir)})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/" {
			p := filepath.Join(dir, page)
			if _, err := os.Stat(p); err != nil {
				http.Error(w, fmt.Sprintf("no try-it page at %s: build it first (mage build), or point -dist/-page at it", p), http.StatusNotFound)
				return
			}
			http.ServeFile(w, r, p)
			return
		}
		fs.ServeHTTP(w, r)
	})
}

func ruffleHandler(dir string) http.Handler {
	if dir == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "Ruffle is not served: start the server with -ruffle-dir (mage serve does)", http.StatusNotFound)
		})
	}
	return http.StripPrefix(RufflePath, http.FileServer(noDirs{http.Dir(dir)}))
}

// noDirs hides directories, so nothing is listed.
type noDirs struct{ fs http.FileSystem }

func (n noDirs) Open(name string) (http.File, error) {
	f, err := n.fs.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, os.ErrNotExist
	}
	return f, nil
}
