package websocketjs {
import flash.utils.ByteArray;

/**
 * The "esc" and "b64" encodings of flash-src/BRIDGE.md: every string that crosses
 * ExternalInterface is printable ASCII without the characters Flash Player's XML/script
 * serialisation mangles.
 */
public final class BridgeCodec {
	private static const HEX:String = "0123456789ABCDEF";
	private static const NEEDS_ESCAPE:RegExp = /[^\x20-\x7E]|[%\\"'<>&]/;

	/** Encodes every UTF-16 code unit of s per BRIDGE.md (lone surrogates included). */
	public static function esc(s:String):String {
		if (s == null) return "";
		if (!NEEDS_ESCAPE.test(s)) return s;
		var out:Array = [];
		var len:int = s.length;
		var start:int = 0; // start of the pending run of characters kept as they are
		for (var i:int = 0; i < len; i++) {
			var c:int = s.charCodeAt(i);
			if (c >= 0x20 && c <= 0x7E && c != 37 && c != 92 && c != 34 && c != 39 && c != 60 && c != 62 && c != 38) continue;
			if (i > start) out.push(s.substring(start, i));
			start = i + 1;
			if (c < 0x100) {
				out.push("%" + HEX.charAt(c >> 4) + HEX.charAt(c & 15));
			} else {
				out.push("%u" + HEX.charAt(c >> 12) + HEX.charAt((c >> 8) & 15) + HEX.charAt((c >> 4) & 15) + HEX.charAt(c & 15));
			}
		}
		if (len > start) out.push(s.substring(start));
		return out.join("");
	}

	/**
	 * Reverses esc exactly; returns null when a '%' does not start a canonical form
	 * (%XX, or %uXXXX for code units from 0x100, upper-case hex digits).
	 */
	public static function unesc(s:String):String {
		if (s == null) return null;
		var first:int = s.indexOf("%");
		if (first < 0) return s;
		var out:Array = [];
		var start:int = 0;
		var len:int = s.length;
		var i:int = first;
		while (i < len) {
			if (s.charCodeAt(i) != 37) {
				i++;
				continue;
			}
			if (i > start) out.push(s.substring(start, i));
			var v:int;
			if (s.charAt(i + 1) == "u") {
				v = hex(s, i + 2, 4);
				if (v < 0x100) return null;
				i += 6;
			} else {
				v = hex(s, i + 1, 2);
				if (v < 0) return null;
				i += 3;
			}
			out.push(String.fromCharCode(v));
			start = i;
		}
		if (len > start) out.push(s.substring(start));
		return out.join("");
	}

	/** Value of n upper-case hex digits at s[at], or -1. */
	private static function hex(s:String, at:int, n:int):int {
		if (at + n > s.length) return -1;
		var v:int = 0;
		for (var k:int = 0; k < n; k++) {
			var d:int = HEX.indexOf(s.charAt(at + k));
			if (d < 0) return -1;
			v = (v << 4) | d;
		}
		return v;
	}

	/** Payload bytes as b64. */
	public static function b64(bytes:ByteArray):String {
		return Base64.encode(bytes);
	}

	/** b64 back to bytes, or null when not canonical Base64. */
	public static function unb64(s:String):ByteArray {
		return s == null ? null : Base64.decode(s);
	}
}
}
