package tcpserver

import (
	"io"
	"net"
	"testing"
	"time"
)

func TestServeEchoesAndCleansUp(t *testing.T) {
	var addr *net.TCPAddr
	held := make(chan struct{})
	t.Run("serve", func(t *testing.T) {
		addr = Serve(t, 10*time.Second, func(c net.Conn) {
			io.Copy(c, c)
			close(held)
		})
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("echo: %q, %v", buf, err)
		}
		// The client stays open: the subtest's cleanup must end the handler.
	})
	select {
	case <-held:
	default:
		t.Fatal("a handler outlived its test")
	}
	if c, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		c.Close()
		t.Fatal("the listener outlived its test")
	}
}
