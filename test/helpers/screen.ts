/**
 * What a terminal shows after `raw` was written to it: a small model of the escape sequences dlpool's
 * renderers (and cli-progress) use: CR, LF, cursor up (CSI n A), column (CSI n G), erase line (CSI n K), erase
 * below (CSI n J), and with `columns` the wrap at the right edge (autowrap; CSI ?7l turns it off: the rest of the
 * row is dropped, as a terminal does). Other sequences (cursor visibility) change nothing visible and are skipped.
 */
export function screen(raw: string, columns = Infinity): string[] {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  // Autowrap (on unless CSI ?7l): a character past the last column goes to the start of the next row.
  let wrap = true;
  const put = (ch: string) => {
    if (col >= columns) {
      if (!wrap) return;
      row++;
      col = 0;
      lines[row] ??= '';
    }
    const line = (lines[row] ?? '').padEnd(col);
    lines[row] = line.slice(0, col) + ch + line.slice(col + 1);
    col++;
  };
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row++;
      col = 0;
      lines[row] ??= '';
    } else if (ch === '\x1b' && raw[i + 1] === '[') {
      const m = /^\x1b\[(\??)(\d*)([A-Za-z])/.exec(raw.slice(i));
      if (!m) continue;
      i += m[0].length - 1;
      if (m[1]) {
        if (m[2] === '7') wrap = m[3] === 'h';
        continue;
      }
      const n = m[2] === '' ? undefined : Number(m[2]);
      switch (m[3]) {
        case 'A':
          row = Math.max(0, row - (n ?? 1));
          break;
        case 'G':
          col = (n ?? 1) - 1;
          break;
        case 'K':
          if ((n ?? 0) === 0) lines[row] = (lines[row] ?? '').slice(0, col);
          else lines[row] = '';
          break;
        case 'J':
          lines[row] = (lines[row] ?? '').slice(0, col);
          lines.length = row + 1;
          break;
      }
    } else put(ch);
  }
  return lines.map((l) => l.trimEnd()).filter((l, i, all) => l !== '' || i < all.length - 1);
}
