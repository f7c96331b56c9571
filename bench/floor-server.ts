// The bare floor for bench:load: plain Socket.IO relaying the same sends between the same
// clients, with no validation, persistence, queues or receipts. node bench/floor-server.ts <port>
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2]);
const http = createServer();
const io = new Server(http, {
  path: '/socket.io',
  transports: ['websocket'],
  perMessageDeflate: false,
  maxHttpBufferSize: 2e6,
});
io.on('connection', (socket) => {
  const deviceId = String(socket.handshake.auth.deviceId);
  void socket.join(`device:${deviceId}`);
  socket.on(
    'message:send',
    (request: { messageId: string; envelopes: { deviceId: string; content: string }[] }, ack: (a: unknown) => void) => {
      const serverTimestamp = new Date().toISOString();
      for (const e of request.envelopes) {
        io.to(`device:${e.deviceId}`).emit('envelopes', {
          envelopes: [
            {
              id: request.messageId,
              kind: 'message',
              messageId: request.messageId,
              content: e.content,
              serverTimestamp,
            },
          ],
        });
      }
      ack({ ok: true, data: { messageId: request.messageId, serverTimestamp, duplicate: false } });
    },
  );
});
http.listen(port, '127.0.0.1', () => console.log('floor ready'));
