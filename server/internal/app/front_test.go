package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/goecho"
	"github.com/web-socket-js/web-socket-js/internal/testkit/nodeecho"
	"github.com/web-socket-js/web-socket-js/internal/testkit/testcert"
	"github.com/web-socket-js/web-socket-js/server/internal/doctor"
	"github.com/web-socket-js/web-socket-js/server/internal/policy"
)

// goUpstream is a gorilla echo server on loopback; its address.
func goUpstream(t *testing.T) string {
	srv := httptest.NewServer(goecho.Handler())
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// startFront runs the server in -upstream mode; the cleanup shuts it down
// and checks nothing of it is left running.
func startFront(t *testing.T, upstream string, args ...string) *Front {
	t.Helper()
	checkLeaks(t)
	cfg := testConfig(t, append([]string{"-upstream", upstream}, args...)...)
	ctx, cancel := context.WithCancel(context.Background())
	f, err := StartFront(ctx, cfg, quiet())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := f.Wait(); err != nil {
			t.Errorf("front stopped with %v", err)
		}
	})
	return f
}

func TestFrontRelaysToGoAndNodeUpstreams(t *testing.T) {
	for _, up := range []struct {
		name string
		addr func(*testing.T) string
	}{{"gorilla", goUpstream}, {"node ws", func(t *testing.T) string { return nodeecho.Start(t) }}} {
		t.Run(up.name, func(t *testing.T) {
			f := startFront(t, up.addr(t))
			_, port, _ := net.SplitHostPort(f.Addr())
			want, _ := policy.XML([]string{"localhost", "127.0.0.1"}, []string{port})
			if got := readAll(t, f.Addr(), policy.Request); !bytes.Equal(got, want) {
				t.Fatalf("policy on the front port: got %q, want %q", got, want)
			}
			c := dial(t, "ws://"+f.Addr()+"/", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://pages.example"}}})
			c.SetReadLimit(1 << 20)
			echoOnce(t, c, websocket.MessageText, []byte("through the front ☃"))
			echoOnce(t, c, websocket.MessageBinary, bytes.Repeat([]byte{0, 1, 254, 255}, 40000))
			c.Close(websocket.StatusNormalClosure, "")
		})
	}
}

func TestFrontPassesPlainHTTPThrough(t *testing.T) {
	f := startFront(t, goUpstream(t))
	resp, err := http.Get("http://" + f.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	if body.String() != goecho.PlainAnswer {
		t.Fatalf("GET through the front: %q", body.String())
	}
}

func TestFrontPassesTLSThroughToTheUpstream(t *testing.T) {
	cert := testcert.New(t, "127.0.0.1")
	up := httptest.NewUnstartedServer(goecho.Handler())
	up.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
	up.StartTLS()
	t.Cleanup(up.Close)
	f := startFront(t, up.Listener.Addr().String())
	// The client verifies the upstream's own certificate: the front holds none.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.Pool}}}
	c := dial(t, "wss://"+f.Addr()+"/", &websocket.DialOptions{HTTPClient: client})
	echoOnce(t, c, websocket.MessageText, []byte("wss through the front"))
	c.Close(websocket.StatusNormalClosure, "")
	// Policy requests on the same port are still answered in plain text.
	if got := readAll(t, f.Addr(), policy.Request); !bytes.HasPrefix(got, []byte("<?xml")) || got[len(got)-1] != 0 {
		t.Fatalf("policy beside TLS: %q", got)
	}
	// And the doctor agrees: policy, the upstream's certificate, handshake, echo.
	r, err := doctor.Run(context.Background(), doctor.Options{URL: "wss://" + f.Addr() + "/", Origin: "https://localhost",
		RootCAs: cert.Pool, Echo: true, MasterPort: closedPort(t), Timeout: 5 * time.Second})
	if err != nil || !r.Connects {
		t.Fatalf("doctor against the wss front: %v %+v", err, r)
	}
}

func TestFrontWithUpstreamDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := ln.Addr().String()
	ln.Close()
	f := startFront(t, down)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := websocket.Dial(ctx, "ws://"+f.Addr()+"/", nil)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("dial through a front whose upstream is down: %v (context: %v); want a prompt failure", err, ctx.Err())
	}
	// The policy is still answered.
	if got := readAll(t, f.Addr(), policy.Request); !bytes.HasPrefix(got, []byte("<?xml")) {
		t.Fatalf("policy with the upstream down: %q", got)
	}
}

func TestDoctorPassesAgainstTheFront(t *testing.T) {
	f := startFront(t, goUpstream(t))
	r, err := doctor.Run(context.Background(), doctor.Options{
		URL: "ws://" + f.Addr() + "/", Origin: "http://localhost:8080", Echo: true,
		MasterPort: closedPort(t), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Connects {
		var out bytes.Buffer
		doctor.Print(&out, r)
		t.Fatalf("doctor against the front:\n%s", out.String())
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestModeFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-upstream", "127.0.0.1:9", "-tls-cert", "c", "-tls-key", "k"}, "TLS passes through"},
		{[]string{"-upstream", "nohost"}, "not host:port"},
		{[]string{"-upstream", "127.0.0.1:9", "-upstream-proxy-protocol", "v3"}, "want v1 or v2"},
		{[]string{"-upstream-proxy-protocol", "v1"}, "needs -upstream"},
		{[]string{"-policy-only"}, "needs -policy-ports"},
		{[]string{"-policy-only", "-policy-ports", "80", "-upstream", "127.0.0.1:9"}, "exclude each other"},
	} {
		_, err := ParseFlags(c.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error mentioning %q", c.args, err, c.want)
		}
	}
	cfg, err := ParseFlags([]string{"-policy-only", "-policy-ports", "10081"}, &bytes.Buffer{})
	if err != nil || cfg.PolicyAddr != ":843" {
		t.Errorf("-policy-only alone: policy address %q, %v; want :843", cfg.PolicyAddr, err)
	}
}

func TestPolicyOnlyDaemon(t *testing.T) {
	// -addr names a free port, to show nothing listens there.
	addr := "127.0.0.1:" + strconv.Itoa(closedPort(t))
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"-policy-only", "-addr", addr, "-policy-addr", "127.0.0.1:0",
			"-policy-domains", "example.com,*.example.org", "-policy-ports", "443,8000-8010"}, &out)
	}()
	var policyAddr string
	for i := 0; i < 500 && policyAddr == ""; i++ {
		time.Sleep(10 * time.Millisecond)
		if _, rest, ok := strings.Cut(out.String(), "socket policy only, on "); ok {
			policyAddr, _, _ = strings.Cut(rest, " ")
		}
	}
	if policyAddr == "" {
		cancel()
		t.Fatalf("no address printed: %q", out.String())
	}
	want := "<?xml version=\"1.0\"?>\n<cross-domain-policy>\n" +
		"<allow-access-from domain=\"example.com\" to-ports=\"443,8000-8010\"/>\n" +
		"<allow-access-from domain=\"*.example.org\" to-ports=\"443,8000-8010\"/>\n</cross-domain-policy>\n\x00"
	if got := readAll(t, policyAddr, policy.Request); string(got) != want {
		t.Errorf("policy: got %q, want %q", got, want)
	}
	if got := readAll(t, policyAddr, "GET / HTTP/1.1\r\n\r\n"); len(got) != 0 {
		t.Errorf("an HTTP request on the policy port got %q, want nothing", got)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("something listens on -addr %s in policy-only mode", addr)
	}
	cancel()
	waitStopped(t, done, "the policy daemon")
}

func TestRunFrontMode(t *testing.T) {
	up := goUpstream(t)
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"-addr", "127.0.0.1:0", "-upstream", up, "-log-level", "error"}, &out)
	}()
	var addr string
	for i := 0; i < 500 && addr == ""; i++ {
		time.Sleep(10 * time.Millisecond)
		if _, rest, ok := strings.Cut(out.String(), "front for "+up+" on "); ok {
			addr = strings.TrimSuffix(strings.Fields(rest)[0], ":")
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("Run printed no address: %q", out.String())
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	waitStopped(t, done, "the front")
}

func TestFrontWarnsAboutEchoSettings(t *testing.T) {
	cfg := testConfig(t, "-upstream", "127.0.0.1:9", "-origins", "example.com", "-subprotocols", "chat")
	if got := echoOnlySettings(cfg); strings.Join(got, " ") != "-origins -subprotocols" {
		t.Fatalf("echo-only settings %q", got)
	}
	if got := echoOnlySettings(testConfig(t, "-upstream", "127.0.0.1:9")); len(got) != 0 {
		t.Fatalf("defaults reported as set: %q", got)
	}
}

// waitStopped waits for Run, cancelled, to return nil.
func waitStopped(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not stop", what)
	}
}
