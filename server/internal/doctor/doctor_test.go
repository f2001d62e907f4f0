package doctor_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/goecho"
	"github.com/web-socket-js/web-socket-js/internal/testkit/nodeecho"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpserver"
	"github.com/web-socket-js/web-socket-js/internal/testkit/testcert"
	"github.com/web-socket-js/web-socket-js/server/internal/app"
	"github.com/web-socket-js/web-socket-js/server/internal/doctor"
	"github.com/web-socket-js/web-socket-js/server/internal/policy"
	"github.com/web-socket-js/web-socket-js/server/internal/sniff"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startApp runs this project's server with args after -addr 127.0.0.1:0.
func startApp(t *testing.T, args ...string) *app.Server {
	t.Helper()
	cfg, err := app.ParseFlags(append([]string{"-addr", "127.0.0.1:0", "-dist", t.TempDir()}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := app.Start(ctx, cfg, quiet)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); s.Wait() })
	return s
}

// refusedPort is a loopback port nothing listens on (843 on a machine
// without a policy server).
func refusedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// serveTCP runs handle for every connection on a loopback listener until
// the test ends; it returns the port.
func serveTCP(t *testing.T, handle func(net.Conn)) int {
	t.Helper()
	return tcpserver.Serve(t, 10*time.Second, handle).Port
}

// silentPort accepts connections and never answers (a port 843 whose
// firewall drops, as the player sees it, or a server that waits for more).
func silentPort(t *testing.T) int {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return serveTCP(t, func(c net.Conn) {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
}

// policyPort answers a correct policy request with reply.
func policyPort(t *testing.T, reply string) int {
	return serveTCP(t, func(c net.Conn) {
		if policy.ReadRequest(c) == nil {
			c.Write([]byte(reply))
		}
	})
}

// inBandServer is a WebSocket echo server whose policy answer on the same
// port is answerPolicy's (the cases a hand-written policy server gets wrong).
func inBandServer(t *testing.T, answerPolicy func(net.Conn)) int {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := sniff.New(inner, 5*time.Second, func(c net.Conn) {
		defer c.Close()
		if policy.ReadRequest(c) == nil {
			answerPolicy(c)
		}
	}, quiet)
	srv := &http.Server{Handler: goecho.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); ln.Close() })
	return inner.Addr().(*net.TCPAddr).Port
}

func goodPolicy(port int) string {
	return fmt.Sprintf(`<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="127.0.0.1" to-ports="%d"/></cross-domain-policy>`, port)
}

// diagnose runs the doctor with port 843 replaced by master.
func diagnose(t *testing.T, o doctor.Options, master int) *doctor.Report {
	t.Helper()
	o.MasterPort = master
	if o.MasterWait == 0 {
		o.MasterWait = 500 * time.Millisecond
	}
	o.Timeout = 3 * time.Second
	r, err := doctor.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	doctor.Print(&out, r)
	t.Logf("\n%s", out.String())
	return r
}

// step finds the step whose name starts with prefix.
func step(t *testing.T, r *doctor.Report, prefix string) doctor.Step {
	t.Helper()
	for _, s := range r.Steps {
		if strings.HasPrefix(s.Name, prefix) {
			return s
		}
	}
	t.Fatalf("no step %q in %+v", prefix, r.Steps)
	return doctor.Step{}
}

// wantFailure checks the verdict and that the step named prefix failed
// saying each of mentions.
func wantFailure(t *testing.T, r *doctor.Report, prefix string, mentions ...string) {
	t.Helper()
	if r.Connects {
		t.Errorf("Connects = true, want false")
	}
	s := step(t, r, prefix)
	if s.Status != doctor.StatusFail {
		t.Errorf("step %q: status %s, want fail", s.Name, s.Status)
	}
	text := s.Detail + " | fix: " + s.Fix + " | rule: " + s.Rule
	for _, m := range mentions {
		if !strings.Contains(text, m) {
			t.Errorf("step %q: %q does not mention %q", s.Name, text, m)
		}
	}
}

func wsURL(port int, path string) string { return "ws://127.0.0.1:" + strconv.Itoa(port) + path }

func TestOurServerInItsDefaultConfiguration(t *testing.T) {
	s := startApp(t)
	origin := "http://" + s.Addr()
	r := diagnose(t, doctor.Options{URL: s.WSURL("/echo"), Origin: origin, Echo: true}, refusedPort(t))
	if !r.Connects {
		t.Fatalf("Connects = false against our default server: %+v", r.Steps)
	}
	if st := step(t, r, "master policy").Status; st != doctor.StatusOK {
		t.Errorf("refused 843: status %s, want ok (a refused port costs nothing)", st)
	}
	for _, name := range []string{"policy on", "WebSocket handshake", "echo"} {
		if st := step(t, r, name).Status; st != doctor.StatusOK {
			t.Errorf("step %s: %s, want ok", name, st)
		}
	}
}

func TestNoPolicyAnywhere(t *testing.T) {
	// A server that takes the request and closes without a word.
	port := serveTCP(t, func(c net.Conn) { policy.ReadRequest(c) })
	r := diagnose(t, doctor.Options{URL: wsURL(port, "/"), Origin: "http://127.0.0.1"}, refusedPort(t))
	wantFailure(t, r, "policy on", "No policy anywhere", "-policy-only", "-upstream")
}

func TestPolicyForAnotherDomain(t *testing.T) {
	s := startApp(t, "-policy-domains", "example.com")
	r := diagnose(t, doctor.Options{URL: s.WSURL("/"), Origin: "http://" + s.Addr()}, refusedPort(t))
	wantFailure(t, r, "policy on", `domain="example.com"`, `the SWF's domain is "127.0.0.1"`, "-policy-domains 127.0.0.1", "allow-access-from/domain")
	if st := step(t, r, "WebSocket handshake").Status; st != doctor.StatusOK {
		t.Errorf("handshake %s: only the policy is wrong here", st)
	}
}

func TestPortNotInToPorts(t *testing.T) {
	s := startApp(t, "-policy-ports", "1024-2000")
	r := diagnose(t, doctor.Options{URL: s.WSURL("/"), Origin: "http://" + s.Addr()}, refusedPort(t))
	_, port, _ := net.SplitHostPort(s.Addr())
	wantFailure(t, r, "policy on", "port "+port+" is not in to-ports", "to-ports")
}

func TestHighPortPolicyCannotGrantLowPort(t *testing.T) {
	// The page names a policy on a high port (loadFlashPolicyFile) for a
	// server on port 80.
	p := policyPort(t, `<cross-domain-policy><allow-access-from domain="*" to-ports="*"/></cross-domain-policy>`+"\x00")
	r := diagnose(t, doctor.Options{URL: "ws://127.0.0.1:80/", Origin: "http://127.0.0.1",
		PolicyURL: "xmlsocket://127.0.0.1:" + strconv.Itoa(p)}, refusedPort(t))
	wantFailure(t, r, "policy named by loadFlashPolicyFile", "which cannot grant port 80 (< 1024)", "port 1024 or higher may grant only ports 1024 and higher", "-policy-addr :843")
}

func TestPolicyWithoutNUL(t *testing.T) {
	var port int
	port = inBandServer(t, func(c net.Conn) { c.Write([]byte(goodPolicy(port))) })
	r := diagnose(t, doctor.Options{URL: wsURL(port, "/"), Origin: "http://127.0.0.1"}, refusedPort(t))
	wantFailure(t, r, "policy on", "no NUL byte", "closed without the terminator", "followed by a NUL byte")
}

func TestPolicyWithoutNULLeftOpen(t *testing.T) {
	var port int
	port = inBandServer(t, func(c net.Conn) {
		c.Write([]byte(goodPolicy(port)))
		time.Sleep(4 * time.Second)
	})
	r := diagnose(t, doctor.Options{URL: wsURL(port, "/"), Origin: "http://127.0.0.1"}, refusedPort(t))
	wantFailure(t, r, "policy on", "no NUL byte", "stayed open")
}

func TestTruncatedPolicy(t *testing.T) {
	port := inBandServer(t, func(c net.Conn) { c.Write([]byte(`<cross-domain-policy><allow-access-from domain="*" to-`)) })
	r := diagnose(t, doctor.Options{URL: wsURL(port, "/"), Origin: "http://127.0.0.1"}, refusedPort(t))
	wantFailure(t, r, "policy on", "no NUL byte")
}

func TestTruncatedPolicyWithNUL(t *testing.T) {
	port := inBandServer(t, func(c net.Conn) { c.Write([]byte("<cross-domain-policy><allow-access-from domain=\"*\" to-\x00")) })
	r := diagnose(t, doctor.Options{URL: wsURL(port, "/"), Origin: "http://127.0.0.1"}, refusedPort(t))
	wantFailure(t, r, "policy on", "truncated")
}

func TestPolicyWithBOM(t *testing.T) {
	var port int
	port = inBandServer(t, func(c net.Conn) { c.Write([]byte("\xEF\xBB\xBF" + goodPolicy(port) + "\x00")) })
	r := diagnose(t, doctor.Options{URL: wsURL(port, "/"), Origin: "http://127.0.0.1"}, refusedPort(t))
	s := step(t, r, "policy on")
	if s.Status != doctor.StatusWarn || !strings.Contains(s.Detail, "byte-order mark") {
		t.Errorf("BOM: %s %q, want a warning about the byte-order mark", s.Status, s.Detail)
	}
}

func TestHTTPServerAnswersThePolicyRequest(t *testing.T) {
	// Node's HTTP parser answers the policy request with 400 at once.
	addr := nodeecho.Start(t)
	r := diagnose(t, doctor.Options{URL: "ws://" + addr + "/", Origin: "http://127.0.0.1", Echo: true}, refusedPort(t))
	wantFailure(t, r, "policy on", "an HTTP server answered the policy request", "400 Bad Request", "-upstream")
	if st := step(t, r, "echo").Status; st != doctor.StatusOK {
		t.Errorf("echo %s: the WebSocket server itself works", st)
	}
}

func TestHTTPServerWaitsForMore(t *testing.T) {
	// Go's HTTP server waits for the end of a request line that never comes.
	srv := &http.Server{Handler: goecho.Handler(), ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	r := diagnose(t, doctor.Options{URL: wsURL(port, "/"), Origin: "http://127.0.0.1"}, refusedPort(t))
	wantFailure(t, r, "policy on", "waits for more than Flash sends", "No policy anywhere")
}

func TestOriginRefused(t *testing.T) {
	s := startApp(t, "-policy-domains", "*")
	r := diagnose(t, doctor.Options{URL: s.WSURL("/"), Origin: "https://pages.example"}, refusedPort(t))
	wantFailure(t, r, "WebSocket handshake", "Origin refused", "403", "-origins pages.example", "RFC 6455")
	if st := step(t, r, "policy on").Status; st != doctor.StatusOK {
		t.Errorf("policy %s, want ok (only the Origin is refused)", st)
	}
}

func TestSilent843ButInBandPolicyFine(t *testing.T) {
	s := startApp(t)
	r := diagnose(t, doctor.Options{URL: s.WSURL("/"), Origin: "http://" + s.Addr()}, silentPort(t))
	if !r.Connects {
		t.Fatalf("Connects = false: a silent 843 only delays")
	}
	m := step(t, r, "master policy")
	if m.Status != doctor.StatusWarn || !strings.Contains(m.Detail, "waits about 3 s") || !strings.Contains(m.Fix, "REJECT") {
		t.Errorf("master step %s %q fix %q, want the 3 s warning", m.Status, m.Detail, m.Fix)
	}
}

func TestMasterPolicyGrants(t *testing.T) {
	// A plain WebSocket server without any policy, and a master policy on 843.
	port := inBandServer(t, func(net.Conn) {})
	master := policyPort(t, goodPolicy(port)+"\x00")
	r := diagnose(t, doctor.Options{URL: wsURL(port, "/"), Origin: "http://127.0.0.1"}, master)
	if !r.Connects || step(t, r, "master policy").Status != doctor.StatusOK || step(t, r, "policy on").Status != doctor.StatusSkip {
		t.Fatalf("a granting master policy: %+v", r.Steps)
	}
}

func TestMasterOnlyMetaPolicy(t *testing.T) {
	s := startApp(t)
	master := policyPort(t, `<cross-domain-policy><site-control permitted-cross-domain-policies="master-only"/><allow-access-from domain="example.com" to-ports="*"/></cross-domain-policy>`+"\x00")
	r := diagnose(t, doctor.Options{URL: s.WSURL("/"), Origin: "http://" + s.Addr()}, master)
	wantFailure(t, r, "master policy", `"master-only"`, "permitted-cross-domain-policies")
	if st := step(t, r, "policy on").Status; st != doctor.StatusSkip {
		t.Errorf("in-band policy %s, want skip (ignored under master-only)", st)
	}
}

func TestWSSWithCertificateForAnotherName(t *testing.T) {
	cert := testcert.New(t, "other.example")
	s := startApp(t, "-tls-cert", cert.CertFile, "-tls-key", cert.KeyFile)
	r := diagnose(t, doctor.Options{URL: s.WSURL("/"), Origin: "https://" + s.Addr(), RootCAs: cert.Pool}, refusedPort(t))
	wantFailure(t, r, "TLS certificate", "the certificate is for other.example, not for 127.0.0.1", "SecureSocket")
	if st := step(t, r, "policy on").Status; st != doctor.StatusOK {
		t.Errorf("policy %s: our server answers it in plain text beside TLS", st)
	}
}

func TestWSSWithTheRightCertificate(t *testing.T) {
	cert := testcert.New(t, "127.0.0.1")
	s := startApp(t, "-tls-cert", cert.CertFile, "-tls-key", cert.KeyFile)
	r := diagnose(t, doctor.Options{URL: s.WSURL("/echo"), Origin: "https://" + s.Addr(), RootCAs: cert.Pool, Echo: true}, refusedPort(t))
	if !r.Connects {
		t.Fatalf("wss with a good certificate: %+v", r.Steps)
	}
}

func TestMainExitCodesAndJSON(t *testing.T) {
	doctor.SetMasterForTest(t, refusedPort(t), 500*time.Millisecond)
	s := startApp(t)
	var out, errOut bytes.Buffer
	if code := doctor.Main(context.Background(), []string{"-origin", "http://" + s.Addr(), "-json", s.WSURL("/")}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d against our server\n%s%s", code, out.String(), errOut.String())
	}
	var r doctor.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || !r.Connects || len(r.Steps) < 3 {
		t.Fatalf("-json output %q: %v", out.String(), err)
	}
	out.Reset()
	if code := doctor.Main(context.Background(), []string{"-origin", "https://elsewhere.example", s.WSURL("/")}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d for a page on another domain, want 1\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "FAIL") || !strings.Contains(out.String(), "would NOT connect") {
		t.Errorf("human output lacks the failure:\n%s", out.String())
	}
	for _, args := range [][]string{
		{},
		{"http://127.0.0.1/"},
		{"ws://127.0.0.1/", "extra"},
		{"-origin", "not a url", "ws://127.0.0.1/"},
		{"-policy", "http://127.0.0.1:843", "ws://127.0.0.1/"},
		{"-policy", "xmlsocket://other.example:843", "ws://127.0.0.1/"},
		{"-no-such-flag", "ws://127.0.0.1/"},
	} {
		errOut.Reset()
		if code := doctor.Main(context.Background(), args, io.Discard, &errOut); code != 2 {
			t.Errorf("args %q: exit %d, want 2", args, code)
		}
	}
}

// rawHandshakeServer answers the policy correctly and every WebSocket
// request with answer(key), written as is.
func rawHandshakeServer(t *testing.T, answer func(key string) string) int {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := inner.Addr().(*net.TCPAddr).Port
	ln := sniff.New(inner, 5*time.Second, func(c net.Conn) {
		defer c.Close()
		if policy.ReadRequest(c) == nil {
			io.WriteString(c, goodPolicy(port)+"\x00")
		}
	}, quiet)
	tcpserver.ServeOn(t, ln, 5*time.Second, func(c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		io.WriteString(c, answer(req.Header.Get("Sec-WebSocket-Key")))
		io.Copy(io.Discard, c)
	})
	return port
}

func acceptFor(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

func TestHandshakeProblemsAreNamed(t *testing.T) {
	const head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	cases := []struct {
		name      string
		answer    func(key string) string
		protocols []string
		mention   string
	}{
		{"wrong accept", func(string) string { return head + "Sec-WebSocket-Accept: d3Jvbmc=\r\n\r\n" }, nil, "Sec-WebSocket-Accept is missing or does not match"},
		{"no upgrade header", func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptFor(key) + "\r\n\r\n"
		}, nil, "lacks 'Upgrade: websocket'"},
		{"subprotocol not offered", func(key string) string {
			return head + "Sec-WebSocket-Accept: " + acceptFor(key) + "\r\nSec-WebSocket-Protocol: other\r\n\r\n"
		}, []string{"chat"}, `subprotocol "other", which the client did not offer`},
		{"extension not offered", func(key string) string {
			return head + "Sec-WebSocket-Accept: " + acceptFor(key) + "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
		}, nil, "extension(s)"},
		{"not found", func(string) string { return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" }, nil, "404 Not Found instead of 101"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port := rawHandshakeServer(t, c.answer)
			r := diagnose(t, doctor.Options{URL: wsURL(port, "/ws"), Origin: "http://127.0.0.1", Protocols: c.protocols}, refusedPort(t))
			wantFailure(t, r, "WebSocket handshake", c.mention)
			if st := step(t, r, "policy on").Status; st != doctor.StatusOK {
				t.Errorf("policy %s, want ok", st)
			}
		})
	}
}

func TestUnknownMetaPolicyIsReadAsMasterOnly(t *testing.T) {
	s := startApp(t)
	master := policyPort(t, `<cross-domain-policy><site-control permitted-cross-domain-policies="by-content-type"/><allow-access-from domain="*" to-ports="*"/></cross-domain-policy>`+"\x00")
	r := diagnose(t, doctor.Options{URL: s.WSURL("/"), Origin: "http://" + s.Addr()}, master)
	m := step(t, r, "master policy")
	if !r.Connects || m.Status != doctor.StatusWarn || !strings.Contains(m.Detail, `"by-content-type" means nothing for socket policies`) || !strings.Contains(m.Detail, "grants the connection") {
		t.Fatalf("master step %s %q (connects %v)", m.Status, m.Detail, r.Connects)
	}
}
