import { test } from "node:test";
import assert from "node:assert/strict";
import { makeWindow } from "../testutil/fake.mjs";

test("the ES module exports the class (named and default) and leaves window.WebSocket alone", async () => {
  function NativeWS() {}
  const win = makeWindow({ globals: { WebSocket: NativeWS } });
  globalThis.window = win;
  try {
    const mod = await import("../src/esm.js");
    assert.equal(mod.default, mod.FlashWebSocket);
    assert.equal(mod.FlashWebSocket.__isFlashImplementation, true);
    assert.equal(win.WebSocket, NativeWS);
    assert.equal(win.document.embedded.length, 0, "nothing embedded on import");
    const ws = new mod.FlashWebSocket("ws://h/");
    assert.equal(ws.readyState, 0);
    assert.equal(win.document.embedded[0].attrs.data, "WebSocketMain.swf");
    assert.equal(win.WebSocket, NativeWS);
  } finally {
    delete globalThis.window;
  }
});
