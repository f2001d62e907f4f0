package websocketjs {
import flash.events.SecurityErrorEvent;

import tests.T;

/**
 * WebSocket as the page sees it through its sink. In package websocketjs so that it can
 * reach the player's socket (internal) and hand it the events the player would dispatch.
 */
public final class WebSocketTests implements EventSink {
	private var events:Array = [];

	public function emit(event:Object):void {
		events.push(event);
	}

	public function forget(id:int):void {
	}

	public function get debug():Boolean {
		return false;
	}

	public static function run():void {
		T.suite = "WebSocket";
		policyRefusalNamesTheDoctor();
		shellWords();
	}

	/** A SecurityErrorEvent (Flash's Error #2048) is reported with the doctor command for this URL and page. */
	private static function policyRefusalNamesTheDoctor():void {
		var sink:WebSocketTests = new WebSocketTests();
		var options:WebSocketOptions = new WebSocketOptions();
		options.url = new WebSocketUrl("ws://Example.com:10081/echo");
		options.origin = "https://example.com";
		var ws:WebSocket = new WebSocket(7, sink, options);
		ws.start();
		ws.transport.socket.dispatchEvent(new SecurityErrorEvent(SecurityErrorEvent.SECURITY_ERROR, false, false,
			"Error #2048: Security sandbox violation"));
		var types:Array = [];
		for each (var e:Object in sink.events) if (e.type != "log") types.push(e.type + (e.type == "close" ? " " + e.code : ""));
		T.eq("events after a policy refusal", types.join(", "), "error, close 1006");
		var message:String = sink.events.length ? BridgeCodec.unesc(sink.events[0].message) : "";
		T.ok("the error keeps the player's words", message.indexOf("Error #2048") >= 0, message);
		T.ok("the error names the doctor command line",
			message.indexOf("web-socket-js-server doctor -origin https://example.com ws://example.com:10081/echo") >= 0, message);
	}

	private static function shellWords():void {
		var url:WebSocketUrl = new WebSocketUrl("ws://[::1]:9000/chat?a=1&b='x'");
		T.eq("a URL with shell characters is quoted", WebSocket.policyRefusal("refused", "http://[::1]:8080", url),
			"refused. To see why, run: web-socket-js-server doctor -origin 'http://[::1]:8080' 'ws://[::1]:9000/chat?a=1&b='\\''x'\\''' " +
			"(from a clone: go run ./server doctor ...)");
		T.eq("a page without an http(s) origin names no -origin", WebSocket.policyRefusal("refused", "null", new WebSocketUrl("ws://h:81/")),
			"refused. To see why, run: web-socket-js-server doctor ws://h:81/ (from a clone: go run ./server doctor ...)");
		T.eq("an empty origin stays one word", WebSocket.shellWord(""), "''");
		T.eq("a plain URL is not quoted", WebSocket.shellWord("wss://example.com/a_b-c.d%20e"), "wss://example.com/a_b-c.d%20e");
	}
}
}
