package npmpkg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// npmNetworkFlags bound how long one npm command may spend on an unreachable registry:
// npm's defaults (two retries, up to a minute apart, five-minute requests) made a build
// with no network wait minutes before saying anything. One retry a second later and
// eight-second requests still ride out a dropped packet.
var npmNetworkFlags = []string{"--fetch-retries=1", "--fetch-retry-mintimeout=1000",
	"--fetch-retry-maxtimeout=2000", "--fetch-timeout=8000"}

// reachHint is what to check when the registry cannot be reached.
const reachHint = "check that this machine reaches the npm registry npm is configured for " +
	"(`npm config get registry`, and `npm config get https-proxy` behind a proxy)"

// DownloadWithNPM asks the npm client where the registry it is configured for keeps p's
// tarball, and downloads it with a progress bar when the log is a terminal. When the
// direct download fails (an authenticated mirror, say) it lets `npm pack` fetch it; when
// both fail, the error gives each one's reason.
func DownloadWithNPM(ctx context.Context, p Package, dst string, progress io.Writer) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return errors.New("the npm client was not found on PATH: install Node.js 18+ with npm (Debian: apt-get install -y nodejs npm)")
	}
	dist, err := npmView(ctx, npm, p)
	if err != nil {
		return err
	}
	if dist.Integrity != p.Integrity {
		return fmt.Errorf("the registry's integrity for %s is %s, but %s is pinned; refusing it", p, dist.Integrity, p.Integrity)
	}
	directErr := httpDownload(ctx, dist.Tarball, dst, progress)
	if directErr == nil {
		return nil
	}
	if err := npmPack(ctx, npm, p, dst); err != nil {
		return fmt.Errorf("downloading %s failed (%v), and then %w", dist.Tarball, directErr, err)
	}
	return nil
}

type npmDist struct {
	Tarball   string `json:"tarball"`
	Integrity string `json:"integrity"`
}

func npmView(ctx context.Context, npm string, p Package) (npmDist, error) {
	var dist npmDist
	args := append([]string{"view", "--json"}, npmNetworkFlags...)
	cmd := exec.CommandContext(ctx, npm, append(args, p.String(), "dist")...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return dist, fmt.Errorf("`npm view %s dist` failed: %s; %s", p, npmReason(err, out, stderr.String()), reachHint)
	}
	if err := json.Unmarshal(out, &dist); err != nil || dist.Tarball == "" {
		return dist, fmt.Errorf("`npm view %s dist` gave no tarball (does that version exist?): %s", p, strings.TrimSpace(string(out)))
	}
	return dist, nil
}

func httpDownload(ctx context.Context, url, dst string, progress io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := downloadClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET tarball: %s", resp.Status)
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	var w io.Writer = out
	if isTerminal(progress) {
		bar := progressbar.NewOptions64(resp.ContentLength, progressbar.OptionSetWriter(progress),
			progressbar.OptionSetDescription("downloading"), progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionOnCompletion(func() { fmt.Fprintln(progress) }))
		w = io.MultiWriter(out, bar)
	}
	_, err = io.Copy(w, resp.Body)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// downloadClient gives up on a tarball host that does not answer rather than wait
// forever; a slow but live download is not cut short (no overall timeout).
var downloadClient = &http.Client{Transport: func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone() // keeps the environment's proxy
	t.ResponseHeaderTimeout = 15 * time.Second
	return t
}()}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// npmPack lets npm fetch the tarball itself (it honours every npm setting).
func npmPack(ctx context.Context, npm string, p Package, dst string) error {
	dir, err := os.MkdirTemp(filepath.Dir(dst), ".pack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// --loglevel=error, not --silent: --silent also hides the reason npm failed.
	args := append([]string{"pack", "--loglevel=error", "--pack-destination", dir}, npmNetworkFlags...)
	cmd := exec.CommandContext(ctx, npm, append(args, p.String())...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("`npm pack %s` failed: %s; %s", p, npmReason(err, nil, stderr.String()), reachHint)
	}
	name := strings.TrimSpace(string(out))
	if i := strings.LastIndex(name, "\n"); i >= 0 {
		name = name[i+1:]
	}
	return os.Rename(filepath.Join(dir, name), dst)
}

// npmReason is the cause npm gave for a failed command: the code and summary of its
// --json error object when there is one, else its "npm error" lines (without the
// pointer to its debug log), else the exit status.
func npmReason(runErr error, jsonOut []byte, stderr string) string {
	var e struct {
		Error struct{ Code, Summary string } `json:"error"`
	}
	if json.Unmarshal(jsonOut, &e) == nil && e.Error.Summary != "" {
		return strings.TrimSpace(e.Error.Code + " " + e.Error.Summary)
	}
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "npm error"))
		if l != "" && !strings.HasPrefix(l, "A complete log of this run") {
			lines = append(lines, l)
		}
	}
	if len(lines) > 6 {
		lines = lines[:6]
	}
	if len(lines) == 0 {
		return runErr.Error()
	}
	return strings.Join(lines, "; ")
}
