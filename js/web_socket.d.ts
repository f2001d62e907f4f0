// Type declarations for web-socket-js: the ES module build (web_socket.mjs) and the
// configuration globals read by both builds (web_socket.js / web_socket.min.js).

/** The constructor: the standard WebSocket one plus the original web-socket-js extras. */
export interface FlashWebSocketConstructor {
  /**
   * Opens a WebSocket through WebSocketMain.swf.
   * @param url ws:, wss:, http: or https: URL, absolute or relative to the page; no fragment.
   * @param protocols subprotocol names (HTTP tokens, no duplicates).
   * @param proxyHost HTTP proxy to tunnel through with CONNECT (RFC 2817); not for wss:.
   * @param proxyPort port of that proxy.
   * @param headers extra request headers as "Name: value" lines (CRLF or LF separated).
   * @throws DOMException SyntaxError for a bad URL, scheme, fragment or subprotocol;
   *   SecurityError for a ws: (or http:) URL on a page loaded over https:. What
   *   the SWF refuses (a bad header, say) is an error event and a close event with code 1006.
   */
  new (url: string | URL, protocols?: string | string[], proxyHost?: string, proxyPort?: number, headers?: string): WebSocket;
  readonly prototype: WebSocket;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  /** Always true: tells this implementation from a native WebSocket. */
  readonly __isFlashImplementation: true;
  /** Embeds the SWF now (needed when WEB_SOCKET_DISABLE_AUTO_INITIALIZATION is set). Idempotent. */
  __initialize(): void;
  /** Runs task once the SWF is ready (at once if it is). */
  __addTask(task: () => void): void;
  /** Names the Flash socket policy file to use, e.g. "xmlsocket://example.com:843". */
  loadFlashPolicyFile(url: string): void;
}

/** The Flash implementation; importing it does not touch window.WebSocket. */
export declare const FlashWebSocket: FlashWebSocketConstructor;
export default FlashWebSocket;

/** An object that receives the shim's log lines (the console by default). */
export interface WebSocketLogger {
  log(message: string): void;
  error(message: string): void;
}

declare global {
  /** URL of WebSocketMain.swf (default: beside web_socket.js; "WebSocketMain.swf" for the ES module). */
  var WEB_SOCKET_SWF_LOCATION: string | undefined;
  /** Log debug lines, and turn on the SWF's debug output. */
  var WEB_SOCKET_DEBUG: boolean | undefined;
  /** Where log lines go instead of the console. */
  var WEB_SOCKET_LOGGER: WebSocketLogger | undefined;
  /** Use the Flash implementation even where the browser has a native WebSocket. */
  var WEB_SOCKET_FORCE_FLASH: boolean | undefined;
  /** Do not warn about a WebSocketMain.swf served from another host. */
  var WEB_SOCKET_SUPPRESS_CROSS_DOMAIN_SWF_ERROR: boolean | undefined;
  /** Do not embed the SWF until WebSocket.__initialize() is called. */
  var WEB_SOCKET_DISABLE_AUTO_INITIALIZATION: boolean | undefined;
  /** Milliseconds to wait for the SWF to start before failing sockets (default 10000). */
  var WEB_SOCKET_SWF_TIMEOUT: number | undefined;
}
