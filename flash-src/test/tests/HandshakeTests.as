package tests {
import websocketjs.Handshake;
import websocketjs.RFC2817Socket;
import websocketjs.WebSocketUrl;

/** URL parsing table, request building, response accept/reject table, CONNECT helpers. */
public final class HandshakeTests {
	private static const KEY:String = "dGhlIHNhbXBsZSBub25jZQ==";   // RFC 6455 section 1.3
	private static const ACCEPT:String = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

	public static function run():void {
		urls();
		requests();
		responses();
		proxy();
	}

	private static function urls():void {
		T.suite = "WebSocketUrl";
		// url, secure, host, port, resource, Host header
		var good:Array = [
			["ws://example.com", false, "example.com", 80, "/", "example.com"],
			["wss://example.com", true, "example.com", 443, "/", "example.com"],
			["ws://Example.COM:8080/chat?x=1&y=2", false, "example.com", 8080, "/chat?x=1&y=2", "example.com:8080"],
			["ws://example.com:80/", false, "example.com", 80, "/", "example.com"],
			["wss://example.com:443/a", true, "example.com", 443, "/a", "example.com"],
			["wss://example.com:80/a", true, "example.com", 80, "/a", "example.com:80"],
			["WS://h:/", false, "h", 80, "/", "h"],
			["ws://[::1]:9000/p", false, "::1", 9000, "/p", "[::1]:9000"],
			["wss://[2001:DB8::1]/", true, "2001:db8::1", 443, "/", "[2001:db8::1]"],
			["ws://[::ffff:127.0.0.1]", false, "::ffff:127.0.0.1", 80, "/", "[::ffff:127.0.0.1]"],
			["ws://127.0.0.1:65535?q", false, "127.0.0.1", 65535, "/?q", "127.0.0.1:65535"],
			["ws://h/a b", false, "h", 80, "/a%20b", "h"],
			["ws://h/\u00e9?\u20ac", false, "h", 80, "/%C3%A9?%E2%82%AC", "h"],
			["ws://h/\"<>", false, "h", 80, "/%22%3C%3E", "h"],
			["ws://h/%41?a=%zz", false, "h", 80, "/%41?a=%zz", "h"]];
		for each (var g:Array in good) {
			var name:String = T.show(g[0]);
			try {
				var u:WebSocketUrl = new WebSocketUrl(g[0]);
				T.eq(name + " secure", u.secure, g[1]);
				T.eq(name + " host", u.host, g[2]);
				T.eq(name + " port", u.port, g[3]);
				T.eq(name + " resource", u.resource, g[4]);
				T.eq(name + " Host header", u.hostHeader, g[5]);
			} catch (e:Error) {
				T.ok(name + " parses", false, e.message);
			}
		}
		var bad:Array = ["", "http://h/", "ws:/h", "ws://", "ws:///p", "ws://h:0", "ws://h:65536", "ws://h:99999", "ws://h:abc",
			"ws://h:-1", "ws://h/#frag", "ws://h#", "ws://u:p@h/", "ws://[::1", "ws://[zz::1]/", "ws://[127.0.0.1]/",
			"ws://[::1]x/", "ws://h\u00e9/", "ws://h h/", "ws://h%41/", " ws://h/", "ws://h/\r\n"];
		for each (var b:String in bad) {
			var err:String = null;
			try {
				new WebSocketUrl(b);
			} catch (e2:Error) {
				err = e2.message;
			}
			T.ok("rejects " + T.show(b), err != null && err.length > 0, "accepted");
		}
		T.ok("rejects null", threw(function():void { new WebSocketUrl(null); }));
	}

	private static function threw(fn:Function):Boolean {
		try {
			fn();
		} catch (e:Error) {
			return true;
		}
		return false;
	}

	private static function requests():void {
		T.suite = "Handshake request";
		var req:String = Handshake.buildRequest(new WebSocketUrl("ws://server.example.com/chat"), KEY, ["chat", "superchat"],
			"http://example.com", "", []);
		T.eq("RFC 6455 section 1.2 request", req, "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n" +
			"Connection: Upgrade\r\nSec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\n" +
			"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n");
		req = Handshake.buildRequest(new WebSocketUrl("wss://[::1]:8443/?a"), KEY, [], "", "a=b; c=d",
			Handshake.parseExtraHeaders("X-One: 1\r\nX-Two:  two words "));
		T.eq("IPv6, cookie, extra headers, no origin", req, "GET /?a HTTP/1.1\r\nHost: [::1]:8443\r\nUpgrade: websocket\r\n" +
			"Connection: Upgrade\r\nSec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\nCookie: a=b; c=d\r\n" +
			"X-One: 1\r\nX-Two: two words\r\n\r\n");
		T.eq("accept for the RFC key", Handshake.acceptFor(KEY), ACCEPT);
		for each (var h:String in ["X-A: a\nX-B: b", "X-A: a\rb", "X-A: a\u0000", "Bad Name: v", ": v", "NoColon",
				"Host: evil", "sec-websocket-key: x", "Cookie: c", "Origin: o", "Connection: close", "Upgrade: x",
				"Sec-WebSocket-Protocol: p", "Sec-WebSocket-Extensions: e", "Sec-WebSocket-Version: 8", "X-A: \u0001"]) {
			T.ok("rejects header " + T.show(h), threw(function():void { Handshake.parseExtraHeaders(h); }));
		}
		T.eq("accepts token names", Handshake.parseExtraHeaders("X-Ok_1!#$%&'*+.^`|~: v").length, 1);
		T.eq("empty headers", Handshake.parseExtraHeaders("").length, 0);
	}

	private static function responses():void {
		T.suite = "Handshake response";
		var base:String = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + ACCEPT + "\r\n";
		var okCases:Array = [
			["RFC 6455 section 1.3 answer", "HTTP/1.1 101 Switching Protocols\r\n" + base + "\r\n", [], ""],
			["any reason phrase", "HTTP/1.1 101 OK go\r\n" + base + "\r\n", [], ""],
			["no reason phrase", "HTTP/1.1 101\r\n" + base + "\r\n", [], ""],
			["case-insensitive names and values", "HTTP/1.1 101 x\r\nupgrade: WebSocket\r\nCONNECTION: keep-alive, UPGRADE\r\nsec-websocket-accept:" + ACCEPT + "  \r\n\r\n", [], ""],
			["Connection split over two headers", "HTTP/1.1 101 x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nConnection: upgrade\r\nSec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n", [], ""],
			["offered subprotocol chosen", "HTTP/1.1 101 x\r\n" + base + "Sec-WebSocket-Protocol: chat\r\n\r\n", ["superchat", "chat"], "chat"],
			["no subprotocol chosen", "HTTP/1.1 101 x\r\n" + base + "\r\n", ["chat"], ""],
			["extra headers ignored", "HTTP/1.1 101 x\r\nServer: t\r\n" + base + "Set-Cookie: a=b\r\n\r\n", [], ""],
			["empty extensions header", "HTTP/1.1 101 x\r\n" + base + "Sec-WebSocket-Extensions: \r\n\r\n", [], ""]];
		for each (var c:Array in okCases) {
			try {
				var r:Object = Handshake.checkResponse(c[1], KEY, c[2]);
				T.eq(c[0] + ": protocol", r.protocol, c[3]);
			} catch (e:Error) {
				T.ok(c[0] + " accepted", false, e.message);
			}
		}
		var badCases:Array = [
			["status 200", "HTTP/1.1 200 OK\r\n" + base + "\r\n", [], "200"],
			["status 403", "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", [], "403 Forbidden"],
			["HTTP/1.0", "HTTP/1.0 101 x\r\n" + base + "\r\n", [], "HTTP/1.0"],
			["not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", [], "status line"],
			["missing Upgrade", "HTTP/1.1 101 x\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n", [], "Upgrade"],
			["wrong Upgrade", "HTTP/1.1 101 x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n", [], "Upgrade"],
			["two Upgrade headers", "HTTP/1.1 101 x\r\nUpgrade: websocket\r\n" + base + "\r\n", [], "Upgrade"],
			["missing Connection", "HTTP/1.1 101 x\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n", [], "Connection"],
			["Connection without upgrade", "HTTP/1.1 101 x\r\nUpgrade: websocket\r\nConnection: keep-alive, upgraded\r\nSec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n", [], "Connection"],
			["missing accept", "HTTP/1.1 101 x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", [], "Accept"],
			["wrong accept", "HTTP/1.1 101 x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", [], "Accept"],
			["accept of another case", "HTTP/1.1 101 x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + ACCEPT.toLowerCase() + "\r\n\r\n", [], "Accept"],
			["two accept headers", "HTTP/1.1 101 x\r\n" + base + "Sec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n", [], "Accept"],
			["extension not offered", "HTTP/1.1 101 x\r\n" + base + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n", [], "extension"],
			["subprotocol none offered", "HTTP/1.1 101 x\r\n" + base + "Sec-WebSocket-Protocol: chat\r\n\r\n", [], "subprotocol"],
			["subprotocol not offered", "HTTP/1.1 101 x\r\n" + base + "Sec-WebSocket-Protocol: other\r\n\r\n", ["chat"], "subprotocol"],
			["subprotocol case differs", "HTTP/1.1 101 x\r\n" + base + "Sec-WebSocket-Protocol: Chat\r\n\r\n", ["chat"], "subprotocol"],
			["two subprotocols", "HTTP/1.1 101 x\r\n" + base + "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n\r\n", ["chat"], "Protocol"],
			["line without colon", "HTTP/1.1 101 x\r\n" + base + "garbage\r\n\r\n", [], "malformed"],
			["folded header line", "HTTP/1.1 101 x\r\n" + base + "X-A: a\r\n b\r\n\r\n", [], "malformed"]];
		for each (c in badCases) {
			var err:String = null;
			try {
				Handshake.checkResponse(c[1], KEY, c[2]);
			} catch (e2:Error) {
				err = e2.message;
			}
			T.ok(c[0] + " rejected, naming " + c[3], err != null && err.indexOf(c[3]) >= 0, err == null ? "accepted" : err);
		}
	}

	private static function proxy():void {
		T.suite = "RFC2817";
		T.eq("CONNECT request", RFC2817Socket.connectRequestFor("example.com:443", null),
			"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
		T.eq("CONNECT with credentials", RFC2817Socket.connectRequestFor(RFC2817Socket.authority("::1", 80), "Basic dTpw"),
			"CONNECT [::1]:80 HTTP/1.1\r\nHost: [::1]:80\r\nProxy-Authorization: Basic dTpw\r\n\r\n");
		T.eq("status 200", RFC2817Socket.proxyStatus("HTTP/1.1 200 Connection established\r\n\r\n"), 200);
		T.eq("status 407", RFC2817Socket.proxyStatus("HTTP/1.0 407 Proxy Authentication Required\r\n\r\n"), 407);
		T.eq("not HTTP", RFC2817Socket.proxyStatus("hello\r\n\r\n"), -1);
	}
}
}
