#!/usr/bin/env node
// Compiles JSON Schemas (draft-07) for OCSF event classes from a checkout of the OCSF schema repository
// (github.com/ocsf/ocsf-schema), the way the OCSF server resolves it: a class's `extends` chain, its `$include`d
// files, the dictionary's attribute types (base types such as timestamp_t down to JSON types, objects as
// definitions, arrays, enums), requirement "required" as JSON Schema's `required`, objects' at_least_one / just_one
// constraints. Profiles' attributes are allowed but never required (dbsec applies no profile). Unknown attributes are
// refused, so a misspelt field fails the test that validates dbsec's OCSF output.
//
//   node scripts/ocsf-json-schema.mjs OCSF_SCHEMA_DIR compliance_finding detection_finding > fixtures/schemas/ocsf-1.2.0-findings.schema.json
//
// dbsec's vendored file was made from tag v1.2.0 (commit 7234a336ddcd5a2359e1afa79f9651150061e0dc).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [root, ...classNames] = process.argv.slice(2);
if (!root || classNames.length === 0) {
  console.error('usage: ocsf-json-schema.mjs OCSF_SCHEMA_DIR CLASS_NAME…');
  process.exit(2);
}
const read = (path) => JSON.parse(readFileSync(join(root, path), 'utf8'));
const dictionary = read('dictionary.json');
const categories = read('categories.json').attributes;
const version = read('version.json').version;

function filesUnder(dir) {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
}
const objects = new Map(filesUnder('objects').map((file) => { const o = read(file); return [o.name, o]; }));
const events = new Map(filesUnder('events').map((file) => { const e = read(file); return [e.name, e]; }));

/** Attributes of a definition with its $include files merged in; a profile's attributes are marked optional. */
function ownAttributes(definition) {
  const out = {};
  for (const [name, attribute] of Object.entries(definition.attributes ?? {})) {
    if (name !== '$include') out[name] = { ...(out[name] ?? {}), ...attribute };
  }
  for (const file of definition.attributes?.$include ?? []) {
    const included = read(file);
    const profile = included.meta === 'profile' || file.startsWith('profiles/');
    for (const [name, attribute] of Object.entries(included.attributes ?? {})) {
      out[name] = { ...attribute, ...(profile ? { requirement: 'optional' } : {}), ...(out[name] ?? {}) };
    }
  }
  return out;
}

/** The whole attribute set along the extends chain, the child's settings over the parent's. */
function resolved(definition, table) {
  const parent = definition.extends ? table.get(definition.extends) : undefined;
  const base = parent ? resolved(parent, table) : { attributes: {}, constraints: {} };
  const attributes = { ...base.attributes };
  for (const [name, attribute] of Object.entries(ownAttributes(definition))) {
    const merged = { ...(attributes[name] ?? {}), ...attribute };
    if (attributes[name]?.enum && attribute.enum) merged.enum = { ...attributes[name].enum, ...attribute.enum };
    attributes[name] = merged;
  }
  return { attributes, constraints: definition.constraints ?? base.constraints };
}

const definitions = {};
function typeSchema(typeName) {
  const base = dictionary.types.attributes[typeName];
  if (base) {
    if (base.type) return typeSchema(base.type);
    return { string_t: { type: 'string' }, integer_t: { type: 'integer' }, long_t: { type: 'integer' }, float_t: { type: 'number' }, boolean_t: { type: 'boolean' }, json_t: {} }[typeName] ?? {};
  }
  if (typeName === 'object') return { type: 'object' };
  if (!objects.has(typeName)) throw new Error(`unknown type ${typeName}`);
  if (!definitions[typeName]) {
    definitions[typeName] = {};
    definitions[typeName] = objectSchema(resolved(objects.get(typeName), objects));
  }
  return { $ref: `#/definitions/${typeName}` };
}

function attributeSchema(name, attribute) {
  const entry = { ...dictionary.attributes[name], ...attribute };
  if (!entry.type) throw new Error(`attribute ${name} has no type in the dictionary`);
  let schema = typeSchema(entry.type);
  if (entry.enum && (schema.type === 'integer' || schema.type === 'string')) {
    schema = { ...schema, enum: Object.keys(entry.enum).map((key) => (schema.type === 'integer' ? Number(key) : key)) };
  }
  return entry.is_array ? { type: 'array', items: schema } : schema;
}

function objectSchema({ attributes, constraints }) {
  const properties = Object.fromEntries(Object.entries(attributes).map(([name, attribute]) => [name, attributeSchema(name, attribute)]));
  const required = Object.entries(attributes).filter(([, a]) => a.requirement === 'required').map(([name]) => name);
  const schema = { type: 'object', properties, additionalProperties: false, ...(required.length ? { required } : {}) };
  if (constraints?.at_least_one) schema.anyOf = constraints.at_least_one.map((name) => ({ required: [name] }));
  if (constraints?.just_one) schema.oneOf = constraints.just_one.map((name) => ({ required: [name] }));
  return schema;
}

const classes = classNames.map((name) => {
  const event = events.get(name);
  if (!event) throw new Error(`no event class ${name}`);
  const { attributes, constraints } = resolved(event, events);
  const categoryUid = categories[event.category ?? resolvedCategory(event)].uid;
  const classUid = categoryUid * 1000 + event.uid;
  attributes.class_uid = { ...attributes.class_uid, enum: { [classUid]: { caption: event.caption } } };
  attributes.category_uid = { ...attributes.category_uid, enum: { [categoryUid]: {} } };
  const schema = objectSchema({ attributes, constraints });
  schema.properties.type_uid = { type: 'integer', enum: Object.keys(attributes.activity_id.enum).map((id) => classUid * 100 + Number(id)) };
  return { title: `${event.caption} (class_uid ${classUid})`, ...schema };
});

function resolvedCategory(event) {
  let current = event;
  while (current && !current.category) current = events.get(current.extends);
  return current.category;
}

process.stdout.write(
  `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: `OCSF ${version}: ${classNames.join(', ')} (compiled by dbsec's scripts/ocsf-json-schema.mjs)`, oneOf: classes, definitions }, null, 1)}\n`,
);
