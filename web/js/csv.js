// csv.js: reads the header row of a CSV file in the browser (for the label-column picker).
// Pure functions; no DOM, so node's test runner can import it.

/**
 * Splits the first record of `text` into column names. Handles RFC 4180 quoting ("a,b", "" for a
 * quote, a newline inside quotes), a UTF-8 BOM, CRLF, and surrounding spaces.
 * Returns [] for empty input.
 */
export function parseHeader(text) {
  let s = String(text || '');
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  const cols = [];
  let cur = '';
  let quoted = false;
  let i = 0;
  for (; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          cur += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        cur += ch;
      }
    } else if (ch === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (ch === ',') {
      cols.push(cur.trim());
      cur = '';
    } else if (ch === '\n' || ch === '\r') {
      break;
    } else {
      cur += ch;
    }
  }
  if (cols.length === 0 && cur.trim() === '') return [];
  cols.push(cur.trim());
  return cols;
}

/** Counts data rows (non-empty lines after the header); quotes with newlines are rare in training data. */
export function countDataRows(text) {
  const lines = String(text || '').split(/\r?\n/);
  let n = 0;
  for (let i = 1; i < lines.length; i++) if (lines[i].trim() !== '') n++;
  return n;
}

/** Picks a sensible default label column: one named like a label, else the last column. */
export function guessLabelColumn(columns) {
  const names = ['label', 'target', 'y', 'class', 'outcome'];
  const found = columns.find((c) => names.includes(c.toLowerCase()));
  return found !== undefined ? found : columns[columns.length - 1];
}
