package websocketjs {
/**
 * Everything a WebSocket connection is opened with, validated by the caller
 * (WebSocketMain.create). Timeouts and the message limit start at their defaults.
 */
public final class WebSocketOptions {
	public static const DEFAULT_CONNECT_TIMEOUT_MS:int = 10000;
	public static const DEFAULT_CLOSE_TIMEOUT_MS:int = 5000;
	/** 16 MiB. */
	public static const DEFAULT_MAX_MESSAGE_BYTES:int = 16777216;

	public var url:WebSocketUrl;
	/** Requested subprotocols (Strings). */
	public var protocols:Array = [];
	/** Sent as the Origin header. */
	public var origin:String = "";
	/** The Cookie header value, or "" for none. */
	public var cookie:String = "";
	/** Extra request headers as [name, value] pairs. */
	public var extraHeaders:Array = [];
	/** An HTTP proxy for a CONNECT tunnel (null: direct), and the credentials for it only. */
	public var proxyHost:String;
	public var proxyPort:int;
	public var proxyAuthorization:String;
	/** Connect plus opening handshake. */
	public var connectTimeoutMs:int = DEFAULT_CONNECT_TIMEOUT_MS;
	/** The wait for the server's close frame, and then for its TCP close. */
	public var closeTimeoutMs:int = DEFAULT_CLOSE_TIMEOUT_MS;
	/** Number: FrameCodec compares it with 64-bit frame lengths. */
	public var maxMessageBytes:Number = DEFAULT_MAX_MESSAGE_BYTES;
}
}
