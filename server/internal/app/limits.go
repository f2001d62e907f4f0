package app

import (
	"flag"
	"fmt"

	"github.com/web-socket-js/web-socket-js/internal/ruffleproxy"
)

// Limits are the settings that bound what clients, and attackers, can make
// the server hold: the bridge's mounting and size. See the Security section
// of server/README.md.
type Limits struct {
	Bridge         bool // mount /ruffle-socket even without -ruffle-dir or -bridge-allow
	BridgeMaxConns int  // relays at once
}

func (l *Limits) addFlags(fs *flag.FlagSet) {
	fs.BoolVar(&l.Bridge, "bridge", false, "serve the Ruffle socket bridge at /ruffle-socket; on by itself with -ruffle-dir or -bridge-allow")
	fs.IntVar(&l.BridgeMaxConns, "bridge-max-conns", ruffleproxy.DefaultMaxConns, "most Ruffle bridge relays at once; more get HTTP 503")
}

func (l *Limits) check() error {
	if l.BridgeMaxConns <= 0 {
		return fmt.Errorf("-bridge-max-conns must be positive, got %d", l.BridgeMaxConns)
	}
	return nil
}

// bridgeOn says whether /ruffle-socket is served: only when the try-it Flash
// mode needs it (-ruffle-dir), when targets were configured, or when asked.
func (c *Config) bridgeOn() bool {
	return c.Bridge || c.RuffleDir != "" || len(c.BridgeAllow) > 0
}
