/**
 * A stand-in for the output folder, for `check`: a temporary folder holding a
 * replica of releases/ and a latest that points where the real one does. The
 * pipeline publishes into it exactly as it would into the real folder (so the
 * changelog compares with the real latest release), and the real output folder
 * is only read.
 *
 * Publish adopts or reads only real release folders whose files match their
 * manifest, never links (see publish/releases.ts), so the replica is made of real
 * folders: each file hard-linked where the file system allows it (no copy of the
 * data; publish never writes into an existing release), copied otherwise. A link
 * or a special file in the real releases/ is replicated as a link, so the check
 * refuses it as the run would.
 */
import { constants, copyFileSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lstatOrNull } from '../lib/durable.js';

export interface Shadow {
  dir: string;
  /** `text` with the stand-in folder's paths written as the real output folder's. */
  realPath(text: string): string;
  dispose(): void;
}

/** A regular file of a release: hard-linked, or copied when the link is refused (another file system, permissions). */
function linkOrCopy(src: string, dst: string): void {
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst, constants.COPYFILE_FICLONE);
  }
}

/** Replicate `src` at `dst`: folders as folders, regular files linked or copied, anything else as a link. */
function replicate(src: string, dst: string): void {
  const st = lstatSync(src);
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
  else if (st.isDirectory()) {
    mkdirSync(dst);
    for (const n of readdirSync(src)) replicate(join(src, n), join(dst, n));
  } else if (st.isFile()) linkOrCopy(src, dst);
  else symlinkSync(src, dst); // a FIFO, socket or device: never opened, refused as a non-folder like the original
}


export function shadowOutput(outDir: string): Shadow {
  const dir = mkdtempSync(join(tmpdir(), 'sousei-kpi-check-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const releases = join(outDir, 'releases');
    const kind = lstatOrNull(releases);
    if (kind?.isDirectory()) {
      mkdirSync(join(dir, 'releases'));
      // Dot names are the temporary folders of a publisher at work: not part of any release.
      for (const n of readdirSync(releases)) if (!n.startsWith('.')) replicate(join(releases, n), join(dir, 'releases', n));
    } else if (kind) replicate(releases, join(dir, 'releases')); // a link or a file: refused as the run would
    try {
      symlinkSync(readlinkSync(join(outDir, 'latest')), join(dir, 'latest'));
    } catch {
      // no latest yet: the check compares with nothing (an initial release)
    }
  } catch (err) {
    dispose();
    throw err;
  }
  return { dir, realPath: (text) => text.split(dir).join(outDir), dispose };
}
