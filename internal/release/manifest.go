package release

import (
	"io/fs"
	"sort"
)

// Product is the name used for the archives, their top folder and the npm
// package, as the repository names itself.
const Product = "web-socket-js"

// ServerName prefixes the server binaries in bin/.
const ServerName = "web-socket-js-server"

// Platform is one GOOS/GOARCH pair the server is cross-compiled for.
type Platform struct{ OS, Arch string }

// String is "os/arch", the form `go tool dist list` uses.
func (p Platform) String() string { return p.OS + "/" + p.Arch }

// BinaryName is the server binary's path inside the archive.
func (p Platform) BinaryName() string {
	name := "bin/" + ServerName + "-" + p.OS + "-" + p.Arch
	if p.OS == "windows" {
		name += ".exe"
	}
	return name
}

// DefaultPlatforms are the server binaries a release ships.
var DefaultPlatforms = []Platform{
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"linux", "amd64"}, {"linux", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// Source says where an archive entry's bytes come from.
type Source int

const (
	FromDist  Source = iota // a built file, copied from Options.Dist
	FromRoot                // a repository file, copied from Options.Root
	Generated               // written by Build (MANIFEST, notices, package.json)
	Server                  // a cross-compiled server binary
	Dir                     // a directory entry
)

// Entry is one documented archive entry. Paths are slash-separated and
// relative to the archive's top folder "web-socket-js-<version>/".
type Entry struct {
	Path   string      // "bin/" for a directory (trailing slash)
	Mode   fs.FileMode // 0644 files, 0755 binaries, fs.ModeDir|0755 directories
	Source Source
	From   string // file name in Dist or Root, for FromDist/FromRoot
	About  string // what it is, for README.md's table
}

// Names of the generated files.
const (
	ManifestName = "MANIFEST"
	NoticesName  = "THIRD_PARTY_NOTICES.txt"
	SumsName     = "SHA256SUMS"
)

// DistFiles are the build outputs a release needs in Options.Dist: the input
// manifest. Build fails naming any that is missing or empty.
var DistFiles = []string{
	"WebSocketMain.swf",
	"WebSocketMainInsecure.swf",
	"web_socket.js",
	"web_socket.min.js",
	"web_socket.min.js.map",
	"web_socket.mjs",
	"web_socket.d.ts",
	"sample.html",
}

// npmFiles are the DistFiles that also go into the npm package folder.
var npmFiles = []string{
	"WebSocketMain.swf",
	"WebSocketMainInsecure.swf",
	"web_socket.d.ts",
	"web_socket.js",
	"web_socket.min.js",
	"web_socket.min.js.map",
	"web_socket.mjs",
}

// fixedLayout is the platform-independent part of the documented manifest.
var fixedLayout = []Entry{
	{Path: "LICENSE", Mode: 0o644, Source: FromRoot, From: "LICENSE", About: "this project's license (BSD-3-Clause)"},
	{Path: ManifestName, Mode: 0o644, Source: Generated, About: "sha256, size and path of every other file in the archive"},
	{Path: "README.md", Mode: 0o644, Source: FromRoot, From: "README.md", About: "the project README"},
	{Path: NoticesName, Mode: 0o644, Source: Generated, About: "licenses of third-party code compiled into the server binaries (Go modules and the Go runtime)"},
	{Path: "WebSocketMain.swf", Mode: 0o644, Source: FromDist, From: "WebSocketMain.swf", About: "the Flash bridge"},
	{Path: "WebSocketMainInsecure.swf", Mode: 0o644, Source: FromDist, From: "WebSocketMainInsecure.swf", About: "the Flash bridge that accepts any domain (allowDomain(\"*\")); see README before using it"},
	{Path: "bin/", Mode: fs.ModeDir | 0o755, Source: Dir, About: "server binaries"},
	{Path: "npm/", Mode: fs.ModeDir | 0o755, Source: Dir, About: "npm-ready package of the shim and the SWFs (`npm publish npm/`)"},
	{Path: "npm/LICENSE", Mode: 0o644, Source: FromRoot, From: "LICENSE", About: "copy of LICENSE"},
	{Path: "npm/README.md", Mode: 0o644, Source: FromRoot, From: "README.md", About: "copy of README.md"},
	{Path: "npm/package.json", Mode: 0o644, Source: Generated, About: "name, version, main, module, types, files, license"},
	{Path: "sample.html", Mode: 0o644, Source: FromDist, From: "sample.html", About: "a page that uses the shim"},
	{Path: "web_socket.d.ts", Mode: 0o644, Source: FromDist, From: "web_socket.d.ts", About: "TypeScript declarations"},
	{Path: "web_socket.js", Mode: 0o644, Source: FromDist, From: "web_socket.js", About: "the shim (classic script)"},
	{Path: "web_socket.min.js", Mode: 0o644, Source: FromDist, From: "web_socket.min.js", About: "the shim, minified"},
	{Path: "web_socket.min.js.map", Mode: 0o644, Source: FromDist, From: "web_socket.min.js.map", About: "source map of the minified shim"},
	{Path: "web_socket.mjs", Mode: 0o644, Source: FromDist, From: "web_socket.mjs", About: "the shim as an ES module"},
}

func init() {
	for _, f := range npmFiles {
		fixedLayout = append(fixedLayout, Entry{Path: "npm/" + f, Mode: 0o644, Source: FromDist, From: f, About: "copy of " + f})
	}
}

// Layout is the documented manifest: every entry of a release archive for
// the given server platforms (nil means DefaultPlatforms), sorted by path,
// without the top folder. Build writes exactly this list and Verify checks
// archives against it; internal/release/README.md documents it.
func Layout(platforms []Platform) []Entry {
	if platforms == nil {
		platforms = DefaultPlatforms
	}
	out := append([]Entry(nil), fixedLayout...)
	for _, p := range platforms {
		out = append(out, Entry{Path: p.BinaryName(), Mode: 0o755, Source: Server,
			About: "the echo + policy server for " + p.String()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// TopDir is the single top folder of the archives of a version.
func TopDir(version string) string { return Product + "-" + version + "/" }

// ArchiveNames are the archive file names of a version: tar.gz, then zip.
func ArchiveNames(version string) (tgz, zip string) {
	return Product + "-" + version + ".tar.gz", Product + "-" + version + ".zip"
}
