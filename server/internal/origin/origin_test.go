package origin

import (
	"net"
	"strings"
	"testing"
)

func mustNew(t testing.TB, patterns, own []string) *Policy {
	t.Helper()
	p, err := New(patterns, own)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAllowed(t *testing.T) {
	p := mustNew(t, []string{"*.example.com", "https://trusted.org:8443", "null"},
		[]string{"127.0.0.1:10081", "localhost:10081", "[::1]:10081", "web.test:80"})
	cases := []struct {
		origin string
		want   bool
	}{
		{"", true},
		{"http://127.0.0.1:10081", true},
		{"https://127.0.0.1:10081", true},
		{"http://LOCALHOST:10081", true},
		{"http://[::1]:10081", true},
		{"http://web.test", true}, // default port 80
		{"https://web.test", false},
		{"http://127.0.0.1:9999", false},
		{"ftp://127.0.0.1:10081", false}, // own host, not a web scheme
		{"ws://127.0.0.1:10081", false},  // ditto
		{"http://evil.test", false},
		{"http://a.example.com", true},
		{"ftp://a.example.com", false}, // a scheme-less pattern is for http(s) only
		{"http://example.com", false},
		{"https://trusted.org:8443", true},
		{"http://trusted.org:8443", false},
		{"null", true},
		{"not a url", false},
		{"http://", false},
		{"http://127.0.0.1:10081/", false},
		{"http://127.0.0.1:10081@evil.test", false},
		{"http://user@127.0.0.1:10081", false},
		{"http://127.0.0.1:10081?x", false},
		{"file:///etc/passwd", false},
	}
	for _, c := range cases {
		if got := p.Allowed(c.origin); got != c.want {
			t.Errorf("Allowed(%q) = %v, want %v", c.origin, got, c.want)
		}
	}
}

// DNS rebinding: the attacker's name resolves to this server, so the browser
// sends Host: attacker.test with Origin http://attacker.test. The Host header
// is not an input at all, so nothing it says can admit the page.
func TestOwnOriginIgnoresTheHostHeader(t *testing.T) {
	p := mustNew(t, nil, OwnHosts("127.0.0.1", 10081, nil))
	for _, o := range []string{"http://attacker.test:10081", "https://attacker.test:10081", "http://attacker.test"} {
		if p.Allowed(o) {
			t.Errorf("%s allowed", o)
		}
	}
}

func TestNullNeedsItsPattern(t *testing.T) {
	if mustNew(t, nil, nil).Allowed("null") {
		t.Error("null origin allowed without the pattern")
	}
	var zero *Policy
	if zero.Allowed("null") || zero.Allowed("http://127.0.0.1") || !zero.Allowed("") {
		t.Error("nil policy: only requests without Origin pass")
	}
}

func TestCheckPatterns(t *testing.T) {
	if err := CheckPatterns([]string{"ok.test", "[bad"}); err == nil || !strings.Contains(err.Error(), "[bad") {
		t.Errorf("malformed pattern: %v", err)
	}
	if _, err := New([]string{"[bad"}, nil); err == nil {
		t.Error("New accepted a malformed pattern")
	}
}

func TestOwnHosts(t *testing.T) {
	lan := []net.IP{net.ParseIP("192.0.2.7"), net.ParseIP("127.0.0.1"), net.ParseIP("2001:db8::1")}
	cases := []struct {
		host string
		want string
	}{
		{"127.0.0.1", "localhost:80 127.0.0.1:80 [::1]:80"},
		{"localhost", "localhost:80 127.0.0.1:80 [::1]:80"},
		{"", "localhost:80 127.0.0.1:80 [::1]:80 192.0.2.7:80 [2001:db8::1]:80"},
		{"0.0.0.0", "localhost:80 127.0.0.1:80 [::1]:80 192.0.2.7:80 [2001:db8::1]:80"},
		{"ws.example.com", "ws.example.com:80"},
		{"192.0.2.7", "192.0.2.7:80"},
	}
	for _, c := range cases {
		if got := strings.Join(OwnHosts(c.host, 80, lan), " "); got != c.want {
			t.Errorf("OwnHosts(%q) = %s, want %s", c.host, got, c.want)
		}
	}
}

// FuzzAllowed: with no patterns, an origin is allowed only when it is
// missing or is exactly http(s):// one of the server's own host:port (the
// port omitted only when it is the scheme's default).
func FuzzAllowed(f *testing.F) {
	f.Add("http://127.0.0.1:10081", "127.0.0.1:10081")
	f.Fuzz(func(t *testing.T, origin, own string) {
		host, port, err := net.SplitHostPort(own)
		if err != nil {
			return
		}
		p, err := New(nil, []string{own})
		if err != nil {
			return
		}
		if !p.Allowed(origin) {
			if origin == "" {
				t.Fatal("empty origin refused")
			}
			return
		}
		if origin == "" {
			return
		}
		hp := strings.ToLower(net.JoinHostPort(host, port))
		ok := map[string]bool{"http://" + hp: true, "https://" + hp: true}
		h := strings.ToLower(net.JoinHostPort(host, "0"))
		h = h[:len(h)-2]
		if port == "80" {
			ok["http://"+h] = true
		}
		if port == "443" {
			ok["https://"+h] = true
		}
		if !ok[strings.ToLower(origin)] {
			t.Fatalf("origin %q allowed for own %q", origin, own)
		}
		if wide, err := New([]string{own, "*", "http://*", "null"}, []string{own}); err == nil {
			_ = wide.Allowed(origin) // must not panic
		}
	})
}
