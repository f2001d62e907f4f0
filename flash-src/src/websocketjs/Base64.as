package websocketjs {
import flash.utils.ByteArray;

/** Standard Base64 (RFC 4648 section 4): '=' padding, no line breaks. */
public final class Base64 {
	private static const ALPHABET:String = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	private static var codes:Array;
	private static var values:Array;

	private static function init():void {
		codes = [];
		values = [];
		for (var i:int = 0; i < 128; i++) values[i] = -1;
		for (i = 0; i < 64; i++) {
			codes[i] = ALPHABET.charCodeAt(i);
			values[codes[i]] = i;
		}
	}

	/** Encodes bytes[offset, offset+length) (length < 0: to the end). */
	public static function encode(bytes:ByteArray, offset:uint = 0, length:int = -1):String {
		if (!codes) init();
		var end:uint = length < 0 ? bytes.length : offset + length;
		var parts:Array = [];
		var out:Array = [];
		var i:uint = offset;
		var n:uint;
		while (i + 2 < end) {
			n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
			out.push(codes[n >>> 18], codes[(n >>> 12) & 63], codes[(n >>> 6) & 63], codes[n & 63]);
			i += 3;
			// String.fromCharCode.apply takes its arguments on the stack: flush in bounded chunks.
			if (out.length >= 8192) {
				parts.push(String.fromCharCode.apply(null, out));
				out = [];
			}
		}
		if (end - i == 2) {
			n = (bytes[i] << 16) | (bytes[i + 1] << 8);
			out.push(codes[n >>> 18], codes[(n >>> 12) & 63], codes[(n >>> 6) & 63], 61);
		} else if (end - i == 1) {
			n = bytes[i] << 16;
			out.push(codes[n >>> 18], codes[(n >>> 12) & 63], 61, 61);
		}
		if (out.length) parts.push(String.fromCharCode.apply(null, out));
		return parts.join("");
	}

	/**
	 * Decodes canonical Base64; returns null for anything else (bad length, characters outside the
	 * alphabet, misplaced padding, non-zero bits after the last byte).
	 */
	public static function decode(s:String):ByteArray {
		if (!codes) init();
		var len:int = s.length;
		if (len % 4 != 0) return null;
		var pad:int = 0;
		if (len > 0 && s.charCodeAt(len - 1) == 61) pad = (s.charCodeAt(len - 2) == 61) ? 2 : 1;
		var out:ByteArray = new ByteArray();
		var full:int = len - (pad ? 4 : 0);
		var i:int;
		var n:int;
		for (i = 0; i < full; i += 4) {
			n = quad(s, i, 4);
			if (n < 0) return null;
			out.writeByte(n >>> 16);
			out.writeByte(n >>> 8);
			out.writeByte(n);
		}
		if (pad) {
			n = quad(s, full, 4 - pad);
			if (n < 0) return null;
			if (pad == 2) {
				if (n & 0xFFFF) return null;
				out.writeByte(n >>> 16);
			} else {
				if (n & 0xFF) return null;
				out.writeByte(n >>> 16);
				out.writeByte(n >>> 8);
			}
		}
		out.position = 0;
		return out;
	}

	/** The 24-bit value of count alphabet characters at s[i] (missing ones as zero), or -1. */
	private static function quad(s:String, i:int, count:int):int {
		var n:int = 0;
		for (var k:int = 0; k < 4; k++) {
			var v:int = 0;
			if (k < count) {
				var c:int = s.charCodeAt(i + k);
				v = c < 128 ? values[c] : -1;
				if (v < 0) return -1;
			}
			n = (n << 6) | v;
		}
		return n;
	}
}
}
