// FlashWebSocket: the WHATWG WebSocket interface implemented on WebSocketMain.swf, speaking
// the bridge contract in flash-src/BRIDGE.md (version 1). ES5 only, and no reserved word
// as a property name: the minified bundle must parse as ES3 (IE 8). Written for size (see
// js/README.md): private fields start with one underscore, which the minified build
// mangles to one letter, so their names cost nothing. A socket's private fields: _id (the
// bridge id), _origin (of its URL, for MessageEvent.origin), _host (its host name),
// _protocols, _args (the constructor's arguments), _queue (sends and the close request
// waiting for the SWF).
import { esc, unesc, utf8Length, b64enc, b64dec } from "./codec.js";
import { Ev, eventTarget } from "./events.js";

export var BRIDGE_VERSION = 1;

// readyState values (also WebSocket.CONNECTING, …).
var CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

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
  // The SWF's state, told as a socket's: undefined until it is embedded, then CONNECTING
  // until "ready", OPEN once ready, CLOSED when it failed (missing, too slow, or another
  // bridge version); "ready" can still come later and reopen it.
  var swfReadyState;
  var failure; // why the SWF failed
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
    delete sockets[ws._id];
    later(function () {
      if (ws.readyState == CLOSED) return; // failed already (say, aborted and refused)
      ws.readyState = CLOSED;
      fire(ws, "error");
      fire(ws, "close", { wasClean: false, code: 1006, reason: reason });
    });
  }

  // failAll fails every socket; the constructor then fails new sockets the same way until
  // a "ready" arrives.
  function failAll(msg) {
    swfReadyState = CLOSED;
    failure = msg;
    log(win, msg);
    for (var id in sockets) fail(sockets[id], msg);
  }

  function task(f) {
    if (swfReadyState == OPEN) f();
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
    if (swfReadyState == OPEN) failAll("WebSocketMain.swf restarted");
    swfReadyState = OPEN;
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
    var events, holding, i;
    polling = 0;
    events = swf().wsjsPoll() || []; // (if this throws, nothing is held)
    holding = held = many && [];
    for (i = 0; i < events.length; i++) {
      try {
        handle(events[i]);
      } catch (e) {
        report(e);
      }
    }
    held = 0;
    for (i = 0; holding && i < holding.length; i++) flush(holding[i]);
  }

  function handle(e) {
    var ws = sockets[e.id], type = e.type, bytes, data;
    if (type == "log") return log(win, unesc(e.message), e.level);
    if (!ws) return; // aborted by close() while connecting
    if (type == "open") {
      ws.readyState = OPEN;
      ws.protocol = unesc(e.protocol);
      ws.extensions = unesc(e.extensions);
      fire(ws, type);
    } else if (type == "message") {
      // A message arriving after close() was called is dropped, as the standard says.
      if (ws.readyState != OPEN) return;
      if (e.kind == "b") {
        // Binary data: ArrayBuffer or Blob per binaryType (ArrayBuffer where there is no
        // Blob). A browser without typed arrays (IE 8/9) cannot hold it: the connection
        // closes with 1003 "unsupported data" (RFC 6455 section 7.4.1). (atob comes with
        // typed arrays: see b64enc.)
        if (!win.Uint8Array) {
          ws.readyState = CLOSING;
          return swf().wsjsClose(ws._id, 1003, "");
        }
        bytes = b64dec(e.data);
        data = ws.binaryType == "arraybuffer" || !win.Blob ? bytes.buffer : new win.Blob([bytes]);
      } else data = unesc(e.data);
      fire(ws, type, { data: data, origin: ws._origin, lastEventId: "", source: null, ports: [] });
    } else {
      ws.readyState = CLOSED;
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
    if (swfReadyState >= CONNECTING || auto && win.WEB_SOCKET_DISABLE_AUTO_INITIALIZATION) return;
    swfReadyState = CONNECTING;
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
      log(win, "SWF on another host: use WebSocketMainInsecure.swf or WEB_SOCKET_SUPPRESS_CROSS_DOMAIN_SWF_ERROR");
    }
    div.style.cssText = "position:absolute;left:-99px";
    doc.body.appendChild(div);
    div.innerHTML = '<object id="webSocketFlash" name="webSocketFlash" width="1" height="1" ' +
      ("ActiveXObject" in win ? 'classid="clsid:D27CDB6E-AE6D-11cf-96B8-444553540000"><param name="movie" value="' + url + '"' :
        'type="application/x-shockwave-flash" data="' + url + '"') +
      '><param name="allowScriptAccess" value="always"><param name="allowNetworking" value="all">' +
      '<param name="flashvars" value="bridge=__wsjsBridge"></object>';
    // (Not cleared on "ready": by then the SWF is no longer loading.)
    win.setTimeout(function () {
      if (swfReadyState == CONNECTING) failAll("WebSocketMain.swf did not start: " + url);
    }, win.WEB_SOCKET_SWF_TIMEOUT || 1e4);
  }

  // create hands a socket to the SWF. A refusal (a bad header, say) is reported as error +
  // close 1006, always later: whether the SWF was ready yet must not change what pages see.
  function create(ws) {
    var loc = win.location, args = ws._args, refusal = swf().wsjsCreate(ws._id, esc(ws.url), esc(ws._protocols.join()),
      esc(/^http/.test(loc.protocol) ? loc.protocol + "//" + loc.host : "null"),
      // Only the cookies the browser itself would send: same host name.
      esc(ws._host == loc.hostname.toLowerCase() && win.document.cookie || ""),
      // Extra headers: "Name: value" lines, any line ending.
      esc((String(args[4] || "").match(/[^\r\n]+/g) || []).join("\r\n")),
      esc(args[2] || ""), args[3] | 0), reason;
    if (refusal) {
      reason = unesc(refusal);
      log(win, ws.url + ": " + reason);
      fail(ws, reason);
    }
  }

  // flush hands queued sends and the close request to the SWF in order, stopping at a Blob
  // still being read; with sendMany, consecutive messages go in one call. Bytes the SWF took
  // leave bufferedAmount. While poll holds sends, flush only notes the socket (noted twice,
  // it is flushed twice: the second time finds nothing).
  function flush(ws) {
    var queue = ws._queue, i, n, x, batch, results;
    if (held) return held.push(ws);
    for (; (x = queue[0]) && !x._blob; queue.splice(0, n)) {
      if (x._kind) {
        // The messages at the front: every consecutive one with sendMany, else the first.
        for (batch = [], n = 0; (x = queue[n]) && x._kind && (many || !n); n++) batch.push(x._kind, x._data);
        results = many ? swf().wsjsSendMany(ws._id, batch) || [] : [swf().wsjsSend(ws._id, batch[0], batch[1])];
        for (i = 0; i < n; i++) if (results[i] >= 0) ws.bufferedAmount -= queue[i]._size;
      } else {
        swf().wsjsClose(ws._id, x._code, esc(x._reason));
        n = 1;
      }
    }
  }

  // item turns send()'s argument into a queue item: _kind "t" (esc'd text) or "b" (b64)
  // with the data in _data and _size its payload size in bytes; or, for a Blob, _blob (see
  // read) and _size. (A close request is an item with _code and _reason instead.)
  function item(data) {
    var AB = win.ArrayBuffer, bytes, text;
    if (win.Blob && data instanceof win.Blob) return { _blob: data, _size: data.size };
    // An ArrayBuffer (no .buffer, no .byteOffset), or a view of one.
    if (AB && (data instanceof AB || data && data.buffer instanceof AB)) {
      bytes = new win.Uint8Array(data.buffer || data, data.byteOffset || 0, data.byteLength);
      return { _kind: "b", _data: b64enc(bytes), _size: bytes.length };
    }
    text = String(data);
    return { _kind: "t", _data: esc(text), _size: utf8Length(text) };
  }

  // read fetches a queued Blob's bytes (FileReader is asynchronous); the sends behind it
  // wait, so the order of send() calls is the order on the wire.
  function read(ws, x) {
    var reader = new win.FileReader();
    reader.onload = reader.onerror = function () {
      if (reader.result) {
        x._kind = "b";
        x._data = b64enc(new win.Uint8Array(reader.result));
      } else {
        log(win, ws.url + ": Blob unreadable");
        ws.bufferedAmount -= x._size;
      }
      x._blob = 0;
      flush(ws);
    };
    reader.readAsArrayBuffer(x._blob);
  }

  // parseUrl applies the constructor's URL rules and sets ws.url, ws._origin and ws._host
  // (host name): resolve against the page (a link element does it as the browser would:
  // trimming, case, default port, percent-encoding), map http(s) to ws(s), throw
  // SyntaxError for other schemes, a fragment, or no or a bad host. (Hosts as loose as
  // Chromium's: "ws://exa mple/" is ws://exa%20mple/ there.)
  function parseUrl(ws, url) {
    var a = win.document.createElement("a"), m, origin;
    a.href = url;
    m = /^(?:ws|http)(s?:\/\/)((?:[^\/?#\s@]*@)?(\[[\da-f:.]+\]|[^\/?#\s:@\[\]]+)(?::\d*)?)([\/?][^#\s]*)?$/i.exec(a.href);
    if (!m) throw error("SyntaxError", 12, url);
    // Mixed content: an https page may not open ws: (browsers throw this SecurityError), so
    // neither the page's data nor its cookies ever travel in clear from it.
    if (m[1] == "://" && win.location.protocol == "https:") throw error("SecurityError", 18, url);
    origin = ws._origin = "ws" + (m[1] + m[2]).toLowerCase();
    ws._host = m[3].toLowerCase();
    ws.url = origin + (m[4] || "/");
  }

  // WebSocket(url, protocols, proxyHost, proxyPort, headers): the standard constructor plus
  // the original web-socket-js's extra arguments (read from ws._args = arguments by create):
  // an HTTP CONNECT proxy, and extra request headers as "Name: value" lines.
  function WebSocket(url, protocols) {
    var ws = this, seen = {}, list, name, i;
    if (!(ws instanceof WebSocket)) throw new TypeError("new WebSocket()");
    if (!arguments.length) throw new TypeError("1 argument required");
    url = String(url);
    // Ruffle opens its socket proxy connections with the page's global WebSocket. Those
    // must stay native, or a Flash socket would ride on the Flash socket it implements.
    // (No Ruffle, no config, or no native WebSocket: an exception, and Flash it is. Where
    // Ruffle runs, arrays have some().)
    try {
      if (win.RufflePlayer.config.socketProxy.some(function (proxy) {
        return proxy.proxyUrl == url;
      })) return new Native(url, protocols);
    } catch (e) {}
    parseUrl(ws, url);
    list = protocols === undefined ? [] : [].concat(protocols);
    for (i = 0; i < list.length; i++) {
      name = list[i] = String(list[i]);
      // An HTTP token (RFC 7230): letters, digits and !#$%&'*+-.^_`|~ ("#-'" and "^-`" are
      // ranges).
      if (!/^[\w!#-'*+.^-`|~-]+$/.test(name) || seen["$" + name]) {
        throw error("SyntaxError", 12, name);
      }
      seen["$" + name] = 1;
    }
    ws.readyState = CONNECTING;
    ws.bufferedAmount = 0;
    ws.extensions = ws.protocol = "";
    ws.binaryType = "blob";
    ws._id = nextId++;
    ws._protocols = list;
    ws._args = arguments;
    ws._queue = [];
    init(1);
    // Until the SWF is ready the socket waits in sockets; ready() creates it.
    if (swfReadyState == CLOSED) fail(ws, failure);
    else sockets[ws._id] = ws;
    if (swfReadyState == OPEN) create(ws);
  }

  var proto = WebSocket.prototype;

  proto.send = function (data) {
    var ws = this, x;
    if (!arguments.length) throw new TypeError("1 argument required");
    if (ws.readyState == CONNECTING) throw error("InvalidStateError", 11, "CONNECTING");
    x = item(data);
    ws.bufferedAmount += x._size;
    // After close() nothing is sent, and bufferedAmount keeps growing (standard).
    if (ws.readyState == OPEN) {
      ws._queue.push(x);
      if (x._blob) read(ws, x);
      flush(ws);
    }
  };

  proto.close = function (code, reason) {
    var ws = this, before = ws.readyState;
    if (code !== undefined) {
      // Truncated as Chromium does (999.5 is refused); NaN is 0. Every value the [Clamp]
      // unsigned short would clamp is refused either way.
      code = Math.floor(code) || 0;
      if (code != 1000 && (code < 3000 || code > 4999)) {
        throw error("InvalidAccessError", 15, code);
      }
    }
    reason = reason === undefined ? "" : String(reason);
    if (utf8Length(reason) > 123) throw error("SyntaxError", 12, "Reason > 123 bytes");
    if (before > OPEN) return; // closing or closed already
    ws.readyState = CLOSING;
    if (before == OPEN) {
      // A reason needs a code on the wire: 1000, as the standard says.
      ws._queue.push({ _code: code || (reason ? 1000 : 0), _reason: reason });
      flush(ws);
    } else {
      // Abort: the connection fails (error, close 1006) whatever the SWF had done with it.
      fail(ws, "");
      if (swfReadyState == OPEN) swf().wsjsClose(ws._id, 0, ""); // the SWF ignores ids it does not know
    }
  };

  eventTarget(proto, ["open", "message", "error", "close"], report);

  WebSocket.CONNECTING = proto.CONNECTING = CONNECTING;
  WebSocket.OPEN = proto.OPEN = OPEN;
  WebSocket.CLOSING = proto.CLOSING = CLOSING;
  WebSocket.CLOSED = proto.CLOSED = CLOSED;
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
