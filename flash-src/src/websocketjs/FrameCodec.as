package websocketjs {
import flash.utils.ByteArray;

/**
 * RFC 6455 section 5 framing. encode() builds one unfragmented client frame (always masked);
 * an instance decodes the server's byte stream incrementally, reassembles fragmented messages
 * and enforces every receive rule a client must, naming the close code for each failure.
 */
public final class FrameCodec {
	public static const CONTINUATION:int = 0;
	public static const TEXT:int = 1;
	public static const BINARY:int = 2;
	public static const CLOSE:int = 8;
	public static const PING:int = 9;
	public static const PONG:int = 10;

	/** Number instead of uint: a 64-bit length may exceed 2^32. */
	public var maxMessageBytes:Number;

	private var buf:ByteArray = new ByteArray(); // unread input from buf.position on
	private var fragments:ByteArray;             // payload of the unfinished message, or null
	private var fragmentOpcode:int;
	private var failed:Boolean;

	public function FrameCodec(maxMessageBytes:Number = WebSocketOptions.DEFAULT_MAX_MESSAGE_BYTES) {
		this.maxMessageBytes = maxMessageBytes;
	}

	/**
	 * One frame with FIN set: opcode, 7/16/64-bit payload length, the 4-byte mask key and the
	 * payload XORed with it. payload may be null (empty).
	 */
	public static function encode(opcode:int, payload:ByteArray, maskKey:ByteArray):ByteArray {
		var len:uint = payload ? payload.length : 0;
		var out:ByteArray = new ByteArray();
		out.writeByte(0x80 | opcode);
		if (len < 126) {
			out.writeByte(0x80 | len);
		} else if (len < 65536) {
			out.writeByte(0x80 | 126);
			out.writeShort(len);
		} else {
			out.writeByte(0x80 | 127);
			out.writeUnsignedInt(0); // a ByteArray cannot hold 4 GiB
			out.writeUnsignedInt(len);
		}
		out.writeBytes(maskKey, 0, 4);
		if (len == 0) return out;
		// XOR a 32-bit word at a time: the player's per-byte loop is the slow part of sending.
		maskKey.position = 0;
		var key:int = maskKey.readInt();
		payload.position = 0;
		var words:uint = len >>> 2;
		for (var i:uint = 0; i < words; i++) out.writeInt(payload.readInt() ^ key);
		for (var j:uint = words << 2; j < len; j++) out.writeByte(payload[j] ^ maskKey[j & 3]);
		payload.position = 0;
		out.position = 0;
		return out;
	}

	/** A close frame payload: the code (0 = none) and the UTF-8 reason. */
	public static function closePayload(code:int, reason:String):ByteArray {
		var p:ByteArray = new ByteArray();
		if (code > 0) {
			p.writeShort(code);
			if (reason) p.writeBytes(Utf8.encode(reason));
		}
		p.position = 0;
		return p;
	}

	/** true for a close code an endpoint may receive (RFC 6455 section 7.4, IANA registry). */
	public static function isValidCloseCode(code:int):Boolean {
		// 1004-1006 are reserved, and 1005/1006 only ever reported, never sent.
		return (code >= CloseCode.NORMAL && code <= CloseCode.UNSUPPORTED_DATA) ||
			(code >= CloseCode.INVALID_DATA && code <= CloseCode.LAST_REGISTERED) ||
			(code >= CloseCode.APP_FIRST && code <= CloseCode.APP_LAST);
	}

	/** Appends received bytes. */
	public function push(data:ByteArray, offset:uint = 0, length:uint = 0):void {
		var readAt:uint = buf.position;
		buf.position = buf.length;
		buf.writeBytes(data, offset, length);
		buf.position = readAt;
	}

	/**
	 * The next complete event, or null when more input is needed:
	 * {type:"text", data:String} | {type:"binary", data:ByteArray} |
	 * {type:"ping"|"pong", data:ByteArray} | {type:"close", code:int (CloseCode.NO_STATUS = none), reason:String} |
	 * {type:"fail", code:int, message:String} (after which the decoder stays failed).
	 */
	public function next():Object {
		while (!failed) {
			var avail:uint = buf.bytesAvailable;
			if (avail < 2) return null;
			var start:uint = buf.position;
			var b0:int = buf[start];
			var b1:int = buf[start + 1];
			var fin:Boolean = (b0 & 0x80) != 0;
			var opcode:int = b0 & 0x0F;
			if (b0 & 0x70) return fail(CloseCode.PROTOCOL_ERROR, "frame has RSV bits set but no extension was negotiated");
			if (opcode > 2 && opcode < 8 || opcode > 10) return fail(CloseCode.PROTOCOL_ERROR, "frame has unknown opcode " + opcode);
			if (b1 & 0x80) return fail(CloseCode.PROTOCOL_ERROR, "server frame is masked");
			var control:Boolean = opcode >= 8;
			var len:Number = b1 & 0x7F;
			var headLen:uint = 2;
			if (control && !fin) return fail(CloseCode.PROTOCOL_ERROR, "control frame is fragmented");
			if (control && len > 125) return fail(CloseCode.PROTOCOL_ERROR, "control frame payload is longer than 125 bytes");
			if (len == 126) {
				if (avail < 4) return null;
				len = (buf[start + 2] << 8) | buf[start + 3];
				headLen = 4;
			} else if (len == 127) {
				if (avail < 10) return null;
				buf.position = start + 2;
				var hi:uint = buf.readUnsignedInt();
				var lo:uint = buf.readUnsignedInt();
				buf.position = start;
				if (hi & 0x80000000) return fail(CloseCode.PROTOCOL_ERROR, "frame length has its most significant bit set");
				len = hi * 4294967296 + lo;
				headLen = 10;
			}
			if (!control) {
				if (opcode == CONTINUATION && !fragments) return fail(CloseCode.PROTOCOL_ERROR, "continuation frame without a message to continue");
				if (opcode != CONTINUATION && fragments) return fail(CloseCode.PROTOCOL_ERROR, "new data frame before the fragmented message ended");
				var soFar:Number = fragments ? fragments.length : 0;
				if (soFar + len > maxMessageBytes) {
					return fail(CloseCode.MESSAGE_TOO_BIG, "message of at least " + (soFar + len) + " bytes exceeds the limit of " + maxMessageBytes);
				}
			}
			if (avail < headLen + len) return null;
			var payload:ByteArray = new ByteArray();
			buf.position = start + headLen;
			if (len > 0) buf.readBytes(payload, 0, uint(len));
			compact();
			payload.position = 0;
			if (control) return controlEvent(opcode, payload);
			if (opcode != CONTINUATION) {
				fragmentOpcode = opcode;
				if (fin) return messageEvent(opcode, payload);
				fragments = payload;
				fragments.position = fragments.length;
				continue;
			}
			fragments.writeBytes(payload);
			if (fin) {
				var whole:ByteArray = fragments;
				fragments = null;
				whole.position = 0;
				return messageEvent(fragmentOpcode, whole);
			}
		}
		return null;
	}

	private function messageEvent(opcode:int, payload:ByteArray):Object {
		if (opcode == BINARY) return {type: "binary", data: payload};
		var text:String = Utf8.decode(payload);
		if (text == null) return fail(CloseCode.INVALID_DATA, "text message is not valid UTF-8");
		return {type: "text", data: text};
	}

	private function controlEvent(opcode:int, payload:ByteArray):Object {
		if (opcode == PING) return {type: "ping", data: payload};
		if (opcode == PONG) return {type: "pong", data: payload};
		if (payload.length == 0) return {type: "close", code: CloseCode.NO_STATUS, reason: ""};
		if (payload.length == 1) return fail(CloseCode.PROTOCOL_ERROR, "close frame payload of 1 byte");
		var code:int = payload.readUnsignedShort();
		if (!isValidCloseCode(code)) return fail(CloseCode.PROTOCOL_ERROR, "close frame has invalid code " + code);
		var reason:String = Utf8.decode(payload, 2, payload.length - 2);
		if (reason == null) return fail(CloseCode.INVALID_DATA, "close reason is not valid UTF-8");
		return {type: "close", code: code, reason: reason};
	}

	private function fail(code:int, message:String):Object {
		failed = true;
		return {type: "fail", code: code, message: message};
	}

	/** Drops consumed input once it dominates the buffer, so long streams stay bounded. */
	private function compact():void {
		if (buf.position < 65536 || buf.position < (buf.length >>> 1)) return;
		var rest:ByteArray = new ByteArray();
		if (buf.bytesAvailable) buf.readBytes(rest, 0, buf.bytesAvailable);
		buf = rest;
		buf.position = 0;
	}
}
}
