package front_test

import (
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpclient"
	"github.com/web-socket-js/web-socket-js/server/internal/front"
)

// BenchmarkRoundTrip compares a 32-byte and a 64 KiB round trip to a TCP
// echo directly and through the relay: the relay's cost per message.
func BenchmarkRoundTrip(b *testing.B) {
	echo := upstream(b, func(c net.Conn) { io.Copy(c, c) })
	_, relayed := startRelay(b, front.Options{Upstream: echo})
	for _, size := range []int{32, 64 << 10} {
		for _, target := range []struct{ name, addr string }{{"direct", echo}, {"relay", relayed}} {
			b.Run(target.name+"/"+byteSize(size), func(b *testing.B) {
				c := tcpclient.Dial(b, target.addr)
				msg, got := make([]byte, size), make([]byte, size)
				b.SetBytes(int64(size))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := c.Write(msg); err != nil {
						b.Fatal(err)
					}
					if _, err := io.ReadFull(c, got); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func byteSize(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
