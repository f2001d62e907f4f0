import { test } from "node:test";
import assert from "node:assert/strict";
import { install, hasFlash } from "../src/select.js";
import { makeWindow } from "../testutil/fake.mjs";

function NativeWS() {}

test("a native WebSocket is left alone", () => {
  const win = makeWindow({ globals: { WebSocket: NativeWS } });
  install(win);
  assert.equal(win.WebSocket, NativeWS);
  assert.equal(win.document.embedded.length, 0);
  assert.deepEqual(win.logs, []);
});

test("MozWebSocket becomes window.WebSocket", () => {
  const win = makeWindow({ globals: { MozWebSocket: NativeWS } });
  install(win);
  assert.equal(win.WebSocket, NativeWS);
});

test("WEB_SOCKET_FORCE_FLASH replaces the native one and embeds the SWF at once", () => {
  const win = makeWindow({ globals: { WebSocket: NativeWS, WEB_SOCKET_FORCE_FLASH: true } });
  install(win);
  assert.equal(win.document.embedded.length, 0, "not while the script runs");
  win.run();
  assert.notEqual(win.WebSocket, NativeWS);
  assert.equal(win.WebSocket.__isFlashImplementation, true);
  assert.equal(win.WebSocket.OPEN, 1);
  assert.equal(win.document.embedded.length, 1, "auto-initialised without waiting for a socket");
});

test("no native WebSocket but Flash: the Flash one is installed", () => {
  for (const globals of [
    { navigator: { mimeTypes: { "application/x-shockwave-flash": { enabledPlugin: {} } } } },
    { RufflePlayer: {} },
    { ActiveXObject: function (name) { if (name !== "ShockwaveFlash.ShockwaveFlash") throw new Error("no"); } },
  ]) {
    const win = makeWindow({ globals });
    assert.ok(hasFlash(win));
    install(win);
    assert.equal(win.WebSocket.__isFlashImplementation, true, Object.keys(globals).join());
  }
});

test("neither WebSocket nor Flash: window.WebSocket stays undefined (feature detection keeps working), an error is logged", () => {
  const win = makeWindow({ globals: { ActiveXObject: function () { throw new Error("no control"); } } });
  assert.ok(!hasFlash(win));
  install(win);
  assert.equal(win.WebSocket, undefined);
  assert.equal(win.document.embedded.length, 0);
  assert.equal(win.logs.length, 1);
  assert.match(win.logs[0][1], /no WebSocket, no Flash/);
});

test("WEB_SOCKET_DISABLE_AUTO_INITIALIZATION: installed, but nothing embedded until __initialize()", () => {
  const win = makeWindow({ globals: { RufflePlayer: {}, WEB_SOCKET_DISABLE_AUTO_INITIALIZATION: true } });
  install(win);
  win.run();
  assert.equal(win.document.embedded.length, 0);
  win.WebSocket.__initialize();
  assert.equal(win.document.embedded.length, 1);
});

test("WEB_SOCKET_SWF_LOCATION set after the script (as the original README does) is used", () => {
  const win = makeWindow({ globals: { RufflePlayer: {} }, document: { scripts: ["/lib/web_socket.js"] } });
  install(win);
  win.WEB_SOCKET_SWF_LOCATION = "/elsewhere/WebSocketMain.swf";
  win.run();
  assert.equal(win.document.embedded[0].attrs.data, "/elsewhere/WebSocketMain.swf");
});

test("the default SWF location is beside the script", () => {
  let win = makeWindow({
    globals: { RufflePlayer: {} },
    document: { currentScript: { src: "http://example.com:8080/lib/web_socket.min.js?v=3/x#y/z" } },
  });
  install(win);
  win.run();
  assert.equal(win.document.embedded[0].attrs.data, "http://example.com:8080/lib/WebSocketMain.swf");

  // IE: no currentScript; while a classic script runs it is the last script element.
  win = makeWindow({ globals: { RufflePlayer: {} }, document: { scripts: ["/a.js", "/static/js/web_socket.js"] } });
  install(win);
  win.run();
  assert.equal(win.document.embedded[0].attrs.data, "/static/js/WebSocketMain.swf");

  win = makeWindow({ globals: { RufflePlayer: {} }, document: { scripts: [""] } }); // inline script
  install(win);
  win.run();
  assert.equal(win.document.embedded[0].attrs.data, "WebSocketMain.swf");

  win = makeWindow({ globals: { RufflePlayer: {}, WEB_SOCKET_SWF_LOCATION: "/swf/WebSocketMain.swf" }, document: { scripts: ["/x/web_socket.js"] } });
  install(win);
  win.run();
  assert.equal(win.document.embedded[0].attrs.data, "/swf/WebSocketMain.swf");
});

test("the drop-in entry does nothing without a window (Node, workers)", async () => {
  assert.equal(typeof globalThis.window, "undefined");
  await import("../src/web_socket.js");
  assert.equal(typeof globalThis.window, "undefined");
});
