// Checkpoints of files under the root, as Jupyter Server's file checkpoints keep them: one per
// file, id "checkpoint", so JupyterLab's "Revert to checkpoint" works. They are kept under the
// state directory by fileId, so they follow renames. A notebook open in a room is checkpointed
// as its live document, and restoring one is merged into the room like any save.

import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { notFound } from '../errors';
import type { FileIdIndex } from '../storage/file-ids';
import type { FileMirror } from '../storage/file-mirror';
import type { ContentsService } from './contents-service';
import type { RootPaths } from './paths';

export const CHECKPOINT_ID = 'checkpoint';

export interface CheckpointModel {
  id: string;
  last_modified: string;
}

export interface CheckpointsOptions {
  dir: string;
  paths: RootPaths;
  fileIds: FileIdIndex;
  contents: ContentsService;
  /** Writes an open notebook's live document to its file. */
  flush(fileId: string): Promise<void>;
  /** Where the state directory is kept beyond this machine (a bucket), if anywhere. */
  state?: FileMirror;
}

export class Checkpoints {
  constructor(private readonly options: CheckpointsOptions) {}

  async list(rawPath: string): Promise<CheckpointModel[]> {
    const { apiPath } = await this.file(rawPath);
    const fileId = this.options.fileIds.idOf(apiPath);
    const info = fileId ? await stat(this.stored(fileId)).catch(() => undefined) : undefined;
    return info ? [{ id: CHECKPOINT_ID, last_modified: info.mtime.toISOString() }] : [];
  }

  async create(rawPath: string): Promise<CheckpointModel> {
    const { apiPath, absolute } = await this.file(rawPath);
    const fileId = this.options.fileIds.ensure(apiPath);
    await this.options.flush(fileId);
    await mkdir(this.options.dir, { recursive: true });
    await copyFile(absolute, this.stored(fileId));
    await this.options.state?.written(this.stored(fileId));
    const info = await stat(this.stored(fileId));
    return { id: CHECKPOINT_ID, last_modified: info.mtime.toISOString() };
  }

  async restore(rawPath: string, id: string): Promise<void> {
    const { apiPath } = await this.file(rawPath);
    const data = await this.read(apiPath, id);
    if (apiPath.endsWith('.ipynb')) {
      await this.options.contents.save(apiPath, { type: 'notebook', format: 'json', content: JSON.parse(data.toString('utf8')) });
    } else {
      await this.options.contents.save(apiPath, { type: 'file', format: 'base64', content: data.toString('base64') });
    }
  }

  async remove(rawPath: string, id: string): Promise<void> {
    const { apiPath } = await this.file(rawPath);
    await this.read(apiPath, id);
    const stored = this.stored(this.options.fileIds.idOf(apiPath)!);
    await rm(stored, { force: true });
    await this.options.state?.removed(stored);
  }

  private async read(apiPath: string, id: string): Promise<Buffer> {
    const fileId = this.options.fileIds.idOf(apiPath);
    const data = id === CHECKPOINT_ID && fileId ? await readFile(this.stored(fileId)).catch(() => undefined) : undefined;
    if (!data) throw notFound(`No checkpoint ${id} for ${apiPath}`);
    return data;
  }

  private async file(rawPath: string): Promise<{ apiPath: string; absolute: string }> {
    const resolved = this.options.paths.resolve(rawPath);
    const info = await stat(resolved.absolute).catch(() => undefined);
    if (!info?.isFile()) throw notFound(`No such file: ${resolved.apiPath}`);
    return resolved;
  }

  private stored(fileId: string): string {
    return join(this.options.dir, fileId);
  }
}
