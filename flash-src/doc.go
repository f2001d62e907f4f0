// Package flashsrc holds no Go code of its own: this directory is the ActionScript source of
// WebSocketMain.swf (src/), the Flash API declarations it compiles against (api/) and its AS3
// tests (test/). The Go tests beside this file compile those sources and run them in Ruffle.
package flashsrc
