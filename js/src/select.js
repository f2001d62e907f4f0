// Choosing between the native WebSocket and the Flash one (see web_socket.js). ES5 only.
import { createFlashWebSocket, log } from "./flash_web_socket.js";

// hasFlash is truthy with Ruffle, a Flash plugin, or (IE) the Flash ActiveX control. Any
// failure is "no" (undefined).
export function hasFlash(win) {
  try {
    return win.RufflePlayer || win.navigator.mimeTypes["application/x-shockwave-flash"] ||
      new win.ActiveXObject("ShockwaveFlash.ShockwaveFlash");
  } catch (e) {}
}

// scriptDir is where this script came from: the default WEB_SOCKET_SWF_LOCATION is
// WebSocketMain.swf beside it. While a classic script runs it is the last script element.
function swfBesideScript(doc) {
  var all = doc.getElementsByTagName("script"), s = doc.currentScript || all[all.length - 1];
  return (s && s.src || "").replace(/[^\/?#]*([?#].*)?$/, "") + "WebSocketMain.swf";
}

export function install(win) {
  var Native = win.WebSocket || win.MozWebSocket;
  if (!win.WEB_SOCKET_FORCE_FLASH) {
    if (Native) return (win.WebSocket = Native);
    if (!hasFlash(win)) return log(win, "no WebSocket, no Flash");
  }
  // auto: embed the SWF once the running script is done (see createFlashWebSocket).
  win.WebSocket = createFlashWebSocket(win, swfBesideScript(win.document), 1);
}
