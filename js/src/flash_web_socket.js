// FlashWebSocket: the WHATWG WebSocket interface implemented on WebSocketMain.swf, speaking
// the bridge contract in flash-src/BRIDGE.md (version 1). ES5 only, and no reserved word
// as a property name: the minified bundle must parse as ES3 (IE 8). Written for size (see
// js/README.md): private fields start with one underscore, which the minified build
// mangles. A socket's: _i id, _o origin, _h host name, _p protocols, _a the constructor's
// arguments, _q send queue.
import { esc, unesc, utf8Length, b64enc, b64dec } from "./codec.js";
import { Ev, eventTarget } from "./events.js";

export var BRIDGE_VERSION = 1;

// The element id "webSocketFlash" and the bridge function name "__wsjsBridge" are written
// out where used (smaller after gzip than variables).

// log writes to WEB_SOCKET_LOGGER (an object with log and error methods) or the console:
// with no level (or "error") to error(), else to log(); "debug" lines only when
// WEB_SOCKET_DEBUG is set. (IE 8's console methods have no call/apply: index, then call.)
export function log(win, msg, level) {
  var l = win.WEB_SOCKET_LOGGER || win.console;
  if (l && (level != "debug" || win.WEB_SOCKET_DEBUG)) l[level && level != "error" ? "log" : "error"]("[WebSocket] " + msg);
}

// createFlashWebSocket returns a WebSocket class bound to win (the page's window, or a fake
// one in tests) that embeds the SWF from WEB_SOCKET_SWF_LOCATION or defaultSwf. It reads the
// WEB_SOCKET_* globals when it needs them, so pages may set them after loading the script.
export function createFlashWebSocket(win, defaultSwf, auto) {
  var Native = win.WebSocket || win.MozWebSocket;
  var sockets = {}; // id -> socket, from construction until its close event
  var nextId = 1;
  var state = 0; // 0 not started, 1 waiting for the SWF, 2 ready, 3 failed
  var failure; // why the SWF failed (state 3)
  var tasks = []; // run once the SWF is ready
  var polling;
  var many; // the SWF has wsjsSendMany: messages sent together leave in one write
  var held; // while poll runs (with many): the sockets whose sends wait for its end

  function swf() {
    return win.document.getElementById("webSocketFlash");
  }

  function later(f) {
    win.setTimeout(f, 0);
  }

  function report(e) {
    later(function () {
      throw e;
    });
  }

  function error(name, code, msg) {
    var e;
    try {
      e = new win.DOMException(msg, name);
      if (e.name == name) return e;
    } catch (x) {}
    e = Error(msg);
    e.name = name;
    e.code = code;
    return e;
  }

  function fire(ws, type, props) {
    ws.dispatchEvent(new Ev(type, props));
  }

  // fail ends a socket the SWF cannot serve (or that close() aborted): it leaves the table
  // at once (nothing the SWF says about it counts any more) and gets error, then close
  // 1006, later, as a native WebSocket reports a connection that could not be established.
  // Whether the SWF was ready yet must not change what pages see.
  function fail(ws, reason) {
    delete sockets[ws._i];
    later(function () {
      if (ws.readyState > 2) return; // failed already (say, aborted and refused)
      ws.readyState = 3;
      fire(ws, "error");
      fire(ws, "close", { wasClean: false, code: 1006, reason: reason });
    });
  }

  // failAll fails every socket; the constructor then fails new sockets the same way until
  // a "ready" arrives.
  function failAll(msg) {
    state = 3;
    failure = msg;
    log(win, msg);
    for (var id in sockets) fail(sockets[id], msg);
  }

  function task(f) {
    if (state == 2) f();
    else tasks.push(f);
  }

  // bridge is the one page function the SWF calls. It only schedules work: calling back
  // into the SWF from inside this call can deadlock or reorder events.
  function bridge(kind, arg, features) {
    if (kind == "ready") {
      later(function () {
        ready(arg, features);
      });
    } else if (!polling) {
      polling = 1;
      later(poll);
    }
  }

  function ready(version, features) {
    if (version != BRIDGE_VERSION) return failAll("SWF bridge version " + version + ", want " + BRIDGE_VERSION);
    many = /\bsendMany\b/.test(features);
    // A second "ready" means the SWF was reloaded (Ruffle does so when it runs out of WebGL
    // contexts): the sockets it held are gone.
    if (state == 2) failAll("WebSocketMain.swf restarted");
    state = 2;
    if (win.WEB_SOCKET_DEBUG) swf().wsjsSetDebug(true);
    while (tasks.length) {
      try {
        tasks.shift()();
      } catch (e) {
        report(e);
      }
    }
    // Then the sockets made meanwhile, in order (after the tasks: a policy file requested
    // before or after new WebSocket must be loaded before the connection is made).
    for (var id in sockets) create(sockets[id]);
  }

  // poll delivers the queued events. A bad one (say, a corrupted string) is rethrown from a
  // timer, and the rest are delivered. Messages the handlers send (an echo, say) are held
  // until the end and handed over in one call per socket, which the SWF writes at once.
  function poll() {
    var evs, h, i;
    polling = 0;
    evs = swf().wsjsPoll() || []; // (if this throws, nothing is held)
    h = held = many && [];
    for (i = 0; i < evs.length; i++) {
      try {
        handle(evs[i]);
      } catch (e) {
        report(e);
      }
    }
    for (held = i = 0; h && i < h.length; ) flush(h[i++]);
  }

  function handle(e) {
    var ws = sockets[e.id], type = e.type, u;
    if (type == "log") return log(win, unesc(e.message), e.level);
    if (!ws) return; // aborted by close() while connecting
    if (type == "open") {
      ws.readyState = 1;
      ws.protocol = unesc(e.protocol);
      ws.extensions = unesc(e.extensions);
      fire(ws, type);
    } else if (type == "message") {
      // A message arriving after close() was called is dropped, as the standard says.
      if (ws.readyState != 1) return;
      if (e.kind == "b") {
        // Binary data: ArrayBuffer or Blob per binaryType (ArrayBuffer where there is no
        // Blob). A browser without typed arrays (IE 8/9) cannot hold it: the connection
        // closes with 1003 "unsupported data" (RFC 6455 section 7.4.1).
        if (!win.Uint8Array || !win.atob) {
          ws.readyState = 2;
          return swf().wsjsClose(ws._i, 1003, "");
        }
        u = b64dec(e.data);
        u = ws.binaryType == "arraybuffer" || !win.Blob ? u.buffer : new win.Blob([u]);
      } else u = unesc(e.data);
      fire(ws, type, { data: u, origin: ws._o, lastEventId: "", source: null, ports: [] });
    } else {
      ws.readyState = 3;
      if (type == "error") {
        log(win, ws.url + ": " + unesc(e.message));
        fire(ws, type);
      } else {
        delete sockets[e.id];
        fire(ws, type, { wasClean: !!e.wasClean, code: e.code, reason: unesc(e.reason) });
      }
    }
  }

  // init starts embedding the SWF, once; with auto, not under
  // WEB_SOCKET_DISABLE_AUTO_INITIALIZATION (then only WebSocket.__initialize() does).
  function init(auto) {
    if (state || auto && win.WEB_SOCKET_DISABLE_AUTO_INITIALIZATION) return;
    state = 1;
    win.__wsjsBridge = bridge;
    embed();
  }

  // embed waits for the body (checking from a timer: one code path for every browser),
  // then adds a 1x1 element off-screen (display:none would stop IE from loading Flash),
  // the ActiveX form for IE and the standard form elsewhere (which Ruffle replaces), and
  // waits WEB_SOCKET_SWF_TIMEOUT ms (default 10 s) for "ready".
  function embed() {
    var doc = win.document, url, div, host;
    if (!doc.body) return later(embed);
    url = (win.WEB_SOCKET_SWF_LOCATION || defaultSwf).replace(/"/g, "%22");
    div = doc.createElement("div");
    host = /^\w+:\/\/([^\/]+)/.exec(url);
    if (host && host[1] != win.location.host && !win.WEB_SOCKET_SUPPRESS_CROSS_DOMAIN_SWF_ERROR && !/Insecure/.test(url)) {
      log(win, "SWF on another host: use WebSocketMainInsecure.swf or set WEB_SOCKET_SUPPRESS_CROSS_DOMAIN_SWF_ERROR");
    }
    div.style.cssText = "position:absolute;left:-99px;top:-99px";
    doc.body.appendChild(div);
    div.innerHTML = '<object id="webSocketFlash" name="webSocketFlash" width="1" height="1" ' +
      ("ActiveXObject" in win ? 'classid="clsid:D27CDB6E-AE6D-11cf-96B8-444553540000"><param name="movie" value="' + url + '"' :
        'type="application/x-shockwave-flash" data="' + url + '"') +
      '><param name="allowScriptAccess" value="always"><param name="allowNetworking" value="all">' +
      '<param name="flashvars" value="bridge=__wsjsBridge"></object>';
    // (Not cleared on "ready": by then state is no longer 1.)
    win.setTimeout(function () {
      if (state == 1) failAll("WebSocketMain.swf did not start: " + url);
    }, win.WEB_SOCKET_SWF_TIMEOUT || 1e4);
  }

  // create hands a socket to the SWF. A refusal (a bad header, say) is reported as error +
  // close 1006, always later: whether the SWF was ready yet must not change what pages see.
  function create(ws) {
    var loc = win.location, a = ws._a, r = swf().wsjsCreate(ws._i, esc(ws.url), esc(ws._p.join()),
      esc(/^http/.test(loc.protocol) ? loc.protocol + "//" + loc.host : "null"),
      // Only the cookies the browser itself would send: same host name.
      esc(ws._h == loc.hostname.toLowerCase() && win.document.cookie || ""),
      // Extra headers: "Name: value" lines, any line ending.
      esc((String(a[4] || "").match(/[^\r\n]+/g) || []).join("\r\n")),
      esc(a[2] || ""), a[3] | 0);
    if (r) {
      r = unesc(r);
      log(win, ws.url + ": " + r);
      fail(ws, r);
    }
  }

  // flush hands queued sends and the close request to the SWF in order, stopping at a Blob
  // still being read; with sendMany, consecutive messages go in one call. Bytes the SWF took
  // leave bufferedAmount. While poll holds sends, flush only notes the socket (noted twice,
  // it is flushed twice: the second time finds nothing).
  function flush(ws) {
    var q = ws._q, x, r, n;
    if (held) return held.push(ws);
    for (; (x = q[0]) && !x._b; q.splice(0, n)) {
      if (x._k) {
        for (r = [], n = 0; (x = q[n]) && x._k && (many || !n); n++) r.push(x._k, x._d);
        r = many ? swf().wsjsSendMany(ws._i, r) || [] : [swf().wsjsSend(ws._i, r[0], r[1])];
        for (x = 0; x < n; x++) if (r[x] >= 0) ws.bufferedAmount -= q[x]._n;
      } else {
        swf().wsjsClose(ws._i, x._n, esc(x._d));
        n = 1;
      }
    }
  }

  // item turns send()'s argument into a queue item: _k "t" (esc'd text) or "b" (b64) with
  // the data in _d, _n its payload size in bytes; or, for a Blob, _b (see read). A close
  // request is an item without _k: _n the code, _d the reason.
  function item(data) {
    var AB = win.ArrayBuffer;
    if (win.Blob && data instanceof win.Blob) return { _b: data, _n: data.size };
    // An ArrayBuffer (no .buffer, no .byteOffset), or a view of one.
    if (AB && (data instanceof AB || data && data.buffer instanceof AB)) {
      data = new win.Uint8Array(data.buffer || data, data.byteOffset || 0, data.byteLength);
      return { _k: "b", _d: b64enc(data), _n: data.length };
    }
    return { _k: "t", _d: esc(data = String(data)), _n: utf8Length(data) };
  }

  // read fetches a queued Blob's bytes (FileReader is asynchronous); the sends behind it
  // wait, so the order of send() calls is the order on the wire.
  function read(ws, x) {
    var r = new win.FileReader();
    r.onload = r.onerror = function () {
      if (r.result) {
        x._k = "b";
        x._d = b64enc(new win.Uint8Array(r.result));
      } else {
        log(win, ws.url + ": Blob unreadable");
        ws.bufferedAmount -= x._n;
      }
      x._b = 0;
      flush(ws);
    };
    r.readAsArrayBuffer(x._b);
  }

  // parseUrl applies the constructor's URL rules and sets ws.url, ws._o (origin) and ws._h
  // (host name): resolve against the page (a link element does it as the browser would:
  // trimming, case, default port, percent-encoding), map http(s) to ws(s), throw
  // SyntaxError for other schemes, a fragment, or no or a bad host. (Hosts as loose as
  // Chromium's: "ws://exa mple/" is ws://exa%20mple/ there.)
  function parseUrl(ws, url) {
    var a = win.document.createElement("a"), m;
    a.href = url;
    m = /^(?:ws|http)(s?:\/\/)((?:[^\/?#\s@]*@)?(?:\[[\da-f:.]+\]|[^\/?#\s:@\[\]]+)(?::\d*)?)([\/?][^#\s]*)?$/i.exec(a.href);
    if (!m) throw error("SyntaxError", 12, "Bad URL " + url);
    ws._o = m[0] = "ws" + (m[1] + m[2]).toLowerCase();
    ws._h = m[0].replace(/^.*[\/@]|:\d*$/g, "");
    ws.url = m[0] + (m[3] || "/");
  }

  // WebSocket(url, protocols, proxyHost, proxyPort, headers): the standard constructor plus
  // the original web-socket-js's extra arguments (read from ws._a = arguments by create):
  // an HTTP CONNECT proxy, and extra request headers as "Name: value" lines.
  function WebSocket(url, protocols) {
    var ws = this, seen = {}, i, p;
    if (!(ws instanceof WebSocket)) throw new TypeError("new WebSocket()");
    if (!arguments.length) throw new TypeError("1 argument required");
    url = String(url);
    // Ruffle opens its socket proxy connections with the page's global WebSocket. Those
    // must stay native, or a Flash socket would ride on the Flash socket it implements.
    // The scan ends by throwing: at the end of the list, or at once without Ruffle (or
    // without a native WebSocket to hand the URL to).
    try {
      for (i = 0, p = win.RufflePlayer.config.socketProxy; ; i++) if (p[i].proxyUrl == url) return new Native(url, protocols);
    } catch (e) {}
    parseUrl(ws, url);
    p = protocols === undefined ? [] : [].concat(protocols);
    for (i = 0; i < p.length; i++) {
      p[i] = String(p[i]);
      // An HTTP token (RFC 7230): letters, digits and !#$%&'*+-.^_`|~ ("#-'" and "^-`" are
      // ranges).
      if (!/^[\w!#-'*+.^-`|~-]+$/.test(p[i]) || seen["$" + p[i]]) {
        throw error("SyntaxError", 12, "Bad subprotocol " + p[i]);
      }
      seen["$" + p[i]] = 1;
    }
    ws.readyState = ws.bufferedAmount = 0;
    ws.extensions = ws.protocol = "";
    ws.binaryType = "blob";
    ws._i = nextId++;
    ws._p = p;
    ws._a = arguments;
    ws._q = [];
    init(1);
    // Until the SWF is ready the socket waits in sockets; ready() creates it.
    if (state > 2) fail(ws, failure);
    else sockets[ws._i] = ws;
    if (state == 2) create(ws);
  }

  var proto = WebSocket.prototype;

  proto.send = function (data) {
    var ws = this, x;
    if (!arguments.length) throw new TypeError("1 argument required");
    if (!ws.readyState) throw error("InvalidStateError", 11, "CONNECTING");
    x = item(data);
    ws.bufferedAmount += x._n;
    // After close() nothing is sent, and bufferedAmount keeps growing (standard).
    if (ws.readyState == 1) {
      ws._q.push(x);
      if (x._b) read(ws, x);
      flush(ws);
    }
  };

  proto.close = function (code, reason) {
    var ws = this, s = ws.readyState;
    if (code !== undefined) {
      // Truncated as Chromium does (999.5 is refused); NaN is 0. Every value the [Clamp]
      // unsigned short would clamp is refused either way.
      code = Math.floor(code) || 0;
      if (code != 1000 && (code < 3000 || code > 4999)) {
        throw error("InvalidAccessError", 15, "Bad code " + code);
      }
    }
    reason = reason === undefined ? "" : String(reason);
    if (utf8Length(reason) > 123) throw error("SyntaxError", 12, "Reason > 123 bytes");
    if (s > 1) return;
    ws.readyState = 2;
    if (s) {
      // A reason needs a code on the wire: 1000, as the standard says.
      ws._q.push({ _n: code || (reason ? 1000 : 0), _d: reason });
      flush(ws);
    } else {
      // Abort: the connection fails (error, close 1006) whatever the SWF had done with it.
      fail(ws, "");
      if (state == 2) swf().wsjsClose(ws._i, 0, ""); // the SWF ignores ids it does not know
    }
  };

  eventTarget(proto, ["open", "message", "error", "close"], report);

  WebSocket.CONNECTING = proto.CONNECTING = 0;
  WebSocket.OPEN = proto.OPEN = 1;
  WebSocket.CLOSING = proto.CLOSING = 2;
  WebSocket.CLOSED = proto.CLOSED = 3;
  WebSocket.__isFlashImplementation = true;
  WebSocket.__initialize = init;
  // __addTask(f) runs f once the SWF is ready (socket.io and engine.io used it).
  WebSocket.__addTask = task;
  // The drop-in build embeds the SWF early, but after the running script: pages written for
  // the original set WEB_SOCKET_SWF_LOCATION after loading this file.
  if (auto) {
    later(function () {
      init(1);
    });
  }
  WebSocket.loadFlashPolicyFile = function (url) {
    task(function () {
      swf().wsjsLoadPolicy(esc(url));
    });
  };
  return WebSocket;
}
