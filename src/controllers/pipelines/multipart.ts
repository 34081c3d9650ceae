// Reading pipeline packages as KFP's upload endpoints take them: a multipart/form-data body (field `uploadfile`), and a
// package that is a YAML/JSON file, a .tar.gz/.tgz or a .zip holding one (`pipeline.yaml` preferred).
import { gunzipSync, inflateRawSync } from 'node:zlib';

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** The boundary of a multipart/form-data content type, or undefined when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return undefined;
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2])!.trim() : undefined;
}

/** Splits a multipart/form-data body into its parts; throws on a malformed body. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('the body has no multipart boundary');
  for (;;) {
    pos += delimiter.length;
    // "--" after a delimiter ends the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw new Error('a multipart part has no header end');
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4);
    if (next < 0) throw new Error('a multipart part is not terminated');
    const part: FormPart = { name: '', data: body.subarray(headerEnd + 4, next) };
    for (const h of headers) {
      const [key = '', ...rest] = h.split(':');
      const value = rest.join(':').trim();
      if (key.toLowerCase() === 'content-disposition') {
        const name = /\bname="([^"]*)"/i.exec(value);
        const filename = /\bfilename="([^"]*)"/i.exec(value);
        if (name) part.name = name[1]!;
        if (filename) part.filename = filename[1]!;
      } else if (key.toLowerCase() === 'content-type') {
        part.contentType = value;
      }
    }
    parts.push(part);
    pos = next + 2;
  }
  return parts;
}

interface PackageFile {
  name: string;
  data: Buffer;
}

function tarFiles(tar: Buffer): PackageFile[] {
  const files: PackageFile[] = [];
  let pos = 0;
  let longName: string | undefined;
  while (pos + 512 <= tar.length) {
    const header = tar.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number): string => header.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = field(345, 155);
    let name = field(0, 100);
    if (prefix) name = `${prefix}/${name}`;
    const data = tar.subarray(pos + 512, pos + 512 + size);
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
    } else {
      if (longName) name = longName;
      longName = undefined;
      if (type === '0' || type === '\0') files.push({ name: name.replace(/^\.\//, ''), data });
    }
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function zipFiles(zip: Buffer): PackageFile[] {
  // The end of central directory record: the last "PK\5\6".
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive');
  const count = zip.readUInt16LE(eocd + 10);
  let pos = zip.readUInt32LE(eocd + 16);
  const files: PackageFile[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(pos) !== 0x02014b50) throw new Error('a broken zip central directory');
    const method = zip.readUInt16LE(pos + 10);
    const compressed = zip.readUInt32LE(pos + 20);
    const nameLen = zip.readUInt16LE(pos + 28);
    const extraLen = zip.readUInt16LE(pos + 30);
    const commentLen = zip.readUInt16LE(pos + 32);
    const local = zip.readUInt32LE(pos + 42);
    const name = zip.subarray(pos + 46, pos + 46 + nameLen).toString('utf8');
    pos += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    if (method === 0) files.push({ name, data: raw });
    else if (method === 8) files.push({ name, data: inflateRawSync(raw) });
    else throw new Error(`zip entry ${name} uses compression method ${method}, which is not supported`);
  }
  return files;
}

function chooseYaml(files: PackageFile[]): Buffer {
  const yamls = files.filter((f) => /\.(ya?ml|json)$/i.test(f.name));
  const preferred = yamls.find((f) => f.name.split('/').pop() === 'pipeline.yaml');
  if (preferred) return preferred.data;
  if (yamls.length === 1) return yamls[0]!.data;
  throw new Error(yamls.length === 0 ? 'the package holds no pipeline YAML file' : 'the package holds several YAML files and no pipeline.yaml');
}

/** The pipeline text in an uploaded package; the archive kind comes from the file name, or from the bytes. */
export function packageText(data: Buffer, filename = ''): string {
  const gz = /\.(tar\.gz|tgz)$/i.test(filename) || (data[0] === 0x1f && data[1] === 0x8b);
  const zip = /\.zip$/i.test(filename) || (data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04);
  if (gz) return chooseYaml(tarFiles(gunzipSync(data))).toString('utf8');
  if (zip) return chooseYaml(zipFiles(data)).toString('utf8');
  return data.toString('utf8');
}
