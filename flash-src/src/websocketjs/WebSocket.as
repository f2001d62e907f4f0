package websocketjs {
import flash.crypto.generateRandomBytes;
import flash.utils.ByteArray;
import flash.utils.clearTimeout;
import flash.utils.setTimeout;

/**
 * One RFC 6455 client connection: opening handshake, framing, ping/pong, closing handshake,
 * timeouts. Everything the page must learn becomes an event on the sink; this class never
 * calls into the page.
 */
public final class WebSocket {
	public static const CONNECTING:int = 0;
	public static const OPEN:int = 1;
	public static const CLOSING:int = 2;
	public static const CLOSED:int = 3;

	public var state:int = CONNECTING;

	private var id:int;
	private var sink:EventSink;
	private var options:WebSocketOptions;
	private var url:WebSocketUrl; // options.url

	internal var transport:RFC2817Socket; // internal: the package's tests reach the socket through it
	private var key:String;
	private var head:ByteArray;     // response bytes until the header block is complete
	private var decoder:FrameCodec;
	private var timer:uint;
	private var timerSet:Boolean;
	private var sentClose:Boolean;
	private var receivedClose:Boolean;
	private var closeCode:int = CloseCode.NO_STATUS;
	private var closeReason:String = "";

	/** options are validated by the caller (WebSocketMain.create). */
	public function WebSocket(id:int, sink:EventSink, options:WebSocketOptions) {
		this.id = id;
		this.sink = sink;
		this.options = options;
		this.url = options.url;
	}

	/** Opens the connection; failures arrive as error + close events. */
	public function start():void {
		startTimer(connectTimedOut, options.connectTimeoutMs);
		log("debug", "connecting to " + url.hostHeader + (options.proxyHost ? " through proxy " + RFC2817Socket.authority(options.proxyHost, options.proxyPort) : ""));
		try {
			transport = new RFC2817Socket(url.secure);
			transport.onConnect = guarded(transportConnected);
			transport.onData = guarded(transportData);
			transport.onClose = guarded(transportClosed);
			transport.connect(url.host, url.port, options.proxyHost, options.proxyPort, options.proxyAuthorization);
		} catch (e:Error) {
			failAbnormally(e.message);
		}
	}

	/**
	 * Sends a text ("t", data is the decoded string) or binary ("b", data is a ByteArray)
	 * message; returns the payload size, or -1 when the connection is not open. With flush
	 * false the frame waits in the socket's buffer for flush(), so that several messages
	 * leave in one write.
	 */
	public function send(kind:String, data:Object, flush:Boolean = true):int {
		if (state != OPEN) return -1;
		var payload:ByteArray = kind == "t" ? Utf8.encode(String(data)) : ByteArray(data);
		if (sink.debug) log("debug", "send " + (kind == "t" ? "text: " + String(data).substring(0, 200) : "binary, " + payload.length + " bytes"));
		sendFrame(kind == "t" ? FrameCodec.TEXT : FrameCodec.BINARY, payload, flush);
		return payload.length;
	}

	/** Writes out the frames send(…, false) left in the buffer. */
	public function flush():void {
		if (state != CLOSED) transport.flush();
	}

	/**
	 * The page's close(code, reason) (code 0: none). While connecting it aborts; while open it
	 * starts the closing handshake and waits closeTimeoutMs for the server's answer.
	 */
	public function close(code:int, reason:String):void {
		if (state == CONNECTING) {
			failAbnormally("WebSocket closed before the connection was established");
			return;
		}
		if (state != OPEN) return;
		// The page checks these (1000 or 3000-4999, reason up to 123 bytes); never send a bad frame.
		if (code != 0 && code != CloseCode.NORMAL && (code < CloseCode.APP_FIRST || code > CloseCode.APP_LAST)) {
			log("error", "close code " + code + " may not be sent by a client; closing without a code");
			code = 0;
		}
		var payload:ByteArray = FrameCodec.closePayload(code, reason);
		if (payload.length > 125) payload = FrameCodec.closePayload(code, "");
		state = CLOSING;
		sentClose = true;
		startTimer(closeTimedOut, options.closeTimeoutMs);
		sendFrame(FrameCodec.CLOSE, payload);
	}

	/**
	 * Socket events run fn from the player's event loop, where an exception would be lost (or
	 * shown to the user by a debug player): it fails this connection with its message instead.
	 * Also covers generateRandomBytes, which throws when the system has no strong random source.
	 */
	private function guarded(fn:Function):Function {
		return function(... args):void {
			try {
				fn.apply(null, args);
			} catch (e:Error) {
				failAbnormally("internal error: " + e.message);
			}
		};
	}

	private function transportConnected():void {
		if (state != CONNECTING) return;
		key = Handshake.makeKey(generateRandomBytes(16));
		var request:String = Handshake.buildRequest(url, key, options.protocols, options.origin, options.cookie, options.extraHeaders);
		// The request is logged with credentials blanked: cookies are never logged.
		if (sink.debug) log("debug", "handshake request:\n" + request.replace(/^(Cookie|Authorization):.*$/gim, "$1: (not logged)"));
		head = new ByteArray();
		transport.write(Utf8.encode(request));
	}

	private function transportData(bytes:ByteArray):void {
		if (state == CONNECTING) {
			var scanFrom:int = head.length > 3 ? head.length - 3 : 0;
			head.position = head.length;
			head.writeBytes(bytes);
			var end:int = Handshake.headerEnd(head, scanFrom);
			if ((end < 0 ? head.length : end) > Handshake.MAX_HEADER_BYTES) {
				failAbnormally("handshake response header is larger than " + Handshake.MAX_HEADER_BYTES + " bytes");
				return;
			}
			if (end < 0) return;
			var text:String = Handshake.latin1(head, end);
			if (sink.debug) log("debug", "handshake response:\n" + text.replace(/^(Set-Cookie):.*$/gim, "$1: (not logged)"));
			var result:Object;
			try {
				result = Handshake.checkResponse(text, key, options.protocols);
			} catch (e:Error) {
				failAbnormally("WebSocket handshake with " + url.hostHeader + " failed: " + e.message);
				return;
			}
			clearTimer();
			state = OPEN;
			decoder = new FrameCodec(options.maxMessageBytes);
			sink.emit({id: id, type: "open", protocol: BridgeCodec.esc(result.protocol), extensions: BridgeCodec.esc(result.extensions)});
			if (head.length > end) decoder.push(head, end, head.length - end);
			head = null;
		} else if (decoder) {
			decoder.push(bytes);
		}
		if (decoder) readFrames();
	}

	private function readFrames():void {
		var ev:Object;
		while (state != CLOSED && (ev = decoder.next()) != null) {
			switch (ev.type) {
			case "fail":
				failConnection(ev.code, ev.message);
				return;
			case "text":
			case "binary":
				// After the page called close() messages are dropped, as in browsers.
				if (state != OPEN) break;
				if (sink.debug) log("debug", "received " + (ev.type == "text" ? "text: " + String(ev.data).substring(0, 200) : "binary, " + ev.data.length + " bytes"));
				sink.emit({id: id, type: "message", kind: ev.type == "text" ? "t" : "b",
					data: ev.type == "text" ? BridgeCodec.esc(ev.data) : BridgeCodec.b64(ev.data)});
				break;
			case "ping":
				if (!sentClose) sendFrame(FrameCodec.PONG, ev.data);
				break;
			case "pong":
				break;
			case "close":
				serverClosed(ev.code, ev.reason);
				break;
			}
		}
	}

	/** A close frame arrived: answer it if we have not sent ours, then wait for the TCP close. */
	private function serverClosed(code:int, reason:String):void {
		if (receivedClose) return;
		receivedClose = true;
		closeCode = code;
		closeReason = reason;
		log("debug", "server sent close " + code);
		if (!sentClose) {
			sentClose = true;
			state = CLOSING;
			sendFrame(FrameCodec.CLOSE, FrameCodec.closePayload(code == CloseCode.NO_STATUS ? 0 : code, ""));
		}
		// RFC 6455 section 7.1.1: the server closes TCP first; do it ourselves after the timeout.
		startTimer(closeTimedOut, options.closeTimeoutMs);
	}

	private function transportClosed(error:String):void {
		if (state == CLOSED) return;
		if (state == CLOSING && receivedClose) {
			finish(true, closeCode, closeReason);
			return;
		}
		if (state == CLOSING) {
			closingCutShort(error || "connection closed before the server answered the close frame");
			return;
		}
		if (error == null) {
			error = state == CONNECTING ? "connection closed before the WebSocket handshake completed" :
				"connection closed without a closing handshake";
		}
		// A policy refusal (Error #2048) is the commonest failure and the hardest to see into:
		// name the command that checks every rule Flash applied, for this URL and page.
		if (transport.refusedByPolicy && !options.proxyHost) error = policyRefusal(error, options.origin, url);
		failAbnormally(error);
	}

	/**
	 * The reason reported when Flash refused a direct connection to url for a page at origin:
	 * detail (the player's words) and the doctor command line (server/README.md) that checks
	 * the socket policy and the handshake as Flash would. The doctor judges http(s) pages
	 * only: for another page (a file: page's origin is "null") it names no -origin, and the
	 * doctor takes the URL's own host for the page's.
	 */
	public static function policyRefusal(detail:String, origin:String, url:WebSocketUrl):String {
		var page:String = /^https?:\/\/[^\/]+$/i.test(origin) ? "-origin " + shellWord(origin) + " " : "";
		return detail + ". To see why, run: web-socket-js-server doctor " + page + shellWord(url.href) +
			" (from a clone: go run ./server doctor ...)";
	}

	/** s as one POSIX shell word: as is when it has no special character, else single-quoted. */
	public static function shellWord(s:String):String {
		if (/^[A-Za-z0-9_@%+=:,.\/-]+$/.test(s)) return s;
		return "'" + s.split("'").join("'\\''") + "'";
	}

	private function connectTimedOut():void {
		timerSet = false;
		if (state == CONNECTING) failAbnormally("no WebSocket connection to " + url.hostHeader + " within " + options.connectTimeoutMs + " ms");
	}

	private function closeTimedOut():void {
		timerSet = false;
		if (state != CLOSING) return;
		if (receivedClose) {
			finish(true, closeCode, closeReason);
		} else {
			closingCutShort("the server did not answer the close frame within " + options.closeTimeoutMs + " ms");
		}
	}

	/**
	 * The page called close() and the closing handshake ended without the server's close
	 * frame (TCP lost, or the close timeout). As in browsers (Chromium: close 1006 and no
	 * error event, for both) the page is not told of an error: the close says it was not
	 * clean, and why is a debug line.
	 */
	private function closingCutShort(why:String):void {
		log("debug", why);
		finish(false, CloseCode.ABNORMAL, "");
	}

	/**
	 * "Fail the WebSocket connection" (RFC 6455 section 7.1.7) for a protocol violation: send
	 * a close frame with the code unless one was sent, drop TCP, report error and the code.
	 */
	private function failConnection(code:int, message:String):void {
		if (!sentClose) {
			sentClose = true;
			sendFrame(FrameCodec.CLOSE, FrameCodec.closePayload(code, ""));
			if (state == CLOSED) return; // the write failed and was reported
		}
		sink.emit({id: id, type: "error", message: BridgeCodec.esc(message)});
		finish(false, code, "");
	}

	/** An abnormal end: error, then close 1006 (CloseCode.ABNORMAL). */
	private function failAbnormally(message:String):void {
		if (state == CLOSED) return;
		sink.emit({id: id, type: "error", message: BridgeCodec.esc(message)});
		finish(false, CloseCode.ABNORMAL, "");
	}

	private function finish(wasClean:Boolean, code:int, reason:String):void {
		if (state == CLOSED) return;
		state = CLOSED;
		clearTimer();
		if (transport) transport.close();
		decoder = null;
		head = null;
		sink.emit({id: id, type: "close", wasClean: wasClean, code: code, reason: BridgeCodec.esc(reason)});
		sink.forget(id);
	}

	private function sendFrame(opcode:int, payload:ByteArray, flush:Boolean = true):void {
		transport.write(FrameCodec.encode(opcode, payload, generateRandomBytes(4)), flush);
	}

	private function startTimer(fn:Function, ms:int):void {
		clearTimer();
		timer = setTimeout(fn, ms);
		timerSet = true;
	}

	private function clearTimer():void {
		if (timerSet) clearTimeout(timer);
		timerSet = false;
	}

	private function log(level:String, message:String):void {
		if (level == "debug" && !sink.debug) return;
		sink.emit({id: id, type: "log", level: level, message: BridgeCodec.esc(message)});
	}
}
}
