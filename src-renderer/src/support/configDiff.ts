/**
 * Run settings as text, and the settings that differ between two runs (what a comparison shows
 * beside the curves).
 */

export interface ConfigDifference {
  key: string;
  /** The first run's value as text; '—' when it has none. */
  first: string;
  second: string;
}

import { FIELD_LABELS } from './trainForm';

const OTHER_LABELS: Readonly<Record<string, string>> = { mean: 'Normalisation mean', std: 'Normalisation std' };

/** What a person calls a run setting (the Train screen's label); the key itself for one it does not know. */
export function settingLabel(key: string): string {
  return (FIELD_LABELS as Readonly<Record<string, string>>)[key] ?? OTHER_LABELS[key] ?? key;
}

/** A setting's value as a person reads it: arrays joined, absent values as '—'. */
export function formatConfigValue(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (Array.isArray(value)) return value.map((item) => formatConfigValue(item)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The settings as [key, text] pairs in the config's own key order. */
export function configEntries(config: Readonly<Record<string, unknown>>): [string, string][] {
  return Object.entries(config).map(([key, value]) => [key, formatConfigValue(value)]);
}

/**
 * Keys whose values differ (as text, so [0.5, 0.5, 0.5] equals itself), including keys only one
 * run has; in the first config's key order, then the second's extra keys.
 */
export function configDiff(first: Readonly<Record<string, unknown>>, second: Readonly<Record<string, unknown>>): ConfigDifference[] {
  const keys = [...new Set([...Object.keys(first), ...Object.keys(second)])];
  const differences: ConfigDifference[] = [];
  for (const key of keys) {
    const a = formatConfigValue(first[key]);
    const b = formatConfigValue(second[key]);
    if (a !== b) differences.push({ key, first: a, second: b });
  }
  return differences;
}
