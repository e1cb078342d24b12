// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The OpenTelemetry Node SDK with every auto-instrumentation, exporting spans
// as OTLP/HTTP protobuf: `node --require ./otel.js server.js`. The endpoint
// comes from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; metrics and logs are off.
'use strict';
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');

const sdk = new NodeSDK({
  traceExporter: new OTLPTraceExporter(),
  instrumentations: [getNodeAutoInstrumentations()],
});
sdk.start();
process.on('SIGTERM', () => {
  sdk.shutdown().finally(() => process.exit(0));
});
