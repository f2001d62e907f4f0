package echo

import (
	"net/http/httptest"
	"strings"
	"testing"
)

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
