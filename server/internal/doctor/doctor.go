// Package doctor checks, step by step, what Flash Player checks before and
// while WebSocketMain.swf on a page connects to a WebSocket server: the
// master socket policy on port 843, the policy on the target port (or the
// one the page names), Flash's rules for both, the TLS certificate for wss,
// the WebSocket handshake as the SWF sends it, and optionally an echo. Each
// step ends ok, with a warning, or with the problem, its fix and the rule.
//
// `server doctor` (server/main.go) runs it through Main.
package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults; tests replace defaultMasterPort (they cannot bind 843) through
// export_test.go.
var (
	defaultMasterPort = 843
	// DefaultMasterWait is how long Flash Player waits for port 843.
	DefaultMasterWait = 3 * time.Second
	// DefaultTimeout bounds every other step.
	DefaultTimeout = 10 * time.Second
)

// Options say what to check.
type Options struct {
	URL       string   // ws:// or wss:// URL the page opens
	Origin    string   // the page's origin; "" = the WebSocket server's own (http[s]://host:port)
	SWF       string   // URL of WebSocketMain.swf; "" = on the page's origin
	PolicyURL string   // xmlsocket://host:port named by WebSocket.loadFlashPolicyFile; "" = the target port
	Protocols []string // subprotocols the page asks for
	Echo      bool     // also send a text and a binary message and expect them back

	MasterPort int            // 0 = 843
	MasterWait time.Duration  // 0 = DefaultMasterWait
	Timeout    time.Duration  // 0 = DefaultTimeout
	RootCAs    *x509.CertPool // nil = the system's
}

// Status of a step.
const (
	StatusOK   = "ok"
	StatusWarn = "warn"
	StatusFail = "fail"
	StatusSkip = "skip"
)

// Step is one check and what came of it.
type Step struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
	Rule   string `json:"rule,omitempty"`
}

// Report is the whole diagnosis.
type Report struct {
	URL       string `json:"url"`
	Origin    string `json:"origin"`
	SWFDomain string `json:"swf_domain"`
	Steps     []Step `json:"steps"`
	Connects  bool   `json:"connects"` // a Flash client on that page would connect (and echo, with Echo)
}

// add appends s and returns it for filling in; the pointer is valid until
// the next add.
func (r *Report) add(s Step) *Step {
	r.Steps = append(r.Steps, s)
	return &r.Steps[len(r.Steps)-1]
}

// ErrUsage marks options the doctor cannot run with.
var ErrUsage = errors.New("usage")

// target is the parsed options.
type target struct {
	u          *url.URL
	host       string
	port       int
	secure     bool // wss
	origin     string
	swf        swfPlace
	policyAddr string // where the non-master policy is asked for
	policyPort int
	named      bool // policyAddr came from PolicyURL
	o          Options
}

func usage(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

func parseTarget(o Options) (*target, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Hostname() == "" {
		return nil, usage("want a ws:// or wss:// URL with a host, got %q", o.URL)
	}
	if u.Fragment != "" {
		return nil, usage("a WebSocket URL has no #fragment: %q", o.URL)
	}
	t := &target{u: u, host: u.Hostname(), secure: u.Scheme == "wss", o: o}
	t.port = 80
	if t.secure {
		t.port = 443
	}
	if p := u.Port(); p != "" {
		if t.port, err = strconv.Atoi(p); err != nil || t.port < 1 || t.port > 65535 {
			return nil, usage("bad port in %q", o.URL)
		}
	}
	if err := t.setOrigin(); err != nil {
		return nil, err
	}
	if err := t.setPolicy(); err != nil {
		return nil, err
	}
	return t, nil
}

// setOrigin fills origin and the SWF's place.
func (t *target) setOrigin() error {
	t.origin = t.o.Origin
	if t.origin == "" {
		scheme := "http"
		if t.secure {
			scheme = "https"
		}
		t.origin = scheme + "://" + t.u.Host
	}
	ou, err := url.Parse(t.origin)
	if err != nil || ou.Hostname() == "" || (ou.Scheme != "http" && ou.Scheme != "https") || (ou.Path != "" && ou.Path != "/") {
		return usage("-origin wants a page origin like https://example.com or http://host:8080, got %q", t.origin)
	}
	t.origin = ou.Scheme + "://" + ou.Host
	swf := ou
	if t.o.SWF != "" {
		if swf, err = url.Parse(t.o.SWF); err != nil || swf.Hostname() == "" || (swf.Scheme != "http" && swf.Scheme != "https") {
			return usage("-swf wants the SWF's http(s) URL, got %q", t.o.SWF)
		}
	}
	t.swf = swfPlace{Domain: strings.ToLower(swf.Hostname()), Secure: swf.Scheme == "https"}
	return nil
}

// setPolicy decides where the non-master policy is asked for.
func (t *target) setPolicy() error {
	t.policyAddr = net.JoinHostPort(t.host, strconv.Itoa(t.port))
	t.policyPort = t.port
	if t.o.PolicyURL == "" {
		return nil
	}
	pu, err := url.Parse(t.o.PolicyURL)
	if err != nil || pu.Scheme != "xmlsocket" || pu.Hostname() == "" || pu.Port() == "" {
		return usage("-policy wants xmlsocket://host:port (as given to WebSocket.loadFlashPolicyFile), got %q", t.o.PolicyURL)
	}
	if t.policyPort, err = strconv.Atoi(pu.Port()); err != nil || t.policyPort < 1 || t.policyPort > 65535 {
		return usage("bad port in -policy %q", t.o.PolicyURL)
	}
	t.policyAddr, t.named = pu.Host, true
	if !strings.EqualFold(pu.Hostname(), t.host) {
		return usage("-policy %q is on another host than %s; %s", t.o.PolicyURL, t.host, ruleSameHost)
	}
	return nil
}

func (o Options) masterPort() int {
	if o.MasterPort > 0 {
		return o.MasterPort
	}
	return defaultMasterPort
}

func (o Options) masterWait() time.Duration {
	if o.MasterWait > 0 {
		return o.MasterWait
	}
	return DefaultMasterWait
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

// Run performs every step. Its error wraps ErrUsage when the options are
// unusable; problems with the server are steps, not errors.
func Run(ctx context.Context, o Options) (*Report, error) {
	t, err := parseTarget(o)
	if err != nil {
		return nil, err
	}
	r := &Report{URL: o.URL, Origin: t.origin, SWFDomain: t.swf.Domain}
	permitted := checkPolicies(ctx, t, r)
	tlsOK := true
	if t.secure {
		tlsOK = checkTLS(ctx, t, r)
	}
	conn := checkHandshake(ctx, t, r, tlsOK)
	if conn != nil {
		defer conn.Close()
	}
	if o.Echo {
		checkEcho(t, r, conn)
	}
	r.Connects = permitted
	for _, s := range r.Steps {
		if s.Status == StatusFail {
			r.Connects = false
		}
	}
	return r, nil
}
