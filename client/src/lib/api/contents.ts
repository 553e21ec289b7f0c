// The Jupyter Server contents API, as Tandem serves it under its root.
import { encodePath, request } from './http';

export type ContentType = 'directory' | 'notebook' | 'file';

export interface ContentModel {
  name: string;
  path: string;
  type: ContentType;
  last_modified: string;
  created?: string;
  size?: number | null;
  writable?: boolean;
  mimetype?: string | null;
  format?: string | null;
  content?: unknown;
}

export interface DirectoryModel extends ContentModel {
  type: 'directory';
  content: ContentModel[];
}

const api = (path: string): string => {
  const p = encodePath(path);
  return p ? `/api/contents/${p}` : '/api/contents';
};

export async function listDirectory(path: string): Promise<DirectoryModel> {
  const model = await request<ContentModel>('GET', `${api(path)}?content=1`);
  if (model.type !== 'directory' || !Array.isArray(model.content)) {
    throw new Error(`${path || 'The root'} is not a folder.`);
  }
  return model as DirectoryModel;
}

export function createNotebook(dir: string): Promise<ContentModel> {
  return request<ContentModel>('POST', api(dir), { body: { type: 'notebook' } });
}

export function createDirectory(dir: string): Promise<ContentModel> {
  return request<ContentModel>('POST', api(dir), { body: { type: 'directory' } });
}

export function copyFile(from: string, toDir: string): Promise<ContentModel> {
  return request<ContentModel>('POST', api(toDir), { body: { copy_from: from } });
}

export function rename(path: string, newPath: string): Promise<ContentModel> {
  return request<ContentModel>('PATCH', api(path), { body: { path: newPath } });
}

export function remove(path: string): Promise<void> {
  return request<void>('DELETE', api(path));
}

export type UploadBody = { type: 'notebook'; format: 'json'; content: unknown } | { type: 'file'; format: 'base64' | 'text'; content: string };

export function save(path: string, body: UploadBody): Promise<ContentModel> {
  return request<ContentModel>('PUT', api(path), { body: { ...body, name: path.split('/').pop(), path } });
}

/** The raw file, served as an attachment: the browser downloads it. */
export function downloadUrl(path: string): string {
  return `/files/${encodePath(path)}?download=1`;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}
