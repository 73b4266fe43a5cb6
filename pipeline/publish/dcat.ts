/**
 * dcat.jsonld: a DCAT-AP 3.0.1 description of the release as JSON-LD (one
 * dcat:Dataset with a dcat:Distribution per data file), for catalogs that
 * harvest DCAT (CKAN with ckanext-dcat, data.go.jp, European portals). It
 * satisfies the DCAT-AP 3.0.1 mandatory and class-range SHACL shapes (vendored
 * in schemas/dcat-ap-3.0.1/, checked by test/dcat-shacl.test.ts) and carries the
 * recommended properties that apply: every resource it points at is typed with
 * the class the shapes expect. The context is inline, so the file expands
 * without fetching anything. URLs are relative to the release folder (JSON-LD
 * resolves them against the file's own URL) unless a base URL is given.
 */
import { fileUrl, spatialUri, type CatalogFile, type CatalogMeta, type CitedSource } from './catalog.js';
import type { PublicationAgent } from './publication.js';

export const DCAT_CONTEXT = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  dcatap: 'http://data.europa.eu/r5r/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  spdx: 'http://spdx.org/rdf/terms#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
} as const;

/** Authority tables DCAT-AP asks for (EU Publications Office, ADMS, IANA). */
const AUTHORITY = {
  frequencyAnnual: 'http://publications.europa.eu/resource/authority/frequency/ANNUAL',
  languageJa: 'http://publications.europa.eu/resource/authority/language/JPN',
  fileType: 'http://publications.europa.eu/resource/authority/file-type/',
  availabilityStable: 'http://publications.europa.eu/resource/authority/planned-availability/STABLE',
  publisherType: 'http://purl.org/adms/publishertype/',
  iana: 'http://www.iana.org/assignments/media-types/',
} as const;

/** EU file-type codes of the formats a release holds. */
const FILE_TYPES: Record<string, string> = { CSV: 'CSV', JSON: 'JSON', PDF: 'PDF', HTML: 'HTML', 'JSON-LD': 'JSON_LD' };

/** Specifications the distributions conform to (dct:conformsTo, class dct:Standard). */
const STANDARDS = {
  csv: { '@id': 'https://www.rfc-editor.org/rfc/rfc4180', '@type': 'dct:Standard', 'dct:title': { '@value': 'RFC 4180: Common Format and MIME Type for CSV Files', '@language': 'en' } },
  json: { '@id': 'https://www.rfc-editor.org/rfc/rfc8259', '@type': 'dct:Standard', 'dct:title': { '@value': 'RFC 8259: The JavaScript Object Notation (JSON) Data Interchange Format', '@language': 'en' } },
  datapackage: { '@id': 'https://datapackage.org/standard/data-package/', '@type': 'dct:Standard', 'dct:title': { '@value': 'Data Package (Frictionless Standards v2)', '@language': 'en' } },
} as const;

const ja = (v: string) => ({ '@value': v, '@language': 'ja' });
const en = (v: string) => ({ '@value': v, '@language': 'en' });
const date = (v: string) => ({ '@value': v, '@type': 'xsd:date' });
/** A concept of an authority table, with the label SHACL shapes ask of every skos:Concept. */
const concept = (id: string, label: string) => ({ '@id': id, '@type': 'skos:Concept', 'skos:prefLabel': en(label) });
const one = <T>(list: T[]): T | T[] => (list.length === 1 ? list[0]! : list);

function checksum(sha256: string) {
  return {
    '@type': 'spdx:Checksum',
    'spdx:algorithm': { '@id': 'spdx:checksumAlgorithm_sha256' },
    'spdx:checksumValue': { '@value': sha256, '@type': 'xsd:hexBinary' },
  };
}

function format(name: string) {
  return { '@id': `${AUTHORITY.fileType}${FILE_TYPES[name] ?? name.toUpperCase()}`, '@type': 'dct:MediaTypeOrExtent' };
}

function mediaType(type: string) {
  return { '@id': `${AUTHORITY.iana}${type}`, '@type': 'dct:MediaType' };
}

function licence(meta: CatalogMeta) {
  return { '@id': meta.licence.url, '@type': 'dct:LicenseDocument', 'dct:title': en(meta.licence.title), 'dct:type': concept(meta.licence.admsType, meta.licence.admsType.replace(/^.*\//u, '')) };
}

function organisation(meta: CatalogMeta, agent: PublicationAgent, codes: string[]) {
  return {
    '@type': ['foaf:Agent', 'foaf:Organization'],
    'foaf:name': [ja(agent.name.ja), en(agent.name.en)],
    'dct:type': concept(`${AUTHORITY.publisherType}${meta.publication.publisher_type}`, meta.publication.publisher_type),
    ...(codes.length ? { 'dct:identifier': one(codes) } : {}),
    ...(agent.url ? { 'foaf:homepage': { '@id': agent.url, '@type': 'foaf:Document' } } : {}),
    ...(agent.email ? { 'foaf:mbox': { '@id': `mailto:${agent.email}` } } : {}),
  };
}

function contactPoint(agent: PublicationAgent) {
  return {
    '@type': ['vcard:Kind', 'vcard:Organization'],
    'vcard:fn': [ja(agent.name.ja), en(agent.name.en)],
    ...(agent.url ? { 'vcard:hasURL': { '@id': agent.url } } : {}),
    ...(agent.email ? { 'vcard:hasEmail': { '@id': `mailto:${agent.email}` } } : {}),
    ...(agent.telephone ? { 'vcard:hasTelephone': { '@id': `tel:${agent.telephone.replace(/[ -]/gu, '')}` } } : {}),
  };
}

function conformsTo(f: CatalogFile) {
  if (f.path === 'datapackage.json') return STANDARDS.datapackage;
  return f.format === 'CSV' ? STANDARDS.csv : STANDARDS.json;
}

function distribution(meta: CatalogMeta, f: CatalogFile) {
  const url = { '@id': fileUrl(meta, f.path) };
  return {
    '@type': 'dcat:Distribution',
    'dct:title': [ja(f.title.ja), en(f.title.en)],
    'dct:description': en(f.description),
    'dcat:accessURL': url,
    'dcat:downloadURL': url,
    'dcat:mediaType': mediaType(f.mediaType),
    'dct:format': format(f.format),
    'dct:conformsTo': conformsTo(f),
    'dcat:byteSize': { '@value': String(f.bytes), '@type': 'xsd:nonNegativeInteger' },
    'spdx:checksum': checksum(f.sha256),
    'dct:license': licence(meta),
    'dct:issued': date(meta.dates.modified),
    'dcatap:availability': concept(AUTHORITY.availabilityStable, 'Stable'),
  };
}

/** A source report: a dataset of its own (dct:source expects a dcat:Dataset), with the PDF as its distribution when it can be reached. */
function sourceDataset(meta: CatalogMeta, s: CitedSource) {
  const pdf = s.url ?? (s.release_path ? fileUrl(meta, s.release_path) : null);
  return {
    ...(s.url ? { '@id': s.url } : {}),
    '@type': 'dcat:Dataset',
    'dct:title': ja(s.title ?? s.file),
    'dct:description': ja(`${s.municipality_name}が公表した${s.report_fiscal_year}年度の進捗状況報告書 (PDF, ${s.file})${s.synthetic ? '【試験用の合成データ】' : ''}`),
    'dct:identifier': s.file,
    'dct:publisher': organisation(meta, { name: { ja: s.municipality_name, en: s.municipality_name } }, [s.municipality_code]),
    ...(s.page_url ? { 'dcat:landingPage': { '@id': s.page_url, '@type': 'foaf:Document' } } : {}),
    ...(pdf
      ? {
          'dcat:distribution': {
            '@type': 'dcat:Distribution',
            'dcat:accessURL': { '@id': pdf },
            'dcat:downloadURL': { '@id': pdf },
            'dct:description': ja(s.url ? '報告書の PDF (公表元)' : '報告書の PDF (このリリース内の写し)'),
            'dcat:mediaType': mediaType('application/pdf'),
            'dct:format': format('PDF'),
            'dcatap:availability': concept(AUTHORITY.availabilityStable, 'Stable'),
            'spdx:checksum': checksum(s.sha256),
          },
        }
      : { 'spdx:checksum': checksum(s.sha256) }),
  };
}

export function buildDcat(meta: CatalogMeta, files: CatalogFile[]): Record<string, unknown> {
  const pub = meta.publication;
  const places = meta.municipalities.map((m) => {
    const uri = spatialUri(m.code);
    return { ...(uri ? { '@id': uri } : {}), '@type': 'dct:Location', 'rdfs:label': ja(m.name), 'dct:identifier': m.code };
  });
  return {
    '@context': DCAT_CONTEXT,
    '@id': `${fileUrl(meta, 'dcat.jsonld')}#dataset`,
    '@type': 'dcat:Dataset',
    'dct:identifier': meta.name,
    'dct:title': [ja(meta.title.ja), en(meta.title.en)],
    'dct:description': [ja(meta.description.ja), en(meta.description.en)],
    'dcat:version': meta.version,
    'dct:issued': date(meta.dates.issued),
    'dct:modified': date(meta.dates.modified),
    'dct:publisher': organisation(meta, pub.publisher, meta.municipalities.map((m) => m.code)),
    'dcat:contactPoint': contactPoint(pub.contact_point),
    'dcat:theme': pub.themes.map((t) => ({ '@id': t.uri, '@type': 'skos:Concept', 'skos:prefLabel': [ja(t.label.ja), en(t.label.en)] })),
    'dct:license': licence(meta),
    'dct:rights': { '@type': 'dct:RightsStatement', 'rdfs:label': [ja(meta.attribution.ja), en(meta.attribution.en)] },
    'dct:provenance': {
      '@type': 'dct:ProvenanceStatement',
      'rdfs:label': en('Extracted and processed by sousei-kpi from the source PDF reports listed in dct:source; progress symbols recomputed and checked (see findings).'),
    },
    'dct:source': meta.sources.map((s) => sourceDataset(meta, s)),
    ...(meta.temporal
      ? { 'dct:temporal': { '@type': 'dct:PeriodOfTime', 'dcat:startDate': date(meta.temporal.start), 'dcat:endDate': date(meta.temporal.end) } }
      : {}),
    'dct:spatial': one(places),
    'dct:accrualPeriodicity': { '@id': AUTHORITY.frequencyAnnual, '@type': 'dct:Frequency' },
    'dct:language': { '@id': AUTHORITY.languageJa, '@type': 'dct:LinguisticSystem' },
    'dcat:keyword': [...meta.keywords.ja.map(ja), ...meta.keywords.en.map(en)],
    'dcat:landingPage': { '@id': fileUrl(meta, 'index.html'), '@type': 'foaf:Document' },
    'dcat:distribution': files.map((f) => distribution(meta, f)),
  };
}
