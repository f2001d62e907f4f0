// The optional bridge feature "sendMany" (flash-src/BRIDGE.md): messages the page's
// handlers send while one wsjsPoll's events are delivered reach the SWF in one
// wsjsSendMany call per socket, in order, and only when the SWF announced the feature.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createFlashWebSocket } from "../src/flash_web_socket.js";
import { Buffer } from "node:buffer";
import { makeWindow, contractUnesc } from "../testutil/fake.mjs";

// setup makes a page whose fake SWF has wsjsSendMany (it answers like wsjsSend, per
// message, with results[i] overriding the answer for message i when set) and says
// "ready" with the given features.
function setup(features, results = []) {
  const win = makeWindow({});
  const WS = createFlashWebSocket(win, "/WebSocketMain.swf");
  const ws = new WS("ws://example.com/echo");
  const swf = win.document.swfs[0];
  swf.wsjsSendMany = function (id, items) {
    this.record("wsjsSendMany", [id, items.slice()]);
    const s = this.sockets[id], out = [];
    for (let i = 0; i + 1 < items.length; i += 2) {
      let n = -1;
      if (s && s.state === "open") {
        const data = items[i] === "t" ? contractUnesc(items[i + 1]) : Buffer.from(items[i + 1], "base64");
        s.sent.push({ kind: items[i], data: items[i] === "t" ? data : [...data] });
        n = items[i] === "t" ? Buffer.byteLength(data) : data.length;
      }
      out.push(results[out.length] ?? n);
    }
    return out;
  };
  swf.inBridge = true;
  win.__wsjsBridge("ready", 1, features);
  swf.inBridge = false;
  win.run();
  return { win, ws, swf };
}

test("sends made by handlers during one poll go in one wsjsSendMany call, then the close", () => {
  const { win, ws, swf } = setup("sendMany");
  ws.onopen = () => {
    ws.send("a");
    ws.send("\u00e9\u00e9");
    ws.send(new Uint8Array([1, 2, 3]));
    assert.equal(ws.bufferedAmount, 1 + 4 + 3, "held until the end of the poll");
  };
  ws.onmessage = (e) => {
    ws.send("echo " + e.data);
    ws.close(1000, "bye");
  };
  swf.open(swf.idOf(ws));
  swf.text(swf.idOf(ws), "x");
  assert.equal(swf.callsOf("wsjsSendMany").length, 0, "nothing from inside the bridge call");
  win.run();
  assert.deepEqual(swf.callsOf("wsjsSendMany"), [[swf.idOf(ws), ["t", "a", "t", "%E9%E9", "b", "AQID", "t", "echo x"]]]);
  assert.deepEqual(swf.callsOf("wsjsSend"), []);
  const names = swf.calls.map((c) => c[0]);
  assert.ok(names.indexOf("wsjsSendMany") < names.indexOf("wsjsClose"), "close after the messages: " + names);
  assert.deepEqual(swf.callsOf("wsjsClose"), [[swf.idOf(ws), 1000, "bye"]]);
  assert.deepEqual(swf.sockets[swf.idOf(ws)].sent.map((m) => m.data), ["a", "\u00e9\u00e9", [1, 2, 3], "echo x"]);
  assert.equal(ws.bufferedAmount, 0);
});

test("a send outside a poll is handed over at once; a refused message stays in bufferedAmount", () => {
  const { win, ws, swf } = setup("sendMany", [-1]);
  swf.open(swf.idOf(ws));
  win.run();
  ws.send("abcd");
  assert.deepEqual(swf.callsOf("wsjsSendMany"), [[swf.idOf(ws), ["t", "abcd"]]]);
  assert.equal(ws.bufferedAmount, 4, "the SWF answered -1");
});

test("a handler that throws does not keep the sends held", () => {
  const { win, ws, swf } = setup("sendMany");
  ws.onmessage = () => {
    ws.send("before the throw");
    throw new Error("handler failed");
  };
  swf.open(swf.idOf(ws));
  swf.text(swf.idOf(ws), "x");
  swf.text(swf.idOf(ws), "y");
  win.run();
  assert.deepEqual(win.thrown.map((e) => e.message), ["handler failed", "handler failed"]);
  assert.deepEqual(swf.callsOf("wsjsSendMany"), [[swf.idOf(ws), ["t", "before the throw", "t", "before the throw"]]]);
  ws.send("later");
  assert.equal(swf.callsOf("wsjsSendMany").length, 2);
});

test("without the feature announced, each message is its own wsjsSend", () => {
  for (const features of [undefined, "", "sendManyX,other"]) {
    const { win, ws, swf } = setup(features);
    ws.onopen = () => {
      ws.send("a");
      ws.send("b");
    };
    swf.open(swf.idOf(ws));
    win.run();
    assert.deepEqual(swf.callsOf("wsjsSendMany"), [], "features " + features);
    assert.deepEqual(swf.callsOf("wsjsSend"), [[swf.idOf(ws), "t", "a"], [swf.idOf(ws), "t", "b"]]);
  }
});
