/**
 * SHACL validation of a JSON-LD document against the DCAT-AP 3.0.1 shapes
 * vendored in schemas/dcat-ap-3.0.1/ (see SOURCE there): the JSON-LD reference
 * implementation (jsonld) turns the document into N-Quads, n3 parses them and
 * the shapes, and rdf-validate-shacl (Zazuko) runs the shapes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonld from 'jsonld';
import { Parser, Store } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';

export const SHAPES_DIR = join(import.meta.dirname, '../../schemas/dcat-ap-3.0.1');

export interface Violation {
  shapes: string;
  focus: string;
  path: string | null;
  message: string;
  severity: string;
}

function turtle(file: string): Store {
  const store = new Store();
  store.addQuads(new Parser({ format: 'text/turtle' }).parse(readFileSync(join(SHAPES_DIR, file), 'utf8')));
  return store;
}

/** The document as an RDF store; relative IRIs resolve against `base`. */
export async function jsonldToStore(doc: object, base: string): Promise<Store> {
  const nquads = (await jsonld.toRDF(doc as jsonld.JsonLdDocument, { base, format: 'application/n-quads' })) as unknown as string;
  const store = new Store();
  store.addQuads(new Parser({ format: 'application/n-quads' }).parse(nquads));
  return store;
}

/** Every result (of any severity) of the shapes in `shapesFile` on `data`. */
export async function shaclResults(data: Store, shapesFile: string): Promise<Violation[]> {
  const validator = new SHACLValidator(turtle(shapesFile));
  const report = await validator.validate(data);
  return report.results.map((r) => ({
    shapes: shapesFile,
    focus: r.focusNode?.value ?? '',
    path: r.path?.value ?? null,
    message: r.message.map((m) => m.value).join(' '),
    severity: r.severity?.value.replace('http://www.w3.org/ns/shacl#', '') ?? '',
  }));
}
