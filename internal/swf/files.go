package swf

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/web-socket-js/web-socket-js/internal/fsutil"
)

// hashTree feeds every file below dir (path relative to dir, then content hash) into h,
// in a stable order.
func hashTree(h hash.Hash, dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "%s %x\n", filepath.ToSlash(rel), sha256.Sum256(b))
		return nil
	})
}

// installIfChanged copies src to dst unless dst already holds the same bytes, and
// returns the size.
func installIfChanged(src, dst string) (int64, error) {
	if _, err := fsutil.CopyIfChanged(src, dst); err != nil {
		return 0, err
	}
	st, err := os.Stat(dst)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// compilerError matches the compiler's "path(line): col: N Error: message" (also
// "Syntax error:" and "Warning:").
var compilerError = regexp.MustCompile(`^(.+)\((\d+)\): col: (\d+) (Error|Syntax error|Warning): (.*)$`)

// formatDiagnostics rewrites compiler output as file:line:col: messages, the form
// editors and terminals link to, and drops the noise lines.
func formatDiagnostics(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if m := compilerError.FindStringSubmatch(line); m != nil {
			kind, msg := strings.ToLower(m[4]), m[5]
			if kind == "syntax error" {
				kind, msg = "error", "syntax error: "+msg
			}
			fmt.Fprintf(&b, "%s:%s:%s: %s: %s\n", m[1], m[2], m[3], kind, msg)
			continue
		}
		if strings.HasPrefix(line, "Loading configuration") || strings.TrimSpace(line) == "" {
			continue
		}
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}
