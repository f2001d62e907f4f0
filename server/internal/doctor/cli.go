package doctor

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/web-socket-js/web-socket-js/internal/commalist"
)

// Exit codes of `server doctor`.
const (
	ExitConnects = 0 // a Flash client on that page would connect
	ExitFails    = 1 // it would not
	ExitUsage    = 2 // the doctor could not run
)

// Main runs `server doctor` with args (after the word doctor) and returns
// the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, asJSON, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitConnects
	}
	if err != nil {
		fmt.Fprintln(stderr, "server doctor:", err)
		return ExitUsage
	}
	r, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "server doctor:", err)
		return ExitUsage
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(r)
	} else {
		Print(stdout, r)
	}
	if r.Connects {
		return ExitConnects
	}
	return ExitFails
}

func parseArgs(args []string, stderr io.Writer) (Options, bool, error) {
	var o Options
	var protocols, caFile string
	var asJSON bool
	fs := flag.NewFlagSet("server doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Origin, "origin", "", "the page's `origin` (https://example.com); default: the WebSocket server's own, http(s)://host:port")
	fs.StringVar(&o.SWF, "swf", "", "the `URL` WebSocketMain.swf is loaded from, when not from the page's origin (policies are matched against its host)")
	fs.StringVar(&o.PolicyURL, "policy", "", "the policy the page names with WebSocket.loadFlashPolicyFile, `xmlsocket://host:port`; default: the target port")
	fs.StringVar(&protocols, "protocols", "", "comma-separated subprotocols the page asks for")
	fs.BoolVar(&o.Echo, "echo", false, "also send a text and a binary message and expect them back (an echo server)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.DurationVar(&o.Timeout, "timeout", DefaultTimeout, "deadline for each step except port 843's (Flash waits about 3 s there)")
	fs.StringVar(&caFile, "ca", "", "PEM `file` of extra trusted root certificates for wss (a private CA)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: server doctor [flags] ws[s]://host:port/path\n\n"+
			"Checks what Flash Player checks before WebSocketMain.swf on a page connects: the socket policy on\n"+
			"port 843 and on the target port, by Flash's rules, then TLS (wss) and the WebSocket handshake.\n"+
			"Exit 0: a Flash client on that page would connect; 1: it would not; 2: the doctor could not run.\n\nFlags (before the URL):\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, false, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return o, false, fmt.Errorf("want exactly one ws:// or wss:// URL after the flags, got %d arguments", fs.NArg())
	}
	o.URL = fs.Arg(0)
	o.Protocols = commalist.Split(protocols)
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return o, false, fmt.Errorf("-ca: %v", err)
		}
		if o.RootCAs, err = x509.SystemCertPool(); err != nil {
			o.RootCAs = x509.NewCertPool()
		}
		if !o.RootCAs.AppendCertsFromPEM(pem) {
			return o, false, fmt.Errorf("-ca %s: no PEM certificate in it", caFile)
		}
	}
	return o, asJSON, nil
}

// Print writes the report for a person.
func Print(w io.Writer, r *Report) {
	fmt.Fprintf(w, "web-socket-js doctor: %s from a page at %s (SWF domain %s)\n\n", r.URL, r.Origin, r.SWFDomain)
	for i, s := range r.Steps {
		fmt.Fprintf(w, "%d. %s: %s\n", i+1, s.Name, strings.ToUpper(s.Status))
		fmt.Fprintf(w, "   %s\n", s.Detail)
		if s.Fix != "" && s.Status != StatusOK {
			fmt.Fprintf(w, "   fix: %s\n", s.Fix)
		}
		if s.Rule != "" && (s.Status == StatusFail || s.Status == StatusWarn) {
			fmt.Fprintf(w, "   rule: %s\n", s.Rule)
		}
	}
	if r.Connects {
		fmt.Fprintf(w, "\nresult: a Flash client on %s would connect to %s\n", r.Origin, r.URL)
		return
	}
	fmt.Fprintf(w, "\nresult: a Flash client on %s would NOT connect to %s (see the FAIL steps)\n", r.Origin, r.URL)
}
