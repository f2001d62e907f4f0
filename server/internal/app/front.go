package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/web-socket-js/web-socket-js/server/internal/front"
	"github.com/web-socket-js/web-socket-js/server/internal/policy"
	"github.com/web-socket-js/web-socket-js/server/internal/sniff"
)

// Front is the server in -upstream mode: policy requests on -addr are
// answered, every other connection is relayed to the upstream. Build it with
// StartFront.
type Front struct {
	listening
	cfg    Config
	log    *slog.Logger
	policy *policy.Server
	relay  *front.Relay
}

// StartFront binds the listeners and serves until ctx ends; Wait returns once
// shutdown is complete.
func StartFront(ctx context.Context, cfg Config, log *slog.Logger) (*Front, error) {
	if log == nil {
		log = slog.Default()
	}
	relay, err := front.New(front.Options{
		Upstream:      cfg.Upstream,
		DialTimeout:   cfg.UpstreamDialTimeout,
		IdleTimeout:   cfg.UpstreamIdleTimeout,
		MaxConns:      cfg.MaxConns,
		ProxyProtocol: cfg.UpstreamProxy,
		Logger:        log,
	})
	if err != nil {
		return nil, err
	}
	inner, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	f := &Front{listening: listening{done: make(chan struct{})}, cfg: cfg, log: log, relay: relay}
	bound := inner.Addr().(*net.TCPAddr)
	host, _, _ := net.SplitHostPort(cfg.Addr)
	domains, ports := defaultPolicy(host, bound.Port, cfg.PolicyDomains, cfg.PolicyPorts)
	xml, err := policy.XML(domains, ports)
	if err != nil {
		inner.Close()
		return nil, fmt.Errorf("socket policy: %v (set -policy-domains)", err)
	}
	f.policy = policyServer(cfg, xml, log)
	if cfg.PolicyAddr != "" {
		if f.policyLn, err = listenPolicy(cfg.PolicyAddr); err != nil {
			inner.Close()
			return nil, err
		}
	}
	f.ln = sniff.Listen(inner, sniff.Options{Timeout: cfg.HandshakeTimeout, MaxPending: cfg.MaxHandshakes, MaxPendingPerIP: cfg.MaxHandshakesIP, Divert: f.policy.Go, Logger: log})
	if ignored := echoOnlySettings(cfg); len(ignored) > 0 {
		log.Warn("front mode: these settings are the upstream's business and are ignored", "flags", ignored)
	}
	log.Info("front configured", "addr", bound.String(), "upstream", cfg.Upstream, "proxy_protocol", cfg.UpstreamProxy,
		"policy_domains", domains, "policy_ports", ports, "max_conns", cfg.MaxConns)
	f.serve(ctx)
	return f, nil
}

func (f *Front) serve(ctx context.Context) {
	var wg sync.WaitGroup
	var relayErr, policyErr error
	ended := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		relayErr = f.relay.Serve(f.ln)
		close(ended)
	}()
	policyCtx, stopPolicy := context.WithCancel(context.Background())
	if f.policyLn != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			policyErr = f.policy.Serve(policyCtx, f.policyLn)
		}()
	}
	go func() {
		defer close(f.done)
		select {
		case <-ctx.Done():
		case <-ended:
		}
		f.shutdown()
		stopPolicy()
		wg.Wait()
		f.err = errors.Join(relayErr, policyErr)
	}()
}

// shutdown stops accepting, gives relayed connections -shutdown-grace to end
// by themselves and closes the rest.
func (f *Front) shutdown() {
	f.log.Info("shutting down", "relayed", f.relay.Active())
	grace := f.cfg.ShutdownGrace
	if grace <= 0 {
		grace = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	f.ln.Close()
	f.relay.Shutdown(ctx)
	f.policy.Wait()
	f.log.Info("stopped")
}

// listenPolicy binds a standalone policy listener.
func listenPolicy(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on -policy-addr %s: %w (port 843 needs root or CAP_NET_BIND_SERVICE)", addr, err)
	}
	return ln, nil
}

// echoOnlySettings names the echo-mode flags set in cfg, which the front,
// reading none of the relayed bytes, cannot apply.
func echoOnlySettings(cfg Config) []string {
	var set []string
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"-origins", len(cfg.Origins) > 0},
		{"-subprotocols", len(cfg.Subprotocols) > 0},
		{"-ruffle-dir", cfg.RuffleDir != ""},
		{"-bridge-allow", len(cfg.BridgeAllow) > 0},
		{"-bridge", cfg.Bridge},
	} {
		if f.on {
			set = append(set, f.name)
		}
	}
	return set
}
