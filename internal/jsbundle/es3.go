package jsbundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/web-socket-js/web-socket-js/internal/cache"
	"github.com/web-socket-js/web-socket-js/internal/npmpkg"
)

// Acorn is the pinned ES3 judge: acorn with ecmaVersion 3 and allowReserved "never"
// rejects what IE 6–8 reject (reserved words as property names, trailing commas, …).
var Acorn = npmpkg.Package{
	Name:      "acorn",
	Version:   "8.15.0",
	Integrity: "sha512-NZyJarBfL7nWwIq+FDL6Zp/yHEhePMNnnJ0y3qfieCrmNvYct8uvtiV41UvlSe6apAfk0fY1FbWx+NwfmpvtTg==",
	Keep:      []string{"package/dist/acorn.js", "package/LICENSE", "package/package.json"},
}

// ES3Check parses code as ES3 with node and acorn; results are remembered by content
// hash, so an unchanged bundle is not parsed again.
type ES3Check struct {
	AcornDir func(ctx context.Context) (string, error) // the folder holding dist/acorn.js
	Memo     string                                    // folder of remembered passes; "" = none
}

// DefaultES3Check uses the pinned acorn from the cache.
func DefaultES3Check() *ES3Check {
	return &ES3Check{
		AcornDir: func(ctx context.Context) (string, error) {
			dir, err := npmpkg.Ensure(ctx, Acorn)
			return filepath.Join(dir, "package"), err
		},
		Memo: filepath.Join(cache.Dir(), "es3-ok"),
	}
}

// judge reads a script on stdin; on a parse error it prints "line:col: message" and exits 1.
const judge = `const acorn = require(process.argv[1]);
let src = ""; process.stdin.setEncoding("utf8");
process.stdin.on("data", d => src += d).on("end", () => {
  try { acorn.parse(src, {ecmaVersion: 3, allowReserved: "never", sourceType: "script"}); }
  catch (e) { console.log((e.loc ? e.loc.line + ":" + (e.loc.column + 1) + ": " : "") + e.message); process.exit(1); }
});`

// Check fails when code (named name in messages) is not valid ES3.
func (c *ES3Check) Check(ctx context.Context, name string, code []byte) error {
	sum := sha256.Sum256(code)
	memo := ""
	if c.Memo != "" {
		memo = filepath.Join(c.Memo, hex.EncodeToString(sum[:]))
		if _, err := os.Stat(memo); err == nil {
			return nil
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("the ES3 check of %s needs node on PATH (install Node.js 18+)", name)
	}
	dir, err := c.AcornDir(ctx)
	if err != nil {
		return fmt.Errorf("the ES3 check of %s: %w", name, err)
	}
	cmd := exec.CommandContext(ctx, node, "-e", judge, filepath.Join(dir, "dist", "acorn.js"))
	cmd.Stdin = strings.NewReader(string(code))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s is not ES3-safe (old browsers would reject it): %s:%s", name, name, strings.TrimSpace(string(out)))
	}
	if memo != "" && os.MkdirAll(c.Memo, 0o755) == nil {
		os.WriteFile(memo, nil, 0o644)
	}
	return nil
}
