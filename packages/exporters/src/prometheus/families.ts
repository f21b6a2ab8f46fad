// Metric families as exporter-prometheus 0.30x builds them (0.22x writes one
// block per metric instead): metrics with the same exposition name are one
// family, written under one HELP/TYPE; a TYPE conflict drops the family, a
// HELP or UNIT conflict keeps the first (each with the same diag.warn, once
// while the conflict lasts). The OpenMetrics writer groups the same way.
import { diag } from '@opentelemetry/api';
import type { InstrumentationScope } from '@fastmeter/sdk';
import type { ColumnCollection, ColumnMetric } from '../common/columns.js';
import { type PromType, metricName, prometheusType } from './names.js';

export interface Metadata {
  help: string;
  unit: string;
  type: PromType;
}

export interface Family {
  metadata: Metadata | undefined;
  metrics: { metric: ColumnMetric; scope: InstrumentationScope }[];
}

export const TARGET_INFO = 'target_info';

/** Remembers the conflicts warned about, so a conflict is reported once while it lasts. */
export class ConflictLog {
  private _previous = new Set<string>();
  private _current = new Set<string>();

  begin(): void {
    this._current = new Set();
  }

  end(): void {
    this._previous = this._current;
  }

  warn(kind: string, name: string, first: string, second: string, selected: string | undefined): void {
    const key = `${kind}:${name}:${selected ?? ''}`;
    if (this._current.has(key)) return;
    this._current.add(key);
    if (this._previous.has(key)) return;
    const values = `${JSON.stringify(first)}, ${JSON.stringify(second)}`;
    if (selected === undefined) diag.warn(`Conflicting ${kind} comments for metric "${name}": ${values}; dropping the metric.`);
    else diag.warn(`Conflicting ${kind} comments for metric "${name}": ${values}; exporting ${JSON.stringify(selected)}.`);
  }
}

export function collectFamilies(collection: ColumnCollection, prefix: string, withTargetInfo: boolean, conflicts: ConflictLog): Map<string, Family> {
  const families = new Map<string, Family>();
  conflicts.begin();
  if (withTargetInfo) families.set(TARGET_INFO, { metadata: { help: 'Target metadata', unit: '', type: 'gauge' }, metrics: [] });
  for (const { scope, metrics } of collection.scopes) {
    for (const metric of metrics) {
      const name = metricName(metric.descriptor.name, prefix, metric.dataPointType, metric.isMonotonic);
      if (name === undefined) continue;
      const type = prometheusType(metric.dataPointType, metric.isMonotonic);
      const family = families.get(name);
      if (family === undefined) {
        families.set(name, { metadata: { help: metric.descriptor.description, unit: metric.descriptor.unit, type }, metrics: [{ metric, scope }] });
        continue;
      }
      const metadata = family.metadata;
      if (metadata === undefined) continue;
      if (metadata.type !== type) {
        conflicts.warn('TYPE', name, metadata.type, type, undefined);
        family.metadata = undefined;
        family.metrics = [];
        continue;
      }
      family.metrics.push({ metric, scope });
    }
  }
  for (const [name, family] of families) {
    const metadata = family.metadata;
    if (metadata === undefined) continue;
    for (const { metric } of family.metrics) {
      const { description: help, unit } = metric.descriptor;
      if (help) {
        if (!metadata.help) metadata.help = help;
        else if (metadata.help !== help) conflicts.warn('HELP', name, metadata.help, help, metadata.help);
      }
      if (unit) {
        if (!metadata.unit) metadata.unit = unit;
        else if (metadata.unit !== unit) conflicts.warn('UNIT', name, metadata.unit, unit, metadata.unit);
      }
    }
  }
  conflicts.end();
  return families;
}
