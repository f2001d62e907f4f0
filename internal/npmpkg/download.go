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

// DownloadWithNPM asks the npm client where the registry it is configured for keeps p's
// tarball, and downloads it with a progress bar when the log is a terminal. When the
// direct download fails (an authenticated mirror, say) it lets `npm pack` fetch it.
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
	if err := httpDownload(ctx, dist.Tarball, dst, progress); err == nil {
		return nil
	}
	return npmPack(ctx, npm, p, dst)
}

type npmDist struct {
	Tarball   string `json:"tarball"`
	Integrity string `json:"integrity"`
}

func npmView(ctx context.Context, npm string, p Package) (npmDist, error) {
	var dist npmDist
	cmd := exec.CommandContext(ctx, npm, "view", "--json", p.String(), "dist")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return dist, fmt.Errorf("`npm view %s dist` failed (is the npm registry reachable from here?): %v: %s", p, err, strings.TrimSpace(stderr.String()))
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
	resp, err := http.DefaultClient.Do(req)
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
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "--pack-destination", dir, p.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("`npm pack %s` failed: %v: %s", p, err, strings.TrimSpace(stderr.String()))
	}
	name := strings.TrimSpace(string(out))
	if i := strings.LastIndex(name, "\n"); i >= 0 {
		name = name[i+1:]
	}
	return os.Rename(filepath.Join(dir, name), dst)
}
