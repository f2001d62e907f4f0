// Package sdk finds the ActionScript compiler the build uses: the SDK named by FLEX_HOME
// when set, otherwise the pinned Apache Royale compiler fetched from the npm registry and
// kept in the user cache.
package sdk

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/web-socket-js/web-socket-js/internal/npmpkg"
)

// royaleHome is the folder inside the Royale tarball laid out like a Flex SDK.
const royaleHome = "apache-royale-0.9.12-bin-js/royale-asjs"

// Royale is the pinned compiler package. Only what the SWF compiler needs is installed:
// the jars (≈14 MB of the 330 MB package) and the language built-ins SWC.
var Royale = npmpkg.Package{
	Name:      "@apache-royale/royale-js",
	Version:   "0.9.12",
	Integrity: "sha512-CoNQ8bYEeRPE56I7UfDNcGNmGJx9YP+pIqGYmJuYVl1V/G21YR83ofF1P30sysIcyrV984wKbMaeTkjvA1Vzrg==",
	Keep: []string{
		royaleHome + "/lib",
		royaleHome + "/frameworks/libs/player/11.7/playerglobal.swc",
		"apache-royale-0.9.12-bin-js/LICENSE",
		"apache-royale-0.9.12-bin-js/NOTICE",
	},
}

// Toolchain is a resolved compiler.
type Toolchain struct {
	Source      string // human description: where it came from
	Home        string // SDK root holding lib/mxmlc.jar and frameworks/
	Java        string // java executable
	BuiltinsSWC string // SWC with the language built-ins (and the Flash API when HasFlashAPI)
	HasFlashAPI bool   // BuiltinsSWC is a real playerglobal.swc declaring flash.*
	Identity    string // changes whenever the compiler or its built-ins change
}

// Options steer Resolve.
type Options struct {
	FlexHome string          // "" = use the pinned Royale package
	Fetcher  *npmpkg.Fetcher // nil = npmpkg.Default()
}

// Resolve returns the toolchain for opts, fetching the pinned compiler when needed.
func Resolve(ctx context.Context, opts Options) (*Toolchain, error) {
	java, err := findJava()
	if err != nil {
		return nil, err
	}
	if opts.FlexHome != "" {
		tc, err := fromHome(opts.FlexHome, "FLEX_HOME="+opts.FlexHome)
		if err != nil {
			return nil, err
		}
		tc.Java = java
		return tc, nil
	}
	f := opts.Fetcher
	if f == nil {
		f = npmpkg.Default()
	}
	dir, err := f.Ensure(ctx, Royale)
	if err != nil {
		return nil, fmt.Errorf("getting the ActionScript compiler: %w\n(or set FLEX_HOME to an Apache Flex, AIR or Royale SDK)", err)
	}
	tc, err := fromHome(filepath.Join(dir, royaleHome), "Apache Royale "+Royale.Version+" (npm, cached)")
	if err != nil {
		return nil, err
	}
	tc.Java = java
	return tc, nil
}

// FromEnv resolves with FLEX_HOME from the environment.
func FromEnv(ctx context.Context) (*Toolchain, error) {
	return Resolve(ctx, Options{FlexHome: os.Getenv("FLEX_HOME")})
}

func findJava() (string, error) {
	if jh := os.Getenv("JAVA_HOME"); jh != "" {
		p := filepath.Join(jh, "bin", "java")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", errors.New("java was not found (looked in $JAVA_HOME/bin and PATH): the ActionScript compiler needs Java 17+ (Debian: apt-get install -y openjdk-17-jre-headless)")
	}
	return p, nil
}

// fromHome checks an SDK folder and finds its built-ins SWC.
func fromHome(home, source string) (*Toolchain, error) {
	if _, err := os.Stat(filepath.Join(home, "lib", "mxmlc.jar")); err != nil {
		return nil, fmt.Errorf("%s: no lib/mxmlc.jar there; expected an Apache Flex or AIR SDK, or Apache Royale's royale-asjs folder", source)
	}
	swc, err := newestPlayerGlobal(home)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	hasAPI, err := declaresFlashAPI(swc)
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", source, swc, err)
	}
	tc := &Toolchain{Source: source, Home: home, BuiltinsSWC: swc, HasFlashAPI: hasAPI}
	tc.Identity, err = identity(tc)
	return tc, err
}

// newestPlayerGlobal picks frameworks/libs/player/<highest version>/playerglobal.swc.
func newestPlayerGlobal(home string) (string, error) {
	found, _ := filepath.Glob(filepath.Join(home, "frameworks", "libs", "player", "*", "playerglobal.swc"))
	if len(found) == 0 {
		return "", errors.New("no frameworks/libs/player/*/playerglobal.swc")
	}
	sort.Slice(found, func(i, j int) bool {
		return versionLess(filepath.Base(filepath.Dir(found[i])), filepath.Base(filepath.Dir(found[j])))
	})
	return found[len(found)-1], nil
}

func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	return am < bm || am == bm && an < bn
}

// declaresFlashAPI tells a real playerglobal.swc (Flex, AIR) from Royale's, which holds
// JavaScript externs under that name and no flash.* classes at all.
func declaresFlashAPI(swc string) (bool, error) {
	zr, err := zip.OpenReader(swc)
	if err != nil {
		return false, err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != "catalog.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return false, err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		return strings.Contains(string(b), "flash.net:Socket"), err
	}
	return false, errors.New("no catalog.xml: not a SWC")
}

// identity fingerprints the compiler by the size and time of its jars and built-ins:
// cheap enough for every build, and it changes when the SDK is replaced or updated.
func identity(tc *Toolchain) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, tc.Source, tc.HasFlashAPI)
	jars, _ := filepath.Glob(filepath.Join(tc.Home, "lib", "*.jar"))
	for _, p := range append(jars, tc.BuiltinsSWC) {
		st, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintln(h, filepath.Base(p), st.Size(), st.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// MXMLC returns a command running the application compiler.
func (tc *Toolchain) MXMLC(ctx context.Context, args ...string) *exec.Cmd {
	return tc.javaTool(ctx, "mxmlc.jar", args)
}

// COMPC returns a command running the library (SWC) compiler.
func (tc *Toolchain) COMPC(ctx context.Context, args ...string) *exec.Cmd {
	return tc.javaTool(ctx, "compc.jar", args)
}

func (tc *Toolchain) javaTool(ctx context.Context, jar string, args []string) *exec.Cmd {
	frameworks := filepath.Join(tc.Home, "frameworks")
	argv := []string{
		"-Dsun.io.useCanonCaches=false", "-Dflexlib=" + frameworks, "-Djava.awt.headless=true",
		"-jar", filepath.Join(tc.Home, "lib", jar), "+flexlib=" + frameworks,
	}
	return exec.CommandContext(ctx, tc.Java, append(argv, args...)...)
}

// Describe is the one-paragraph answer to "which compiler is this?".
func (tc *Toolchain) Describe() string {
	api := "Flash API from flash-src/api declarations"
	if tc.HasFlashAPI {
		api = "Flash API from the SDK's playerglobal.swc"
	}
	return fmt.Sprintf("%s\n  home:     %s\n  java:     %s\n  builtins: %s\n  %s", tc.Source, tc.Home, tc.Java, tc.BuiltinsSWC, api)
}
