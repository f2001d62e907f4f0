package app

import (
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/ruffleproxy"
	"github.com/web-socket-js/web-socket-js/server/internal/policy"
	"github.com/web-socket-js/web-socket-js/server/internal/sniff"
)

// DefaultHTTPWriteTimeout bounds writing one HTTP answer (a file).
const DefaultHTTPWriteTimeout = time.Minute

// Limits are the settings that bound what clients, and attackers, can make
// the server hold: connections before their headers, HTTP answers, and the
// Ruffle bridge. See the Security section of server/README.md.
type Limits struct {
	Bridge           bool          // mount /ruffle-socket even without -ruffle-dir or -bridge-allow
	BridgeMaxConns   int           // relays at once
	MaxHandshakes    int           // connections not yet past their request headers
	MaxHandshakesIP  int           // ... of them from one client address
	HTTPWriteTimeout time.Duration // writing one HTTP answer
	MaxHTTPConns     int           // plain HTTP connections past their headers
	PolicyMaxConns   int           // policy connections per budget (in-band, standalone)
	PolicyMaxPerIP   int           // policy connections per client address and budget
}

func (l *Limits) addFlags(fs *flag.FlagSet) {
	fs.BoolVar(&l.Bridge, "bridge", false, "serve the Ruffle socket bridge at /ruffle-socket; on by itself with -ruffle-dir or -bridge-allow")
	fs.IntVar(&l.BridgeMaxConns, "bridge-max-conns", ruffleproxy.DefaultMaxConns, "most Ruffle bridge relays at once; more get HTTP 503")
	fs.IntVar(&l.MaxHandshakes, "max-handshakes", sniff.DefaultMaxPending, "most connections at once that have not yet sent their request headers;\nat the cap a new connection closes the oldest of them")
	fs.IntVar(&l.MaxHandshakesIP, "max-handshakes-per-ip", sniff.DefaultMaxPendingPerIP, "most of those connections from one client address; beyond, its oldest is closed")
	fs.IntVar(&l.PolicyMaxConns, "policy-max-conns", policy.DefaultMaxConns, "most policy connections at once, in-band and standalone each; at the cap a new one closes the oldest")
	fs.IntVar(&l.PolicyMaxPerIP, "policy-max-per-ip", policy.DefaultMaxPerIP, "most policy connections at once from one client address (per port kind); beyond, its oldest is closed")
	fs.IntVar(&l.MaxHTTPConns, "max-http-conns", DefaultMaxHTTPConns, "most plain HTTP connections at once past their request headers (answering, or kept alive);\nat the cap an idle one is closed, else the request gets HTTP 503")
	fs.DurationVar(&l.HTTPWriteTimeout, "http-write-timeout", DefaultHTTPWriteTimeout, "deadline for writing one HTTP answer (not WebSockets, which are pinged)")
}

func (l *Limits) check() error {
	if l.BridgeMaxConns <= 0 {
		return fmt.Errorf("-bridge-max-conns must be positive, got %d", l.BridgeMaxConns)
	}
	if l.MaxHandshakes <= 0 || l.MaxHandshakesIP <= 0 {
		return fmt.Errorf("-max-handshakes and -max-handshakes-per-ip must be positive, got %d and %d", l.MaxHandshakes, l.MaxHandshakesIP)
	}
	if l.PolicyMaxConns <= 0 || l.PolicyMaxPerIP <= 0 {
		return fmt.Errorf("-policy-max-conns and -policy-max-per-ip must be positive, got %d and %d", l.PolicyMaxConns, l.PolicyMaxPerIP)
	}
	if l.MaxHTTPConns <= 0 {
		return fmt.Errorf("-max-http-conns must be positive, got %d", l.MaxHTTPConns)
	}
	if l.HTTPWriteTimeout <= 0 {
		return fmt.Errorf("-http-write-timeout must be positive, got %v", l.HTTPWriteTimeout)
	}
	return nil
}

// bridgeOn says whether /ruffle-socket is served: only when the try-it Flash
// mode needs it (-ruffle-dir), when targets were configured, or when asked.
func (c *Config) bridgeOn() bool {
	return c.Bridge || c.RuffleDir != "" || len(c.BridgeAllow) > 0
}

// policyServer answers policy requests with xml, within cfg's limits.
func policyServer(cfg Config, xml []byte, log *slog.Logger) *policy.Server {
	return &policy.Server{XML: xml, Timeout: cfg.PolicyTimeout, MaxConns: cfg.PolicyMaxConns, MaxPerIP: cfg.PolicyMaxPerIP, Logger: log}
}
