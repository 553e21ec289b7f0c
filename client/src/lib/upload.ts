// Uploading files through the contents API: notebooks as JSON (so the server validates and
// normalises them), text as text, everything else as base64.
import { joinPath, save, type UploadBody } from './api/contents';

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-yaml|toml|sql))/;

function toBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export async function uploadBody(file: File): Promise<UploadBody> {
  if (file.name.endsWith('.ipynb')) {
    let content: unknown;
    try {
      content = JSON.parse(await file.text());
    } catch {
      throw new Error(`${file.name} is not a valid notebook: it is not JSON.`);
    }
    return { type: 'notebook', format: 'json', content };
  }
  if (TEXT_TYPES.test(file.type) || /\.(py|md|txt|csv|tsv|sql|ya?ml|toml|json)$/i.test(file.name)) {
    return { type: 'file', format: 'text', content: await file.text() };
  }
  return { type: 'file', format: 'base64', content: toBase64(await file.arrayBuffer()) };
}

export async function uploadFile(dir: string, file: File): Promise<void> {
  await save(joinPath(dir, file.name), await uploadBody(file));
}
