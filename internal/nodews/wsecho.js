// The minimal echo server of the npm package `ws` (the load bench's Node peer, and an upstream in the front tests),
// with compression off and the same 1 MiB message limit as our server.
// WSJS_WS_DIR is the extracted package; prints "listening ADDR".
'use strict';
const { WebSocketServer } = require(process.env.WSJS_WS_DIR);
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 1 << 20 });
wss.on('listening', () => console.log('listening 127.0.0.1:' + wss.address().port));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
