package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/web-socket-js/web-socket-js/server/internal/policy"
)

// PolicyOnly is the server in -policy-only mode: the socket policy on its
// own port (843 by default) and nothing else. Build it with StartPolicyOnly.
type PolicyOnly struct {
	ln   net.Listener
	done chan struct{}
	err  error
}

// StartPolicyOnly binds cfg.PolicyAddr and answers policy requests until ctx
// ends; Wait returns once the connections in flight are done.
func StartPolicyOnly(ctx context.Context, cfg Config, log *slog.Logger) (*PolicyOnly, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.PolicyAddr == "" || cfg.PolicyPorts == nil {
		return nil, errors.New("policy-only mode needs a policy address and ports")
	}
	host, _, err := net.SplitHostPort(cfg.PolicyAddr)
	if err != nil {
		return nil, fmt.Errorf("-policy-addr %q: %v", cfg.PolicyAddr, err)
	}
	domains, ports := defaultPolicy(host, 0, cfg.PolicyDomains, cfg.PolicyPorts)
	xml, err := policy.XML(domains, ports)
	if err != nil {
		return nil, fmt.Errorf("socket policy: %v", err)
	}
	ln, err := listenPolicy(cfg.PolicyAddr)
	if err != nil {
		return nil, err
	}
	p := &PolicyOnly{ln: ln, done: make(chan struct{})}
	srv := policyServer(cfg, xml, log)
	log.Info("policy-only configured", "addr", ln.Addr().String(), "policy_domains", domains, "policy_ports", ports)
	go func() {
		defer close(p.done)
		p.err = srv.Serve(ctx, ln)
		log.Info("stopped")
	}()
	return p, nil
}

// Addr is the bound policy address.
func (p *PolicyOnly) Addr() string { return p.ln.Addr().String() }

// Wait blocks until the daemon has stopped.
func (p *PolicyOnly) Wait() error {
	<-p.done
	return p.err
}
