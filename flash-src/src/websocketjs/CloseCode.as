package websocketjs {
/** Close codes (RFC 6455 section 7.4.1) and the ranges a client may send or receive. */
public final class CloseCode {
	public static const NORMAL:int = 1000;
	public static const PROTOCOL_ERROR:int = 1002;
	public static const UNSUPPORTED_DATA:int = 1003;
	/** Reported when a close frame carried no code; never sent. */
	public static const NO_STATUS:int = 1005;
	/** Reported when the connection ended without a closing handshake; never sent. */
	public static const ABNORMAL:int = 1006;
	public static const INVALID_DATA:int = 1007;
	public static const MESSAGE_TOO_BIG:int = 1009;
	/** The last code RFC 6455's registry assigns below the application ranges (1014). */
	public static const LAST_REGISTERED:int = 1014;
	/** Codes for libraries, frameworks and applications (3000-4999), the only others a page may send. */
	public static const APP_FIRST:int = 3000;
	public static const APP_LAST:int = 4999;
}
}
