package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/web-socket-js/web-socket-js/server/internal/front"
)

// DefaultPolicyOnlyAddr is where -policy-only listens without -policy-addr:
// the port Flash Player asks first.
const DefaultPolicyOnlyAddr = ":843"

// modeFlags declares the flags of the -upstream and -policy-only modes.
func modeFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Upstream, "upstream", "", "front mode: relay every non-policy connection on -addr byte for byte to this `host:port`\n(your WebSocket server; TLS passes through to it); echo, try-it page and bridge are off")
	fs.StringVar(&c.UpstreamProxy, "upstream-proxy-protocol", "", "front mode: send a PROXY protocol header (v1 or v2) to the upstream, so it sees client addresses")
	fs.DurationVar(&c.UpstreamDialTimeout, "upstream-dial-timeout", front.DefaultDialTimeout, "front mode: deadline for connecting to the upstream")
	fs.DurationVar(&c.UpstreamIdleTimeout, "upstream-idle-timeout", front.DefaultIdleTimeout, "front mode: a relayed connection silent both ways this long is closed")
	fs.BoolVar(&c.PolicyOnly, "policy-only", false, "serve only the socket policy, on -policy-addr (default "+DefaultPolicyOnlyAddr+"); needs -policy-ports; nothing else listens")
}

// checkMode checks the mode flags against the others.
func (c *Config) checkMode() error {
	if c.PolicyOnly {
		if c.Upstream != "" {
			return errors.New("-policy-only and -upstream exclude each other")
		}
		if c.PolicyPorts == nil {
			return errors.New("-policy-only needs -policy-ports: the ports of the servers the policy is for")
		}
		if c.PolicyAddr == "" {
			c.PolicyAddr = DefaultPolicyOnlyAddr
		}
		return nil
	}
	if c.Upstream == "" {
		if c.UpstreamProxy != "" {
			return errors.New("-upstream-proxy-protocol needs -upstream")
		}
		return nil
	}
	if _, p, err := net.SplitHostPort(c.Upstream); err != nil || p == "" {
		return fmt.Errorf("-upstream %q is not host:port", c.Upstream)
	}
	if c.TLSCert != "" {
		return errors.New("-tls-cert cannot be used with -upstream: TLS passes through the front untouched and ends at the upstream, with its certificate")
	}
	switch c.UpstreamProxy {
	case front.ProxyNone, front.ProxyV1, front.ProxyV2:
	default:
		return fmt.Errorf("-upstream-proxy-protocol %q: want v1 or v2", c.UpstreamProxy)
	}
	if c.UpstreamDialTimeout <= 0 || c.UpstreamIdleTimeout <= 0 {
		return errors.New("-upstream-dial-timeout and -upstream-idle-timeout must be positive")
	}
	return nil
}

// runMode runs the -upstream or -policy-only mode; ok is false in echo mode.
func runMode(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) (ok bool, err error) {
	switch {
	case cfg.PolicyOnly:
		p, err := StartPolicyOnly(ctx, cfg, log)
		if err != nil {
			return true, err
		}
		fmt.Fprintf(stdout, "web-socket-js server %s: socket policy only, on %s (Ctrl-C stops)\n", Version, p.Addr())
		return true, p.Wait()
	case cfg.Upstream != "":
		f, err := StartFront(ctx, cfg, log)
		if err != nil {
			return true, err
		}
		fmt.Fprintf(stdout, "web-socket-js server %s: front for %s on %s: socket policy answered, everything else relayed (Ctrl-C stops)\n",
			Version, cfg.Upstream, f.Addr())
		if f.PolicyAddr() != "" {
			fmt.Fprintf(stdout, "socket policy also served on %s\n", f.PolicyAddr())
		}
		return true, f.Wait()
	}
	return false, nil
}
