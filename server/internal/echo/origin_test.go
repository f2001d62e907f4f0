package echo

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOriginAllowed(t *testing.T) {
	pats := []string{"*.example.com", "https://trusted.org:8443", "null"}
	cases := []struct {
		origin, host string
		want         bool
	}{
		{"", "127.0.0.1:10081", true},
		{"http://127.0.0.1:10081", "127.0.0.1:10081", true},
		{"http://LOCALHOST:10081", "localhost:10081", true},
		{"http://127.0.0.1:9999", "127.0.0.1:10081", false},
		{"http://evil.test", "127.0.0.1:10081", false},
		{"http://a.example.com", "127.0.0.1:10081", true},
		{"http://example.com", "127.0.0.1:10081", false},
		{"https://trusted.org:8443", "x", true},
		{"http://trusted.org:8443", "x", false},
		{"null", "x", true},
		{"not a url", "x", false},
		{"http://", "", false},
	}
	for _, c := range cases {
		if got := OriginAllowed(c.origin, c.host, pats); got != c.want {
			t.Errorf("OriginAllowed(%q, %q) = %v, want %v", c.origin, c.host, got, c.want)
		}
	}
	if OriginAllowed("null", "x", nil) {
		t.Error("null origin allowed without a pattern")
	}
	if err := CheckOriginPatterns([]string{"[bad"}); err == nil {
		t.Error("malformed pattern accepted")
	}
}

func TestSelectSubprotocol(t *testing.T) {
	conf := []string{"chat", "echo"}
	cases := []struct {
		offered []string
		want    string
	}{
		{nil, ""},
		{[]string{"echo, chat"}, "echo"}, // the client's order decides
		{[]string{"x", " chat "}, "chat"},
		{[]string{"CHAT"}, ""},
		{[]string{",,"}, ""},
	}
	for _, c := range cases {
		if got := SelectSubprotocol(c.offered, conf); got != c.want {
			t.Errorf("SelectSubprotocol(%q) = %q, want %q", c.offered, got, c.want)
		}
	}
}

// FuzzOriginAllowed: the server's own origin and a missing Origin are always
// allowed; with no patterns, only those (and nothing else) are.
func FuzzOriginAllowed(f *testing.F) {
	f.Add("http://127.0.0.1:10081", "127.0.0.1:10081")
	f.Fuzz(func(t *testing.T, origin, host string) {
		got := OriginAllowed(origin, host, nil)
		if origin == "" && !got {
			t.Fatal("empty origin refused")
		}
		if got && origin != "" {
			// Allowed without patterns: its host must be the request host.
			if i := strings.Index(origin, "://"); i < 0 || !strings.Contains(strings.ToLower(origin), strings.ToLower(host)) {
				t.Fatalf("origin %q allowed for host %q without a pattern", origin, host)
			}
		}
		_ = OriginAllowed(origin, host, []string{host, "*", "[", "http://*"})
	})
}

// FuzzSelectSubprotocol: the choice is always one the client offered and the
// server configured.
func FuzzSelectSubprotocol(f *testing.F) {
	f.Add("chat, echo", "echo")
	f.Fuzz(func(t *testing.T, offered, configured string) {
		conf := strings.Split(configured, ",")
		got := SelectSubprotocol([]string{offered}, conf)
		if got == "" {
			return
		}
		inConf := false
		for _, c := range conf {
			inConf = inConf || c == got
		}
		if !inConf || !strings.Contains(offered, got) || strings.Contains(got, ",") {
			t.Fatalf("selected %q from offered %q, configured %q", got, offered, conf)
		}
	})
}

// IsUpgrade decides which requests the echo endpoint takes: Connection and
// Upgrade are token lists, matched in any case.
func TestIsUpgrade(t *testing.T) {
	cases := []struct {
		connection, upgrade string
		want                bool
	}{
		{"Upgrade", "websocket", true},
		{"keep-alive, Upgrade", "WebSocket", true},
		{"keep-alive,upgrade", "websocket", true},
		{"keep-alive", "websocket", false},
		{"Upgrade", "h2c", false},
		{"", "", false},
		{"upgrades", "websocket", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		if c.connection != "" {
			r.Header.Set("Connection", c.connection)
		}
		if c.upgrade != "" {
			r.Header.Set("Upgrade", c.upgrade)
		}
		if got := IsUpgrade(r); got != c.want {
			t.Errorf("Connection %q, Upgrade %q: %v, want %v", c.connection, c.upgrade, got, c.want)
		}
	}
}
