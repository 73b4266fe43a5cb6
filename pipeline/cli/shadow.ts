/**
 * A stand-in for the output folder, for `check`: a temporary folder whose
 * releases/ links to the real releases and whose latest points where the real
 * one does. The pipeline publishes into it exactly as it would into the real
 * folder (so the changelog compares with the real latest release), and the
 * real output folder is only read.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Shadow {
  dir: string;
  dispose(): void;
}

export function shadowOutput(outDir: string): Shadow {
  const dir = mkdtempSync(join(tmpdir(), 'sousei-kpi-check-'));
  const releases = join(outDir, 'releases');
  if (existsSync(releases)) {
    mkdirSync(join(dir, 'releases'));
    for (const n of readdirSync(releases)) {
      if (n.startsWith('.')) continue;
      if (n === 'index.json') copyFileSync(join(releases, n), join(dir, 'releases', n));
      else symlinkSync(join(releases, n), join(dir, 'releases', n));
    }
  }
  try {
    symlinkSync(readlinkSync(join(outDir, 'latest')), join(dir, 'latest'));
  } catch {
    // no latest yet: the check compares with nothing (an initial release)
  }
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
