// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A client with the SDK: `node --require ./otel.js client.js URL` GETs URL
// (its span is the root of the trace), prints "STATUS <code> TRACE <trace id>",
// flushes the SDK's spans and exits.
'use strict';
const http = require('http');
const sdk = require('./otel.js');

const req = http.get(process.argv[2], (res) => {
  res.resume();
  res.on('end', () => {
    const tp = req.getHeader('traceparent') || '';
    process.stdout.write(`STATUS ${res.statusCode} TRACE ${tp.split('-')[1] || '-'}\n`);
    sdk.shutdown().finally(() => process.exit(0));
  });
});
req.on('error', (e) => {
  process.stderr.write(`client: ${e.message}\n`);
  process.exit(1);
});
