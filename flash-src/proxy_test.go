package flashsrc_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TinyproxyPath is the HTTP CONNECT proxy the tests start (Debian package tinyproxy);
// $WSJS_TINYPROXY overrides it.
func tinyproxyPath() string {
	if p := os.Getenv("WSJS_TINYPROXY"); p != "" {
		return p
	}
	return "/usr/bin/tinyproxy"
}

const proxyUser, proxyPass = "flash", "s3cret"

type tinyproxy struct{ port int }

func (p *tinyproxy) addr() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

type proxyPair struct {
	open, auth *tinyproxy // without and with BasicAuth
	deadPort   int        // a loopback port nobody listens on
}

func startProxies(t *testing.T, peerPort int) *proxyPair {
	if _, err := os.Stat(tinyproxyPath()); err != nil {
		t.Fatalf("the CONNECT proxy tests need tinyproxy at %s (apt-get install -y tinyproxy, or WSJS_TINYPROXY=path)", tinyproxyPath())
	}
	return &proxyPair{
		open:     startTinyproxy(t, peerPort, ""),
		auth:     startTinyproxy(t, peerPort, fmt.Sprintf("BasicAuth %s %s\n", proxyUser, proxyPass)),
		deadPort: freePort(t),
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startTinyproxy runs tinyproxy in the foreground on a free loopback port, allowing CONNECT
// only to peerPort; it is stopped when t ends.
func startTinyproxy(t *testing.T, peerPort int, extra string) *tinyproxy {
	dir := t.TempDir()
	port := freePort(t)
	conf := fmt.Sprintf("Port %d\nListen 127.0.0.1\nTimeout 60\nMaxClients 100\nAllow 127.0.0.1\nConnectPort %d\nLogLevel Info\n%s",
		port, peerPort, extra)
	if os.Geteuid() == 0 {
		conf += "User nobody\nGroup nogroup\n"
	}
	path := filepath.Join(dir, "tinyproxy.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tinyproxyPath(), "-d", "-c", path)
	log, err := os.Create(filepath.Join(dir, "tinyproxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting tinyproxy: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("tinyproxy on %d:\n%s", port, b)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return &tinyproxy{port: port}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("tinyproxy did not listen on %d: %v\n%s", port, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
