// A small Markdown renderer that builds React elements, never HTML strings: raw HTML in an artifact is shown as text,
// links go only to http(s) addresses. Headings, paragraphs, lists, quotes, fenced code, tables, and inline code,
// bold, italics and links — what KFP's Markdown visualisations use.
import type { ReactNode } from 'react';

const inlinePattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|(\[[^\]]+\]\([^)\s]+\))/g;

function inline(text: string, key: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (const m of text.matchAll(inlinePattern)) {
    const at = m.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    const [whole] = m;
    const k = `${key}-${n++}`;
    if (m[1]) out.push(<code key={k}>{whole.slice(1, -1)}</code>);
    else if (m[2]) out.push(<strong key={k}>{inline(whole.slice(2, -2), k)}</strong>);
    else if (m[3]) out.push(<em key={k}>{inline(whole.slice(1, -1), k)}</em>);
    else {
      const close = whole.indexOf('](');
      const label = whole.slice(1, close);
      const target = whole.slice(close + 2, -1);
      out.push(
        /^https?:\/\//i.test(target) ? (
          <a key={k} href={target} rel="noopener noreferrer nofollow" target="_blank">
            {label}
          </a>
        ) : (
          `${label} (${target})`
        ),
      );
    }
    last = at + whole.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

export function Markdown({ text }: { text: string }) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: ReactNode[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const key = `b${i}`;
    if (line.trim() === '') {
      i++;
    } else if (line.startsWith('```')) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.startsWith('```')) body.push(lines[i++]!);
      i++;
      blocks.push(<pre key={key} className="floe-mono">{body.join('\n')}</pre>);
    } else if (/^#{1,6}\s/.test(line)) {
      const level = Math.min(6, line.indexOf(' ') + 2);
      const content = inline(line.replace(/^#+\s+/, ''), key);
      // Headings inside an artifact sit below the page's own h1/h2: shift them down.
      const Tag = `h${Math.min(6, level)}` as 'h3';
      blocks.push(<Tag key={key}>{content}</Tag>);
      i++;
    } else if (/^\s*[-*+]\s/.test(line) || /^\s*\d+[.)]\s/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const items: ReactNode[] = [];
      while (i < lines.length && (ordered ? /^\s*\d+[.)]\s/ : /^\s*[-*+]\s/).test(lines[i]!)) {
        items.push(<li key={i}>{inline(lines[i]!.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, ''), `${key}-${i}`)}</li>);
        i++;
      }
      blocks.push(ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>);
    } else if (line.startsWith('>')) {
      const body: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('>')) body.push(lines[i++]!.replace(/^>\s?/, ''));
      blocks.push(<blockquote key={key}>{inline(body.join(' '), key)}</blockquote>);
    } else if (line.trim().startsWith('|') && /^\s*\|?[\s:-]+\|[\s|:-]*$/.test(lines[i + 1] ?? '')) {
      const head = cells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.trim().startsWith('|')) rows.push(cells(lines[i++]!));
      blocks.push(
        <table key={key} className="floe-md-table">
          <thead>
            <tr>
              {head.map((h, j) => (
                <th key={j} scope="col">
                  {inline(h, `${key}h${j}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, ri) => (
              <tr key={ri}>
                {r.map((c, j) => (
                  <td key={j}>{inline(c, `${key}r${ri}c${j}`)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>,
      );
    } else {
      const body: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '' && !/^(#{1,6}\s|```|>|\s*[-*+]\s|\s*\d+[.)]\s)/.test(lines[i]!)) body.push(lines[i++]!);
      if (body.length === 0) body.push(lines[i++]!);
      blocks.push(<p key={key}>{inline(body.join(' '), key)}</p>);
    }
  }
  return <>{blocks}</>;
}
