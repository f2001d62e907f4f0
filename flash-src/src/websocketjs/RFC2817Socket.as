package websocketjs {
import flash.events.Event;
import flash.events.IOErrorEvent;
import flash.events.ProgressEvent;
import flash.events.SecurityErrorEvent;
import flash.net.SecureSocket;
import flash.net.Socket;
import flash.utils.ByteArray;

/**
 * A byte stream to host:port, either direct or through an HTTP proxy's CONNECT tunnel
 * (RFC 2817 section 5.2), with TLS when asked. Reports through callbacks, each at most once
 * for onClose, and never after close() was called:
 * onConnect() when bytes can flow to the target, onData(ByteArray), onClose(error:String)
 * (error null when the peer closed the connection normally).
 */
public final class RFC2817Socket {
	/** Largest proxy response header block accepted, in bytes. */
	public static const MAX_PROXY_HEADER:int = 8192;

	public var onConnect:Function;
	public var onData:Function;
	public var onClose:Function;
	/** Set when the player refused the connection (SecurityErrorEvent: no socket policy allows it). */
	public var refusedByPolicy:Boolean;

	internal var socket:Socket; // internal: the package's tests dispatch the player's events on it
	private var connectRequest:String; // non-null while waiting for the proxy's answer
	private var proxyHead:ByteArray;
	private var target:String;
	private var done:Boolean;

	/** Throws an Error with a clear message when secure is asked and the player has no TLS. */
	public function RFC2817Socket(secure:Boolean) {
		socket = secure ? newSecureSocket() : new Socket();
		socket.addEventListener(Event.CONNECT, connected);
		socket.addEventListener(ProgressEvent.SOCKET_DATA, received);
		socket.addEventListener(Event.CLOSE, closedByPeer);
		socket.addEventListener(IOErrorEvent.IO_ERROR, ioError);
		socket.addEventListener(SecurityErrorEvent.SECURITY_ERROR, securityError);
	}

	/**
	 * SecureSocket exists from Flash Player 11; Ruffle (and older players) have no such class,
	 * so even naming it throws (#1065): keep that inside this try.
	 */
	private static function newSecureSocket():Socket {
		var s:Socket = null;
		try {
			if (SecureSocket.isSupported) s = new SecureSocket();
		} catch (e:Error) {
			s = null;
		}
		if (!s) throw new Error("wss:// needs flash.net.SecureSocket (TLS), which this Flash player does not provide");
		return s;
	}

	/** The CONNECT request for target (host:port, IPv6 in brackets), with optional credentials. */
	public static function connectRequestFor(target:String, proxyAuthorization:String):String {
		return "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n" +
			(proxyAuthorization ? "Proxy-Authorization: " + proxyAuthorization + "\r\n" : "") + "\r\n";
	}

	/**
	 * The status code of a proxy's response header block, or -1 when its status line is not
	 * HTTP/1.x with a 3-digit code.
	 */
	public static function proxyStatus(head:String):int {
		var m:Object = /^HTTP\/1\.[01] (\d\d\d)/.exec(head);
		return m ? int(m[1]) : -1;
	}

	/** host:port as it appears in a CONNECT line. */
	public static function authority(host:String, port:int):String {
		return (host.indexOf(":") >= 0 ? "[" + host + "]" : host) + ":" + port;
	}

	/** Connects to host:port directly, or through proxyHost:proxyPort when proxyHost is set. */
	public function connect(host:String, port:int, proxyHost:String, proxyPort:int, proxyAuthorization:String):void {
		if (proxyHost) {
			target = authority(host, port);
			connectRequest = connectRequestFor(target, proxyAuthorization);
			proxyHead = new ByteArray();
			socket.connect(proxyHost, proxyPort);
		} else {
			socket.connect(host, port);
		}
	}

	/**
	 * Sends bytes (with flush false, only buffers them until the next flush); returns false when
	 * the socket refused them (it is then closed and reported).
	 */
	public function write(bytes:ByteArray, flush:Boolean = true):Boolean {
		if (done) return false;
		try {
			socket.writeBytes(bytes);
			if (flush) socket.flush();
			return true;
		} catch (e:Error) {
			report("could not write to the socket: " + e.message);
		}
		return false;
	}

	/** Sends what write(…, false) buffered. */
	public function flush():Boolean {
		return write(new ByteArray());
	}

	/** Closes the socket; safe to call more than once (the player throws on a second close). */
	public function close():void {
		if (done) return;
		done = true;
		shut();
	}

	private function shut():void {
		socket.removeEventListener(Event.CONNECT, connected);
		socket.removeEventListener(ProgressEvent.SOCKET_DATA, received);
		socket.removeEventListener(Event.CLOSE, closedByPeer);
		socket.removeEventListener(IOErrorEvent.IO_ERROR, ioError);
		socket.removeEventListener(SecurityErrorEvent.SECURITY_ERROR, securityError);
		try {
			socket.close();
		} catch (e:Error) {
			// already closed by the peer or never connected (#2002): nothing left to release
		}
	}

	private function report(error:String):void {
		if (done) return;
		done = true;
		shut();
		onClose(error);
	}

	private function connected(e:Event):void {
		if (done) return;
		if (connectRequest != null) {
			var req:ByteArray = new ByteArray();
			req.writeUTFBytes(connectRequest); // ASCII
			write(req);
			return;
		}
		onConnect();
	}

	private function received(e:ProgressEvent):void {
		if (done) return;
		var bytes:ByteArray = new ByteArray();
		if (socket.bytesAvailable > 0) socket.readBytes(bytes, 0, socket.bytesAvailable);
		if (connectRequest == null) {
			if (bytes.length) onData(bytes);
			return;
		}
		proxyHead.writeBytes(bytes);
		var end:int = Handshake.headerEnd(proxyHead);
		if (end < 0) {
			if (proxyHead.length > MAX_PROXY_HEADER) report("the proxy's answer to CONNECT " + target + " is not HTTP");
			return;
		}
		var head:String = Handshake.latin1(proxyHead, end);
		var status:int = proxyStatus(head);
		if (status < 200 || status > 299) {
			var line:String = head.substring(0, head.indexOf("\r\n"));
			report(status < 0 ? "the proxy's answer to CONNECT " + target + " is not HTTP" :
				"the proxy refused CONNECT " + target + ": " + line.substring(line.indexOf(" ") + 1) +
				(status == 407 ? " (proxy credentials missing or wrong)" : ""));
			return;
		}
		connectRequest = null;
		var rest:ByteArray = null;
		if (proxyHead.length > end) {
			rest = new ByteArray();
			proxyHead.position = end;
			proxyHead.readBytes(rest, 0, proxyHead.length - end);
		}
		proxyHead = null;
		onConnect();
		if (rest && !done) onData(rest);
	}

	private function closedByPeer(e:Event):void {
		report(connectRequest != null ? "the proxy closed the connection before answering CONNECT " + target : null);
	}

	private function ioError(e:IOErrorEvent):void {
		report("network error: " + e.text);
	}

	private function securityError(e:SecurityErrorEvent):void {
		refusedByPolicy = true;
		report("Flash refused the connection (no socket policy file allows it): " + e.text);
	}
}
}
