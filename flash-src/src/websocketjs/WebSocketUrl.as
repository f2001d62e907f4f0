package websocketjs {
import flash.utils.ByteArray;

/**
 * A ws:// or wss:// URL taken apart for the socket and the request line. Construction
 * throws an Error whose message says what is wrong; nothing else is accepted.
 */
public final class WebSocketUrl {
	/** true for wss. */
	public var secure:Boolean;
	/** Host name or IP as given to Socket.connect (IPv6 without brackets, lower case). */
	public var host:String;
	public var port:int;
	/** Path and query for the request line; "/" when the URL has none. */
	public var resource:String;
	/** Value of the Host header: the port only when it is not the scheme's default. */
	public var hostHeader:String;

	public function WebSocketUrl(url:String) {
		if (url == null) throw new Error("no URL given");
		if (/[\x00-\x1F\x7F]|^ | $/.test(url)) {
			throw new Error("URL contains control characters or surrounding spaces: " + url.replace(/[\x00-\x1F\x7F]/g, "?"));
		}
		var m:Object = /^(wss?):\/\/([^\/?#]*)([^#]*)$/i.exec(url);
		if (!m) {
			if (url.indexOf("#") >= 0) throw new Error("a WebSocket URL must not have a fragment: " + url);
			throw new Error("not a ws:// or wss:// URL: " + url);
		}
		secure = String(m[1]).toLowerCase() == "wss";
		var authority:String = m[2];
		if (authority.indexOf("@") >= 0) throw new Error("user names and passwords in WebSocket URLs are not supported: " + url);
		var portText:String = "";
		var bracketed:Boolean = authority.charAt(0) == "[";
		if (bracketed) {
			var close:int = authority.indexOf("]");
			if (close < 0) throw new Error("unterminated IPv6 literal in " + url);
			host = authority.substring(1, close).toLowerCase();
			if (!/^[0-9a-f:.]+$/.test(host) || host.indexOf(":") < 0) throw new Error("invalid IPv6 literal [" + host + "] in " + url);
			var rest:String = authority.substring(close + 1);
			if (rest.length) {
				if (rest.charAt(0) != ":") throw new Error("unexpected characters after the IPv6 literal in " + url);
				portText = rest.substring(1);
			}
		} else {
			var colon:int = authority.indexOf(":");
			host = (colon < 0 ? authority : authority.substring(0, colon)).toLowerCase();
			if (colon >= 0) portText = authority.substring(colon + 1);
			if (host.length == 0) throw new Error("no host in " + url);
			if (!/^[a-z0-9._~-]+$/.test(host)) throw new Error("invalid host name '" + host + "' in " + url + " (use ASCII/punycode)");
		}
		var defaultPort:int = secure ? 443 : 80;
		port = defaultPort;
		if (portText.length) {
			if (!/^[0-9]{1,5}$/.test(portText) || int(portText) < 1 || int(portText) > 65535) {
				throw new Error("invalid port '" + portText + "' in " + url);
			}
			port = int(portText);
		}
		hostHeader = (bracketed ? "[" + host + "]" : host) + (port == defaultPort ? "" : ":" + port);
		var path:String = m[3];
		if (path.length == 0 || path.charAt(0) == "?") path = "/" + path;
		resource = percentEncode(path);
	}

	/** The URL in its canonical form: scheme, Host header value, resource. */
	public function get href():String {
		return (secure ? "wss://" : "ws://") + hostHeader + resource;
	}

	/**
	 * Path and query may only carry printable ASCII on the request line: anything else is
	 * sent as percent-encoded UTF-8, the way browsers serialise such URLs.
	 */
	private static function percentEncode(s:String):String {
		if (/^[!#-;=?-~]*$/.test(s)) return s; // visible ASCII except '"', '<', '>'
		var bytes:ByteArray = Utf8.encode(s);
		var out:Array = [];
		for (var i:uint = 0; i < bytes.length; i++) {
			var b:int = bytes[i];
			if (b > 0x20 && b < 0x7F && b != 0x22 && b != 0x3C && b != 0x3E) {
				out.push(String.fromCharCode(b));
			} else {
				out.push("%" + (b < 16 ? "0" : "") + b.toString(16).toUpperCase());
			}
		}
		return out.join("");
	}
}
}
