/**
 * dcat.jsonld: a DCAT 3 description of the release as JSON-LD (one dcat:Dataset
 * with a dcat:Distribution per data file), for catalogs that harvest DCAT
 * (CKAN with ckanext-dcat, data.go.jp, European portals). The context is inline,
 * so the file expands without fetching anything. Download URLs are relative to
 * the release folder (JSON-LD resolves them against the file's own URL) unless
 * a base URL is given.
 */
import { fileUrl, LICENSE, spatialUri, type CatalogFile, type CatalogMeta } from './catalog.js';

export const DCAT_CONTEXT = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  spdx: 'http://spdx.org/rdf/terms#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
} as const;

/** EU frequency authority table (used by DCAT-AP) for dct:accrualPeriodicity. */
const ANNUAL = 'http://publications.europa.eu/resource/authority/frequency/ANNUAL';

const ja = (v: string) => ({ '@value': v, '@language': 'ja' });
const en = (v: string) => ({ '@value': v, '@language': 'en' });

function checksum(sha256: string) {
  return {
    '@type': 'spdx:Checksum',
    'spdx:algorithm': { '@id': 'spdx:checksumAlgorithm_sha256' },
    'spdx:checksumValue': { '@value': sha256, '@type': 'xsd:hexBinary' },
  };
}

function distribution(meta: CatalogMeta, f: CatalogFile) {
  const url = { '@id': fileUrl(meta, f.path) };
  return {
    '@type': 'dcat:Distribution',
    'dct:title': [ja(f.title.ja), en(f.title.en)],
    'dct:description': en(f.description),
    'dcat:accessURL': url,
    'dcat:downloadURL': url,
    'dcat:mediaType': { '@id': `https://www.iana.org/assignments/media-types/${f.mediaType}` },
    'dct:format': f.format,
    'dcat:byteSize': { '@value': String(f.bytes), '@type': 'xsd:nonNegativeInteger' },
    'spdx:checksum': checksum(f.sha256),
    'dct:license': { '@id': LICENSE.url },
  };
}

export function buildDcat(meta: CatalogMeta, files: CatalogFile[]): Record<string, unknown> {
  const publishers = meta.municipalities.map((m) => ({
    '@type': ['foaf:Agent', 'foaf:Organization'],
    'foaf:name': ja(m.name),
    'dct:identifier': m.code,
  }));
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
    'dct:publisher': publishers.length === 1 ? publishers[0] : publishers,
    'dct:license': { '@id': LICENSE.url },
    'dct:rights': { '@type': 'dct:RightsStatement', 'rdfs:label': [ja(meta.attribution.ja), en(meta.attribution.en)] },
    'dct:provenance': {
      '@type': 'dct:ProvenanceStatement',
      'rdfs:label': en('Extracted and processed by sousei-kpi from the source PDF reports listed in dct:source; progress symbols recomputed and checked (see findings).'),
    },
    'dct:source': meta.sources.map((s) => ({
      ...(s.url ? { '@id': s.url } : {}),
      'dct:title': ja(s.title ?? s.file),
      'dct:identifier': s.file,
      'spdx:checksum': checksum(s.sha256),
    })),
    ...(meta.fiscalYears
      ? {
          'dct:temporal': {
            '@type': 'dct:PeriodOfTime',
            'dcat:startDate': { '@value': `${meta.fiscalYears.first}-04-01`, '@type': 'xsd:date' },
            'dcat:endDate': { '@value': `${meta.fiscalYears.last + 1}-03-31`, '@type': 'xsd:date' },
          },
        }
      : {}),
    'dct:spatial': places.length === 1 ? places[0] : places,
    'dct:accrualPeriodicity': { '@id': ANNUAL },
    'dct:language': { '@id': 'http://id.loc.gov/vocabulary/iso639-1/ja' },
    'dcat:keyword': [...meta.keywords.ja.map(ja), ...meta.keywords.en.map(en)],
    'dcat:landingPage': { '@id': fileUrl(meta, 'index.html') },
    'dcat:distribution': files.map((f) => distribution(meta, f)),
  };
}
