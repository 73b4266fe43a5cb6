/** Everything under a folder — files with sha256, size and mtime, folders with mtime (but runs/, see below), links with their target — to show that nothing was written. */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string, rel: string) => {
    // runs/ is where every run takes and drops the run lock (runs/lock), so its own mtime moves;
    // what it holds is still compared, file by file.
    out[`${rel || '.'}/`] = rel === 'runs' ? 'dir' : `dir mtime ${lstatSync(d).mtimeMs}`;
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[r] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) walk(p, r);
      else out[r] = `${st.size} bytes, mtime ${st.mtimeMs}, sha256 ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}
