package websocketjs {
import flash.utils.ByteArray;

/**
 * The opening handshake of RFC 6455 section 4: the client's request and the checks on the
 * server's response (section 4.1, "the client MUST validate the server's response").
 */
public final class Handshake {
	public static const GUID:String = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	/** Largest response header block accepted, in bytes. */
	public static const MAX_HEADER_BYTES:int = 16384;

	private static const TOKEN:RegExp = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
	/** Request headers the SWF writes itself; a caller may not set or repeat them. */
	private static const RESERVED:Array = ["host", "upgrade", "connection", "sec-websocket-key",
		"sec-websocket-version", "sec-websocket-protocol", "sec-websocket-extensions",
		"sec-websocket-accept", "origin", "cookie", "content-length", "transfer-encoding"];

	/** true for an HTTP token (RFC 7230 section 3.2.6). */
	public static function isToken(s:String):Boolean {
		return s != null && TOKEN.test(s);
	}

	/**
	 * Splits the bridge's "Name: value" lines (joined by CRLF) into [name, value] pairs,
	 * throwing an Error naming the first bad line: a name that is not a token, a reserved
	 * name, or a value with CR, LF, NUL or another control character.
	 */
	public static function parseExtraHeaders(text:String):Array {
		var out:Array = [];
		if (text == null || text.length == 0) return out;
		var lines:Array = text.split("\r\n");
		for each (var line:String in lines) {
			var colon:int = line.indexOf(":");
			if (colon <= 0) throw new Error("header line without a name: " + quoted(line));
			var name:String = line.substring(0, colon);
			var value:String = line.substring(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
			if (!isToken(name)) throw new Error("header name is not an HTTP token: " + quoted(name));
			if (RESERVED.indexOf(name.toLowerCase()) >= 0) throw new Error("header " + name + " is set by the WebSocket client and cannot be given");
			if (!isFieldValue(value)) throw new Error("header " + name + " has a value with CR, LF, NUL or another control character");
			out.push([name, value]);
		}
		return out;
	}

	/** true when s may be a header value: no control characters other than HTAB. */
	public static function isFieldValue(s:String):Boolean {
		return !/[\x00-\x08\x0A-\x1F\x7F]/.test(s);
	}

	/** s in single quotes for an error message, control characters shown as '?'. */
	private static function quoted(s:String):String {
		return "'" + s.replace(/[\x00-\x1F\x7F]/g, "?") + "'";
	}

	/** Base64 of 16 bytes: the Sec-WebSocket-Key (RFC 6455 section 4.1, item 7). */
	public static function makeKey(random16:ByteArray):String {
		return Base64.encode(random16);
	}

	/** The Sec-WebSocket-Accept a server must answer for key. */
	public static function acceptFor(key:String):String {
		var b:ByteArray = new ByteArray();
		b.writeUTFBytes(key + GUID); // ASCII only
		return Base64.encode(SHA1.hash(b));
	}

	/**
	 * The request text (ASCII except where the caller's cookie or header values are not;
	 * those are sent as UTF-8). extra holds [name, value] pairs from parseExtraHeaders.
	 */
	public static function buildRequest(url:WebSocketUrl, key:String, protocols:Array,
			origin:String, cookie:String, extra:Array):String {
		var lines:Array = [
			"GET " + url.resource + " HTTP/1.1",
			"Host: " + url.hostHeader,
			"Upgrade: websocket",
			"Connection: Upgrade",
			"Sec-WebSocket-Key: " + key,
			"Sec-WebSocket-Version: 13"];
		if (origin) lines.push("Origin: " + origin);
		if (protocols && protocols.length) lines.push("Sec-WebSocket-Protocol: " + protocols.join(", "));
		if (cookie) lines.push("Cookie: " + cookie);
		for each (var h:Array in extra) lines.push(h[0] + ": " + h[1]);
		return lines.join("\r\n") + "\r\n\r\n";
	}

	/** Index just past the CRLFCRLF ending the header block in bytes, or -1. */
	public static function headerEnd(bytes:ByteArray, from:int = 0):int {
		var n:int = bytes.length;
		for (var i:int = from < 3 ? 3 : from; i < n; i++) {
			if (bytes[i] == 10 && bytes[i - 1] == 13 && bytes[i - 2] == 10 && bytes[i - 3] == 13) return i + 1;
		}
		return -1;
	}

	/** Header block bytes as a string, one character per byte (HTTP headers are octets). */
	public static function latin1(bytes:ByteArray, length:int):String {
		var units:Array = [];
		for (var i:int = 0; i < length; i++) units.push(bytes[i]);
		return String.fromCharCode.apply(null, units);
	}

	/**
	 * Parses a response header block (status line + fields, ending CRLFCRLF or not) into
	 * {status:int, reason:String, headers:Object of lower-case name -> Array of values};
	 * throws an Error naming what is malformed.
	 */
	public static function parseResponse(head:String):Object {
		var lines:Array = head.replace(/\r\n\r\n$/, "").split("\r\n");
		var m:Object = /^HTTP\/(\d)\.(\d) (\d\d\d)(?: ([^\r\n]*))?$/.exec(lines[0]);
		if (!m) throw new Error("malformed HTTP status line: " + quoted(String(lines[0]).substring(0, 80)));
		var headers:Object = {};
		for (var i:int = 1; i < lines.length; i++) {
			var line:String = lines[i];
			var colon:int = line.indexOf(":");
			if (colon <= 0 || !isToken(line.substring(0, colon))) {
				throw new Error("malformed header line in the response: " + quoted(line.substring(0, 80)));
			}
			var name:String = line.substring(0, colon).toLowerCase();
			var value:String = line.substring(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
			if (!headers.hasOwnProperty(name)) headers[name] = [];
			headers[name].push(value);
		}
		return {major: int(m[1]), minor: int(m[2]), status: int(m[3]), reason: m[4] || "", headers: headers};
	}

	/**
	 * Checks a complete response header block against RFC 6455 section 4.1. Returns
	 * {protocol, extensions} on success; throws an Error that says why the server's answer is
	 * not a WebSocket handshake.
	 */
	public static function checkResponse(head:String, key:String, offered:Array):Object {
		var r:Object = parseResponse(head);
		if (r.status != 101) {
			throw new Error("server answered " + r.status + (r.reason ? " " + r.reason : "") + " instead of 101 Switching Protocols");
		}
		if (r.major != 1 || r.minor != 1) throw new Error("server answered with HTTP/" + r.major + "." + r.minor + ", not HTTP/1.1");
		var h:Object = r.headers;
		var upgrade:String = single(h, "upgrade");
		if (upgrade == null || upgrade.toLowerCase() != "websocket") {
			throw new Error("response lacks 'Upgrade: websocket' (got " + (upgrade == null ? "none" : quoted(upgrade)) + ")");
		}
		var connection:Array = h["connection"] ? String(h["connection"].join(",")).toLowerCase().split(",") : [];
		var hasUpgrade:Boolean = false;
		for each (var tok:String in connection) {
			if (tok.replace(/^[ \t]+|[ \t]+$/g, "") == "upgrade") hasUpgrade = true;
		}
		if (!hasUpgrade) throw new Error("response lacks 'Connection: Upgrade'");
		if (h["sec-websocket-accept"] && h["sec-websocket-accept"].length > 1) throw new Error("response repeats Sec-WebSocket-Accept");
		var accept:String = single(h, "sec-websocket-accept");
		if (accept == null) throw new Error("response lacks Sec-WebSocket-Accept");
		if (accept != acceptFor(key)) throw new Error("Sec-WebSocket-Accept does not match the key sent");
		var ext:String = h["sec-websocket-extensions"] ? String(h["sec-websocket-extensions"].join(", ")) : "";
		if (ext.replace(/[ \t,]/g, "").length > 0) {
			throw new Error("server selected extension(s) " + quoted(ext) + " that the client did not offer");
		}
		var protocol:String = "";
		if (h["sec-websocket-protocol"]) {
			if (h["sec-websocket-protocol"].length > 1) throw new Error("response repeats Sec-WebSocket-Protocol");
			protocol = h["sec-websocket-protocol"][0];
			if (!offered || offered.indexOf(protocol) < 0) {
				throw new Error("server selected subprotocol " + quoted(protocol) + " that the client did not offer");
			}
		}
		return {protocol: protocol, extensions: ""};
	}

	/** The only value of header name, or null; repeated values are joined (they then fail the check). */
	private static function single(h:Object, name:String):String {
		var v:Array = h[name];
		return v ? v.join(",") : null;
	}
}
}
