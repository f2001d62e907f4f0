// Encodings shared with WebSocketMain.swf (flash-src/BRIDGE.md): "esc" for every free-form
// string, Base64 for binary payloads, and the UTF-8 length the wire will carry.
// ES5 only: the minified bundle must parse as ES3 (IE 8). Written for size.

// esc: printable ASCII except % \ " ' < > & passes; the rest becomes %XX or %uXXXX, which
// is exactly what escape() does to each of those characters.
export function esc(s) {
  return String(s).replace(/[^ !#$(-;=?-[\]-~]/g, escape);
}

// unesc reverses esc and throws on anything esc cannot have produced (a character esc
// escapes, or a % not starting %XX or %uXXXX), so a corrupted bridge value is reported
// instead of silently delivered. unescape() decodes exactly the
// %XX and %uXXXX forms.
export function unesc(s) {
  s = String(s);
  if (/%(?!u[\dA-F]{4}|[\dA-F]{2})|[^ !#$%(-;=?-[\]-~]/.test(s)) throw Error("bad bridge string " + s.slice(0, 40));
  return unescape(s);
}

// utf8Length counts the bytes of s as UTF-8, each lone surrogate as U+FFFD (3 bytes),
// exactly what the SWF (and a native send) puts on the wire: one byte per code unit, one
// more per unit from U+0080, and one more again per unit from U+0800 that is not half of
// a surrogate pair (a pair is 4 bytes). Runs are matched whole, so ASCII text is quick.
export function utf8Length(s) {
  return s.length + s.replace(/[\x00-\x7f]+/g, "").length + s.replace(/[\x00-\u07ff]+|[\ud800-\udbff][\udc00-\udfff]/g, "").length;
}

// b64enc encodes a Uint8Array. (btoa and typed arrays exist wherever binary data does.)
export function b64enc(u) {
  for (var s = "", i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);
  return btoa(s);
}

// b64dec decodes into a Uint8Array; atob throws on malformed input.
export function b64dec(s) {
  var bin = atob(s);
  for (var u = new Uint8Array(bin.length), i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
  return u;
}
