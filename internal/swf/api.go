package swf

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/web-socket-js/web-socket-js/internal/fsutil"
)

// library is the set of SWCs a compile references without linking them.
type library struct {
	key  string   // content address of the set
	swcs []string // external-library-path entries
}

// apiLibrary returns the SDK's built-ins plus, when the SDK has no real Flash API,
// the declarations in APIDir compiled once into a cached SWC.
func (c *Compiler) apiLibrary(ctx context.Context) (library, error) {
	tc := c.Toolchain
	if tc.HasFlashAPI {
		return library{key: tc.Identity, swcs: []string{tc.BuiltinsSWC}}, nil
	}
	key, err := apiKey(tc.Identity, c.APIDir)
	if err != nil {
		return library{}, err
	}
	swc := filepath.Join(c.CacheDir, "api", key+".swc")
	lib := library{key: key, swcs: []string{tc.BuiltinsSWC, swc}}
	if _, err := os.Stat(swc); err == nil {
		return lib, nil
	}
	if err := os.MkdirAll(filepath.Dir(swc), 0o755); err != nil {
		return lib, err
	}
	cfg, err := c.writeConfig(library{key: "builtins", swcs: []string{tc.BuiltinsSWC}})
	if err != nil {
		return lib, err
	}
	tmp := swc + ".tmp" + fmt.Sprint(os.Getpid())
	c.logf("compiling the Flash API declarations\n")
	cmd := tc.COMPC(ctx, "-load-config="+cfg, "-source-path="+c.APIDir, "-include-sources="+c.APIDir, "-output="+tmp)
	if err := c.run(cmd); err != nil {
		os.Remove(tmp)
		return lib, fmt.Errorf("compiling the Flash API declarations in %s:\n%w", c.APIDir, err)
	}
	return lib, os.Rename(tmp, swc)
}

// apiKey addresses the declarations SWC by compiler identity and declaration sources.
func apiKey(identity, apiDir string) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, "api v1", identity)
	if err := hashTree(h, apiDir); err != nil {
		return "", fmt.Errorf("flash API declarations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeConfig writes the compiler configuration for lib into the cache, named by its
// content so concurrent builds never see a half-written file.
func (c *Compiler) writeConfig(lib library) (string, error) {
	var b strings.Builder
	b.WriteString("<royale-config>\n  <compiler>\n    <external-library-path>\n")
	for _, s := range lib.swcs {
		fmt.Fprintf(&b, "      <path-element>%s</path-element>\n", xmlEscape(s))
	}
	b.WriteString("    </external-library-path>\n  </compiler>\n")
	b.WriteString("  <target-player>" + TargetPlayer + "</target-player>\n")
	b.WriteString("  <swf-version>" + SWFVersion + "</swf-version>\n")
	b.WriteString("  <default-size><width>1</width><height>1</height></default-size>\n</royale-config>\n")
	sum := sha256.Sum256([]byte(b.String()))
	path := filepath.Join(c.CacheDir, "config", hex.EncodeToString(sum[:8])+".xml")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return path, fsutil.WriteAtomic(path, []byte(b.String()))
}

// The Flash Player floor: 11.1 brings SecureSocket and flash.crypto.generateRandomBytes.
const (
	TargetPlayer = "11.1"
	SWFVersion   = "13"
)

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
