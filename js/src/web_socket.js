// web_socket.js: the drop-in build. It leaves a native WebSocket (or MozWebSocket, renamed)
// alone unless WEB_SOCKET_FORCE_FLASH is set; otherwise, when Flash (Flash Player or Ruffle)
// is there, window.WebSocket becomes the Flash implementation and the SWF is embedded once
// the page has a body (unless WEB_SOCKET_DISABLE_AUTO_INITIALIZATION). With neither a native
// WebSocket nor Flash it logs an error and leaves window.WebSocket undefined, so pages that
// test `if (window.WebSocket)` still take their own fallback. ES5 only.
import { install } from "./select.js";

if (typeof window != "undefined") install(window);
