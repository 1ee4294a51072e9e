/**
 * A minimal, dependency-free PDF 1.4 writer for text documents: Helvetica, one column,
 * as many A4/Letter pages as the lines need, with a correct cross-reference table.
 */
export interface PdfLine {
  text: string;
  bold?: boolean;
  size?: number;
}

const PAGE_WIDTH = 612;
const PAGE_HEIGHT = 792;
const MARGIN = 54;
const LEADING = 1.35;

/** PDF literal strings: escape delimiters, keep printable ASCII only (WinAnsi-safe). */
function literal(text: string): string {
  const ascii = text.normalize('NFKD').replace(/[^\x20-\x7e]/g, '?');
  return `(${ascii.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

function paginate(lines: readonly PdfLine[]): PdfLine[][] {
  const pages: PdfLine[][] = [[]];
  let y = PAGE_HEIGHT - MARGIN;
  for (const line of lines) {
    const height = (line.size ?? 10) * LEADING;
    if (y - height < MARGIN) {
      pages.push([]);
      y = PAGE_HEIGHT - MARGIN;
    }
    pages.at(-1)!.push(line);
    y -= height;
  }
  return pages;
}

function contentStream(lines: readonly PdfLine[], pageNumber: number, pageCount: number): string {
  const ops: string[] = ['BT'];
  let y = PAGE_HEIGHT - MARGIN;
  for (const line of lines) {
    const size = line.size ?? 10;
    y -= size * LEADING;
    ops.push(`/${line.bold ? 'F2' : 'F1'} ${size} Tf`, `1 0 0 1 ${MARGIN} ${y.toFixed(2)} Tm`, `${literal(line.text)} Tj`);
  }
  ops.push('/F1 8 Tf', `1 0 0 1 ${MARGIN} ${MARGIN / 2} Tm`, `${literal(`Page ${pageNumber} of ${pageCount}`)} Tj`, 'ET');
  return ops.join('\n');
}

export function renderPdf(title: string, lines: readonly PdfLine[]): Buffer {
  const pages = paginate(lines);
  const objects: string[] = [];
  // 1 catalog, 2 page tree, 3-4 fonts, 5 info, then (page, content) pairs.
  const pageIds = pages.map((_, i) => 6 + i * 2);
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  objects[4] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>';
  objects[5] = `<< /Title ${literal(title)} /Producer (open-finance-provider-kit) >>`;
  pages.forEach((page, i) => {
    const stream = contentStream(page, i + 1, pages.length);
    objects[6 + i * 2] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] ` +
      `/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${7 + i * 2} 0 R >>`;
    objects[7 + i * 2] = `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`;
  });

  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(body, 'latin1');
    body += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xrefAt = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) body += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
