import { test } from "node:test";
import assert from "node:assert/strict";
import { createFlashWebSocket } from "../src/flash_web_socket.js";
import { makeWindow, settleReads, contractEsc, contractUnesc } from "../testutil/fake.mjs";

function setup(opts = {}) {
  const win = makeWindow(opts);
  const WS = createFlashWebSocket(win, opts.defaultSwf || "/static/WebSocketMain.swf");
  return { win, WS, swf: () => win.document.swfs[0] };
}

// connected: a socket the fake SWF has opened, with events delivered.
function connected(url = "ws://example.com:8080/echo", protocols, opts) {
  const env = setup(opts);
  const ws = new env.WS(url, protocols);
  env.swf().ready();
  env.win.run();
  env.swf().open(env.swf().idOf(ws), "chat");
  env.win.run();
  return { ...env, ws };
}

function record(ws) {
  const events = [];
  for (const type of ["open", "message", "error", "close"]) {
    ws.addEventListener(type, (ev) => events.push(ev));
  }
  return events;
}

function assertDOMException(fn, name, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof DOMException, "a real DOMException: " + e);
    assert.equal(e.name, name);
    assert.equal(e.code, code);
    return true;
  });
}

test("constants on the constructor and the prototype; initial attributes", () => {
  const { WS } = setup();
  for (const [k, v] of Object.entries({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 })) {
    assert.equal(WS[k], v);
    assert.equal(WS.prototype[k], v);
  }
  const ws = new WS("ws://example.com:8080/x?y=1");
  assert.equal(ws.url, "ws://example.com:8080/x?y=1");
  assert.equal(ws.readyState, 0);
  assert.equal(ws.bufferedAmount, 0);
  assert.equal(ws.extensions, "");
  assert.equal(ws.protocol, "");
  assert.equal(ws.binaryType, "blob");
  assert.equal(ws.onopen, null);
  assert.equal(WS.__isFlashImplementation, true);
  assert.equal(typeof WS.__initialize, "function");
  assert.equal(typeof WS.loadFlashPolicyFile, "function");
});

test("URL rules: resolve, map http(s), normalise; SyntaxError for scheme, fragment, garbage", () => {
  const { WS } = setup();
  const cases = {
    "ws://Example.COM:80/a b": "ws://example.com/a%20b",
    "wss://h:443": "wss://h/",
    "http://h:8000/p": "ws://h:8000/p",
    "HTTPS://h/p?q": "wss://h/p?q",
    "/rel?x=1": "ws://example.com:8080/rel?x=1",
    "rel": "ws://example.com:8080/app/rel",
    "//other:9/x": "ws://other:9/x",
    "  ws://h/trim  ": "ws://h/trim",
    "ws://[::1]:9/": "ws://[::1]:9/",
    "ws://u:p@h/": "ws://u:p@h/",
    "ws://h?q": "ws://h/?q",
  };
  for (const [input, want] of Object.entries(cases)) assert.equal(new WS(input).url, want, input);
  for (const bad of ["ftp://h/", "ws://h/#", "ws://h/#frag", "mailto:x@y", "ws://", "ws://exa mple.com/", "javascript:alert(1)", "ws://h:1:2/", "ws://[x]/"]) {
    assertDOMException(() => new WS(bad), "SyntaxError", 12);
  }
  assert.throws(() => new WS(), TypeError);
  assert.throws(() => WS("ws://h/"), TypeError);
});

test("relative URLs on an https page become wss", () => {
  const { WS } = setup({ href: "https://secure.example/app/" });
  assert.equal(new WS("/s").url, "wss://secure.example/s");
});

test("protocol rules: tokens only, no duplicates; string, array, null", () => {
  const { WS, swf, win } = setup();
  const ok = [
    [undefined, ""],
    ["chat", "chat"],
    [["a", "b.c", "x-y_z~"], "a,b.c,x-y_z~"],
    [[], ""],
    [null, "null"],
    [["A", "a"], "A,a"],
  ];
  const sockets = ok.map(([p]) => new WS("ws://h/", p));
  for (const bad of ["", "a b", "a,b", ["x", "x"], ["ok", ""], "\u00e9", "a/b", ["a", "(b)"], [{}]]) {
    assertDOMException(() => new WS("ws://h/", bad), "SyntaxError", 12);
  }
  swf().ready();
  win.run();
  const creates = swf().callsOf("wsjsCreate");
  assert.equal(creates.length, sockets.length);
  ok.forEach(([, want], i) => assert.equal(contractUnesc(creates[i][2]), want));
});

test("a subprotocol is any HTTP token: every ASCII character checked", () => {
  const { WS, win, swf } = setup();
  new WS("ws://h/");
  swf().ready();
  win.run(); // from now on a socket reaches the SWF as it is made
  const tchar = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]$/;
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    if (tchar.test(ch)) {
      new WS("ws://h/", "a" + ch);
      assert.equal(contractUnesc(swf().callsOf("wsjsCreate").at(-1)[2]), "a" + ch, "code " + c);
    }
    else assertDOMException(() => new WS("ws://h/", "a" + ch), "SyntaxError", 12);
  }
});

test("embedding: standard form, off-screen 1x1, same id and name, bridge flash var, script access", () => {
  const { WS, win, swf } = setup();
  assert.equal(win.document.embedded.length, 0, "nothing embedded before use (ES module build)");
  new WS("ws://h/");
  new WS("ws://h/");
  assert.equal(win.document.embedded.length, 1, "embedded once");
  const { attrs, params, container } = win.document.embedded[0];
  assert.equal(attrs.type, "application/x-shockwave-flash");
  assert.equal(attrs.data, "/static/WebSocketMain.swf");
  assert.equal(attrs.id, attrs.name);
  assert.equal(attrs.width, "1");
  assert.equal(attrs.height, "1");
  assert.equal(attrs.classid, undefined);
  assert.equal(params.allowScriptAccess, "always");
  assert.equal(params.allowNetworking, "all");
  assert.equal(params.flashvars, "bridge=__wsjsBridge");
  assert.equal(typeof win.__wsjsBridge, "function");
  assert.ok(win.document.body.children.includes(container));
  assert.match(container.style.cssText, /position:absolute/);
  assert.match(container.style.cssText, /left:-\d+px/);
  assert.doesNotMatch(container.style.cssText, /display|visibility/);
  assert.equal(swf().bridgeName, "__wsjsBridge");
});

test("embedding: the ActiveX form in IE, with the movie param", () => {
  const { WS, win } = setup({ globals: { ActiveXObject: function () {}, WEB_SOCKET_SWF_LOCATION: 'http://example.com:8080/a"b/WebSocketMain.swf' } });
  new WS("ws://h/");
  const { attrs, params } = win.document.embedded[0];
  assert.equal(attrs.classid, "clsid:D27CDB6E-AE6D-11cf-96B8-444553540000");
  assert.equal(attrs.type, undefined);
  assert.equal(params.movie, "http://example.com:8080/a%22b/WebSocketMain.swf");
  assert.equal(params.allowScriptAccess, "always");
  assert.equal(attrs.id, attrs.name);
});

test("embedding waits for the body", () => {
  const { WS, win } = setup({ document: { body: false } });
  new WS("ws://h/");
  assert.equal(win.document.embedded.length, 0);
  const waiting = win.timers.length;
  assert.ok(waiting > 0, "a timer checks for the body");
  win.timers.slice().forEach((t) => t.ms === 0 && (win.timers.splice(win.timers.indexOf(t), 1), t.fn()));
  assert.equal(win.document.embedded.length, 0, "still no body: still waiting");
  assert.equal(win.timers.length, waiting, "checking again later");
  win.document.body = win.document.createElement("body");
  win.run();
  assert.equal(win.document.embedded.length, 1);
});

test("WEB_SOCKET_SWF_LOCATION and the cross-domain warning", () => {
  let env = setup({ globals: { WEB_SOCKET_SWF_LOCATION: "http://cdn.example/WebSocketMain.swf" } });
  new env.WS("ws://h/");
  assert.equal(env.win.document.embedded[0].attrs.data, "http://cdn.example/WebSocketMain.swf");
  assert.ok(env.win.logs.some(([l, m]) => l === "error" && /another host/.test(m) && /WEB_SOCKET_SUPPRESS_CROSS_DOMAIN_SWF_ERROR/.test(m)));

  for (const globals of [
    { WEB_SOCKET_SWF_LOCATION: "http://cdn.example/WebSocketMain.swf", WEB_SOCKET_SUPPRESS_CROSS_DOMAIN_SWF_ERROR: true },
    { WEB_SOCKET_SWF_LOCATION: "http://cdn.example/x/WebSocketMainInsecure.swf?v=2" },
    { WEB_SOCKET_SWF_LOCATION: "http://example.com:8080/WebSocketMain.swf" },
  ]) {
    env = setup({ globals });
    new env.WS("ws://h/");
    assert.deepEqual(env.win.logs, [], JSON.stringify(globals));
  }
});

test("WEB_SOCKET_DISABLE_AUTO_INITIALIZATION: nothing embedded until __initialize()", () => {
  const { WS, win, swf } = setup({ globals: { WEB_SOCKET_DISABLE_AUTO_INITIALIZATION: true } });
  const ws = new WS("ws://h/");
  win.run(1e9);
  assert.equal(win.document.embedded.length, 0);
  WS.__initialize();
  WS.__initialize();
  assert.equal(win.document.embedded.length, 1);
  swf().ready();
  win.run();
  assert.ok(swf().idOf(ws) > 0, "created once the SWF is ready");
});

test("sockets made before the SWF is ready are created when it is, with the contract's arguments", () => {
  const { WS, win, swf } = setup({ document: { cookie: "sid=1; x=2" } });
  const a = new WS("ws://EXAMPLE.com:8080/a", ["p1", "p2"], "proxy.local", "3128", "X-A: 1\r\nX-B: two words\r\n");
  const b = new WS("ws://other.example/b", undefined, undefined, undefined, "X-C: 3\nX-D: 4");
  assert.equal(swf().calls.length, 0);
  swf().ready();
  assert.equal(swf().calls.length, 0, "no call into the SWF from inside the bridge call");
  win.run();
  const [ca, cb] = swf().callsOf("wsjsCreate");
  assert.deepEqual(ca.map((v, i) => (i === 0 || i === 7 ? v : contractUnesc(v))), [
    ca[0], "ws://example.com:8080/a", "p1,p2", "http://example.com:8080", "sid=1; x=2", "X-A: 1\r\nX-B: two words", "proxy.local", 3128,
  ]);
  assert.deepEqual(cb.map((v, i) => (i === 0 || i === 7 ? v : contractUnesc(v))), [
    cb[0], "ws://other.example/b", "", "http://example.com:8080", "", "X-C: 3\r\nX-D: 4", "", 0,
  ]);
  assert.ok(Number.isInteger(ca[0]) && ca[0] > 0 && cb[0] > ca[0], "positive ids, in order of construction");
  // Once ready, creation is immediate.
  const c = new WS("ws://h/");
  assert.equal(contractUnesc(swf().callsOf("wsjsCreate").at(-1)[1]), c.url);
  assert.deepEqual(swf().reentered, []);
});

test("origin is null on a file: page", () => {
  const { WS, win, swf } = setup({ href: "file:///tmp/page.html" });
  new WS("ws://h/");
  swf().ready();
  win.run();
  assert.equal(contractUnesc(swf().callsOf("wsjsCreate")[0][3]), "null");
});

test("an https page may not open ws: (SecurityError, as browsers throw), so its cookies never go in clear", () => {
  const { WS, win, swf } = setup({ href: "https://example.com/app/", document: { cookie: "sid=secret" } });
  for (const url of ["ws://example.com/", "WS://example.com:8080/x", "http://example.com/", "ws://127.0.0.1:8080/"]) {
    assertDOMException(() => new WS(url), "SecurityError", 18);
  }
  // Nothing was set in motion by the refused ones.
  win.run(1e9);
  assert.equal(win.document.embedded.length, 0);
  const secure = new WS("wss://example.com/s");
  const relative = new WS("/r"); // resolved against the page: https: -> wss:
  assert.equal(relative.url, "wss://example.com/r");
  swf().ready();
  win.run();
  const creates = swf().callsOf("wsjsCreate");
  assert.deepEqual(creates.map((c) => contractUnesc(c[1])), [secure.url, relative.url]);
  assert.deepEqual(creates.map((c) => contractUnesc(c[4])), ["sid=secret", "sid=secret"], "cookies only over wss:");
});

test("an http page may still open ws:", () => {
  const { WS } = setup({ href: "http://example.com/app/" });
  assert.equal(new WS("ws://example.com/").url, "ws://example.com/");
});

test("a refused create is error + close 1006, later, whether or not the SWF was ready", () => {
  const { WS, win, swf } = setup();
  const early = new WS("ws://h/");
  const events = record(early);
  swf().createResult = contractEsc("header name is not an HTTP token: 'a b'");
  swf().ready();
  win.run();
  assert.deepEqual(events.map((e) => e.type), ["error", "close"]);
  assert.equal(events[1].code, 1006);
  assert.equal(events[1].wasClean, false);
  assert.match(events[1].reason, /HTTP token/);
  assert.equal(early.readyState, 3);
  assert.ok(win.logs.some(([l, m]) => l === "error" && /HTTP token/.test(m)));

  // Once the SWF is ready, the same: nothing thrown, error + close 1006 later.
  const late = new WS("ws://h/", [], "", 0, "a b: c");
  const lateEvents = record(late);
  assert.equal(late.readyState, 0);
  late.close(); // an abort racing the refusal: still one error and one close
  win.run();
  assert.deepEqual(lateEvents.map((e) => [e.type, e.code]), [["error", undefined], ["close", 1006]]);
});

test("open, text and binary messages, protocol and extensions", async () => {
  const { WS, win, swf } = setup();
  const ws = new WS("ws://example.com:8080/echo", ["chat", "superchat"]);
  const events = record(ws);
  let states = [];
  ws.onopen = () => states.push(ws.readyState);
  swf().ready();
  win.run();
  swf().open(swf().idOf(ws), "chat", "permessage-deflate");
  assert.equal(ws.readyState, 0, "events are delivered from a timer, not inside the bridge call");
  swf().text(swf().idOf(ws), "h\u00e9llo \u2028 \"'<>&%\\ \u0000");
  swf().binary(swf().idOf(ws), [1, 2, 255]);
  win.run();
  assert.deepEqual(states, [1]);
  assert.equal(ws.protocol, "chat");
  assert.equal(ws.extensions, "permessage-deflate");
  assert.deepEqual(events.map((e) => e.type), ["open", "message", "message"]);
  assert.equal(events[1].data, "h\u00e9llo \u2028 \"'<>&%\\ \u0000");
  assert.equal(events[1].origin, "ws://example.com:8080");
  assert.equal(events[1].lastEventId, "");
  assert.equal(events[1].source, null);
  assert.deepEqual(events[1].ports, []);
  assert.ok(events[2].data instanceof Blob, "binaryType blob by default");
  assert.deepEqual([...new Uint8Array(await events[2].data.arrayBuffer())], [1, 2, 255]);

  ws.binaryType = "arraybuffer";
  swf().binary(swf().idOf(ws), [9, 8]);
  swf().binary(swf().idOf(ws), []);
  win.run();
  assert.ok(events[3].data instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(events[3].data)], [9, 8]);
  assert.equal(events[4].data.byteLength, 0);
});

test("binary messages without Blob are ArrayBuffers", () => {
  const { ws, win, swf } = connected("ws://h/", undefined, { globals: { Blob: undefined } });
  const events = record(ws);
  swf().binary(swf().idOf(ws), [7]);
  win.run();
  assert.ok(events[0].data instanceof ArrayBuffer);
});

test("without typed arrays (IE 8/9) a binary message closes the connection with 1003", () => {
  const { ws, win, swf } = connected("ws://h/", undefined, { globals: { Uint8Array: undefined, ArrayBuffer: undefined, Blob: undefined } });
  const events = record(ws);
  swf().binary(swf().idOf(ws), [1, 2]);
  swf().text(swf().idOf(ws), "after");
  win.run();
  assert.deepEqual(events, [], "nothing delivered");
  assert.equal(ws.readyState, 2);
  assert.deepEqual(swf().callsOf("wsjsClose"), [[swf().idOf(ws), 1003, ""]]);
  swf().closed(swf().idOf(ws), false, 1003);
  win.run();
  assert.deepEqual(events.map((e) => [e.type, e.code]), [["close", 1003]]);
});

test("send: string, ArrayBuffer, views, Blob — in order, with byte counts", async () => {
  const { ws, win, swf } = connected();
  assertDOMException(() => {
    const { WS } = setup();
    new WS("ws://h/").send("x");
  }, "InvalidStateError", 11);
  assert.throws(() => ws.send(), TypeError);
  const buf = new Uint8Array([0, 1, 2, 3, 4, 5]).buffer;
  ws.send("t\u00e9xt \ud800");
  ws.send(buf);
  ws.send(new Uint8Array(buf, 2, 3));
  ws.send(new DataView(buf, 4, 2));
  ws.send(new Blob([new Uint8Array([42, 43])]));
  ws.send("after blob");
  ws.send(new Blob(["blob text"]));
  ws.send(12345);
  assert.equal(ws.bufferedAmount, 2 + 10 + 9 + 5, "bytes waiting behind the Blob reads count");
  await settleReads();
  win.run();
  assert.equal(ws.bufferedAmount, 0);
  const sent = swf().sockets[swf().idOf(ws)].sent;
  const norm = sent.map((s) => (s.kind === "t" ? s.data : [...s.data]));
  assert.deepEqual(norm, [
    "t\u00e9xt \ud800",
    [0, 1, 2, 3, 4, 5],
    [2, 3, 4],
    [4, 5],
    [42, 43],
    "after blob",
    [...Buffer.from("blob text")],
    "12345",
  ]);
});

test("close() waits behind a Blob still being read, so the Blob is sent first", async () => {
  const { ws, win, swf } = connected();
  ws.send(new Blob(["first"]));
  ws.send("second");
  ws.close(1000, "done");
  assert.equal(ws.readyState, 2);
  assert.deepEqual(swf().calls.filter((c) => c[0] === "wsjsSend" || c[0] === "wsjsClose"), []);
  await settleReads();
  win.run();
  assert.deepEqual(
    swf().calls.filter((c) => c[0] === "wsjsSend" || c[0] === "wsjsClose").map((c) => c[0] + " " + c[2]),
    ["wsjsSend b", "wsjsSend t", "wsjsClose 1000"],
  );
  assert.deepEqual(swf().sockets[swf().idOf(ws)].sent.map((x) => (x.kind === "t" ? x.data : Buffer.from(x.data).toString())), ["first", "second"]);
});

test("close(code, reason): validation and what reaches the SWF", () => {
  const { ws, swf, win } = connected();
  for (const code of [0, 999, 1001, 1005, 1006, 2999, 5000, 65535, 70000, -1, "abc", NaN, 999.5, 2999.5]) {
    assertDOMException(() => ws.close(code), "InvalidAccessError", 15);
  }
  assertDOMException(() => ws.close(1000, "x".repeat(124)), "SyntaxError", 12);
  assertDOMException(() => ws.close(1000, "\u00e9".repeat(62)), "SyntaxError", 12);
  assert.equal(ws.readyState, 1, "a rejected close changes nothing");
  const reason = "\u00e9".repeat(61) + "x"; // 123 bytes: the limit
  ws.close(3000.9, reason); // truncated to 3000, as Chromium does
  assert.equal(ws.readyState, 2);
  ws.close(1000, "again"); // closing: no-op
  assert.deepEqual(swf().callsOf("wsjsClose"), [[swf().idOf(ws), 3000, contractEsc(reason)]]);

  const events = record(ws);
  swf().text(swf().idOf(ws), "late"); // after close(): dropped
  swf().closed(swf().idOf(ws), true, 3000, reason);
  win.run();
  assert.deepEqual(events.map((e) => e.type), ["close"]);
  assert.equal(events[0].wasClean, true);
  assert.equal(events[0].code, 3000);
  assert.equal(events[0].reason, reason);
  assert.equal(ws.readyState, 3);
  ws.close(); // closed: no-op
  assert.equal(swf().callsOf("wsjsClose").length, 1);
});

test("close() with no code, and with a reason but no code (1000)", () => {
  let { ws, swf } = connected();
  ws.close();
  assert.deepEqual(swf().callsOf("wsjsClose"), [[swf().idOf(ws), 0, ""]]);
  ({ ws, swf } = connected());
  ws.close(undefined, "bye");
  assert.deepEqual(swf().callsOf("wsjsClose"), [[swf().idOf(ws), 1000, "bye"]]);
  ({ ws, swf } = connected());
  ws.close(1000);
  assert.deepEqual(swf().callsOf("wsjsClose"), [[swf().idOf(ws), 1000, ""]]);
});

test("close() while CONNECTING aborts: error then close 1006; the SWF's later events are ignored", () => {
  const { WS, win, swf } = setup();
  const ws = new WS("ws://h/");
  swf().ready();
  win.run();
  const events = record(ws);
  ws.close(1000, "never mind");
  assert.equal(ws.readyState, 2);
  assert.deepEqual(swf().callsOf("wsjsClose"), [[swf().idOf(ws), 0, ""]]);
  assert.equal(events.length, 0, "events come later, from a timer");
  swf().open(swf().idOf(ws)); // raced with the abort
  swf().error(swf().idOf(ws), "WebSocket closed before the connection was established");
  swf().closed(swf().idOf(ws), false, 1006);
  win.run();
  assert.deepEqual(events.map((e) => e.type), ["error", "close"]);
  assert.equal(events[1].code, 1006);
  assert.equal(events[1].wasClean, false);
  assert.equal(ws.readyState, 3);
});

test("close() before the SWF is ready: never created", () => {
  const { WS, win, swf } = setup();
  const ws = new WS("ws://h/");
  const events = record(ws);
  ws.close();
  swf().ready();
  win.run();
  assert.equal(swf().callsOf("wsjsCreate").length, 0);
  assert.equal(swf().callsOf("wsjsClose").length, 0);
  assert.deepEqual(events.map((e) => [e.type, e.code]), [["error", undefined], ["close", 1006]]);
});

test("after close(), send() sends nothing and bufferedAmount grows by the payload size", () => {
  const { ws, swf } = connected();
  ws.close();
  ws.send("\u00e9\u00e9");
  ws.send(new Uint8Array(10));
  ws.send(new Blob(["abc"]));
  assert.equal(ws.bufferedAmount, 4 + 10 + 3);
  assert.equal(swf().callsOf("wsjsSend").length, 0);
});

test("a send the SWF refuses (-1: closed meanwhile) stays in bufferedAmount", () => {
  const { ws, swf } = connected();
  swf().sockets[swf().idOf(ws)].state = "closed"; // the close event is not delivered yet
  ws.send("abc");
  assert.equal(ws.readyState, 1);
  assert.equal(ws.bufferedAmount, 3);
  assert.equal(swf().callsOf("wsjsSend").length, 1);
});

test("error then close from the SWF: readyState, logging, event fields", () => {
  const { ws, win, swf } = connected();
  const events = record(ws);
  let stateAtError;
  ws.onerror = () => (stateAtError = ws.readyState);
  swf().error(swf().idOf(ws), "invalid UTF-8 in a text frame");
  swf().closed(swf().idOf(ws), false, 1007, "");
  win.run();
  assert.deepEqual(events.map((e) => e.type), ["error", "close"]);
  assert.equal(stateAtError, 3);
  assert.equal(events[1].code, 1007);
  assert.equal(events[1].wasClean, false);
  assert.equal(events[1].reason, "");
  assert.ok(win.logs.some(([l, m]) => l === "error" && m.includes("ws://example.com:8080/echo") && m.includes("invalid UTF-8")));
});

test("a throwing listener blocks neither the other listeners nor later events; it is rethrown from a timer", () => {
  const { ws, win, swf } = connected();
  const got = [];
  ws.onmessage = (e) => {
    got.push("handler:" + e.data);
    throw new Error("handler failed on " + e.data);
  };
  ws.addEventListener("message", (e) => got.push("listener:" + e.data));
  swf().text(swf().idOf(ws), "1");
  swf().text(swf().idOf(ws), "2");
  swf().closed(swf().idOf(ws), true, 1000);
  let closed = false;
  ws.onclose = () => (closed = true);
  win.run();
  assert.deepEqual(got, ["handler:1", "listener:1", "handler:2", "listener:2"]);
  assert.ok(closed);
  assert.deepEqual(win.thrown.map((e) => e.message), ["handler failed on 1", "handler failed on 2"]);
});

test("one notify per batch; a malformed event is reported and the rest are delivered", () => {
  const { ws, win, swf } = connected();
  const polls = swf().callsOf("wsjsPoll").length;
  const got = [];
  ws.onmessage = (e) => got.push(e.data);
  swf().text(swf().idOf(ws), "a");
  swf().emit({ id: swf().idOf(ws), type: "message", kind: "t", data: "raw \" quote" });
  swf().text(swf().idOf(ws), "c");
  win.run();
  assert.equal(swf().callsOf("wsjsPoll").length, polls + 1);
  assert.deepEqual(got, ["a", "c"]);
  assert.ok(win.thrown.some((e) => /bad bridge string/.test(e.message)), "rethrown from a timer");
});

test("SWF that never starts: every pending socket gets error + close 1006, the reason is logged", () => {
  const { WS, win } = setup({ globals: { WEB_SOCKET_SWF_TIMEOUT: 3000 } });
  const a = new WS("ws://h/a");
  const b = new WS("ws://h/b");
  const ea = record(a);
  const eb = record(b);
  win.run(2999);
  assert.equal(ea.length, 0);
  win.run(3000);
  for (const [ws, ev] of [[a, ea], [b, eb]]) {
    assert.deepEqual(ev.map((e) => e.type), ["error", "close"]);
    assert.equal(ev[1].code, 1006);
    assert.equal(ev[1].wasClean, false);
    assert.match(ev[1].reason, /did not start/);
    assert.equal(ws.readyState, 3);
  }
  assert.equal(win.logs.filter(([l, m]) => l === "error" && /did not start.*\/static\/WebSocketMain\.swf/.test(m)).length, 1);
  // Sockets made afterwards fail the same way, asynchronously.
  const c = new WS("ws://h/c");
  const ec = record(c);
  assert.equal(c.readyState, 0);
  win.run();
  assert.deepEqual(ec.map((e) => [e.type, e.code]), [["error", undefined], ["close", 1006]]);
});

test("the default SWF timeout is 10 s", () => {
  const { WS, win } = setup();
  const ev = record(new WS("ws://h/"));
  win.run(9999);
  assert.equal(ev.length, 0);
  win.run(10000);
  assert.equal(ev.length, 2);
});

test("a SWF that starts late is still used", () => {
  const { WS, win, swf } = setup();
  new WS("ws://h/");
  win.run(10000);
  swf().ready();
  win.run();
  const ws = new WS("ws://h/late");
  assert.equal(contractUnesc(swf().callsOf("wsjsCreate")[0][1]), "ws://h/late");
  assert.equal(ws.readyState, 0);
});

test("bridge version mismatch fails the sockets, naming both versions", () => {
  const { WS, win, swf } = setup();
  const ws = new WS("ws://h/");
  const ev = record(ws);
  swf().ready(2);
  win.run();
  assert.deepEqual(ev.map((e) => e.type), ["error", "close"]);
  assert.equal(ev[1].code, 1006);
  assert.match(ev[1].reason, /version 2.*1/);
  assert.ok(win.logs.some(([l, m]) => l === "error" && /version 2/.test(m) && /1/.test(m)));
  assert.equal(swf().callsOf("wsjsCreate").length, 0);
  win.run(1e9); // the load timeout no longer matters
  assert.equal(ev.length, 2);
});

test("a reloaded SWF (second ready) fails the sockets it held", () => {
  const { ws, win, swf } = connected();
  const ev = record(ws);
  swf().ready();
  win.run();
  assert.deepEqual(ev.map((e) => [e.type, e.code]), [["error", undefined], ["close", 1006]]);
  assert.match(ev[1].reason, /restarted/);
});

test("loadFlashPolicyFile and __addTask wait for the SWF", () => {
  const { WS, win, swf } = setup();
  new WS("ws://h/");
  WS.loadFlashPolicyFile("xmlsocket://h:843");
  let ran = 0;
  WS.__addTask(() => ran++);
  assert.equal(ran, 0);
  swf().ready();
  win.run();
  assert.equal(ran, 1);
  assert.deepEqual(swf().callsOf("wsjsLoadPolicy"), [["xmlsocket://h:843"]]);
  WS.loadFlashPolicyFile("xmlsocket://other:843");
  assert.equal(swf().callsOf("wsjsLoadPolicy").length, 2);
  WS.__addTask(() => ran++);
  assert.equal(ran, 2);
});

test("WEB_SOCKET_DEBUG turns on SWF debugging and debug log lines; log events are routed", () => {
  let env = setup({ globals: { WEB_SOCKET_DEBUG: true } });
  new env.WS("ws://h/");
  env.swf().ready();
  env.win.run();
  assert.deepEqual(env.swf().callsOf("wsjsSetDebug"), [[true]]);
  env.swf().log(0, "debug", "handshake request");
  env.swf().log(0, "error", "policy \"failed\"");
  env.win.run();
  assert.deepEqual(env.win.logs, [["log", "[WebSocket] handshake request"], ["error", '[WebSocket] policy "failed"']]);

  env = setup();
  new env.WS("ws://h/");
  env.swf().ready();
  env.win.run();
  assert.deepEqual(env.swf().callsOf("wsjsSetDebug"), []);
  env.swf().log(0, "debug", "quiet");
  env.swf().log(0, "info", "said");
  env.win.run();
  assert.deepEqual(env.win.logs, [["log", "[WebSocket] said"]]);
});

test("the console is the default logger", () => {
  const lines = [];
  const { WS, win } = setup({ globals: { WEB_SOCKET_LOGGER: undefined, console: { log: (m) => lines.push(m), error: (m) => lines.push("E " + m) } } });
  new WS("ws://h/");
  win.run(1e9);
  assert.match(lines[0], /^E \[WebSocket\] WebSocketMain.swf did not start/);
});

test("Ruffle's socket proxy URLs get the native WebSocket", () => {
  const made = [];
  function NativeWS(url, protocols) {
    made.push([url, protocols]);
    this.native = true;
  }
  const proxyUrl = "ws://127.0.0.1:8000/ruffle-socket?target=127.0.0.1:9000";
  const { WS, win } = setup({
    globals: { WebSocket: NativeWS, RufflePlayer: { config: { socketProxy: [{ host: "127.0.0.1", port: 9000, proxyUrl }] } } },
  });
  const ws = new WS(proxyUrl);
  assert.ok(ws instanceof NativeWS);
  assert.deepEqual(made, [[proxyUrl, undefined]]);
  assert.equal(win.document.embedded.length, 0, "the SWF is not needed for it");
  assert.ok(!(new WS("ws://127.0.0.1:8000/other") instanceof NativeWS));
});

test("DOMException-like errors where the browser has no DOMException constructor", () => {
  const { WS } = setup({ globals: { DOMException: undefined } });
  assert.throws(() => new WS("ftp://x/"), (e) => e instanceof Error && e.name === "SyntaxError" && e.code === 12);
  const old = setup({ globals: { DOMException: { prototype: {} } } }); // IE: an object, not a constructor
  assert.throws(() => new old.WS("ws://x/", "a b"), (e) => e.name === "SyntaxError" && e.code === 12 && /a b/.test(e.message));
});
