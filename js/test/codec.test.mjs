import { test } from "node:test";
import assert from "node:assert/strict";
import { esc, unesc, utf8Length, b64enc, b64dec } from "../src/codec.js";
import { contractEsc, contractUnesc } from "../testutil/fake.mjs";

test("esc matches the contract for every UTF-16 code unit", () => {
  for (let c = 0; c < 0x10000; c++) {
    const s = String.fromCharCode(c);
    assert.equal(esc(s), contractEsc(s), "code unit " + c);
    assert.equal(unesc(esc(s)), s, "round trip of code unit " + c);
  }
});

test("esc output is printable ASCII without the characters ExternalInterface mangles", () => {
  const hostile = "\u0000\\\"'<>&%\u2028\u2029\ud800\udfff\ud83d\ude00 \t\r\n]]>";
  const e = esc(hostile);
  assert.match(e, /^[ !#$%(-;=?-[\]-~]*$/);
  assert.equal(unesc(e), hostile);
  assert.equal(contractUnesc(e), hostile);
});

test("esc is the identity on plain ASCII text", () => {
  const plain = "Hello, world! (1+2=3) [ok] {x: y}; ~/path?q=1#f";
  assert.equal(esc(plain), plain);
});

test("unesc decodes contract output and rejects what esc never produces", () => {
  assert.equal(unesc("a%25b%u20ACc%0D%0A"), "a%b\u20acc\r\n");
  for (const bad of ["%", "%4", "%G1", "%u12", "%u12G4", "a\"b", "<", "&", "'", "\\", "\u00e9", "\n", "%4a"]) {
    assert.throws(() => unesc(bad), /bad bridge string/, JSON.stringify(bad));
  }
  // Every code unit as a raw character: accepted exactly when esc would leave it as is.
  for (let c = 0; c < 0x10000; c++) {
    const ch = String.fromCharCode(c);
    if (ch === "%") continue;
    if (contractEsc(ch) === ch) assert.equal(unesc("x" + ch), "x" + ch, "code unit " + c);
    else assert.throws(() => unesc("x" + ch), /bad bridge string/, "code unit " + c);
  }
});

test("utf8Length counts UTF-8 bytes, lone surrogates as U+FFFD", () => {
  for (const s of ["", "abc", "\u00e9", "\u20ac", "\ud83d\ude00", "a\u0000b", "x".repeat(200) + "\u4e2d"]) {
    assert.equal(utf8Length(s), Buffer.byteLength(s, "utf8"), JSON.stringify(s));
  }
  assert.equal(utf8Length("\ud800"), 3);
  assert.equal(utf8Length("\udc00\ud800"), 6);
  assert.equal(utf8Length("a\ud800b"), 5);
  assert.equal(utf8Length("\ud83d\ude00\ud83d"), 7);
  // Random strings over the boundaries (7F/80, 7FF/800, surrogates) against Node's encoder,
  // which also writes each lone surrogate as U+FFFD.
  const units = [0x00, 0x41, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x4e2d, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xffff];
  let seed = 1;
  for (let n = 0; n < 2000; n++) {
    let s = "";
    for (let len = n % 9; len > 0; len--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      s += String.fromCharCode(units[seed % units.length]);
    }
    assert.equal(utf8Length(s), Buffer.byteLength(s, "utf8"), JSON.stringify(s));
  }
});

test("b64enc/b64dec agree with Node's Base64 for every length up to 300; bad Base64 throws", () => {
  assert.throws(() => b64dec("a"));
  assert.throws(() => b64dec("@@@@"));
  for (let n = 0; n <= 300; n++) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = (i * 151 + n * 7) & 255;
    const want = Buffer.from(bytes).toString("base64");
    assert.equal(b64enc(bytes), want, "encode length " + n);
    const got = b64dec(want);
    assert.ok(got instanceof Uint8Array);
    assert.deepEqual(Array.from(got), Array.from(bytes), "decode length " + n);
  }
});
