package websocketjs {
import flash.utils.ByteArray;

/**
 * UTF-8 written here because the player's readUTFBytes is lossy (it drops a leading BOM, stops
 * at NUL and falls back to Latin-1 on bad input) and writeUTFBytes' handling of lone
 * surrogates is unspecified.
 */
public final class Utf8 {
	/** UTF-8 of s; each lone surrogate becomes U+FFFD, as a native WebSocket's send does. */
	public static function encode(s:String):ByteArray {
		var out:ByteArray = new ByteArray();
		var len:int = s.length;
		for (var i:int = 0; i < len; i++) {
			var c:int = s.charCodeAt(i);
			if (c < 0x80) {
				out.writeByte(c);
				continue;
			}
			if (c < 0x800) {
				out.writeByte(0xC0 | (c >> 6));
				out.writeByte(0x80 | (c & 63));
				continue;
			}
			if (c >= 0xD800 && c <= 0xDFFF) {
				var lo:int = (i + 1 < len) ? s.charCodeAt(i + 1) : 0;
				if (c <= 0xDBFF && lo >= 0xDC00 && lo <= 0xDFFF) {
					var cp:int = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
					i++;
					out.writeByte(0xF0 | (cp >> 18));
					out.writeByte(0x80 | ((cp >> 12) & 63));
					out.writeByte(0x80 | ((cp >> 6) & 63));
					out.writeByte(0x80 | (cp & 63));
					continue;
				}
				c = 0xFFFD;
			}
			out.writeByte(0xE0 | (c >> 12));
			out.writeByte(0x80 | ((c >> 6) & 63));
			out.writeByte(0x80 | (c & 63));
		}
		out.position = 0;
		return out;
	}

	/**
	 * Decodes bytes[offset, offset+length) strictly (RFC 3629): returns null on an overlong
	 * form, a surrogate, a code point above U+10FFFF, a stray or missing continuation byte, or
	 * a truncated sequence. NUL and BOM are kept as characters.
	 */
	public static function decode(bytes:ByteArray, offset:uint = 0, length:int = -1):String {
		var end:uint = length < 0 ? bytes.length : offset + length;
		var parts:Array = [];
		var units:Array = [];
		var i:uint = offset;
		while (i < end) {
			var b:int = bytes[i];
			var cp:int;
			var need:int;
			var min2:int = 0x80, max2:int = 0xBF; // allowed range of the second byte
			if (b < 0x80) {
				units.push(b);
				i++;
				if (units.length >= 8192) flush(parts, units);
				continue;
			} else if (b >= 0xC2 && b <= 0xDF) {
				need = 1; cp = b & 0x1F;
			} else if (b >= 0xE0 && b <= 0xEF) {
				need = 2; cp = b & 0x0F;
				if (b == 0xE0) min2 = 0xA0; // overlong
				if (b == 0xED) max2 = 0x9F; // surrogates
			} else if (b >= 0xF0 && b <= 0xF4) {
				need = 3; cp = b & 0x07;
				if (b == 0xF0) min2 = 0x90; // overlong
				if (b == 0xF4) max2 = 0x8F; // above U+10FFFF
			} else {
				return null; // continuation byte, C0/C1 overlong lead, F5..FF
			}
			if (i + need >= end) return null; // truncated
			for (var k:int = 1; k <= need; k++) {
				var cb:int = bytes[i + k];
				if (k == 1 ? (cb < min2 || cb > max2) : (cb < 0x80 || cb > 0xBF)) return null;
				cp = (cp << 6) | (cb & 0x3F);
			}
			i += need + 1;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				units.push(0xD800 | (cp >> 10), 0xDC00 | (cp & 0x3FF));
			} else {
				units.push(cp);
			}
			if (units.length >= 8192) flush(parts, units);
		}
		flush(parts, units);
		return parts.join("");
	}

	private static function flush(parts:Array, units:Array):void {
		if (units.length) parts.push(String.fromCharCode.apply(null, units));
		units.length = 0;
	}
}
}
