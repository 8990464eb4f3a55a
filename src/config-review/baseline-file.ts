import { readFile } from 'node:fs/promises';
import { yamlData } from '../yaml-file.js';
import { z } from 'zod';
import { DbsecError, messageOf } from '../errors.js';

/** What a baseline item expects of a value; the value is compared as text unless a number bound is given. */
const ExpectSchema = z
  .object({
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    oneOf: z.array(z.union([z.string(), z.number()])).optional(),
    notOneOf: z.array(z.union([z.string(), z.number()])).optional(),
    atLeast: z.number().optional(),
    atMost: z.number().optional(),
    /** Every regular expression must match the value (log_line_prefix carries %u, %d…). */
    matchesAll: z.array(z.string()).optional(),
    /** The value must be empty: a list of findings (trust rules, untrusted languages…) with nothing in it. */
    empty: z.boolean().optional(),
  })
  .strict();

const ItemSchema = z
  .object({
    id: z.string(),
    section: z.string(),
    title: z.string(),
    /** Where the value comes from: a server setting, a named probe (a catalog query), or a key of a config file. */
    read: z.union([z.object({ setting: z.string() }).strict(), z.object({ probe: z.string() }).strict(), z.object({ file: z.string(), key: z.string(), default: z.union([z.string(), z.number(), z.boolean()]).optional() }).strict()]),
    expect: ExpectSchema,
    level: z.enum(['monitor', 'investigate']),
    why: z.string(),
    fix: z.string(),
  })
  .strict();

export const BaselineFileSchema = z.object({ engine: z.enum(['postgresql', 'tdengine']), description: z.string().optional(), items: z.array(ItemSchema).min(1) }).strict();
export type ReviewBaseline = z.infer<typeof BaselineFileSchema>;
export type ReviewItem = z.infer<typeof ItemSchema>;
export type Expectation = z.infer<typeof ExpectSchema>;

/** The built-in baselines ship in the package (baselines/), for users to copy and change. */
export function builtInBaselinePath(engine: string): string {
  return new URL(`../../baselines/${engine}.yaml`, import.meta.url).pathname;
}

export async function loadReviewBaseline(path: string): Promise<ReviewBaseline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DbsecError(`Cannot read the baseline ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(err)}; check --baseline.`);
  }
  const parsed = BaselineFileSchema.safeParse(yamlData(text, `Baseline ${path}`));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DbsecError(`Baseline ${path}: ${issue.path.join('.') || 'top level'}: ${issue.message}.`);
  }
  return parsed.data;
}

/** Whether a value meets the expectation, and the expectation in words for the report. */
export function meets(value: unknown, expect: Expectation): boolean {
  const text = Array.isArray(value) ? value.join(', ') : String(value ?? '');
  const number = Number(text);
  const same = (a: unknown) => String(a).toLowerCase() === text.toLowerCase();
  if (expect.equals !== undefined && !same(expect.equals)) return false;
  if (expect.oneOf && !expect.oneOf.some(same)) return false;
  if (expect.notOneOf && expect.notOneOf.some(same)) return false;
  if (expect.atLeast !== undefined && !(Number.isFinite(number) && text !== '' && number >= expect.atLeast)) return false;
  if (expect.atMost !== undefined && !(Number.isFinite(number) && text !== '' && number <= expect.atMost)) return false;
  if (expect.matchesAll && !expect.matchesAll.every((pattern) => new RegExp(pattern).test(text))) return false;
  if (expect.empty === true && text !== '' && text !== '0') return false;
  return true;
}

export function describeExpectation(expect: Expectation): string {
  const parts: string[] = [];
  if (expect.equals !== undefined) parts.push(String(expect.equals));
  if (expect.oneOf) parts.push(`one of ${expect.oneOf.join(', ')}`);
  if (expect.notOneOf) parts.push(`not ${expect.notOneOf.join(' or ')}`);
  if (expect.atLeast !== undefined) parts.push(`at least ${expect.atLeast}`);
  if (expect.atMost !== undefined) parts.push(`at most ${expect.atMost}`);
  if (expect.matchesAll) parts.push(`containing ${expect.matchesAll.join(', ')}`);
  if (expect.empty) parts.push('none');
  return parts.join('; ');
}
