package websocketjs {
import flash.utils.ByteArray;

/** SHA-1 (FIPS 180-4), needed only to check Sec-WebSocket-Accept. */
public final class SHA1 {
	/** Returns the 20-byte digest of all of data (its position is left unchanged). */
	public static function hash(data:ByteArray):ByteArray {
		var msgLen:uint = data.length;
		// Message words, big-endian, then the 0x80 byte, zero padding, and the 64-bit bit length.
		var words:Array = [];
		var i:uint;
		for (i = 0; i < msgLen; i++) {
			words[i >> 2] |= data[i] << (24 - (i & 3) * 8);
		}
		words[msgLen >> 2] |= 0x80 << (24 - (msgLen & 3) * 8);
		var total:uint = (((msgLen + 8) >> 6) + 1) * 16;
		for (i = 0; i < total; i++) if (words[i] === undefined) words[i] = 0;
		words[total - 2] = Math.floor(msgLen / 0x20000000);
		words[total - 1] = (msgLen << 3);

		var h0:int = 0x67452301, h1:int = int(0xEFCDAB89), h2:int = int(0x98BADCFE), h3:int = 0x10325476, h4:int = int(0xC3D2E1F0);
		var w:Array = new Array(80);
		for (var block:uint = 0; block < total; block += 16) {
			var t:int;
			for (t = 0; t < 16; t++) w[t] = words[block + t];
			for (t = 16; t < 80; t++) {
				var x:int = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
				w[t] = (x << 1) | (x >>> 31);
			}
			var a:int = h0, b:int = h1, c:int = h2, d:int = h3, e:int = h4;
			for (t = 0; t < 80; t++) {
				var f:int, k:int;
				if (t < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
				else if (t < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
				else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
				else { f = b ^ c ^ d; k = 0xCA62C1D6; }
				var temp:int = ((a << 5) | (a >>> 27)) + f + e + k + w[t];
				e = d;
				d = c;
				c = (b << 30) | (b >>> 2);
				b = a;
				a = temp;
			}
			h0 += a; h1 += b; h2 += c; h3 += d; h4 += e;
		}
		var out:ByteArray = new ByteArray();
		out.writeInt(h0);
		out.writeInt(h1);
		out.writeInt(h2);
		out.writeInt(h3);
		out.writeInt(h4);
		out.position = 0;
		return out;
	}
}
}
