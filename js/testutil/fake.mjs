// A fake page for the shim's unit tests: a window with a hand-cranked timer queue, a
// document that turns the shim's <object> markup into a FakeSwf, and FakeSwf, which
// implements the SWF side of flash-src/BRIDGE.md (version 1) with scripted sockets.
import { Buffer } from "node:buffer";

// unesc/esc/b64 here are written independently of js/src/codec.js, straight from BRIDGE.md,
// so the tests check the shim against the contract rather than against itself.
export function contractEsc(s) {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && !`%\\"'<>&`.includes(s[i])) out += s[i];
    else if (c < 0x100) out += "%" + c.toString(16).toUpperCase().padStart(2, "0");
    else out += "%u" + c.toString(16).toUpperCase().padStart(4, "0");
  }
  return out;
}

export function contractUnesc(s) {
  let out = "";
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (s[i] === "%") {
      let m;
      if ((m = /^%u([0-9A-F]{4})/.exec(s.slice(i)))) {
        out += String.fromCharCode(parseInt(m[1], 16));
        i += 6;
      } else if ((m = /^%([0-9A-F]{2})/.exec(s.slice(i)))) {
        out += String.fromCharCode(parseInt(m[1], 16));
        i += 3;
      } else throw new Error("contractUnesc: bad % at " + i + " in " + s);
      continue;
    }
    if (c < 0x20 || c > 0x7e || `\\"'<>&`.includes(s[i])) throw new Error("contractUnesc: raw char " + c + " in " + s);
    out += s[i++];
  }
  return out;
}

export const b64 = (bytes) => Buffer.from(bytes).toString("base64");
export const unb64 = (s) => new Uint8Array(Buffer.from(s, "base64"));

// Text as the SWF puts it on the wire: UTF-8 with lone surrogates as U+FFFD.
export const utf8 = (s) => Buffer.from(s.toWellFormed ? s.toWellFormed() : s, "utf8");

// parseObject reads the attributes and <param>s of the shim's <object> markup.
function parseObject(html) {
  const m = /^<object ([^>]*)>(.*)<\/object>$/s.exec(html);
  if (!m) throw new Error("fake document: not one <object>: " + html);
  const attrs = {};
  for (const a of m[1].matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
  const params = {};
  for (const p of m[2].matchAll(/<param name="([^"]*)" value="([^"]*)">/g)) params[p[1]] = p[2];
  const rest = m[2].replace(/<param name="[^"]*" value="[^"]*">/g, "");
  if (rest) throw new Error("fake document: unexpected markup in <object>: " + rest);
  return { attrs, params };
}

export class FakeSwf {
  constructor(win, embed) {
    this.win = win;
    this.embed = embed; // {attrs, params, container}
    this.calls = []; // [name, ...args] of every page→SWF call
    this.queue = [];
    this.notified = false;
    this.sockets = {}; // id -> {args, state: "connecting"|"open"|"closed", sent: []}
    this.createResult = ""; // what wsjsCreate returns (esc'd) — set by a test
    this.inBridge = false;
    this.reentered = []; // page→SWF calls made while the SWF was inside a bridge call
    const fv = /(?:^|&)bridge=([^&]*)/.exec(embed.params.flashvars || "");
    this.bridgeName = fv ? fv[1] : "__wsjsBridge";
  }

  // page → SWF (the ExternalInterface callbacks)
  record(name, args) {
    if (this.inBridge) this.reentered.push(name);
    this.calls.push([name, ...args]);
  }
  wsjsCreate(...a) {
    this.record("wsjsCreate", a);
    if (this.createResult) return this.createResult;
    this.sockets[a[0]] = { args: a, state: "connecting", sent: [] };
    return "";
  }
  wsjsSend(id, kind, data) {
    this.record("wsjsSend", [id, kind, data]);
    const s = this.sockets[id];
    if (!s || s.state !== "open") return -1;
    const bytes = kind === "t" ? utf8(contractUnesc(data)) : unb64(data);
    s.sent.push({ kind, data: kind === "t" ? contractUnesc(data) : bytes });
    return bytes.length;
  }
  wsjsClose(id, code, reason) {
    this.record("wsjsClose", [id, code, reason]);
  }
  wsjsPoll() {
    this.record("wsjsPoll", []);
    this.notified = false;
    const q = this.queue;
    this.queue = [];
    return q;
  }
  wsjsSetOptions(...a) {
    this.record("wsjsSetOptions", a);
  }
  wsjsLoadPolicy(url) {
    this.record("wsjsLoadPolicy", [url]);
  }
  wsjsSetDebug(on) {
    this.record("wsjsSetDebug", [on]);
  }

  // SWF → page
  callBridge(kind, arg) {
    const fn = this.win[this.bridgeName];
    if (typeof fn !== "function") throw new Error("no bridge function " + this.bridgeName);
    this.inBridge = true;
    try {
      return arg === undefined ? fn(kind) : fn(kind, arg);
    } finally {
      this.inBridge = false;
    }
  }
  ready(version = 1) {
    this.callBridge("ready", version);
  }
  // emit queues an event and sends "notify" like the real SWF: only when not yet notified.
  emit(ev) {
    this.queue.push(ev);
    if (!this.notified) {
      this.notified = true;
      this.callBridge("notify");
    }
  }
  open(id, protocol = "", extensions = "") {
    this.sockets[id].state = "open";
    this.emit({ id, type: "open", protocol: contractEsc(protocol), extensions: contractEsc(extensions) });
  }
  text(id, s) {
    this.emit({ id, type: "message", kind: "t", data: contractEsc(s) });
  }
  binary(id, bytes) {
    this.emit({ id, type: "message", kind: "b", data: b64(bytes) });
  }
  error(id, message) {
    this.emit({ id, type: "error", message: contractEsc(message) });
  }
  closed(id, wasClean, code, reason = "") {
    if (this.sockets[id]) this.sockets[id].state = "closed";
    this.emit({ id, type: "close", wasClean, code, reason: contractEsc(reason) });
  }
  log(id, level, message) {
    this.emit({ id, type: "log", level, message: contractEsc(message) });
  }
  callsOf(name) {
    return this.calls.filter((c) => c[0] === name).map((c) => c.slice(1));
  }
  // idOf is the bridge id the page chose for ws: the id of the one wsjsCreate call for
  // ws.url (tests give each socket its own URL). It reads only what crossed the bridge,
  // never the shim's private fields.
  idOf(ws) {
    const ids = this.callsOf("wsjsCreate").filter((c) => contractUnesc(c[1]) === ws.url).map((c) => c[0]);
    if (ids.length !== 1) throw new Error(`fake SWF: ${ids.length} wsjsCreate calls for ${ws.url}`);
    return ids[0];
  }
}

class FakeElement {
  constructor(doc, tag) {
    this.doc = doc;
    this.tagName = tag.toUpperCase();
    this.style = {};
    this.children = [];
    this._html = "";
    this._href = "";
  }
  appendChild(el) {
    this.children.push(el);
    el.parentNode = this;
    return el;
  }
  set innerHTML(html) {
    this._html = html;
    const { attrs, params } = parseObject(html);
    this.doc.embedded.push({ attrs, params, container: this, html });
    const swf = new FakeSwf(this.doc.win, { attrs, params, container: this });
    this.doc.swfs.push(swf);
    if (attrs.id) this.doc.byId[attrs.id] = swf;
    if (this.doc.win.__onEmbed) this.doc.win.__onEmbed(swf);
  }
  get innerHTML() {
    return this._html;
  }
  // <a href>: resolves as a browser does (the WHATWG URL parser), or keeps the text as-is.
  set href(v) {
    try {
      this._href = new URL(String(v), this.doc.win.location.href).href;
    } catch {
      this._href = String(v);
    }
  }
  get href() {
    return this._href;
  }
}

class FakeDocument {
  constructor(win, { body = true, scripts = [], currentScript = null, cookie = "" } = {}) {
    this.win = win;
    this.embedded = [];
    this.swfs = [];
    this.byId = {};
    this.cookie = cookie;
    this.scripts = scripts.map((src) => ({ src }));
    this.currentScript = currentScript;
    this.body = body ? new FakeElement(this, "body") : null;
  }
  createElement(tag) {
    return new FakeElement(this, tag);
  }
  getElementById(id) {
    return this.byId[id] || null;
  }
  getElementsByTagName(tag) {
    return tag === "script" ? this.scripts : [];
  }
}

// makeWindow builds a fake window. Timers only run when the test calls win.run().
export function makeWindow(opts = {}) {
  const timers = [];
  let nextTimer = 1;
  const logs = [];
  const href = opts.href || "http://example.com:8080/app/page.html";
  const u = new URL(href);
  const win = {
    location: { href, protocol: u.protocol, host: u.host, hostname: u.hostname, pathname: u.pathname },
    navigator: opts.navigator || { mimeTypes: {} },
    setTimeout(fn, ms) {
      const id = nextTimer++;
      timers.push({ id, fn, ms: ms || 0 });
      return id;
    },
    clearTimeout(id) {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
    listeners: {},
    addEventListener(type, fn) {
      (win.listeners[type] ||= []).push(fn);
    },
    ArrayBuffer,
    Uint8Array,
    Blob,
    atob,
    btoa,
    FileReader: FakeFileReader,
    DOMException,
    WEB_SOCKET_LOGGER: {
      log: (m) => logs.push(["log", m]),
      error: (m) => logs.push(["error", m]),
    },
    logs,
    timers,
    thrown: [], // what listeners threw, rethrown from a timer by the shim
    // run fires due timers (all with ms <= upTo, in order of due time then creation) until
    // none is left; a timer function that throws is recorded in win.thrown.
    run(upTo = 0) {
      for (let n = 0; n < 10000; n++) {
        let best = -1;
        for (let i = 0; i < timers.length; i++) {
          if (timers[i].ms <= upTo && (best < 0 || timers[i].ms < timers[best].ms)) best = i;
        }
        if (best < 0) return;
        const [t] = timers.splice(best, 1);
        try {
          t.fn();
        } catch (e) {
          win.thrown.push(e);
        }
      }
      throw new Error("fake window: timers never settle");
    },
    ...opts.globals,
  };
  win.window = win;
  win.document = new FakeDocument(win, opts.document);
  return win;
}

// FakeFileReader reads a real Blob asynchronously (Node has Blob but no FileReader).
class FakeFileReader {
  readAsArrayBuffer(blob) {
    FakeFileReader.pending.push(
      blob.arrayBuffer().then(
        (buf) => {
          this.result = buf;
          this.onload && this.onload();
        },
        () => {
          this.result = null;
          this.onerror && this.onerror();
        },
      ),
    );
  }
}
FakeFileReader.pending = [];
export async function settleReads() {
  while (FakeFileReader.pending.length) await FakeFileReader.pending.shift();
}

export { FakeFileReader };
