/**
 * Environment faults: the disk is full, a file system is read-only, a permission is
 * missing, another process changed a folder under us. They are the run's failure — named
 * with the path and the fault, nothing published — and never a report's: a full $TMPDIR
 * must not turn into "this PDF failed" (and, with --keep-going, a good report dropped
 * from the release).
 */

/** What each system error code means for the person running the pipeline: the fault, and what to do. */
const FAULTS: Record<string, [fault: string, hint: string]> = {
  ENOSPC: ['no space left on the device (the disk is full)', 'free space on that file system, or point --out / TMPDIR elsewhere'],
  EDQUOT: ['the disk quota is exceeded', 'free space within the quota, or point --out / TMPDIR elsewhere'],
  EROFS: ['the file system is read-only', 'make it writable, or point --out / TMPDIR at a writable folder'],
  EACCES: ['permission denied', 'check the permissions of that path for the user running sousei-kpi'],
  EPERM: ['operation not permitted', 'check the permissions and attributes (chattr) of that path'],
  ENOTEMPTY: ['a folder that should be empty or absent is not', 'another process may be writing into the same output folder; run one at a time (runs/lock)'],
  EEXIST: ['a file or folder that should be absent exists', 'another process may be writing into the same output folder; run one at a time (runs/lock)'],
  ENOTDIR: ['a part of the path is not a folder', 'check that the path is a folder (not a file or a broken link)'],
  EISDIR: ['a folder is where a file should be', 'move the folder away'],
  ELOOP: ['too many levels of symbolic links', 'check the links along that path'],
  EIO: ['input/output error (a disk or file system fault)', 'check the disk (dmesg) before running again'],
  EMFILE: ['too many open files in this process', 'raise the open-file limit (ulimit -n)'],
  ENFILE: ['too many open files on the system', 'raise the system open-file limit or stop other work'],
  ENOMEM: ['out of memory', 'free memory, or lower --workers'],
  EBUSY: ['the file or device is busy', 'try again when the other process is done with it'],
  EXDEV: ['a rename across file systems', 'keep the output folder on one file system'],
  ENAMETOOLONG: ['a file name is too long', 'use a shorter path'],
};

/** The fault and the hint for a system error code (a generic one for codes not listed). */
export function faultText(code: string): [fault: string, hint: string] {
  return FAULTS[code] ?? [`a system error (${code})`, 'check that path and the machine (disk, permissions, limits)'];
}

/** A Node system error (from fs, net…): has a string code and a syscall or errno. */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  const e = err as NodeJS.ErrnoException | null;
  return typeof e?.code === 'string' && /^E[A-Z0-9]+$/u.test(e.code) && (typeof e.syscall === 'string' || typeof e.errno === 'number');
}

/** A fault of the machine the run happened on, fatal for the run. */
export class EnvironmentError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    readonly syscall: string | null,
  ) {
    super(`${path}: ${faultText(code)[0]} (${code}${syscall ? `, ${syscall}` : ''})`);
    this.name = 'EnvironmentError';
  }

  get problem(): string {
    return `${faultText(this.code)[0]} (${this.code}${this.syscall ? ` in ${this.syscall}` : ''})`;
  }

  get hint(): string {
    return `an environment fault, not a problem of any report: ${faultText(this.code)[1]}`;
  }
}

/** `err` as an EnvironmentError (with `where` as its path when the error names none), or null when it is no system error. */
export function environmentFault(err: unknown, where: string): EnvironmentError | null {
  if (err instanceof EnvironmentError) return err;
  if (!isSystemError(err)) return null;
  return new EnvironmentError(typeof err.path === 'string' ? err.path : where, err.code, err.syscall ?? null);
}

/** Give a system error that names no path (a failed write names none) the path it happened at, and rethrow it. */
export function atPath(err: unknown, path: string): never {
  if (isSystemError(err) && typeof err.path !== 'string') err.path = path;
  throw err;
}
