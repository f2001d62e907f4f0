package loadbench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestQuickRun runs the whole benchmark with small counts: every peer
// starts, every row gets echoes, and the report prints every section.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts three servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Measure(ctx, Options{Quick: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Peers) != 3 || len(rep.IdleMem) != 3 {
		t.Fatalf("peers %q, idle figures %d", rep.Peers, len(rep.IdleMem))
	}
	for _, row := range rep.Rows {
		if len(row.Results) != 3 {
			t.Fatalf("row %d conns %d B: %d results", row.Conns, row.Size, len(row.Results))
		}
		for i, r := range row.Results {
			if r.MsgsPerSec <= 0 || r.P50 <= 0 || r.P50 > r.P99 || r.Errors != 0 || r.CPUPerMsg < 0 {
				t.Errorf("%s, %d conns, %d B: %+v", rep.Peers[i], row.Conns, row.Size, r)
			}
		}
	}
	if rep.Policy.PerSec <= 0 {
		t.Errorf("policy rate %v", rep.Policy)
	}
	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{"this server msg/s", "gorilla msg/s", "node ws", "÷ best peer", "Goals: ours ÷ peer", "CPU time per echoed message", "idle connection", "Policy requests"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}

// The CPU clock reads this test process's own figure, which must be
// positive after some work and never run backwards.
func TestCPUTime(t *testing.T) {
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{cmd: &exec.Cmd{Process: self}}
	a, err := p.cpuTime()
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	b, err := p.cpuTime()
	if err != nil || b < a || b <= 0 {
		t.Fatalf("cpu time %v then %v (%v)", a, b, err)
	}
}

// The goals are judged on the median of the round-by-round ratios, with
// the goal each peer and message size has, and the summary names exactly
// the (row, peer) pairs that miss.
func TestGoals(t *testing.T) {
	res := func(ours, gorilla, node []float64) []EchoResult {
		return []EchoResult{{RoundRates: ours}, {RoundRates: gorilla}, {RoundRates: node}}
	}
	r := &Report{Peers: []string{"this server", "gorilla", "node ws 8.23.0"}, Rows: []Row{
		{Conns: 1, Size: 32, Results: res([]float64{100, 100, 100}, []float64{100, 110, 90}, []float64{50, 50, 50})},
		// 0.90, 0.95, 1.00 against gorilla: the median just meets 0.95;
		// 1.125, 1.1875, 1.25 against Node misses 1.2.
		{Conns: 100, Size: 32, Results: res([]float64{90, 95, 100}, []float64{100, 100, 100}, []float64{80, 80, 80})},
		{Conns: 100, Size: 64 << 10, Results: res([]float64{100, 100}, []float64{101, 99}, []float64{50, 50})},
		{Conns: 1000, Size: 64 << 10, Results: res([]float64{90, 90}, []float64{100, 100}, []float64{50, 50})},
	}}
	var out bytes.Buffer
	r.printGoals(&out)
	want := "Throughput goals met on 6 of 8 (row, peer) pairs in this run; missed: " +
		"100 conns 32 B vs node ws 8.23.0 (1.19× < 1.20×), 1000 conns 64 KiB vs gorilla (0.90× < 1.00×).\n"
	if got := out.String(); !strings.HasSuffix(got, want) {
		t.Fatalf("got\n%s\nwant it to end with\n%s", got, want)
	}
	if strings.Count(out.String(), "MISSED") != 2 {
		t.Fatalf("want two rows marked MISSED:\n%s", out.String())
	}
}

func TestListenAddr(t *testing.T) {
	cases := map[string]string{
		"listening 127.0.0.1:4000": "127.0.0.1:4000",
		"web-socket-js server dev: try it at http://127.0.0.1:5/ (WebSocket…": "127.0.0.1:5",
		"time=... level=INFO msg=x": "",
	}
	for in, want := range cases {
		if got := listenAddr(in); got != want {
			t.Errorf("listenAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
