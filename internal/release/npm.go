package release

import (
	"bytes"
	"encoding/json"
)

// packageJSON is npm/package.json. Field order is fixed by the struct, so
// the bytes are a function of the version alone.
type packageJSON struct {
	Name        string     `json:"name"`
	Version     string     `json:"version"`
	Description string     `json:"description"`
	License     string     `json:"license"`
	Main        string     `json:"main"`
	Module      string     `json:"module"`
	Types       string     `json:"types"`
	Exports     npmExports `json:"exports"`
	SideEffects bool       `json:"sideEffects"`
	Files       []string   `json:"files"`
	Keywords    []string   `json:"keywords"`
}

// npmExports is package.json "exports". Structs, not maps: Node tries
// conditions in key order and "default" must come last, while a Go map would
// be written sorted.
type npmExports struct {
	Root npmConditions `json:"."`
	Any  string        `json:"./*"`
}

type npmConditions struct {
	Types   string `json:"types"`
	Import  string `json:"import"`
	Default string `json:"default"`
}

// npmPackageJSON renders package.json for the npm folder. "files" lists the
// shim and the SWFs; npm adds package.json, README.md and LICENSE itself.
// sideEffects is true because importing the shim installs window.WebSocket.
func npmPackageJSON(version string) ([]byte, error) {
	p := packageJSON{
		Name:        Product,
		Version:     version,
		Description: "WebSocket for browsers without one: a JavaScript shim over a Flash socket bridge",
		License:     "BSD-3-Clause",
		Main:        "web_socket.js",
		Module:      "web_socket.mjs",
		Types:       "web_socket.d.ts",
		Exports: npmExports{
			Root: npmConditions{Types: "./web_socket.d.ts", Import: "./web_socket.mjs", Default: "./web_socket.js"},
			// Pages must be able to point the shim at the SWFs' URLs, so
			// every file stays reachable by its path.
			Any: "./*",
		},
		SideEffects: true,
		Files:       append([]string(nil), npmFiles...),
		Keywords:    []string{"websocket", "flash", "polyfill", "shim"},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
