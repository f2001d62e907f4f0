// Package policy builds and serves the Flash socket policy file.
//
// Flash Player will not open a socket until it has fetched a policy: it
// connects to port 843 (or the target port itself), sends
// "<policy-file-request/>" followed by a NUL byte, and expects the policy XML
// followed by a NUL byte, after which the server closes the connection.
package policy

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Request is the exact byte string Flash sends to ask for a socket policy.
const Request = "<policy-file-request/>\x00"

// XML returns the policy (with its terminating NUL) that allows each of
// domains to connect to ports. Inputs are expected to come from ParseDomains
// and ParsePorts; anything that would break the XML is rejected.
func XML(domains, ports []string) ([]byte, error) {
	if len(domains) == 0 || len(ports) == 0 {
		return nil, fmt.Errorf("a policy needs at least one domain and one port (got %d domains, %d ports)", len(domains), len(ports))
	}
	for _, d := range domains {
		if err := checkDomain(d); err != nil {
			return nil, err
		}
	}
	for _, p := range ports {
		if _, err := parsePort(p); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<cross-domain-policy>\n")
	toPorts := strings.Join(ports, ",")
	for _, d := range domains {
		fmt.Fprintf(&b, "<allow-access-from domain=\"%s\" to-ports=\"%s\"/>\n", d, toPorts)
	}
	b.WriteString("</cross-domain-policy>\n\x00")
	return []byte(b.String()), nil
}

// ParseDomains parses a comma-separated list of the domains a policy allows:
// host names, IPv4 addresses, "*.example.com" wildcards, or "*" (any domain,
// only when written explicitly). Spaces around entries are ignored.
func ParseDomains(s string) ([]string, error) {
	entries, err := splitList(s, "domain")
	if err != nil {
		return nil, err
	}
	for _, d := range entries {
		if err := checkDomain(d); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// ParsePorts parses a comma-separated list of ports for to-ports: single
// ports ("10081"), ranges ("8000-8010"), or "*" (any port, only when written
// explicitly). Entries are returned in canonical form (no leading zeros).
func ParsePorts(s string) ([]string, error) {
	entries, err := splitList(s, "port")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(entries))
	for i, p := range entries {
		if out[i], err = parsePort(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func splitList(s, what string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty %s list", what)
	}
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("empty entry in %s list %q", what, s)
		}
		out = append(out, p)
	}
	return out, nil
}

// checkDomain accepts what Flash's domain attribute accepts and nothing that
// could escape the attribute.
func checkDomain(d string) error {
	if d == "*" {
		return nil
	}
	if ip := net.ParseIP(d); ip != nil {
		if ip.To4() == nil {
			return fmt.Errorf("domain %q: IPv6 addresses are not supported in Flash socket policies", d)
		}
		return nil
	}
	host := strings.TrimPrefix(d, "*.")
	if len(host) == 0 || len(host) > 253 {
		return fmt.Errorf("domain %q: want a host name, an IPv4 address, *.example.com or *", d)
	}
	for _, label := range strings.Split(host, ".") {
		if !validLabel(label) {
			return fmt.Errorf("domain %q: %q is not a valid host name label (letters, digits and '-' only)", d, label)
		}
	}
	return nil
}

func validLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// parsePort validates one to-ports entry and returns it canonicalised.
func parsePort(p string) (string, error) {
	if p == "*" {
		return p, nil
	}
	lo, hi, isRange := strings.Cut(p, "-")
	a, err := portNumber(lo)
	if err != nil {
		return "", fmt.Errorf("port %q: %v", p, err)
	}
	if !isRange {
		return strconv.Itoa(a), nil
	}
	b, err := portNumber(hi)
	if err != nil {
		return "", fmt.Errorf("port range %q: %v", p, err)
	}
	if a > b {
		return "", fmt.Errorf("port range %q: start is above end", p)
	}
	return strconv.Itoa(a) + "-" + strconv.Itoa(b), nil
}

func portNumber(s string) (int, error) {
	if s == "" || len(s) > 5 {
		return 0, fmt.Errorf("want a number from 1 to 65535")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("want a number from 1 to 65535")
		}
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%d is out of range 1-65535", n)
	}
	return n, nil
}
