package {
import flash.display.Sprite;
import flash.external.ExternalInterface;
import flash.system.Security;
import flash.utils.ByteArray;
import flash.utils.setTimeout;

import websocketjs.BridgeCodec;
import websocketjs.EventSink;
import websocketjs.Handshake;
import websocketjs.RFC2817Socket;
import websocketjs.WebSocket;
import websocketjs.WebSocketOptions;
import websocketjs.WebSocketUrl;

/**
 * Entry point of WebSocketMain.swf: the page side of flash-src/BRIDGE.md. Page calls arrive
 * through ExternalInterface callbacks; everything the page must learn is queued and the page
 * is only told "notify" from a 0 ms timer, never from inside one of its own calls.
 */
public class WebSocketMain extends Sprite implements EventSink {
	public static const BRIDGE_VERSION:int = 1;
	/** Optional callbacks beyond BRIDGE_VERSION's, announced with "ready" (BRIDGE.md). */
	public static const FEATURES:String = "sendMany";

	private var bridgeName:String = "__wsjsBridge";
	private var sockets:Object = {};
	private var queue:Array = [];
	private var notifyScheduled:Boolean;
	private var notified:Boolean; // "notify" sent, wsjsPoll not called since
	private var debugOn:Boolean;
	// wsjsSetOptions: for sockets created afterwards.
	private var connectTimeoutMs:int = WebSocketOptions.DEFAULT_CONNECT_TIMEOUT_MS;
	private var closeTimeoutMs:int = WebSocketOptions.DEFAULT_CLOSE_TIMEOUT_MS;
	private var maxMessageBytes:Number = WebSocketOptions.DEFAULT_MAX_MESSAGE_BYTES;
	private var explicitPolicy:Boolean;
	private var policyRequested:Object = {};

	public function WebSocketMain() {
		var params:Object = loaderInfo.parameters;
		if (params && params.bridge && /^[A-Za-z0-9_$]+$/.test(params.bridge)) {
			bridgeName = params.bridge;
		}
		if (!ExternalInterface.available) return;
		ExternalInterface.addCallback("wsjsCreate", create);
		ExternalInterface.addCallback("wsjsSend", send);
		ExternalInterface.addCallback("wsjsSendMany", sendMany);
		ExternalInterface.addCallback("wsjsClose", close);
		ExternalInterface.addCallback("wsjsPoll", poll);
		ExternalInterface.addCallback("wsjsSetOptions", setOptions);
		ExternalInterface.addCallback("wsjsLoadPolicy", loadPolicy);
		ExternalInterface.addCallback("wsjsSetDebug", setDebug);
		ExternalInterface.call(bridgeName, "ready", BRIDGE_VERSION, FEATURES);
	}

	// ---- EventSink

	public function emit(event:Object):void {
		queue.push(event);
		if (!notifyScheduled && !notified) {
			notifyScheduled = true;
			setTimeout(notifyPage, 0);
		}
	}

	public function forget(id:int):void {
		delete sockets[id];
	}

	public function get debug():Boolean {
		return debugOn;
	}

	/** Queues a log event for the page: about socket id, or about none (0); "debug" only with wsjsSetDebug(true). */
	private function log(id:int, level:String, message:String):void {
		if (level == "debug" && !debugOn) return;
		emit({id: id, type: "log", level: level, message: BridgeCodec.esc(message)});
	}

	private function notifyPage():void {
		notifyScheduled = false;
		if (notified || queue.length == 0) return;
		notified = true;
		ExternalInterface.call(bridgeName, "notify");
	}

	// ---- page → SWF callbacks (each catches everything: an exception must not reach the page)

	private function create(id:int, url:String, protocols:String, origin:String, cookie:String,
			headers:String, proxyHost:String, proxyPort:int):String {
		try {
			return BridgeCodec.esc(createSocket(id, url, protocols, origin, cookie, headers, proxyHost, proxyPort));
		} catch (e:Error) {
			return BridgeCodec.esc("internal error: " + e.message);
		}
		return "";
	}

	/** Validates everything before any event can follow; returns "" or the error message. */
	private function createSocket(id:int, urlText:String, protocolsText:String, origin:String, cookie:String,
			headersText:String, proxyHost:String, proxyPort:int):String {
		if (id <= 0) return "socket id must be a positive integer";
		if (sockets[id]) return "socket id " + id + " is already in use";
		var args:Array = [urlText, protocolsText, origin, cookie, headersText, proxyHost];
		var names:Array = ["url", "protocols", "origin", "cookie", "headers", "proxyHost"];
		for (var i:int = 0; i < args.length; i++) {
			args[i] = BridgeCodec.unesc(args[i] == null ? "" : String(args[i]));
			if (args[i] == null) return "wsjsCreate: argument " + names[i] + " is not esc-encoded";
		}
		var options:WebSocketOptions = new WebSocketOptions();
		try {
			options.url = new WebSocketUrl(args[0]);
		} catch (e:Error) {
			return e.message;
		}
		var protocols:Array = args[1] ? String(args[1]).split(",") : [];
		for (i = 0; i < protocols.length; i++) {
			if (!Handshake.isToken(protocols[i])) return "invalid subprotocol name '" + protocols[i] + "'";
			if (protocols.indexOf(protocols[i]) != i) return "subprotocol '" + protocols[i] + "' is requested twice";
		}
		if (!Handshake.isFieldValue(args[2])) return "origin contains control characters";
		if (!Handshake.isFieldValue(args[3])) return "cookie contains CR, LF, NUL or another control character";
		var extra:Array;
		try {
			extra = Handshake.parseExtraHeaders(args[4]);
		} catch (e2:Error) {
			return e2.message;
		}
		// Proxy-Authorization belongs to the CONNECT request only: never forward it to the server.
		var proxyAuthorization:String = null;
		for (i = extra.length - 1; i >= 0; i--) {
			if (String(extra[i][0]).toLowerCase() == "proxy-authorization") {
				proxyAuthorization = extra[i][1];
				extra.splice(i, 1);
			}
		}
		var proxy:String = args[5];
		if (proxy) {
			if (!/^([a-zA-Z0-9._~-]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/.test(proxy)) return "invalid proxy host '" + proxy + "'";
			if (proxyPort < 1 || proxyPort > 65535) return "invalid proxy port " + proxyPort;
			if (options.url.secure) return "wss:// through an HTTP proxy is not supported: Flash's SecureSocket cannot start TLS inside a CONNECT tunnel";
		} else if (proxyAuthorization != null) {
			return "a Proxy-Authorization header needs a proxy";
		}
		ensurePolicy(proxy || options.url.host, proxy ? proxyPort : options.url.port);
		options.protocols = protocols;
		options.origin = args[2];
		options.cookie = args[3];
		options.extraHeaders = extra;
		if (proxy) {
			options.proxyHost = proxy;
			options.proxyPort = proxyPort;
			options.proxyAuthorization = proxyAuthorization;
		}
		options.connectTimeoutMs = connectTimeoutMs;
		options.closeTimeoutMs = closeTimeoutMs;
		options.maxMessageBytes = maxMessageBytes;
		var ws:WebSocket = new WebSocket(id, this, options);
		sockets[id] = ws;
		ws.start();
		return "";
	}

	/**
	 * Unless the page named a policy file (wsjsLoadPolicy), ask for the socket policy in-band on
	 * the port being connected to. Naming it explicitly lets the player take it from there
	 * instead of first waiting (about 3 s) on a silent port 843.
	 */
	private function ensurePolicy(host:String, port:int):void {
		if (explicitPolicy) return;
		var where:String = "xmlsocket://" + RFC2817Socket.authority(host, port);
		if (policyRequested[where]) return;
		policyRequested[where] = true;
		try {
			Security.loadPolicyFile(where);
			log(0, "debug", "socket policy: " + where);
		} catch (e:Error) {
			log(0, "error", "could not request " + where + ": " + e.message);
		}
	}

	private function send(id:int, kind:String, data:String):int {
		var ws:WebSocket = sockets[id];
		return ws ? sendOne(ws, id, kind, data, true) : -1;
	}

	/**
	 * wsjsSendMany: items is [kind, data, kind, data, …]; the frames leave in one write (one
	 * flush), which costs a runtime far less than one write per message. Returns what
	 * wsjsSend would have returned for each message.
	 */
	private function sendMany(id:int, items:Array):Array {
		var out:Array = [];
		var ws:WebSocket = sockets[id];
		try {
			for (var i:int = 0; items && i + 1 < items.length; i += 2) {
				out.push(ws ? sendOne(ws, id, String(items[i]), String(items[i + 1]), false) : -1);
			}
			if (ws) ws.flush();
		} catch (e:Error) {
			log(id, "error", "wsjsSendMany: " + e.message);
		}
		return out;
	}

	private function sendOne(ws:WebSocket, id:int, kind:String, data:String, flush:Boolean):int {
		try {
			var payload:Object = kind == "t" ? BridgeCodec.unesc(data) : kind == "b" ? BridgeCodec.unb64(data) : null;
			if (payload == null) {
				log(id, "error", "wsjsSend: data is not " + (kind == "b" ? "b64" : kind == "t" ? "esc" : "of kind t or b"));
				return -1;
			}
			return ws.send(kind, payload, flush);
		} catch (e:Error) {
			log(id, "error", "wsjsSend: " + e.message);
		}
		return -1;
	}

	private function close(id:int, code:int, reason:String):void {
		try {
			var ws:WebSocket = sockets[id];
			if (ws) ws.close(code, BridgeCodec.unesc(reason || "") || "");
		} catch (e:Error) {
			log(id, "error", "wsjsClose: " + e.message);
		}
	}

	private function poll():Array {
		notified = false;
		var out:Array = queue;
		queue = [];
		return out;
	}

	private function setOptions(connectTimeout:int, closeTimeout:int, maxMessage:int):void {
		connectTimeoutMs = connectTimeout > 0 ? connectTimeout : WebSocketOptions.DEFAULT_CONNECT_TIMEOUT_MS;
		closeTimeoutMs = closeTimeout > 0 ? closeTimeout : WebSocketOptions.DEFAULT_CLOSE_TIMEOUT_MS;
		maxMessageBytes = maxMessage > 0 ? maxMessage : WebSocketOptions.DEFAULT_MAX_MESSAGE_BYTES;
	}

	private function loadPolicy(url:String):void {
		try {
			var where:String = BridgeCodec.unesc(url || "");
			if (!where) return;
			explicitPolicy = true;
			Security.loadPolicyFile(where);
			log(0, "debug", "socket policy: " + where);
		} catch (e:Error) {
			log(0, "error", "wsjsLoadPolicy: " + e.message);
		}
	}

	private function setDebug(on:Boolean):void {
		debugOn = on;
	}
}
}
