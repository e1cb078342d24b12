// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A Node.js HTTP/1.1 server for the benchmarks. Each request costs about
// --work-us microseconds of CPU (a calibrated integer loop; 0: none) and is
// answered with a small body. Prints "READY <port> <iterations>" on stdout.
// With `node --require ./otel.js server.js` the OpenTelemetry SDK traces it.
'use strict';
const http = require('http');

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
}
const port = Number(arg('--port', '0'));
const workUs = Number(arg('--work-us', '100'));

let sink = 0;
function spin(iters) {
  let x = sink | 1;
  for (let i = 0; i < iters; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  sink = x;
  return x;
}

// Iterations per workUs: the median of a few timed runs, after a warm-up so
// the loop is compiled.
function calibrate(us) {
  if (us <= 0) return 0;
  spin(2e6);
  const per = [];
  for (let r = 0; r < 7; r++) {
    const n = 2e5;
    const t0 = process.hrtime.bigint();
    spin(n);
    const ns = Number(process.hrtime.bigint() - t0);
    per.push(n / ns);
  }
  per.sort((a, b) => a - b);
  return Math.max(1, Math.round(per[3] * us * 1000));
}
const iters = calibrate(workUs);

const body = 'hello from the wirespan bench\n';
const server = http.createServer((req, res) => {
  const v = iters ? spin(iters) : 0;
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Content-Length': Buffer.byteLength(body),
    'X-Work': String(v & 0xff),
  });
  res.end(body);
});
server.keepAliveTimeout = 600e3;
server.headersTimeout = 610e3;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port} ${iters}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
