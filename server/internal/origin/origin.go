// Package origin decides which web pages may use the server's
// browser-reachable WebSocket endpoints (the echo and the Ruffle bridge).
//
// A browser sends the page's origin with every WebSocket handshake; a page on
// another site that runs in a visitor's browser must not be able to use the
// server as if it were one of its own pages. "Own" means the host names and
// port the server was configured or bound with, never the request's Host
// header: a DNS-rebinding page controls that header (attacker.test resolving
// to this server sends Host: attacker.test), so trusting it would admit it.
package origin

import (
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Policy is an Origin allowlist: the server's own origins plus operator
// patterns. Build it with New; the zero value allows only requests without
// an Origin, and so does a nil *Policy.
type Policy struct {
	own      map[string]bool // "host:port", host lower-case, IPv6 in brackets
	patterns []string        // lower-case
}

// New returns a Policy admitting origins whose host and port are in own
// ("host:port" entries, see OwnHosts) with the http or https scheme, and
// origins matching a pattern (see CheckPatterns). Patterns are checked.
func New(patterns, own []string) (*Policy, error) {
	if err := CheckPatterns(patterns); err != nil {
		return nil, err
	}
	p := &Policy{own: make(map[string]bool, len(own))}
	for _, hp := range own {
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			return nil, err
		}
		p.own[net.JoinHostPort(strings.ToLower(host), port)] = true
	}
	for _, pat := range patterns {
		p.patterns = append(p.patterns, strings.ToLower(pat))
	}
	return p, nil
}

// Allowed decides whether a handshake carrying this Origin header may
// proceed.
//
//   - No Origin: allowed. Only browsers send one, and the check exists to
//     stop other sites' pages from using a visitor's browser.
//   - "null" (file: pages, sandboxed iframes, some redirects): only when the
//     pattern "null" is configured, which admits every sandboxed iframe on
//     any site.
//   - An http or https origin whose host and port are the server's own.
//   - An origin matching a pattern, case-insensitively, with path.Match
//     syntax: "example.com", "*.example.com" (matched against host[:port] of
//     http and https origins only), or "https://example.com:8443" (with a
//     scheme, matched against scheme://host[:port]).
//
// Anything that is not a serialized origin (a path, user info, a query) is
// refused.
func (p *Policy) Allowed(origin string) bool {
	if origin == "" {
		return true
	}
	if p == nil {
		return false
	}
	if origin == "null" {
		return p.matches("null")
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	web := scheme == "http" || scheme == "https"
	if web && p.own[hostPort(u, scheme)] {
		return true
	}
	if web && p.matches(strings.ToLower(u.Host)) {
		return true
	}
	return p.matches(scheme + "://" + strings.ToLower(u.Host))
}

// matches reports whether target matches a pattern of the same kind (with
// or without a scheme).
func (p *Policy) matches(target string) bool {
	withScheme := strings.Contains(target, "://")
	for _, pat := range p.patterns {
		if strings.Contains(pat, "://") != withScheme {
			continue
		}
		if ok, err := path.Match(pat, target); err == nil && ok {
			return true
		}
	}
	return false
}

// hostPort is u's host and port, the scheme's default port filled in, in
// the form New stores.
func hostPort(u *url.URL, scheme string) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// OwnHosts lists the "host:port" names a server bound to port, configured
// with host (the -addr host), is reached by from its own pages:
//
//   - a name or address given: that one;
//   - loopback or "localhost": localhost, 127.0.0.1 and [::1];
//   - all interfaces ("", 0.0.0.0, ::): the loopback names and interfaceIPs
//     (the machine's addresses). Names other than localhost are not guessed:
//     an operator adds them with -origins.
//
// IP addresses are safe to admit: a page whose origin is an IP address was
// loaded from that address, so DNS rebinding cannot forge one.
func OwnHosts(host string, port int, interfaceIPs []net.IP) []string {
	p := strconv.Itoa(port)
	loopback := []string{net.JoinHostPort("localhost", p), net.JoinHostPort("127.0.0.1", p), net.JoinHostPort("::1", p)}
	ip := net.ParseIP(host)
	switch {
	case host == "localhost" || ip != nil && ip.IsLoopback():
		return appendNew(loopback, net.JoinHostPort(host, p))
	case host == "" || ip != nil && ip.IsUnspecified():
		out := loopback
		for _, a := range interfaceIPs {
			out = appendNew(out, net.JoinHostPort(a.String(), p))
		}
		return out
	default:
		return []string{net.JoinHostPort(host, p)}
	}
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// CheckPatterns reports the first pattern that path.Match cannot use, so a
// bad -origins flag fails at start instead of silently never matching.
func CheckPatterns(patterns []string) error {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return &PatternError{Pattern: p, Err: err}
		}
	}
	return nil
}

// PatternError names a malformed origin pattern.
type PatternError struct {
	Pattern string
	Err     error
}

func (e *PatternError) Error() string { return "origin pattern " + e.Pattern + ": " + e.Err.Error() }
