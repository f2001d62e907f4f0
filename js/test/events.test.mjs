import { test } from "node:test";
import assert from "node:assert/strict";
import { Ev, eventTarget } from "../src/events.js";

function makeTarget(mod = { Ev, eventTarget }) {
  const reported = [];
  function T() {}
  mod.eventTarget(T.prototype, ["open", "message"], (e) => reported.push(e));
  const t = new T();
  t.fire = (type, props) => t.dispatchEvent(new mod.Ev(type, props));
  return { t, reported };
}

test("listeners run in registration order; on<type> takes the place of its first assignment", () => {
  const { t } = makeTarget();
  const order = [];
  t.addEventListener("open", () => order.push("a"));
  t.onopen = () => order.push("handler1");
  t.addEventListener("open", () => order.push("b"));
  t.onopen = () => order.push("handler2"); // replacing keeps the position
  t.fire("open");
  assert.deepEqual(order, ["a", "handler2", "b"]);
  assert.equal(typeof t.onopen, "function");

  order.length = 0;
  t.onopen = null; // removes it; a new assignment goes to the end
  assert.equal(t.onopen, null);
  t.fire("open");
  assert.deepEqual(order, ["a", "b"]);
  t.onopen = () => order.push("handler3");
  order.length = 0;
  t.fire("open");
  assert.deepEqual(order, ["a", "b", "handler3"]);
});

test("on<type> is its own entry: the same function as handler and listener runs twice; two targets keep their own", () => {
  const { t } = makeTarget();
  const other = makeTarget().t;
  let n = 0;
  const f = () => n++;
  t.onopen = f;
  t.addEventListener("open", f);
  other.onopen = () => (n += 100);
  t.fire("open");
  assert.equal(n, 2);
  t.removeEventListener("open", f);
  t.fire("open");
  assert.equal(n, 3, "removing the listener leaves the handler");
  assert.equal(t.onopen, f);
  assert.equal(other.onmessage, null);
});

test("on<type> ignores non-functions and defaults to null", () => {
  const { t } = makeTarget();
  assert.equal(t.onmessage, null);
  t.onmessage = "alert(1)";
  assert.equal(t.onmessage, null);
  let n = 0;
  t.onmessage = () => n++;
  t.onmessage = 42; // a non-function clears the handler
  t.fire("message");
  assert.equal(n, 0);
});

test("a throwing listener is reported and does not stop the others", () => {
  const { t, reported } = makeTarget();
  const order = [];
  const boom = new Error("boom");
  t.addEventListener("message", () => {
    order.push(1);
    throw boom;
  });
  t.onmessage = () => {
    order.push(2);
    throw new Error("second");
  };
  t.addEventListener("message", () => order.push(3));
  assert.equal(t.fire("message", { data: "x" }), true);
  assert.deepEqual(order, [1, 2, 3]);
  assert.equal(reported.length, 2);
  assert.equal(reported[0], boom);
});

test("duplicates are ignored; removal works, also in the middle of a dispatch", () => {
  const { t } = makeTarget();
  const order = [];
  const a = () => order.push("a");
  const b = () => order.push("b");
  t.addEventListener("open", a);
  t.addEventListener("open", a);
  t.addEventListener("open", () => {
    order.push("remover");
    t.removeEventListener("open", b);
    t.addEventListener("open", () => order.push("late")); // added during dispatch: not called now
  });
  t.addEventListener("open", b);
  t.fire("open");
  assert.deepEqual(order, ["a", "remover"]);
  t.removeEventListener("open", a);
  t.removeEventListener("open", () => {}); // unknown: no-op
  t.addEventListener("open", null); // ignored
  order.length = 0;
  t.fire("open");
  assert.deepEqual(order, ["remover", "late"]);
});

test("handleEvent objects, once, and stopImmediatePropagation", () => {
  const { t } = makeTarget();
  const seen = [];
  const obj = {
    handleEvent(ev) {
      seen.push(["obj", ev.type, this === obj]);
    },
  };
  t.addEventListener("open", obj);
  t.addEventListener("open", () => seen.push(["once"]), { once: true });
  t.addEventListener("open", (ev) => {
    seen.push(["stopper"]);
    ev.stopImmediatePropagation();
  });
  t.addEventListener("open", () => seen.push(["never"]));
  t.fire("open");
  t.fire("open");
  assert.deepEqual(seen, [["obj", "open", true], ["once"], ["stopper"], ["obj", "open", true], ["stopper"]]);
});

test("events carry type, target, currentTarget and the given fields; this is the target", () => {
  const { t } = makeTarget();
  let got, self;
  t.addEventListener("message", function (ev) {
    got = ev;
    self = this;
  });
  t.fire("message", { data: "hi", origin: "ws://h" });
  assert.equal(got.type, "message");
  assert.equal(got.target, t);
  assert.equal(got.currentTarget, t);
  assert.equal(self, t);
  assert.equal(got.data, "hi");
  assert.equal(got.origin, "ws://h");
  assert.equal(got.bubbles, false);
  assert.equal(got.cancelable, false);
  assert.equal(typeof got.timeStamp, "number");
  got.preventDefault();
  got.stopPropagation();
  assert.equal(got.defaultPrevented, false);
});

test("dispatchEvent accepts a native Event (read-only target)", () => {
  const { t } = makeTarget();
  let got;
  t.addEventListener("custom", (ev) => (got = ev));
  const ev = new Event("custom");
  assert.equal(t.dispatchEvent(ev), true);
  assert.equal(got, ev);
});

test("without property accessors (IE 8), on<type> is a plain property called first", async () => {
  // IE 8: defineProperty exists but throws for anything but a DOM object.
  const define = Object.defineProperty;
  const mod = await import("../src/events.js?noaccessors");
  let made;
  Object.defineProperty = () => {
    throw new TypeError("IE 8");
  };
  try {
    made = makeTarget(mod);
  } finally {
    Object.defineProperty = define;
  }
  const { t, reported } = made;
  assert.equal(t.onopen, null);
  assert.ok(Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(t), "onopen"));
  assert.equal(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(t), "onopen").get, undefined);
  const order = [];
  t.addEventListener("open", () => order.push("listener"));
  t.onopen = () => {
    order.push("handler");
    throw new Error("x");
  };
  t.fire("open");
  assert.deepEqual(order, ["handler", "listener"]);
  assert.equal(reported.length, 1);
});
