// Encodings shared with WebSocketMain.swf (flash-src/BRIDGE.md): "esc" for every free-form
// string, Base64 for binary payloads, and the UTF-8 length the wire will carry.
// ES5 only: the minified bundle must parse as ES3 (IE 8). Written for size.

var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// esc: printable ASCII except % \ " ' < > & passes; the rest becomes %XX or %uXXXX, which
// is exactly what escape() does to each of those characters.
export function esc(s) {
  return String(s).replace(/[^ !#$(-;=?-[\]-~]/g, escape);
}

// unesc reverses esc and throws on anything esc cannot have produced, so a corrupted
// bridge value is reported instead of silently delivered. unescape() decodes exactly the
// %XX and %uXXXX forms.
export function unesc(s) {
  s = String(s);
  if (/%(?!u[\dA-F]{4}|[\dA-F]{2})|[^ -~]|["'<>&\\]/.test(s)) throw Error("bad bridge string " + s);
  return unescape(s);
}

// utf8Length counts the bytes of s as UTF-8, each lone surrogate as U+FFFD (3 bytes),
// exactly what the SWF (and a native send) puts on the wire.
export function utf8Length(s) {
  for (var n = 0, i = 0, c; i < s.length; i++) {
    c = s.charCodeAt(i);
    n += c < 128 ? 1 : c < 2048 ? 2 : 3;
    if ((c & 64512) == 55296 && (s.charCodeAt(i + 1) & 64512) == 56320) {
      i++;
      n++;
    }
  }
  return n;
}

// b64enc encodes an array-like of bytes (Uint8Array or Array). Reading past the end gives
// undefined, which the shifts treat as 0; the padding replaces the characters it made.
export function b64enc(u) {
  for (var s = "", i = 0, x; i < u.length; ) {
    x = u[i++] << 16 | u[i++] << 8 | u[i++];
    s += B64.charAt(x >> 18 & 63) + B64.charAt(x >> 12 & 63) + B64.charAt(x >> 6 & 63) + B64.charAt(x & 63);
  }
  i -= u.length;
  return s.slice(0, s.length - i) + "==".slice(2 - i);
}

// b64dec decodes into a Uint8Array, or a plain Array of byte values where typed arrays do
// not exist (IE 8/9). It stops at the padding (or any other non-Base64 character).
export function b64dec(s) {
  for (var out = [], x = 0, bits = 0, i = 0, c; (c = B64.indexOf(s.charAt(i++))) >= 0 && i <= s.length; ) {
    x = x << 6 | c;
    bits += 6;
    if (bits > 7) out.push(x >> (bits -= 8) & 255);
  }
  return typeof Uint8Array != "undefined" ? new Uint8Array(out) : out;
}
