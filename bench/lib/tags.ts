// Unique, self-timed tags that writers type into cells. Each carries its writer, sequence number
// and send time, so any observer in any process can compute latency by scanning the raw bytes
// of an update: Yjs stores inserted text verbatim (UTF-8) in its update encoding.

const SEP = 0x1e; // ASCII record separator: never typed by people, never in the corpus.
const SEP_CHAR = '\u001e';

export interface Tag {
  writer: number;
  seq: number;
  sentAt: number;
}

export function makeTag(writer: number, seq: number, sentAt: number): string {
  return `${SEP_CHAR}w${writer}.${seq}.${Math.round(sentAt * 1000)}${SEP_CHAR}`;
}

const TAG_BODY = /^w(\d+)\.(\d+)\.(\d+)$/;

/** Calls `found` for every complete tag in `bytes`. */
export function scanTags(bytes: Uint8Array, found: (tag: Tag) => void): void {
  let i = bytes.indexOf(SEP);
  while (i !== -1) {
    const j = bytes.indexOf(SEP, i + 1);
    if (j === -1) return;
    // A body is at most ~40 ASCII bytes; anything longer is not a tag start, so resync there.
    if (j - i > 48) {
      i = j;
      continue;
    }
    const m = TAG_BODY.exec(Buffer.from(bytes.buffer, bytes.byteOffset + i + 1, j - i - 1).toString('latin1'));
    if (m) {
      found({ writer: Number(m[1]), seq: Number(m[2]), sentAt: Number(m[3]) / 1000 });
      i = bytes.indexOf(SEP, j + 1);
    } else {
      i = j;
    }
  }
}

/** Every tag in a string (a cell source), for the chaos run's exactly-once accounting. */
export function tagsInText(text: string): string[] {
  const out: string[] = [];
  const re = /\u001e(w\d+\.\d+\.\d+)\u001e/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]);
  return out;
}
