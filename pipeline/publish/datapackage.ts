/** Data Package v2 descriptor (datapackage.json), validated against the official profiles vendored in schemas/frictionless-2.0/. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { ajv07 } from '../lib/lazy.js';
import { SCHEMA_DIR } from '../lib/paths.js';
import { formatErrors } from '../lib/schemas.js';
import { DATAPACKAGE_FORMATS, precompiled, schemaHash } from '../lib/validator-support.js';
import { fileUrl, type CatalogMeta } from './catalog.js';
import type { PublicationAgent } from './publication.js';
import type { WrittenFile } from './stream.js';

let validate: ValidateFunction | null = null;

function profile(): ValidateFunction {
  if (validate) return validate;
  const dir = join(SCHEMA_DIR, 'frictionless-2.0');
  validate = precompiled<ValidateFunction>('datapackage', schemaHash(SCHEMA_DIR, ['frictionless-2.0/datapackage.json']));
  if (validate) return validate;
  const ajv = new (ajv07().Ajv)({ strict: false, allErrors: true, validateSchema: false });
  for (const [k, v] of Object.entries(DATAPACKAGE_FORMATS)) ajv.addFormat(k, v);
  validate = ajv.compile(JSON.parse(readFileSync(join(dir, 'datapackage.json'), 'utf8')) as object);
  return validate;
}

/** Load the profile's validator now (run.ts does while the first PDF is being read), instead of when the release is written. */
export function prepareDataPackageProfile(): void {
  profile();
}

/** Throws when the descriptor does not satisfy the Data Package v2 profile. */
export function assertValidDataPackage(descriptor: unknown): void {
  const v = profile();
  if (!v(descriptor)) throw new Error(`datapackage.json does not satisfy the Data Package v2 profile: ${formatErrors(v.errors)}`);
}

/** A CSV resource of the package: its name, title, description, file and Table Schema. */
export interface PackageResource {
  name: string;
  path: string;
  title: string;
  description: string;
  file: WrittenFile;
  schema: object;
}

function contributor(agent: PublicationAgent, role: string) {
  return {
    title: agent.name.ja,
    ...(agent.url ? { path: agent.url } : {}),
    ...(agent.email ? { email: agent.email } : {}),
    organization: agent.name.en,
    roles: [role],
  };
}

/**
 * datapackage.json from the catalog metadata (the same publisher, licence, dates
 * and temporal coverage as dcat.jsonld, ckan-package.json and the page). Every
 * source points at its URL, or at its copy in the release, or (neither known)
 * names the file and its sha256 only.
 */
export function buildDataPackage(meta: CatalogMeta, resources: PackageResource[]): Record<string, unknown> {
  const pub = meta.publication;
  return {
    $schema: 'https://datapackage.org/profiles/2.0/datapackage.json',
    name: meta.name,
    id: `urn:sha256:${meta.contentHash}`,
    title: meta.title.ja,
    description: `${meta.description.ja}\n\n${meta.description.en}`,
    version: meta.version,
    created: meta.dates.created,
    ...(meta.baseUrl ? { homepage: fileUrl(meta, 'index.html') } : {}),
    contributors: [contributor(pub.publisher, 'publisher'), contributor(pub.maintainer, 'maintainer'), contributor(pub.contact_point, 'contact')],
    licenses: [{ name: meta.licence.id, path: meta.licence.url, title: meta.licence.title }],
    keywords: [...new Set([...meta.keywords.ja, ...meta.keywords.en])],
    sources: meta.sources.map((s) => {
      const path = s.url ?? (s.release_path ? fileUrl(meta, s.release_path) : null);
      return { title: `${s.municipality_name}「${s.title ?? s.file}」(${s.file}, sha256 ${s.sha256})`, ...(path ? { path } : {}) };
    }),
    ...(meta.temporal ? { temporalCoverage: meta.temporal } : {}),
    resources: resources.map((r) => ({
      name: r.name,
      path: r.path,
      type: 'table',
      title: r.title,
      description: r.description,
      format: 'csv',
      mediatype: 'text/csv',
      encoding: 'utf-8',
      bytes: r.file.bytes,
      hash: `sha256:${r.file.sha256}`,
      dialect: { header: true, delimiter: ',', lineTerminator: '\r\n', quoteChar: '"' },
      schema: r.schema,
    })),
  };
}
