/**
 * ckan-package.json: the release as a CKAN `package_create` payload (API v3),
 * so the open-data team can create the catalog entry by hand or with
 * `sousei-kpi publish --ckan`. Resources carry url, format, mimetype, size and
 * hash (+ hash_algorithm, the field names ckanext-dcat maps to spdx:checksum).
 * The licence is given by its id in CKAN's default licence list (cc-by), and
 * owner_org, author and maintainer come from raw/publication.json; a
 * `--owner-org` given at push time wins over the file's organisation.
 */
import { fileUrl, spatialUri, type CatalogFile, type CatalogMeta } from './catalog.js';

export interface CkanResource {
  name: string;
  description: string;
  url: string;
  format: string;
  mimetype: string;
  size: number;
  hash: string;
  hash_algorithm: 'sha256';
}

export interface CkanPackage {
  name: string;
  title: string;
  notes: string;
  license_id: string;
  version: string;
  owner_org?: string;
  author: string;
  author_email?: string;
  maintainer: string;
  maintainer_email?: string;
  url?: string;
  tags: Array<{ name: string }>;
  extras: Array<{ key: string; value: string }>;
  resources: CkanResource[];
}

/** CKAN tag names: 2–100 characters of letters, digits, spaces, "-", "_" and "." (ckan.logic.validators.tag_name_validator). */
export function ckanTag(keyword: string): string | null {
  const t = keyword.replace(/[^\p{L}\p{N}\p{M} _.-]/gu, '').trim().slice(0, 100);
  return t.length >= 2 ? t : null;
}

export function buildCkanPackage(meta: CatalogMeta, files: CatalogFile[]): CkanPackage {
  const tags = [...new Set([...meta.keywords.ja, ...meta.keywords.en].map(ckanTag).filter((t): t is string => t !== null))];
  const notes = [
    meta.description.ja,
    '',
    meta.description.en,
    '',
    '**出典・ライセンス / Attribution and licence**',
    '',
    meta.attribution.ja,
    '',
    meta.attribution.en,
    '',
    '**元資料 / Source files**',
    '',
    ...meta.sources.map((s) => {
      const link = s.url ?? (s.release_path ? fileUrl(meta, s.release_path) : null);
      return `- ${s.file} (SHA-256 ${s.sha256})${s.title ? `: ${s.title}` : ''}${link ? ` <${link}>` : ''}${s.synthetic ? ' [SYNTHETIC TEST DATA]' : ''}`;
    }),
    '',
    '**問い合わせ先 / Contact**',
    '',
    [meta.publication.contact_point.name.ja, meta.publication.contact_point.url, meta.publication.contact_point.email].filter(Boolean).join(' '),
  ].join('\n');
  const pub = meta.publication;
  const extras: Array<[string, string]> = [
    ['title_en', meta.title.en],
    ['municipality_code', meta.municipalities.map((m) => m.code).join(',')],
    ['municipality_name', meta.municipalities.map((m) => m.name).join(',')],
    ['spatial_uri', meta.municipalities.map((m) => spatialUri(m.code) ?? '').filter(Boolean).join(' ')],
    ['temporal_start', meta.temporal?.start ?? ''],
    ['temporal_end', meta.temporal?.end ?? ''],
    ['report_fiscal_years', meta.reportYears.join(',')],
    ['frequency', 'annual'],
    ['language', 'ja'],
    ['license_url', meta.licence.url],
    ['issued', meta.dates.issued],
    ['modified', meta.dates.modified],
    ['contact_name', meta.publication.contact_point.name.ja],
    ['contact_url', meta.publication.contact_point.url ?? ''],
    ['contact_email', meta.publication.contact_point.email ?? ''],
    ['theme', meta.publication.themes.map((t) => t.uri).join(' ')],
    ['attribution', meta.attribution.ja],
    ['attribution_en', meta.attribution.en],
    ['source_files', meta.sources.map((s) => `${s.file} sha256:${s.sha256}`).join('\n')],
    ['content_hash', `sha256:${meta.contentHash}`],
  ];
  return {
    name: meta.name,
    title: meta.title.ja,
    notes,
    license_id: meta.licence.ckanId,
    version: meta.version,
    ...(pub.ckan_owner_org ? { owner_org: pub.ckan_owner_org } : {}),
    author: pub.publisher.name.ja,
    ...(pub.publisher.email ? { author_email: pub.publisher.email } : {}),
    maintainer: pub.maintainer.name.ja,
    ...(pub.maintainer.email ? { maintainer_email: pub.maintainer.email } : {}),
    ...(meta.baseUrl ? { url: fileUrl(meta, 'index.html') } : {}),
    tags: tags.map((name) => ({ name })),
    extras: extras.filter(([, v]) => v !== '').map(([key, value]) => ({ key, value })),
    resources: files.map((f) => ({
      name: f.path,
      description: `${f.title.ja} / ${f.title.en}. ${f.description}`,
      url: fileUrl(meta, f.path),
      format: f.format,
      mimetype: f.mediaType,
      size: f.bytes,
      hash: f.sha256,
      hash_algorithm: 'sha256',
    })),
  };
}
