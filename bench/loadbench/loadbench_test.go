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
	for _, want := range []string{"this server msg/s", "gorilla msg/s", "node ws", "÷ best peer", "Goal msg/s", "CPU time per echoed message", "idle connection", "Policy requests"} {
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

// The goal line names exactly the rows below the goal.
func TestGoalLine(t *testing.T) {
	res := func(ours, peer1, peer2 float64) []EchoResult {
		return []EchoResult{{MsgsPerSec: ours}, {MsgsPerSec: peer1}, {MsgsPerSec: peer2}}
	}
	below := res(95, 100, 50)
	// Two rounds: 80 against 100 (the best that round), then 110 against 100.
	below[0].RoundRates, below[1].RoundRates, below[2].RoundRates = []float64{80, 110}, []float64{100, 100}, []float64{40, 60}
	r := &Report{Rows: []Row{
		{Conns: 1, Size: 32, Results: res(100, 90, 50)},
		{Conns: 100, Size: 32, Results: below},
		{Conns: 100, Size: 64 << 10, Results: res(100, 100, 100)},
	}}
	want := "Goal msg/s ≥ 1.0× the best peer: met on 2 of 3 rows in this run; below on 100 conns 32 B (0.95×; round by round 0.80–1.10×)."
	if got := r.goalLine(); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
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
