// The ES module build: exports the Flash implementation without touching window.WebSocket.
// The SWF is embedded on first construction (or WebSocket.__initialize()); set
// WEB_SOCKET_SWF_LOCATION, since a bundled module cannot know where the SWF is served.
import { createFlashWebSocket } from "./flash_web_socket.js";

var FlashWebSocket = createFlashWebSocket(typeof window != "undefined" ? window : {}, "WebSocketMain.swf");

export { FlashWebSocket };
export default FlashWebSocket;
