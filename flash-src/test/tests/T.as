package tests {
import flash.utils.ByteArray;

/** Minimal assertions: failures are collected as readable lines, the run never stops early. */
public final class T {
	public static var passed:int = 0;
	public static var failures:Array = [];
	public static var suite:String = "";

	public static function ok(name:String, cond:Boolean, detail:String = ""):void {
		if (cond) {
			passed++;
		} else {
			failures.push(suite + ": " + name + (detail ? " — " + detail : ""));
		}
	}

	public static function eq(name:String, got:*, want:*):void {
		ok(name, got === want, "got " + show(got) + ", want " + show(want));
	}

	/** Printable form: strings quoted with non-ASCII and controls as \\uXXXX. */
	public static function show(v:*):String {
		if (v is String) {
			var s:String = v;
			var out:String = "";
			for (var i:int = 0; i < s.length && i < 200; i++) {
				var c:int = s.charCodeAt(i);
				out += (c >= 0x20 && c < 0x7F) ? s.charAt(i) : "\\u" + (0x10000 + c).toString(16).substring(1);
			}
			return '"' + out + (s.length > 200 ? "..." : "") + '"';
		}
		if (v is ByteArray) return "bytes[" + hex(v) + "]";
		return String(v);
	}

	/** Bytes from a hex string ("81 05 48" or "810548"). */
	public static function bytes(h:String):ByteArray {
		h = h.replace(/\s+/g, "");
		var b:ByteArray = new ByteArray();
		for (var i:int = 0; i < h.length; i += 2) b.writeByte(parseInt(h.substr(i, 2), 16));
		b.position = 0;
		return b;
	}

	public static function hex(b:ByteArray):String {
		var out:Array = [];
		for (var i:uint = 0; i < b.length && i < 64; i++) out.push((0x100 + b[i]).toString(16).substring(1));
		return out.join("") + (b.length > 64 ? "...(" + b.length + " bytes)" : "");
	}

	public static function ascii(s:String):ByteArray {
		var b:ByteArray = new ByteArray();
		b.writeUTFBytes(s);
		b.position = 0;
		return b;
	}

	/** Runs fn, recording an uncaught error as a failure of the named case. */
	public static function run(name:String, fn:Function):void {
		try {
			fn();
		} catch (e:Error) {
			failures.push(suite + ": " + name + " threw " + String(e));
		}
	}
}
}
