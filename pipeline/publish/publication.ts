/**
 * Publication metadata: who publishes the datasets, whom to contact, the
 * licence, the themes and where each source report is published. Read from
 * raw/publication.json (schemas/publication.schema.json) — the one place these
 * facts are kept — and handed to datapackage.json, dcat.jsonld,
 * ckan-package.json and index.html through the catalog metadata. Without the
 * file, a generic description of the municipalities of the release is used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLICATION_FILE } from '../lib/inputs.js';
import { InputError } from '../lib/registry.js';
import type { PublicationAgent, PublicationConfig } from '../lib/records.gen.js';
import { formatErrors, validator } from '../lib/schemas.js';

export type { PublicationAgent, PublicationConfig };

export { PUBLICATION_FILE };

/** A licence as each catalog names it. */
export interface Licence {
  /** SPDX id (Data Package licenses[].name). */
  id: PublicationConfig['licence'];
  /** Id in CKAN's default licence list (ckan/model/license.py). */
  ckanId: string;
  url: string;
  title: string;
  short: string;
  /** DCAT-AP licence type (http://purl.org/adms/licencetype/…). */
  admsType: string;
  note: { ja: string; en: string };
}

export const LICENCES: Record<PublicationConfig['licence'], Licence> = {
  'CC-BY-4.0': {
    id: 'CC-BY-4.0',
    ckanId: 'cc-by',
    url: 'https://creativecommons.org/licenses/by/4.0/',
    title: 'Creative Commons Attribution 4.0 International (CC BY 4.0)',
    short: 'CC BY 4.0',
    admsType: 'http://purl.org/adms/licencetype/Attribution',
    note: {
      ja: 'CC BY 4.0 は公共データ利用規約(第1.0版, PDL1.0)と互換性があります。',
      en: 'CC BY 4.0 is compatible with the Public Data License of Japan, version 1.0 (公共データ利用規約 PDL1.0).',
    },
  },
  'CC0-1.0': {
    id: 'CC0-1.0',
    ckanId: 'cc-zero',
    url: 'https://creativecommons.org/publicdomain/zero/1.0/',
    title: 'Creative Commons Zero 1.0 Universal (CC0 1.0)',
    short: 'CC0 1.0',
    admsType: 'http://purl.org/adms/licencetype/PublicDomain',
    note: { ja: 'CC0 は著作権を放棄する宣言です。出典の記載は任意です。', en: 'CC0 waives copyright; attribution is welcome but not required.' },
  },
};

/** EU data themes used when no config is given. */
const DEFAULT_THEMES: PublicationConfig['themes'] = [
  { uri: 'http://publications.europa.eu/resource/authority/data-theme/GOVE', label: { ja: '行財政', en: 'Government and public sector' } },
  { uri: 'http://publications.europa.eu/resource/authority/data-theme/REGI', label: { ja: '地域・都市', en: 'Regions and cities' } },
];

/** raw/publication.json, checked against its schema; null when the file does not exist. */
export function loadPublicationConfig(rawDir: string): PublicationConfig | null {
  const path = join(rawDir, PUBLICATION_FILE);
  if (!existsSync(path)) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(path, `is not valid JSON (${(err as Error).message})`, 'fix the syntax (README, "Publication metadata" shows the file)');
  }
  const v = validator('publication.schema.json');
  if (!v(doc)) throw new InputError(path, `does not match schemas/publication.schema.json: ${formatErrors(v.errors)}`, 'compare it with the example in the README, "Publication metadata"');
  return doc as PublicationConfig;
}

/** The description used without raw/publication.json: the municipalities of the release publish, maintain and answer. */
export function fallbackPublication(municipalityNames: string[]): PublicationConfig {
  const ja = municipalityNames.join('・') || '地方公共団体';
  const agent: PublicationAgent = { name: { ja, en: `${ja} (municipality)` }, url: null, email: null, telephone: null };
  return { publisher: agent, publisher_type: 'LocalAuthority', contact_point: agent, maintainer: agent, licence: 'CC-BY-4.0', themes: DEFAULT_THEMES, ckan_owner_org: null, copy_source_pdfs: false, reports: [] };
}

/** A source PDF's published location: the config's entry, else raw/sources.json's url. */
export function reportLocation(config: PublicationConfig, file: string, registryUrl: string | null): { url: string | null; pageUrl: string | null } {
  const r = config.reports?.find((x) => x.file === file);
  return { url: r?.url ?? registryUrl ?? null, pageUrl: r?.page_url ?? null };
}

/** Publication dates: the publishing day in Japan (the catalog's time zone) and the moment. */
export interface PublicationDates {
  /** First publication of the dataset (YYYY-MM-DD, JST): the first release in releases/index.json, or this one. */
  issued: string;
  /** This release (YYYY-MM-DD, JST). */
  modified: string;
  /** This release (ISO 8601, UTC), as changelog.json records it. */
  created: string;
}

export function jstDate(d: Date): string {
  return new Date(d.getTime() + 9 * 3600 * 1000).toISOString().slice(0, 10);
}

/** The release's human version: its publishing day as a calendar version (2026.12.3), semver-shaped. */
export function calendarVersion(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return `${y}.${m}.${d}`;
}
