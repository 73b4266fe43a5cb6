/** Progress on stderr: a bar on a terminal (cli-progress), plain lines otherwise, nothing with --quiet. */
import { describe, expect, it } from 'vitest';
import { createProgress } from '../pipeline/cli/progress.js';

/** A stream that says it is a terminal and keeps what is written to it. */
function terminal(tty: boolean) {
  const written: string[] = [];
  const stream = {
    isTTY: tty,
    columns: 100,
    write: (s: string) => {
      written.push(s);
      return true;
    },
    cursorTo: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    moveCursor: () => true,
    on: () => stream,
    removeListener: () => stream,
  };
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => written.join('') };
}

describe('progress', () => {
  it('draws a bar on a terminal, and hides the per-stage lines behind it', () => {
    const t = terminal(true);
    const p = createProgress({ quiet: false, tty: true, stream: t.stream });
    expect(p.log).toBeUndefined();
    p.update(1, 3, 'a.pdf');
    p.update(3, 3, 'c.pdf');
    p.stop();
    expect(t.text()).toMatch(/reports \u2588{30} 3\/3 \| c\.pdf/u);
  });

  it('writes one plain line per report when stderr is not a terminal', () => {
    const t = terminal(false);
    const p = createProgress({ quiet: false, tty: false, stream: t.stream });
    p.log!('extract', 'a.pdf: 5 pages');
    p.update(1, 2, 'a.pdf');
    p.update(2, 2, 'b.pdf');
    p.stop();
    expect(t.text()).toBe('[extract] a.pdf: 5 pages\n[progress] 1/2 a.pdf\n[progress] 2/2 b.pdf\n');
  });

  it('says nothing with --quiet, terminal or not', () => {
    for (const tty of [true, false]) {
      const t = terminal(tty);
      const p = createProgress({ quiet: true, tty, stream: t.stream });
      p.update(1, 1, 'a.pdf');
      p.stop();
      expect([p.log, t.text()]).toEqual([undefined, '']);
    }
  });
});
