// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The OpenTelemetry Node SDK with the auto-instrumentations, exporting spans
// as OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. Loaded first:
// `node --require ./otel.js service.js`; require('./otel.js') gives the SDK,
// for a script that must flush before it exits. SIGTERM flushes and exits.
'use strict';
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');

const sdk = new NodeSDK({
  traceExporter: new OTLPTraceExporter(),
  // HTTP is what the tests look at; file system spans would only be noise.
  instrumentations: [getNodeAutoInstrumentations({
    '@opentelemetry/instrumentation-fs': { enabled: false },
  })],
});
sdk.start();
process.on('SIGTERM', () => {
  sdk.shutdown().finally(() => process.exit(0));
});
module.exports = sdk;
