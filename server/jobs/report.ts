// A run record as its readers see it: markdown and outputs, code hidden unless the publisher
// allowed it, with when its data was fetched and whether it is reproducible or live.

import { basename } from 'node:path';
import type { JobRecord, Report, ReportCell } from '../../common/api';
import { isJSONObject } from '../../common/nbformat';

export interface Publication {
  publishedAt: number;
  publishedBy: string;
  showCode: boolean;
  /** The reader link made for it. */
  shareId: string;
}

const text = (value: unknown): string => (Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : '');

export function reportOf(record: JobRecord, publication: Publication): Report {
  const cells: ReportCell[] = [];
  const nbCells = isJSONObject(record.executed) && Array.isArray(record.executed.cells) ? record.executed.cells : [];
  for (const [index, cell] of nbCells.entries()) {
    if (!isJSONObject(cell)) continue;
    const id = typeof cell.id === 'string' ? cell.id : `cell-${index}`;
    if (cell.cell_type === 'markdown') {
      const attachments = isJSONObject(cell.attachments) ? (cell.attachments as ReportCell['attachments']) : undefined;
      cells.push({ id, cellType: 'markdown', source: text(cell.source), outputs: [], executionCount: null, ...(attachments ? { attachments } : {}) });
    } else if (cell.cell_type === 'code') {
      const outputs = Array.isArray(cell.outputs) ? cell.outputs.filter(isJSONObject) : [];
      cells.push({
        id,
        cellType: 'code',
        source: publication.showCode ? text(cell.source) : null,
        outputs: outputs.map((o) => (o.output_type === 'stream' ? { ...o, text: text(o.text) } : o)),
        executionCount: typeof cell.execution_count === 'number' ? cell.execution_count : null,
      });
    }
  }
  const fetched = record.snapshots.map((s) => s.fetchedAt);
  return {
    id: record.id,
    title: basename(record.notebook.path),
    mode: record.mode,
    parameters: record.parameters,
    ranAt: record.finishedAt ?? record.queuedAt,
    publishedAt: publication.publishedAt,
    dataFetchedAt: fetched.length ? Math.min(...fetched) : (record.startedAt ?? record.queuedAt),
    snapshots: record.snapshots.map(({ cellId, fetchedAt, pinned }) => ({ cellId, fetchedAt, pinned })),
    showCode: publication.showCode,
    cells,
  };
}
