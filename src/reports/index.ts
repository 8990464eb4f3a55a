import type { Report } from '../report.js';
import { formatJson } from './json.js';
import { formatMarkdown } from './markdown.js';
import { formatTable, type FormatOptions } from './table.js';

export type { FormatOptions };

/** Formatters are pure: (report, options) → string. This map also feeds the --format choices. */
export const FORMATTERS = {
  table: formatTable,
  json: formatJson,
  markdown: formatMarkdown,
} satisfies Record<string, (report: Report, options: FormatOptions) => string>;

export type Format = keyof typeof FORMATTERS;
export const FORMATS = Object.keys(FORMATTERS) as Format[];
