package release

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Notice is one piece of third-party code shipped in the archive, with the
// texts of its license files.
type Notice struct {
	Name     string    // module path, or a name such as "Go standard library and runtime"
	Version  string    // e.g. "v1.8.15", "go1.26.8"
	UsedIn   string    // which archive files contain it, e.g. "bin/*"
	Licenses []License // at least one
}

// License is one license file's name and text.
type License struct {
	File string // e.g. "LICENSE"
	Text string
}

// ExtraNotice declares third-party code in the built (Dist) files that a
// release cannot discover by itself, e.g. a library bundled into the shim.
type ExtraNotice struct {
	Name, Version, UsedIn string
	LicenseFile           string // path relative to Options.Root
}

// moduleRef is a module as recorded in a binary's build info.
type moduleRef struct{ Path, Version string }

// shippedModules returns the modules (other than the main one) compiled into
// the binaries, from their embedded build info, and the Go version that
// built them. This is what `go version -m` prints, so it lists exactly the
// code that was linked, not everything go.mod mentions.
func shippedModules(binaries []string) ([]moduleRef, string, error) {
	seen := map[moduleRef]bool{}
	goVersion := ""
	for _, bin := range binaries {
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			return nil, "", fmt.Errorf("read build info of %s: %w", bin, err)
		}
		if goVersion != "" && bi.GoVersion != goVersion {
			return nil, "", fmt.Errorf("binaries built by different Go versions: %s and %s", goVersion, bi.GoVersion)
		}
		goVersion = bi.GoVersion
		for _, d := range bi.Deps {
			// The path stays the required one even when replaced: that is
			// what go list -m resolves below.
			seen[moduleRef{d.Path, d.Version}] = true
		}
	}
	mods := make([]moduleRef, 0, len(seen))
	for m := range seen {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool {
		if mods[i].Path != mods[j].Path {
			return mods[i].Path < mods[j].Path
		}
		return mods[i].Version < mods[j].Version
	})
	return mods, goVersion, nil
}

// goListModule is the part of `go list -m -json` output used here.
type goListModule struct {
	Path, Version, Dir string
	Replace            *goListModule
}

// moduleDirs finds each module's source directory (in the module cache, or
// a local replacement) through the build list of the module at root.
func moduleDirs(ctx context.Context, root string, mods []moduleRef) (map[string]string, error) {
	dirs := map[string]string{}
	if len(mods) == 0 {
		return dirs, nil
	}
	args := []string{"list", "-m", "-json"}
	for _, m := range mods {
		args = append(args, m.Path)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list -m: %v\n%s", err, strings.TrimSpace(stderr.String()))
	}
	dec := json.NewDecoder(&out)
	for {
		var m goListModule
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list -m output: %w", err)
		}
		dir := m.Dir
		if m.Replace != nil {
			dir = m.Replace.Dir
		}
		dirs[m.Path] = dir
	}
	for _, m := range mods {
		if dirs[m.Path] == "" {
			return nil, fmt.Errorf("module %s %s: no source directory (not downloaded?); run `go mod download %s`", m.Path, m.Version, m.Path)
		}
	}
	return dirs, nil
}

// isLicenseFile reports whether a module's top-level file name is a license
// or notice that must travel with its code.
func isLicenseFile(name string) bool {
	n := strings.ToLower(name)
	for _, p := range []string{"license", "licence", "copying", "notice", "unlicense", "patents"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// licensesIn reads the license files at the top of dir, sorted by name.
func licensesIn(dir string) ([]License, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []License
	for _, e := range ents {
		if !e.Type().IsRegular() || !isLicenseFile(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, License{File: e.Name(), Text: string(b)})
	}
	return out, nil
}

// goRoot is the GOROOT of the go command that builds the servers.
func goRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// serverNotices lists the third-party code in the server binaries: the Go
// runtime and standard library (always linked) and every module dependency.
// A module without a license file is an error: it cannot be shipped
// without knowing its terms.
func serverNotices(ctx context.Context, root string, binaries []string) ([]Notice, error) {
	mods, goVersion, err := shippedModules(binaries)
	if err != nil {
		return nil, err
	}
	gr, err := goRoot(ctx)
	if err != nil {
		return nil, err
	}
	goLic, err := licensesIn(gr)
	if err != nil || len(goLic) == 0 {
		return nil, fmt.Errorf("no LICENSE in GOROOT %s (%v)", gr, err)
	}
	notices := []Notice{{Name: "Go standard library and runtime", Version: goVersion, UsedIn: "bin/*", Licenses: goLic}}
	dirs, err := moduleDirs(ctx, root, mods)
	if err != nil {
		return nil, err
	}
	for _, m := range mods {
		lic, err := licensesIn(dirs[m.Path])
		if err != nil {
			return nil, fmt.Errorf("module %s %s: %w", m.Path, m.Version, err)
		}
		if len(lic) == 0 {
			return nil, fmt.Errorf("module %s %s (%s) has no LICENSE/COPYING/NOTICE file; refusing to ship it without its terms", m.Path, m.Version, dirs[m.Path])
		}
		notices = append(notices, Notice{Name: m.Path, Version: m.Version, UsedIn: "bin/*", Licenses: lic})
	}
	return notices, nil
}

// extraNotices loads the notices the caller declared for the built files.
func extraNotices(root string, extra []ExtraNotice) ([]Notice, error) {
	var out []Notice
	for _, e := range extra {
		b, err := os.ReadFile(filepath.Join(root, e.LicenseFile))
		if err != nil {
			return nil, fmt.Errorf("notice for %s: %w", e.Name, err)
		}
		out = append(out, Notice{Name: e.Name, Version: e.Version, UsedIn: e.UsedIn,
			Licenses: []License{{File: filepath.Base(e.LicenseFile), Text: string(b)}}})
	}
	return out, nil
}

// noticesText renders THIRD_PARTY_NOTICES.txt: a summary list, then every
// license text in full.
func noticesText(version string, notices []Notice) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Third-party software in %s %s\n\n", Product, version)
	b.WriteString("This project's own code is under LICENSE. The archive also contains the\n")
	b.WriteString("following third-party code, under the licenses reproduced below.\n\n")
	for _, n := range notices {
		fmt.Fprintf(&b, "  - %s %s (in %s)\n", n.Name, n.Version, n.UsedIn)
	}
	for _, n := range notices {
		for _, l := range n.Licenses {
			fmt.Fprintf(&b, "\n%s\n%s %s: %s\n%s\n\n", strings.Repeat("=", 78), n.Name, n.Version, l.File, strings.Repeat("=", 78))
			b.WriteString(strings.TrimRight(l.Text, "\n"))
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}
