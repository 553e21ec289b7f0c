// The contents API's operations on the root: models in the Jupyter Server shape for
// notebooks, files and directories. Notebooks open in a room are read from, and written
// into, the live document, so the API and the collaborators never disagree. Every change is
// also made in the file mirror (the bucket, with --storage) before the request is answered.

import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { NotebookJSON } from '../../common/nbformat';
import { invalid as badRequest, conflict, notFound } from '../errors';
import { mergeNotebookIntoDoc } from '../notebook/merge';
import { notebookFromDoc } from '../notebook/notebook-doc';
import { serializeNotebook } from '../notebook/serialize';
import { InvalidNotebookError, readNotebookJSON } from '../notebook/validate';
import type { OpenNotebooks } from '../notebooks/open-notebooks';
import { SERVER_ORIGIN } from '../rooms/room';
import { writeFileAtomic } from '../storage/atomic-write';
import type { FileIdIndex } from '../storage/file-ids';
import { type FileMirror, isStaleWrite } from '../storage/file-mirror';
import type { RootPaths } from './paths';

export type ContentType = 'notebook' | 'file' | 'directory';
export type ContentFormat = 'json' | 'text' | 'base64';

export interface ContentsModel {
  name: string;
  path: string;
  type: ContentType;
  writable: boolean;
  created: string;
  last_modified: string;
  size: number | null;
  mimetype: string | null;
  format: ContentFormat | null;
  content: unknown;
  hash: null;
  hash_algorithm: null;
}

export interface GetOptions {
  content: boolean;
  type?: ContentType;
  format?: ContentFormat;
}

export interface SaveBody {
  type: ContentType;
  format?: ContentFormat;
  content?: unknown;
}

const MIME_BY_EXT: Record<string, string> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.py': 'text/x-python',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.html': 'text/html',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.sql': 'text/x-sql',
  '.yaml': 'text/yaml',
  '.yml': 'text/yaml',
};

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR';
}

function parseNotebook(content: unknown): NotebookJSON {
  try {
    const read = readNotebookJSON(content);
    return read.notebook;
  } catch (error) {
    if (error instanceof InvalidNotebookError) throw badRequest(error.message, 'invalid_notebook');
    throw error;
  }
}

export class ContentsService {
  constructor(
    private readonly paths: RootPaths,
    private readonly fileIds: FileIdIndex,
    private readonly rooms: OpenNotebooks,
    private readonly files: FileMirror,
    private readonly log: { warn(obj: object, msg?: string): void },
  ) {}

  async get(rawPath: string, options: GetOptions): Promise<ContentsModel> {
    const { apiPath, absolute } = this.paths.resolve(rawPath);
    const info = await stat(absolute).catch(async (error: unknown) => {
      if (!isNotFound(error)) throw error;
      // Put in the bucket by another tool since this server last looked: brought in now.
      if (apiPath && (await this.files.refresh(absolute).catch(() => false))) return stat(absolute);
      throw notFound(`No such file or directory: ${apiPath}`);
    });
    const type: ContentType = info.isDirectory() ? 'directory' : options.type === 'file' || !apiPath.endsWith('.ipynb') ? 'file' : 'notebook';
    if (options.type && options.type !== type && !(options.type === 'file' && type === 'notebook')) {
      throw badRequest(`${apiPath} is a ${type}, not a ${options.type}`);
    }
    const model = this.baseModel(apiPath, type, info);
    if (!options.content) return model;
    if (type === 'directory') {
      await this.files.refreshFolder(absolute).catch((error: unknown) => {
        this.log.warn({ path: apiPath, err: error }, 'could not list the folder in the bucket; showing the local copy');
      });
      const entries = await readdir(absolute, { withFileTypes: true });
      const listed = await Promise.all(
        entries
          .filter((entry) => !entry.name.startsWith('.'))
          .map(async (entry) => {
            const childPath = apiPath ? `${apiPath}/${entry.name}` : entry.name;
            const childInfo = await stat(join(absolute, entry.name)).catch(() => undefined);
            if (!childInfo) return undefined; // A dangling symlink is not listed.
            const childType: ContentType = childInfo.isDirectory() ? 'directory' : entry.name.endsWith('.ipynb') ? 'notebook' : 'file';
            return this.baseModel(childPath, childType, childInfo);
          }),
      );
      return { ...model, format: 'json', content: listed.filter((m) => m !== undefined) };
    }
    if (type === 'notebook') {
      return { ...model, format: 'json', content: await this.readNotebook(apiPath, absolute) };
    }
    const bytes = await readFile(absolute);
    const text = options.format === 'base64' ? undefined : decodeUtf8(bytes);
    if (options.format === 'text' && text === undefined) throw badRequest(`${apiPath} is not UTF-8 text`);
    return text === undefined
      ? { ...model, format: 'base64', content: bytes.toString('base64'), mimetype: model.mimetype ?? 'application/octet-stream' }
      : { ...model, format: 'text', content: text, mimetype: model.mimetype ?? 'text/plain' };
  }

  /** The notebook as collaborators see it: the live document if open, else the file. */
  async readNotebook(apiPath: string, absolute: string): Promise<NotebookJSON> {
    const fileId = this.fileIds.idOf(apiPath);
    const open = fileId ? this.rooms.get(fileId) : undefined;
    if (open) return notebookFromDoc(open.room.doc);
    const text = await readFile(absolute, 'utf8');
    try {
      const read = readNotebookJSON(JSON.parse(text));
      for (const warning of read.warnings) this.log.warn({ path: apiPath, warning }, 'notebook bends the nbformat schema');
      return read.notebook;
    } catch (error) {
      if (error instanceof InvalidNotebookError) throw badRequest(`${apiPath}: ${error.message}`, 'invalid_notebook');
      throw badRequest(`${apiPath} is not valid JSON`, 'invalid_notebook');
    }
  }

  /** PUT: saves a model; returns [model, created]. An invalid notebook changes nothing. */
  async save(rawPath: string, body: SaveBody): Promise<[ContentsModel, boolean]> {
    const { apiPath, absolute } = this.paths.resolve(rawPath);
    if (!apiPath) throw badRequest('Cannot replace the root directory');
    this.files.accepts(absolute);
    const existing = await stat(absolute).catch(() => undefined);
    if (body.type === 'directory') {
      if (existing && !existing.isDirectory()) throw conflict(`${apiPath} exists and is not a directory`);
      await mkdir(absolute, { recursive: true });
      await this.files.folderMade(absolute);
    } else {
      if (existing?.isDirectory()) throw conflict(`${apiPath} is a directory`);
      await this.assertParentDirectory(absolute, apiPath);
      if (body.content === undefined || body.content === null) throw badRequest('The model has no content to save');
      if (body.type === 'notebook') await this.saveNotebook(apiPath, absolute, body.content);
      else {
        await writeFileAtomic(absolute, encodeFileContent(body));
        await this.stored(absolute, apiPath);
      }
    }
    return [await this.get(apiPath, { content: false }), existing === undefined];
  }

  private async saveNotebook(apiPath: string, absolute: string, content: unknown): Promise<void> {
    const notebook = parseNotebook(content);
    const fileId = this.fileIds.idOf(apiPath);
    const open = fileId ? this.rooms.get(fileId) : undefined;
    if (open) {
      // Merged cell by cell into the room: collaborators' concurrent edits survive.
      await open.beforeOutsideEdit().catch((error: unknown) => {
        this.log.warn({ fileId, err: error }, 'could not keep a version before merging a saved notebook');
      });
      mergeNotebookIntoDoc(open.room.doc, notebook, SERVER_ORIGIN);
      await open.file.flush();
      return;
    }
    await writeFileAtomic(absolute, serializeNotebook(notebook));
    await this.stored(absolute, apiPath);
  }

  /** Writes a file just written here through to the mirror; another writer's newer copy there is a conflict. */
  private async stored(absolute: string, apiPath: string): Promise<void> {
    await this.files.written(absolute).catch((error: unknown) => {
      if (isStaleWrite(error)) {
        throw conflict(`${apiPath} was changed in the bucket by another writer since it was read; it now holds that version: read it and save again`);
      }
      throw error;
    });
  }

  /** POST: a new untitled notebook, file or directory, or a copy. */
  async create(rawDir: string, body: { type?: ContentType; ext?: string; copy_from?: string }): Promise<ContentsModel> {
    const { apiPath: dirPath, absolute: dirAbsolute } = this.paths.resolve(rawDir);
    const dirInfo = await stat(dirAbsolute).catch(() => undefined);
    if (!dirInfo?.isDirectory()) throw notFound(`No such directory: ${dirPath}`);
    if (body.copy_from) {
      const source = this.paths.resolve(body.copy_from);
      const sourceInfo = await stat(source.absolute).catch(() => undefined);
      if (!sourceInfo || sourceInfo.isDirectory()) throw notFound(`Cannot copy ${source.apiPath}: no such file`);
      const ext = extname(source.apiPath);
      const stem = basename(source.apiPath, ext);
      const name = await this.freeName(dirAbsolute, (n) => `${stem}-Copy${n + 1}${ext}`);
      const target = join(dirAbsolute, name);
      this.files.accepts(target);
      if (ext === '.ipynb') {
        await writeFileAtomic(target, serializeNotebook(await this.readNotebook(source.apiPath, source.absolute)));
      } else {
        await copyFile(source.absolute, target, constants.COPYFILE_EXCL);
      }
      await this.stored(target, joinApi(dirPath, name));
      return this.get(joinApi(dirPath, name), { content: false });
    }
    const type = body.type ?? 'file';
    if (type === 'directory') {
      const name = await this.freeName(dirAbsolute, (n) => (n === 0 ? 'Untitled Folder' : `Untitled Folder ${n}`));
      this.files.accepts(join(dirAbsolute, name));
      await mkdir(join(dirAbsolute, name));
      await this.files.folderMade(join(dirAbsolute, name));
      return this.get(joinApi(dirPath, name), { content: false });
    }
    if (type === 'notebook') {
      const name = await this.freeName(dirAbsolute, (n) => `Untitled${n === 0 ? '' : n}.ipynb`);
      this.files.accepts(join(dirAbsolute, name));
      await writeFile(join(dirAbsolute, name), serializeNotebook(emptyNotebook()), { flag: 'wx' });
      await this.stored(join(dirAbsolute, name), joinApi(dirPath, name));
      return this.get(joinApi(dirPath, name), { content: false });
    }
    const ext = body.ext && /^\.[\w.-]{1,16}$/.test(body.ext) ? body.ext : '.txt';
    const name = await this.freeName(dirAbsolute, (n) => `untitled${n === 0 ? '' : n}${ext}`);
    this.files.accepts(join(dirAbsolute, name));
    await writeFile(join(dirAbsolute, name), '', { flag: 'wx' });
    await this.stored(join(dirAbsolute, name), joinApi(dirPath, name));
    return this.get(joinApi(dirPath, name), { content: false });
  }

  /** PATCH: rename or move. The fileId, and so the room and its share links, follow. */
  async rename(rawFrom: string, rawTo: string): Promise<ContentsModel> {
    const from = this.paths.resolve(rawFrom);
    const to = this.paths.resolve(rawTo);
    if (!from.apiPath || !to.apiPath) throw badRequest('Cannot rename the root directory');
    if (!(await stat(from.absolute).catch(() => undefined))) throw notFound(`No such file or directory: ${from.apiPath}`);
    if (await lstat(to.absolute).catch(() => undefined)) throw conflict(`${to.apiPath} already exists`);
    await this.assertParentDirectory(to.absolute, to.apiPath);
    this.files.accepts(to.absolute);
    await this.rooms.flushAll();
    await rename(from.absolute, to.absolute);
    await this.files.renamed(from.absolute, to.absolute);
    this.fileIds.rename(from.apiPath, to.apiPath);
    for (const fileId of this.fileIds.idsUnder(to.apiPath)) this.rooms.pathChanged(fileId);
    return this.get(to.apiPath, { content: false });
  }

  /** DELETE: returns the fileIds that went with it. Non-empty directories are refused. */
  async remove(rawPath: string): Promise<string[]> {
    const { apiPath, absolute } = this.paths.resolve(rawPath);
    if (!apiPath) throw badRequest('Cannot delete the root directory');
    const info = await lstat(absolute).catch(() => undefined);
    if (!info) throw notFound(`No such file or directory: ${apiPath}`);
    if (info.isDirectory()) {
      await rmdir(absolute).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST') throw badRequest(`The directory ${apiPath} is not empty`);
        throw error;
      });
    } else {
      await rm(absolute);
    }
    await this.files.removed(absolute);
    const removed = this.fileIds.remove(apiPath);
    for (const fileId of removed) await this.rooms.forget(fileId);
    return removed;
  }

  private baseModel(apiPath: string, type: ContentType, info: { birthtime: Date; mtime: Date; size: number; mode: number }): ContentsModel {
    const name = apiPath === '' ? '' : basename(apiPath);
    return {
      name,
      path: apiPath,
      type,
      writable: (info.mode & 0o200) !== 0,
      created: info.birthtime.toISOString(),
      last_modified: info.mtime.toISOString(),
      size: type === 'directory' ? null : info.size,
      mimetype: type === 'file' ? (MIME_BY_EXT[extname(name).toLowerCase()] ?? null) : null,
      format: null,
      content: null,
      hash: null,
      hash_algorithm: null,
    };
  }

  private async assertParentDirectory(absolute: string, apiPath: string): Promise<void> {
    const parent = await stat(dirname(absolute)).catch(() => undefined);
    if (!parent?.isDirectory()) throw notFound(`The folder for ${apiPath} does not exist`);
  }

  private async freeName(dir: string, candidate: (n: number) => string): Promise<string> {
    const taken = new Set(await readdir(dir));
    for (let n = 0; n < 10_000; n++) {
      const name = candidate(n);
      if (!taken.has(name)) return name;
    }
    throw conflict('Could not find a free name in this folder');
  }
}

function joinApi(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function encodeFileContent(body: SaveBody): Buffer {
  if (typeof body.content !== 'string') throw badRequest('File content must be a string');
  if (body.format === 'base64') {
    if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(body.content)) throw badRequest('The content is not valid base64');
    return Buffer.from(body.content, 'base64');
  }
  return Buffer.from(body.content, 'utf8');
}

export function emptyNotebook(): NotebookJSON {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' },
      language_info: { name: 'python' },
    },
    cells: [],
  };
}
