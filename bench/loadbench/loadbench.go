// Package loadbench is `mage bench`: it measures the echo server against a
// minimal gorilla/websocket echo server and Node's `ws` echo server with one
// Go load generator, and prints the table the project tracks (messages/s and
// latency at 1/100/1,000 connections with 32 B and 64 KiB messages, policy
// requests/s, memory per idle connection), with ratios to the best peer.
//
// Every server runs as its own process on 127.0.0.1; the generator shares
// the machine with it, the same way for every peer.
package loadbench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gorilla/websocket"
)

// Options sets what a run measures. The zero value is the full benchmark
// (about two minutes on two cores).
type Options struct {
	Quick    bool // a smoke run of a second or two (small counts), for tests
	SkipNode bool // leave out the Node `ws` peer
	IdleOnly bool // measure only the memory per idle connection (seconds, not minutes)
	Log      io.Writer
}

type plan struct {
	conns        []int
	sizes        []int
	rounds       int           // rounds per row; peers take turns within each
	warm, dur    time.Duration // per round and peer
	idleConns    int
	idleRounds   int // fresh processes per peer for the idle memory; the median counts
	settle       time.Duration
	policyCount  int
	policyWorker int
}

func (o Options) plan() plan {
	if o.Quick {
		return plan{conns: []int{1, 10}, sizes: []int{32, 4096}, rounds: 2, warm: 20 * time.Millisecond, dur: 50 * time.Millisecond,
			idleConns: 50, idleRounds: 1, settle: 50 * time.Millisecond, policyCount: 200, policyWorker: 8}
	}
	// 12 rounds: a multiple of the peer count (2 or 3), so each peer goes first,
	// second and last equally often (the order in a round moves the figures).
	return plan{conns: []int{1, 100, 1000}, sizes: []int{32, 64 << 10}, rounds: 12, warm: 100 * time.Millisecond, dur: 250 * time.Millisecond,
		idleConns: 1000, idleRounds: 5, settle: 500 * time.Millisecond, policyCount: 10000, policyWorker: 32}
}

// Row is one (connections, size) case, with each peer's result in peer order.
type Row struct {
	Conns, Size int
	Results     []EchoResult
}

// Report is everything one run measured.
type Report struct {
	Peers      []string // Peers[0] is this server
	Rows       []Row
	IdleConn   int
	IdleRounds int
	IdleMem    []int64 // bytes per idle connection, per peer
	Policy     PolicyResult
	Started    time.Time
	Took       time.Duration
}

// Run measures and prints the report to w.
func Run(ctx context.Context, w io.Writer, opts Options) error {
	rep, err := Measure(ctx, opts)
	if err != nil {
		return err
	}
	rep.Print(w)
	return nil
}

// Measure runs the benchmark and returns its figures.
//
// All peers run at once. Each peer's idle memory is measured first, on its
// fresh process. Then, row by row, the peers take turns in several short
// rounds, so that background load on a shared machine falls on all of them
// alike instead of on whichever peer happened to run during it.
func Measure(ctx context.Context, opts Options) (*Report, error) {
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	pl := opts.plan()
	specs, err := peerSpecs(ctx, opts)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "wsjs-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	rep := &Report{Started: time.Now(), IdleConn: pl.idleConns, IdleRounds: pl.idleRounds}
	var peers []*peer
	defer func() {
		for _, p := range peers {
			p.stop()
		}
	}()
	for i, spec := range specs {
		fmt.Fprintf(logw, "bench: building %s\n", spec.name)
		if specs[i], err = spec.prepared(tmp); err != nil {
			return nil, err
		}
		rep.Peers = append(rep.Peers, spec.name)
	}
	if rep.IdleMem, err = measureIdleRounds(ctx, specs, tmp, pl); err != nil {
		return nil, err
	}
	for _, spec := range specs {
		fmt.Fprintf(logw, "bench: starting %s\n", spec.name)
		p, err := spec.start(ctx, tmp)
		if err != nil {
			return nil, err
		}
		peers = append(peers, p)
	}
	if opts.IdleOnly {
		rep.Took = time.Since(rep.Started)
		return rep, nil
	}
	for _, c := range pl.conns {
		for _, s := range pl.sizes {
			fmt.Fprintf(logw, "bench: %d conns, %d B\n", c, s)
			row, err := measureRow(ctx, peers, c, s, pl)
			if err != nil {
				return nil, err
			}
			rep.Rows = append(rep.Rows, row)
		}
	}
	if rep.Policy, err = measurePolicy(ctx, peers[0].Addr, pl.policyCount, pl.policyWorker); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	rep.Took = time.Since(rep.Started)
	return rep, nil
}

// measureIdleRounds measures each peer's memory per idle connection
// pl.idleRounds times, each time on a fresh process (a process keeps the
// memory it once used), taking turns in a different order every round, and
// returns each peer's median.
func measureIdleRounds(ctx context.Context, specs []peerSpec, tmp string, pl plan) ([]int64, error) {
	perPeer := make([][]int64, len(specs))
	for round := range pl.idleRounds {
		for k := range specs {
			i := (k + round) % len(specs)
			p, err := specs[i].start(ctx, tmp)
			if err != nil {
				return nil, err
			}
			mem, err := measureIdle(ctx, p, pl.idleConns, pl.settle)
			p.stop()
			if err != nil {
				return nil, fmt.Errorf("%s: idle memory: %w", p.Name, err)
			}
			perPeer[i] = append(perPeer[i], mem)
		}
	}
	medians := make([]int64, len(specs))
	for i, ms := range perPeer {
		slices.Sort(ms)
		medians[i] = ms[len(ms)/2]
	}
	return medians, nil
}

// measureRow opens n connections to every peer and lets the peers take
// turns, pl.rounds times, starting with a different peer each round.
func measureRow(ctx context.Context, peers []*peer, n, size int, pl plan) (Row, error) {
	row := Row{Conns: n, Size: size}
	conns := make([][]*websocket.Conn, len(peers))
	defer func() {
		for _, cs := range conns {
			closeAll(cs)
		}
	}()
	for i, p := range peers {
		cs, err := dialAll(ctx, "ws://"+p.Addr+p.Path, n)
		if err != nil {
			return row, fmt.Errorf("%s: %w", p.Name, err)
		}
		conns[i] = cs
	}
	payload := make([]byte, size)
	rand.Read(payload)
	tallies := make([]echoTally, len(peers))
	// Each round restarts every connection's loop; the warm-up must cover
	// a full round trip or the window would open on idle connections.
	warm := pl.warm
	if n >= 1000 {
		warm = 4 * pl.warm
	}
	for round := range pl.rounds {
		for k := range peers {
			i := (k + round) % len(peers)
			echoRound(ctx, conns[i], payload, warm, pl.dur, peers[i].cpuTime, &tallies[i])
		}
		if err := ctx.Err(); err != nil {
			return row, err
		}
	}
	for i, p := range peers {
		res, err := tallies[i].result()
		if err != nil {
			return row, fmt.Errorf("%s, %d conns, %d B: %w", p.Name, n, size, err)
		}
		row.Results = append(row.Results, res)
	}
	return row, nil
}

// Print writes the report as aligned tables.
func (r *Report) Print(w io.Writer) {
	if len(r.Rows) > 0 {
		r.printEcho(w)
	}
	r.printIdle(w)
	if r.Policy.Count > 0 {
		fmt.Fprintf(w, "\nPolicy requests (one connection each, in-band on the echo port): %.0f/s over %d requests\n",
			r.Policy.PerSec, r.Policy.Count)
		fmt.Fprintf(w, "(the peers serve no Flash policy; nothing to compare)\n")
	}
	fmt.Fprintf(w, "\nRun took %s.\n", r.Took.Round(time.Second))
}

// printEcho writes the echo rows, the goals and the CPU per message.
func (r *Report) printEcho(w io.Writer) {
	fmt.Fprintf(w, "Echo round trips: closed loop, one message in flight per connection, binary messages;\n"+
		"one Go load generator (gorilla/websocket client) on the same machine; %d CPUs, %s;\n"+
		"peers take turns in short rounds on each row. Load average at the end: %s.\n\n",
		runtime.NumCPU(), runtime.Version(), loadAvg())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"conns", "size"}
	for _, p := range r.Peers {
		head = append(head, p+" msg/s", "p50", "p99")
	}
	head = append(head, "msg/s ÷ best peer", "p99 best peer ÷ ours")
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, row := range r.Rows {
		cells := []string{fmt.Sprint(row.Conns), size(row.Size)}
		for _, res := range row.Results {
			cells = append(cells, fmt.Sprintf("%.0f", res.MsgsPerSec), dur(res.P50), dur(res.P99))
		}
		cells = append(cells, ratios(row.Results)...)
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
	r.printGoals(w)
	r.printCPU(w)
}

// printIdle writes each peer's memory per idle connection and our ratio.
func (r *Report) printIdle(w io.Writer) {
	fmt.Fprintf(w, "\nMemory per idle connection (resident memory growth over %d silent connections,\n"+
		"median of %d rounds, each on a fresh process):\n", r.IdleConn, r.IdleRounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	best := int64(-1)
	for i, p := range r.Peers {
		fmt.Fprintf(tw, "%s\t%.1f KiB\t\n", p, float64(r.IdleMem[i])/1024)
		if i > 0 && (best < 0 || r.IdleMem[i] < best) {
			best = r.IdleMem[i]
		}
	}
	tw.Flush()
	if best > 0 && r.IdleMem[0] > 0 {
		q := float64(best) / float64(r.IdleMem[0])
		fmt.Fprintf(w, "best peer ÷ ours: %.2f× (above 1 means we use less; goal ≥ 1.00×: %s)\n", q, verdict(q >= 1))
	}
}

// printCPU writes each server's CPU time per echoed message, row by row.
func (r *Report) printCPU(w io.Writer) {
	fmt.Fprintf(w, "\nServer CPU time per echoed message (user + system, from /proc; lower is better):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := append([]string{"conns", "size"}, r.Peers...)
	head = append(head, "best peer ÷ ours")
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, row := range r.Rows {
		cells := []string{fmt.Sprint(row.Conns), size(row.Size)}
		best := time.Duration(0)
		for i, res := range row.Results {
			cells = append(cells, fmt.Sprintf("%.1fµs", float64(res.CPUPerMsg)/float64(time.Microsecond)))
			if i > 0 && res.CPUPerMsg > 0 && (best == 0 || res.CPUPerMsg < best) {
				best = res.CPUPerMsg
			}
		}
		ratio := "-"
		if ours := row.Results[0].CPUPerMsg; ours > 0 && best > 0 {
			ratio = fmt.Sprintf("%.2f×", float64(best)/float64(ours))
		}
		fmt.Fprintln(tw, strings.Join(append(cells, ratio), "\t")+"\t")
	}
	tw.Flush()
}

// The project's goals (issue 11), as ratios of our msg/s to a peer's, each
// the median over the rounds of a row of the ratio within a round:
//   - at least GoalVsGorilla × the minimal gorilla echo on every row;
//   - at least GoalVsNodeSmall × Node's ws on the small-message rows;
//   - at least GoalLarge × every peer on the large-message rows;
//
// and at most Node's resident memory per silent connection.
const (
	GoalVsGorilla   = 0.95
	GoalVsNodeSmall = 1.2
	GoalLarge       = 1.0
	// largeMessage is where a row counts as large (the full run's are
	// 32 B and 64 KiB; the quick run's 32 B and 4 KiB).
	largeMessage = 4 << 10
)

// goal is the ratio our msg/s must reach against the named peer on a row
// of messages of size bytes.
func goal(peer string, size int) float64 {
	switch {
	case size >= largeMessage:
		return GoalLarge
	case strings.HasPrefix(peer, "node"):
		return GoalVsNodeSmall
	default:
		return GoalVsGorilla
	}
}

// printGoals writes, for each row and peer, the median round ratio and
// whether it meets its goal, then the rows and peers where it does not.
func (r *Report) printGoals(w io.Writer) {
	fmt.Fprintf(w, "\nGoals: ours ÷ peer msg/s, median of the round-by-round ratios (goal in brackets):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"conns", "size"}
	for _, p := range r.Peers[1:] {
		head = append(head, "÷ "+p)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	var missed []string
	pairs := 0
	for _, row := range r.Rows {
		cells := []string{fmt.Sprint(row.Conns), size(row.Size)}
		for i, p := range r.Peers[1:] {
			q, g := medianRoundRatio(row.Results[0], row.Results[i+1]), goal(p, row.Size)
			pairs++
			mark := "met"
			if q < g {
				mark = "MISSED"
				missed = append(missed, fmt.Sprintf("%d conns %s vs %s (%.2f× < %.2f×)", row.Conns, size(row.Size), p, q, g))
			}
			cells = append(cells, fmt.Sprintf("%.2f× (≥ %.2f×) %s", q, g, mark))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
	line := fmt.Sprintf("Throughput goals met on %d of %d (row, peer) pairs in this run", pairs-len(missed), pairs)
	if len(missed) > 0 {
		line += "; missed: " + strings.Join(missed, ", ")
	}
	fmt.Fprintln(w, line+".")
}

// medianRoundRatio is the median over rounds of ours ÷ theirs msg/s
// (0 when no round has both).
func medianRoundRatio(ours, theirs EchoResult) float64 {
	var qs []float64
	for i, o := range ours.RoundRates {
		if i < len(theirs.RoundRates) && theirs.RoundRates[i] > 0 {
			qs = append(qs, o/theirs.RoundRates[i])
		}
	}
	if len(qs) == 0 {
		return 0
	}
	slices.Sort(qs)
	if n := len(qs); n%2 == 0 {
		return (qs[n/2-1] + qs[n/2]) / 2
	}
	return qs[len(qs)/2]
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "not met"
}

// rateRatio is this server's msg/s over the best peer's (0 when unknown).
func rateRatio(res []EchoResult) float64 {
	best := 0.0
	for _, r := range res[1:] {
		best = max(best, r.MsgsPerSec)
	}
	if best == 0 {
		return 0
	}
	return res[0].MsgsPerSec / best
}

// ratios compares this server (index 0) with the best peer on the row:
// throughput ours/best (higher is better) and p99 best/ours (higher is better).
func ratios(res []EchoResult) []string {
	if len(res) < 2 {
		return []string{"-", "-"}
	}
	bestP99 := time.Duration(0)
	for _, r := range res[1:] {
		if bestP99 == 0 || r.P99 < bestP99 {
			bestP99 = r.P99
		}
	}
	out := []string{"-", "-"}
	if q := rateRatio(res); q > 0 {
		out[0] = fmt.Sprintf("%.2f×", q)
	}
	if res[0].P99 > 0 {
		out[1] = fmt.Sprintf("%.2f×", float64(bestP99)/float64(res[0].P99))
	}
	return out
}

func size(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

func dur(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	}
}

// loadAvg is the machine's 1-minute load average (Linux), to judge the noise.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}
