package echo

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

// BenchmarkIdleConnectionMemory opens silent connections and reports what
// each costs the server in live heap and goroutine stack (none on Linux,
// where they wait in the idle poller; elsewhere the runtime's smallest
// stack, 2 KiB). The raw clients run no goroutines, so the
// figures are the server's; `mage bench` measures a whole server process.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const n = 500
	srv, h := newTestServer(b, Options{PingInterval: -1})
	addr := srv.Listener.Addr().String()
	var heap, stack float64
	for b.Loop() {
		before := settledMemStats()
		conns := make([]net.Conn, 0, n)
		for range n {
			c, _ := rawws.Upgrade(b, addr, "/")
			conns = append(conns, c)
		}
		waitActive(b, h, n)
		after := settledMemStats()
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		stack += float64(after.StackInuse) - float64(before.StackInuse)
		for _, c := range conns {
			c.Close()
		}
		waitActive(b, h, 0)
	}
	b.ReportMetric(heap/float64(b.N*n), "heap-B/conn")
	b.ReportMetric(stack/float64(b.N*n), "stack-B/conn")
}

func settledMemStats() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// waitActive waits (up to 10 s) until h has exactly n connections.
func waitActive(tb testing.TB, h *Handler, n int) {
	tb.Helper()
	for i := 0; h.Active() != n; i++ {
		if i == 1000 {
			tb.Fatalf("%d connections active, want %d", h.Active(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
