package tests {
import flash.utils.ByteArray;

import websocketjs.FrameCodec;

/** RFC 6455 section 5.7 examples and every receive rule of FrameCodec. */
public final class FrameTests {
	private static const MASK:String = "37fa213d";

	public static function run():void {
		T.suite = "FrameCodec.encode";
		T.eq("masked Hello (5.7)", T.hex(FrameCodec.encode(FrameCodec.TEXT, T.ascii("Hello"), T.bytes(MASK))), "818537fa213d7f9f4d5158");
		T.eq("masked Pong Hello (5.7)", T.hex(FrameCodec.encode(FrameCodec.PONG, T.ascii("Hello"), T.bytes(MASK))), "8a8537fa213d7f9f4d5158");
		T.eq("empty close", T.hex(FrameCodec.encode(FrameCodec.CLOSE, null, T.bytes(MASK))), "888037fa213d");
		checkLength(125, "82fd");
		checkLength(126, "82fe007e");
		checkLength(65535, "82feffff");
		checkLength(65536, "82ff0000000000010000");
		T.eq("close payload", T.hex(FrameCodec.closePayload(1000, "bye")), "03e8627965");
		T.eq("close payload without code", FrameCodec.closePayload(0, "ignored").length, 0);

		T.suite = "FrameCodec.decode";
		expect("unmasked Hello (5.7)", "810548656c6c6f", ["text:Hello"]);
		expect("fragmented Hel+lo (5.7)", "010348656c" + "80026c6f", ["text:Hello"]);
		expect("ping Hello (5.7)", "890548656c6c6f", ["ping:48656c6c6f"]);
		expect("pong", "8a00", ["pong:"]);
		expect("ping between fragments", "010348656c" + "8900" + "80026c6f", ["ping:", "text:Hello"]);
		var b256:String = "";
		for (var i:int = 0; i < 256; i++) b256 += "ab";
		expect("256 bytes binary, 16-bit length (5.7)", "827e0100" + b256, ["binary:256"]);
		var d:FrameCodec = new FrameCodec();
		var big:ByteArray = T.bytes("827f0000000000010000");
		big.position = big.length;
		for (i = 0; i < 65536; i++) big.writeByte(i);
		d.push(big);
		var ev:Object = d.next();
		T.ok("64 KiB binary, 64-bit length (5.7)", ev && ev.type == "binary" && ev.data.length == 65536 && ev.data[65535] == 255, describe(ev));
		expect("empty text", "8100", ["text:"]);
		expect("text with NUL and BOM kept", "8105efbbbf0061", ["text:\ufeff\u0000a"]);
		expect("empty close -> 1005", "8800", ["close:1005:"]);
		expect("close 1000 with reason", "880503e8627965", ["close:1000:bye"]);
		expect("close 4999", "88021387", ["close:4999:"]);
		expect("close 3000", "88020bb8", ["close:3000:"]);
		expect("close 1012", "880203f4", ["close:1012:"]);
		expect("two frames in one push", "810161" + "8800", ["text:a", "close:1005:"]);
		// Byte-at-a-time input must give the same events.
		var stream:ByteArray = T.bytes("010348656c" + "8900" + "80026c6f" + "827e0100" + b256);
		d = new FrameCodec();
		var got:Array = [];
		for (i = 0; i < stream.length; i++) {
			d.push(stream, i, 1);
			while ((ev = d.next()) != null) got.push(describe(ev));
		}
		T.eq("byte at a time", got.join(","), "ping:,text:Hello,binary:256");

		fails("RSV1", "c100", 1002);
		fails("RSV2", "a100", 1002);
		fails("RSV3", "9100", 1002);
		fails("opcode 3", "8300", 1002);
		fails("opcode 7", "8700", 1002);
		fails("opcode 11", "8b00", 1002);
		fails("opcode 15", "8f00", 1002);
		fails("masked server frame", "818537fa213d7f9f4d5158", 1002);
		fails("fragmented ping", "0900", 1002);
		fails("fragmented close", "0800", 1002);
		fails("ping of 126 bytes", "897e007e", 1002);
		fails("continuation without start", "80026c6f", 1002);
		fails("text inside a fragmented message", "010161" + "810162", 1002);
		fails("64-bit length with the top bit", "827f8000000000000000", 1002);
		fails("invalid UTF-8 text", "8102c328", 1007);
		fails("invalid UTF-8 across fragments", "0101e2" + "800182" + "800161", 1007);
		fails("close of 1 byte", "880103", 1002);
		for each (var code:int in [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
			var h:String = (0x10000 + code).toString(16).substring(1);
			if (code == 65535) h = "ffff";
			fails("close code " + code, "8802" + h, 1002);
		}
		fails("close reason invalid UTF-8", "880403e8c328", 1007);
		d = new FrameCodec(10);
		d.push(T.bytes("820b" + "0102030405060708090a0b"));
		ev = d.next();
		T.ok("over the limit in one frame -> 1009", ev && ev.type == "fail" && ev.code == 1009, describe(ev));
		d = new FrameCodec(10);
		d.push(T.bytes("0206010203040506" + "00050102030405"));
		ev = d.next();
		T.ok("over the limit across fragments -> 1009", ev && ev.type == "fail" && ev.code == 1009, describe(ev));
		d = new FrameCodec(10);
		d.push(T.bytes("827f0000000100000000"));
		ev = d.next();
		T.ok("declared 4 GiB fails before the payload arrives", ev && ev.type == "fail" && ev.code == 1009, describe(ev));
		d = new FrameCodec(10);
		d.push(T.bytes("820a0102030405060708090a"));
		ev = d.next();
		T.ok("exactly at the limit is fine", ev && ev.type == "binary" && ev.data.length == 10, describe(ev));
		d = new FrameCodec();
		d.push(T.bytes("8300810161"));
		d.next();
		T.eq("stays failed", d.next(), null);
	}

	private static function checkLength(n:int, header:String):void {
		var payload:ByteArray = new ByteArray();
		for (var i:int = 0; i < n; i++) payload.writeByte(i * 7);
		var f:ByteArray = FrameCodec.encode(FrameCodec.BINARY, payload, T.bytes(MASK));
		T.eq(n + "-byte header", T.hex(f).substring(0, header.length), header);
		var off:int = header.length / 2 + 4;
		T.eq(n + "-byte frame length", f.length, off + n);
		var key:ByteArray = T.bytes(MASK);
		var okAll:Boolean = true;
		for (i = 0; i < n; i++) if ((f[off + i] ^ key[i & 3]) != ((i * 7) & 255)) okAll = false;
		T.ok(n + "-byte payload unmasks to the original", okAll);
		T.eq(n + "-byte payload position untouched", payload.position, 0);
	}

	private static function describe(ev:Object):String {
		if (!ev) return "null";
		switch (ev.type) {
		case "text": return "text:" + ev.data;
		case "binary": return "binary:" + ev.data.length;
		case "ping": case "pong": return ev.type + ":" + T.hex(ev.data);
		case "close": return "close:" + ev.code + ":" + ev.reason;
		}
		return ev.type + ":" + ev.code + ":" + ev.message;
	}

	private static function expect(name:String, hex:String, want:Array):void {
		var d:FrameCodec = new FrameCodec();
		d.push(T.bytes(hex));
		var got:Array = [];
		var ev:Object;
		while ((ev = d.next()) != null) got.push(describe(ev));
		T.eq(name, got.join(","), want.join(","));
	}

	private static function fails(name:String, hex:String, code:int):void {
		var d:FrameCodec = new FrameCodec();
		d.push(T.bytes(hex));
		var ev:Object;
		var last:Object = null;
		while ((ev = d.next()) != null) last = ev;
		T.ok(name + " -> " + code, last && last.type == "fail" && last.code == code, describe(last));
	}
}
}
