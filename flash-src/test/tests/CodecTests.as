package tests {
import flash.utils.ByteArray;

import websocketjs.Base64;
import websocketjs.BridgeCodec;
import websocketjs.SHA1;
import websocketjs.Utf8;

/** SHA-1 (FIPS 180 vectors), Base64 (RFC 4648 section 10), UTF-8, bridge esc/b64. */
public final class CodecTests {
	public static function run():void {
		T.suite = "SHA1";
		T.eq("abc", T.hex(SHA1.hash(T.ascii("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
		T.eq("empty", T.hex(SHA1.hash(new ByteArray())), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
		T.eq("448-bit", T.hex(SHA1.hash(T.ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
			"84983e441c3bd26ebaae4aa1f95129e5e54670f1");
		T.eq("896-bit", T.hex(SHA1.hash(T.ascii("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))),
			"a49b2446a02c645bf419f995b67091253a04a259");
		var million:ByteArray = new ByteArray();
		for (var i:int = 0; i < 1000000; i++) million.writeByte(0x61);
		T.eq("million a", T.hex(SHA1.hash(million)), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
		// Lengths around the 55/56/64-byte padding boundaries must not crash or collide.
		var seen:Object = {};
		for (var n:int = 54; n <= 66; n++) {
			var b:ByteArray = new ByteArray();
			for (var k:int = 0; k < n; k++) b.writeByte(0x61);
			var d:String = T.hex(SHA1.hash(b));
			T.ok("distinct digest at length " + n, d.length == 40 && !seen[d]);
			seen[d] = true;
		}

		T.suite = "Base64";
		var vectors:Array = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
		for each (var v:Array in vectors) {
			T.eq("encode " + v[0], Base64.encode(T.ascii(v[0])), v[1]);
			var dec:ByteArray = Base64.decode(v[1]);
			T.eq("decode " + v[1], dec ? T.hex(dec) : null, T.hex(T.ascii(v[0])));
		}
		for each (var bad:String in ["Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm9v!A==", "=Zm9", "Zm=v", "Zm9v\n", "Zm9 v", "Zg==Zg=="]) {
			T.eq("decode rejects " + T.show(bad), Base64.decode(bad), null);
		}
		var all:ByteArray = new ByteArray();
		for (i = 0; i < 256; i++) all.writeByte(i);
		T.eq("all byte values round trip", T.hex(Base64.decode(Base64.encode(all))), T.hex(all));

		T.suite = "UTF-8";
		var valid:Array = [["", ""], ["61 62 63", "abc"], ["00", "\u0000"], ["c3 a9", "\u00e9"], ["e2 82 ac", "\u20ac"],
			["ef bb bf 41", "\ufeffA"], ["ef bf bf", "\uffff"], ["f0 90 8d 88", "\ud800\udf48"], ["f4 8f bf bf", "\udbff\udfff"],
			["c2 80", "\u0080"], ["df bf", "\u07ff"], ["e0 a0 80", "\u0800"], ["ed 9f bf", "\ud7ff"], ["ee 80 80", "\ue000"], ["f0 90 80 80", "\ud800\udc00"]];
		for each (v in valid) T.eq("decodes " + v[0], Utf8.decode(T.bytes(v[0])), v[1]);
		var invalid:Array = ["80", "bf", "c0 80", "c1 bf", "e0 80 80", "e0 9f bf", "f0 80 80 80", "f0 8f bf bf", "ed a0 80", "ed bf bf",
			"f4 90 80 80", "f5 80 80 80", "f8 88 80 80 80", "fe", "ff", "c3", "e2 82", "f0 90 8d", "c3 41", "e2 28 a1", "61 c3"];
		for each (var hx:String in invalid) T.eq("rejects " + hx, Utf8.decode(T.bytes(hx)), null);
		T.eq("decode of a slice", Utf8.decode(T.bytes("ff 61 62 ff"), 1, 2), "ab");
		T.eq("encodes euro", T.hex(Utf8.encode("\u20ac")), "e282ac");
		T.eq("encodes pair", T.hex(Utf8.encode("\ud83d\ude00")), "f09f9880");
		// The compiler stores string literals as UTF-8, so lone surrogates are built at run time.
		var hi:String = String.fromCharCode(0xD83D), lo:String = String.fromCharCode(0xDE00);
		T.eq("lone high surrogate -> U+FFFD", T.hex(Utf8.encode("a" + hi + "b")), "61efbfbd62");
		T.eq("lone low surrogate -> U+FFFD", T.hex(Utf8.encode(lo)), "efbfbd");
		T.eq("reversed pair -> two U+FFFD", T.hex(Utf8.encode(lo + hi)), "efbfbdefbfbd");
		T.eq("trailing high surrogate", T.hex(Utf8.encode("x" + hi)), "78efbfbd");
		T.eq("pair built at run time", T.hex(Utf8.encode(hi + lo)), "f09f9880");
		T.eq("NUL kept", T.hex(Utf8.encode("\u0000")), "00");
		var big:Array = [];
		for (i = 0; i < 20000; i++) big.push("h\u00e9\u20ac\ud83d\ude00");
		var bigText:String = big.join("");
		T.eq("long text round trip", Utf8.decode(Utf8.encode(bigText)), bigText);

		T.suite = "Bridge";
		var hostile:Array = ["", "plain ASCII text", "\\", "\\\\\"\"''", "\"'<>&%", "%25%u0041%", "\u0000", "a\u0000b\u0000",
			"\u2028\u2029", "\ud83d\ude00 emoji", hi, lo + "x", "x" + hi + hi, lo + hi, "\r\n\t\u0001\u001f\u007f",
			"\u0080\u00ff\u0100\uffff\ufffe\ufeff", "</script><script>alert(1)</script>", "]]><![CDATA[", "&amp;&lt;", "$1 $& $'"];
		for each (var s:String in hostile) {
			var e:String = BridgeCodec.esc(s);
			T.ok("esc output is safe ASCII for " + T.show(s), /^[\x20-\x7E]*$/.test(e) && !/["'<>&\\]/.test(e), T.show(e));
			T.eq("round trip " + T.show(s), BridgeCodec.unesc(e), s);
		}
		T.eq("esc percent", BridgeCodec.esc("a%b"), "a%25b");
		T.eq("esc latin-1", BridgeCodec.esc("\u00e9"), "%E9");
		T.eq("esc U+2028", BridgeCodec.esc("\u2028"), "%u2028");
		T.eq("esc NUL", BridgeCodec.esc("\u0000"), "%00");
		T.eq("esc lone surrogate", BridgeCodec.esc(String.fromCharCode(0xD800)), "%uD800");
		T.eq("unesc lone surrogate", BridgeCodec.unesc("%uDE00"), lo);
		T.eq("esc is identity on plain text", BridgeCodec.esc("Hello, world!"), "Hello, world!");
		for each (bad in ["%", "%4", "%zz", "%4a", "%u00E9", "%u12", "%uGGGG", "%u", "ab%"]) {
			T.eq("unesc rejects " + T.show(bad), BridgeCodec.unesc(bad), null);
		}
		T.eq("b64 round trip", T.hex(BridgeCodec.unb64(BridgeCodec.b64(all))), T.hex(all));
		T.eq("unb64 rejects junk", BridgeCodec.unb64("%%%%"), null);
	}
}
}
