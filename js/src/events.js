// The EventTarget half of the WebSocket interface, for a plain object (IE 8 has no
// EventTarget to inherit from). ES5 only. A listener is identified by (type, listener):
// with no propagation on a socket, the capture flag changes nothing but identity, which
// is ignored here.

// plain: set when Object.defineProperty failed on a prototype (IE 8 has it for DOM objects
// only). With accessors, on<type> handlers take the listener-list position of their first
// assignment, as the DOM specifies; without, they are plain properties, called before the
// other listeners.
var plain;

// Ev is the event object the shim dispatches: Event plus the MessageEvent / CloseEvent
// fields given in props.
export function Ev(type, props) {
  this.type = type;
  this.timeStamp = +new Date();
  for (var k in props) this[k] = props[k];
}
function nothing() {}
Ev.prototype = {
  bubbles: false,
  cancelable: false,
  defaultPrevented: false,
  eventPhase: 2,
  preventDefault: nothing,
  stopPropagation: nothing,
  stopImmediatePropagation: function () {
    this._stop = 1;
  }
};

// list returns the (type) listener entries of o: {_fn, _once}; a removed entry gets _gone = 1
// so that a dispatch in progress skips it.
function list(o, type) {
  var key = "_l" + type;
  return o[key] || (o[key] = []);
}

// eventTarget installs addEventListener, removeEventListener, dispatchEvent and the
// on<type> handlers on proto. report(e) receives what a listener threw; dispatch goes on.
export function eventTarget(proto, types, report) {
  proto.addEventListener = function (type, fn, opt) {
    for (var l = list(this, type), i = 0; i < l.length; i++) if (l[i]._fn === fn) return;
    if (fn) l.push({ _fn: fn, _once: opt && opt.once });
  };
  proto.removeEventListener = function (type, fn) {
    for (var l = list(this, type), i = 0; i < l.length; i++) if (l[i]._fn === fn) l.splice(i, 1)[0]._gone = 1;
  };
  proto.dispatchEvent = function (ev) {
    var type = ev.type, l = list(this, type).slice(), h = this["on" + type], i, x, f;
    try {
      ev.target = ev.currentTarget = this;
    } catch (e) {} // a native Event's target is read-only
    if (plain && typeof h == "function") l.unshift({ _fn: h });
    for (i = 0; i < l.length && !ev._stop; i++) {
      x = l[i];
      if (x._gone) continue;
      if (x._once) this.removeEventListener(type, x._fn);
      f = x._fn;
      try {
        if (typeof f == "function") f.call(this, ev);
        else f.handleEvent(ev);
      } catch (e) {
        report(e);
      }
    }
    return !ev.defaultPrevented;
  };
  for (var i = 0; i < types.length; i++) {
    try {
      handler(proto, types[i]);
    } catch (e) {
      proto["on" + types[i]] = null;
      plain = 1;
    }
  }
}

// handler defines on<type>: a function value occupies one listener entry, kept in place
// while the value changes and removed when it is set to anything else. The listener is
// one function per type (lists are per target) that calls the value kept in
// this["_" + type]; addEventListener ignoring duplicates keeps its place.
function handler(proto, type) {
  var key = "_" + type;
  function call(ev) {
    this[key].call(this, ev);
  }
  Object.defineProperty(proto, "on" + type, {
    get: function () {
      return this[key] || null;
    },
    set: function (v) {
      this[key] = typeof v == "function" ? v : null;
      this[this[key] ? "addEventListener" : "removeEventListener"](type, call);
    }
  });
}
