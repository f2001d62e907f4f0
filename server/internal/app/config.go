// Package app is the echo + policy server program: flag parsing, listeners,
// routes and graceful shutdown. server/main.go calls Run; tests and
// `mage serve` can call Run or Start in-process.
package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/commalist"
	"github.com/web-socket-js/web-socket-js/server/internal/echo"
	"github.com/web-socket-js/web-socket-js/server/internal/origin"
	"github.com/web-socket-js/web-socket-js/server/internal/policy"
	"github.com/web-socket-js/web-socket-js/server/internal/sniff"
)

// Version is reported by -version; server/main.go sets it from its
// link-time version variable.
var Version = "dev"

// DefaultAddr is the seed server's port, on loopback.
const DefaultAddr = "127.0.0.1:10081"

// Config is everything the flags set.
type Config struct {
	Addr           string
	PolicyAddr     string   // standalone policy listener; "" = none
	Origins        []string // allowed origins besides the server's own
	PolicyDomains  []string // nil → derived from Addr's host
	PolicyPorts    []string // nil → the serve port
	Subprotocols   []string
	MaxMessage     int64
	MaxConns       int
	TLSCert        string
	TLSKey         string
	LogLevel       slog.Level
	Dist           string // directory of built files
	Page           string // try-it page inside Dist, served at /
	RuffleDir      string // Ruffle package directory, served at /ruffle/; "" = not served
	BridgeAllow    []string
	PingInterval   time.Duration
	PingTimeout    time.Duration
	MessageTimeout time.Duration
	// HandshakeTimeout is one deadline from accept through the first
	// request's headers (the first byte included); also each later
	// request's read deadline on a kept-alive connection.
	HandshakeTimeout time.Duration
	PolicyTimeout    time.Duration
	ShutdownGrace    time.Duration
	Limits

	// -upstream mode (front.go) and -policy-only mode (policyonly.go).
	Upstream            string // relay non-policy connections to this host:port; "" = echo mode
	UpstreamProxy       string // PROXY protocol header to the upstream: "", "v1" or "v2"
	UpstreamDialTimeout time.Duration
	UpstreamIdleTimeout time.Duration
	PolicyOnly          bool // serve only the policy, on PolicyAddr
}

// errHelpShown tells Run that -h or -version printed and it should exit 0.
var errHelpShown = errors.New("help shown")

// ParseFlags turns command-line arguments into a Config. Usage goes to out.
func ParseFlags(args []string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(out)
	var origins, domains, ports, protos, bridge, level string
	var showVersion bool
	fs.StringVar(&c.Addr, "addr", DefaultAddr, "`host:port` for HTTP, WebSocket and in-band policy requests")
	fs.StringVar(&c.PolicyAddr, "policy-addr", "", "also serve policy requests alone on this `host:port` (Flash asks port 843 first, e.g. :843); off by default")
	fs.StringVar(&origins, "origins", "", "comma-separated origins allowed to open WebSockets besides the server's own (its -addr host, or localhost\nand this machine's addresses for loopback or all interfaces): example.com, *.example.com,\nhttps://example.com:8443, or null (which admits every sandboxed iframe and file: page, on any site)")
	fs.StringVar(&domains, "policy-domains", "", "comma-separated domains the socket policy allows (host, IPv4, *.example.com; * only if given);\ndefault: the -addr host (localhost and 127.0.0.1 for loopback or all interfaces)")
	fs.StringVar(&ports, "policy-ports", "", "comma-separated ports or ranges the socket policy allows (e.g. 10081,8000-8010; * only if given);\ndefault: the -addr port")
	fs.StringVar(&protos, "subprotocols", "", "comma-separated subprotocols; the first one a client offers that is listed is selected")
	fs.Int64Var(&c.MaxMessage, "max-message", echo.DefaultMaxMessage, "largest message in `bytes`; larger closes the connection with 1009")
	fs.IntVar(&c.MaxConns, "max-conns", echo.DefaultMaxConns, "most WebSocket connections at once; more get HTTP 503")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "certificate `file` (PEM) for https/wss; needs -tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", "", "private key `file` (PEM) for https/wss; needs -tls-cert")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.Dist, "dist", "dist", "`directory` of built files served over HTTP")
	fs.StringVar(&c.Page, "page", "sample.html", "try-it page `file` inside -dist, served at /")
	fs.StringVar(&c.RuffleDir, "ruffle-dir", "", "`directory` of the Ruffle npm package, served at /ruffle/ for the try-it Flash mode\n(also turns on the socket bridge at /ruffle-socket)")
	fs.StringVar(&bridge, "bridge-allow", "", "comma-separated host:port targets the Ruffle socket bridge (/ruffle-socket) may reach\n(setting it turns the bridge on); default: this server's port on 127.0.0.1")
	fs.DurationVar(&c.PingInterval, "ping-interval", echo.DefaultPingInterval, "idle time before the server pings a client (negative: never)")
	fs.DurationVar(&c.PingTimeout, "ping-timeout", echo.DefaultPingTimeout, "how long a ping may go unanswered before the client is dropped")
	fs.DurationVar(&c.MessageTimeout, "message-timeout", echo.DefaultMessageTimeout, "how long one message may take to arrive once it has started, or its echo to be written")
	fs.DurationVar(&c.HandshakeTimeout, "handshake-timeout", sniff.DefaultTimeout, "one deadline from a connection's accept through its first byte and HTTP request headers\n(and for reading each later request on a kept-alive connection)")
	fs.DurationVar(&c.PolicyTimeout, "policy-timeout", policy.DefaultTimeout, "deadline for a whole policy request and answer")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 5*time.Second, "on SIGINT/SIGTERM, how long clients get to answer close 1001")
	fs.BoolVar(&showVersion, "version", false, "print the version and exit")
	c.Limits.addFlags(fs)
	modeFlags(fs, &c)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: server [flags]\n       server doctor [flags] ws[s]://host:port/path   (see server doctor -h)\n\nThe web-socket-js echo and Flash socket policy server. On one port it serves the try-it\npage and dist/ files, echoes WebSocket messages on / and /echo, answers Flash policy\nrequests, and bridges Ruffle's sockets at /ruffle-socket (with -ruffle-dir or -bridge).\nWith -upstream it is instead a front for your own server; with -policy-only, a socket\npolicy daemon.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelpShown
		}
		return c, err
	}
	if showVersion {
		fmt.Fprintln(out, "web-socket-js server", Version)
		return c, errHelpShown
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (all settings are flags; see -h)", fs.Arg(0))
	}
	return c, c.fill(origins, domains, ports, protos, bridge, level)
}

// fill parses and checks the list flags.
func (c *Config) fill(origins, domains, ports, protos, bridge, level string) error {
	var err error
	if err = c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("-log-level: %v", err)
	}
	if _, _, err = net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("-addr %q: %v", c.Addr, err)
	}
	if c.PolicyAddr != "" {
		if _, _, err = net.SplitHostPort(c.PolicyAddr); err != nil {
			return fmt.Errorf("-policy-addr %q: %v", c.PolicyAddr, err)
		}
	}
	c.Origins = commalist.Split(origins)
	if err = origin.CheckPatterns(c.Origins); err != nil {
		return fmt.Errorf("-origins: %v", err)
	}
	if domains != "" {
		if c.PolicyDomains, err = policy.ParseDomains(domains); err != nil {
			return fmt.Errorf("-policy-domains: %v", err)
		}
	}
	if ports != "" {
		if c.PolicyPorts, err = policy.ParsePorts(ports); err != nil {
			return fmt.Errorf("-policy-ports: %v", err)
		}
	}
	c.Subprotocols = commalist.Split(protos)
	c.BridgeAllow = commalist.Split(bridge)
	for _, t := range c.BridgeAllow {
		if _, p, err := net.SplitHostPort(t); err != nil || p == "" {
			return fmt.Errorf("-bridge-allow: %q is not host:port", t)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	if err = c.checkMode(); err != nil {
		return err
	}
	if c.MaxMessage <= 0 {
		return fmt.Errorf("-max-message must be positive, got %d", c.MaxMessage)
	}
	if c.MaxConns <= 0 {
		return fmt.Errorf("-max-conns must be positive, got %d", c.MaxConns)
	}
	return c.Limits.check()
}

// defaultPolicy fills the policy lists left empty, from the bound address.
func defaultPolicy(host string, port int, domains, ports []string) ([]string, []string) {
	if ports == nil {
		ports = []string{strconv.Itoa(port)}
	}
	if domains == nil {
		ip := net.ParseIP(host)
		switch {
		case host == "" || host == "localhost" || ip != nil && (ip.IsLoopback() || ip.IsUnspecified()):
			domains = []string{"localhost", "127.0.0.1"}
		default:
			domains = []string{host}
		}
	}
	return domains, ports
}
