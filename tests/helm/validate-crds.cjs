// Validates the chart's ServiceMonitor and PrometheusRule against the Prometheus
// Operator's own schemas (monitoring.coreos.com/v1, as packaged by
// @kubernetes-models/prometheus-operator, pinned in tests/helm/npm): types,
// required fields, duration patterns. kubernetes-validate knows no CRD.
//   node validate-crds.cjs NPM_DIR CRDS.json
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const [npmDir, file] = process.argv.slice(2);
const load = createRequire(path.join(path.resolve(npmDir), "node_modules", "noop.js"));
const kinds = {
  ServiceMonitor: load("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor").ServiceMonitor,
  PrometheusRule: load("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule").PrometheusRule,
};
let failed = 0;
for (const doc of JSON.parse(fs.readFileSync(file, "utf8"))) {
  const Model = kinds[doc.kind];
  if (!Model || doc.apiVersion !== "monitoring.coreos.com/v1") {
    console.error(`${doc.apiVersion} ${doc.kind}: not a kind this check knows`);
    failed++;
    continue;
  }
  try {
    new Model(doc).validate();
    console.log(`${doc.kind} ${doc.metadata.name}: valid`);
  } catch (e) {
    console.error(`${doc.kind} ${doc.metadata.name}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
