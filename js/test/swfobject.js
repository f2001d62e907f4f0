// A stand-in for swfobject.js, used by the drop-in browser test: pages written for the
// original web-socket-js load swfobject.js before web_socket.js. This one records calls, so
// the test can show the shim neither needs it nor uses it. (Not the real swfobject.)
var swfobject = {
  calls: [],
  embedSWF: function () { swfobject.calls.push("embedSWF"); },
  addDomLoadEvent: function (f) { swfobject.calls.push("addDomLoadEvent"); setTimeout(f, 0); },
  getFlashPlayerVersion: function () { swfobject.calls.push("getFlashPlayerVersion"); return { major: 11, minor: 1, release: 0 }; },
  hasFlashPlayerVersion: function () { swfobject.calls.push("hasFlashPlayerVersion"); return true; }
};
