// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// An HTTP/1.1 service for the integration tests. Every request is answered
// 200 "ok"; with --next URL it first GETs URL and answers with that status
// (502 when the call fails). Binds 127.0.0.1 on an ephemeral port and prints
// "READY <port>". Traced by the SDK when started with --require ./otel.js.
'use strict';
const http = require('http');

const i = process.argv.indexOf('--next');
const next = i > 0 ? process.argv[i + 1] : null;

function reply(res, status) {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': 2 });
  res.end('ok');
}

const server = http.createServer((req, res) => {
  req.resume();
  if (!next) return reply(res, 200);
  http.get(next, (up) => {
    up.resume();
    up.on('end', () => reply(res, up.statusCode));
  }).on('error', () => reply(res, 502));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
