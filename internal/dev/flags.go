package dev

import (
	"fmt"
	"net"
	"strings"

	"github.com/web-socket-js/web-socket-js/internal/commalist"
)

// serverFlags is SERVE_FLAGS taken apart: dev keeps the public address for its front,
// merges its own entries into the list flags, and passes the rest to the server.
type serverFlags struct {
	addr    string   // -addr: where the front listens
	page    string   // -page: the try-it page
	origins []string // -origins given by the user
	bridge  []string // -bridge-allow given by the user
	rest    []string // every other flag, for the server as given
}

// parseServerFlags reads server flags in the forms -name value and -name=value (every
// server flag but -version takes a value).
func parseServerFlags(args []string, defaultAddr string) (serverFlags, error) {
	f := serverFlags{addr: defaultAddr, page: "sample.html"}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") {
			return f, fmt.Errorf("SERVE_FLAGS: %q is not a flag", args[i])
		}
		if name == "version" || name == "h" || name == "help" {
			return f, fmt.Errorf("SERVE_FLAGS: -%s makes no sense for dev", name)
		}
		if !hasValue {
			if i+1 >= len(args) {
				return f, fmt.Errorf("SERVE_FLAGS: -%s needs a value", name)
			}
			i++
			value = args[i]
		}
		switch name {
		case "addr":
			if _, _, err := net.SplitHostPort(value); err != nil {
				return f, fmt.Errorf("SERVE_FLAGS: -addr %q: %v", value, err)
			}
			f.addr = value
		case "page":
			f.page = value
		case "origins":
			f.origins = append(f.origins, commalist.Split(value)...)
		case "bridge-allow":
			f.bridge = append(f.bridge, commalist.Split(value)...)
		case "dist":
			return f, fmt.Errorf("SERVE_FLAGS: dev serves its own build; -dist is not for dev")
		case "tls-cert", "tls-key":
			return f, fmt.Errorf("SERVE_FLAGS: dev serves plain HTTP on loopback; use serve for -%s", name)
		default:
			f.rest = append(f.rest, "-"+name, value)
		}
	}
	return f, nil
}

// frontOrigins are the origins a page served by the front at bound has: the host as
// configured, and for loopback or all-interfaces addresses also localhost and 127.0.0.1.
func frontOrigins(configured string, bound *net.TCPAddr) []string {
	host, _, _ := net.SplitHostPort(configured)
	port := fmt.Sprint(bound.Port)
	hosts := []string{host}
	ip := net.ParseIP(host)
	if host == "" || host == "localhost" || ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		hosts = []string{"127.0.0.1", "localhost"}
	}
	var out []string
	for _, h := range hosts {
		out = append(out, "http://"+net.JoinHostPort(h, port))
	}
	return out
}

// serverArgs are the server's flags under dev: loopback on a free port, the dev build,
// and the front's address allowed as the page's origin and as the target of Ruffle's
// socket bridge (the try-it page's Flash sockets dial the address the page came from).
func (f serverFlags) serverArgs(outDir, ruffleDir string, bound *net.TCPAddr, origins []string) []string {
	bridge := append([]string{net.JoinHostPort("127.0.0.1", fmt.Sprint(bound.Port))}, f.bridge...)
	for _, o := range origins {
		if hp := strings.TrimPrefix(o, "http://"); !contains(bridge, hp) {
			bridge = append(bridge, hp)
		}
	}
	args := append([]string{}, f.rest...)
	args = append(args, "-addr", "127.0.0.1:0", "-dist", outDir, "-page", f.page,
		"-origins", strings.Join(append(append([]string{}, origins...), f.origins...), ","),
		"-bridge-allow", strings.Join(bridge, ","))
	if ruffleDir != "" {
		args = append(args, "-ruffle-dir", ruffleDir)
	}
	return args
}
