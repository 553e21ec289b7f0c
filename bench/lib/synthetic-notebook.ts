// Large notebooks that look like real analysis work, made up from a seed: markdown prose,
// code, printed output, HTML tables, PNG figures, warnings and tracebacks with ANSI colours.
// The tests and the bench both use them, so neither needs a corpus outside the repository;
// the same seed always gives the same bytes, and every notebook is valid nbformat 4.5.

import { Buffer } from 'node:buffer';
import { crc32, deflateSync } from 'node:zlib';
import { Rng } from './random.js';

export type Cell = Record<string, unknown> & { id: string; cell_type: string; source: string | string[] };
export interface SyntheticNotebook {
  nbformat: 4;
  nbformat_minor: 5;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

export interface SyntheticOptions {
  seed: number;
  /** Stop adding cells once their JSON passes this many bytes. */
  targetBytes: number;
  /** Cell ids are `${idPrefix}-${index}`. */
  idPrefix?: string;
}

const METADATA = {
  kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' },
  language_info: {
    codemirror_mode: { name: 'ipython', version: 3 },
    file_extension: '.py',
    mimetype: 'text/x-python',
    name: 'python',
    nbconvert_exporter: 'python',
    pygments_lexer: 'ipython3',
    version: '3.11.4',
  },
};

const WORDS = (
  'data frame column index value mean median sample model fit error rate region month revenue ' +
  'customer order price volume trend season signal noise feature label training test split ' +
  'estimate variance weight bias cluster distance query table join group result plot figure axis'
).split(' ');
const COLUMNS = ['region', 'month', 'revenue', 'orders', 'price', 'margin', 'customers', 'churn', 'score', 'weight'];
const ERRORS = [
  { ename: 'KeyError', evalue: "'price_usd'" },
  { ename: 'ValueError', evalue: 'could not convert string to float: "n/a"' },
  { ename: 'ZeroDivisionError', evalue: 'division by zero' },
  { ename: 'NameError', evalue: "name 'df_clean' is not defined" },
];
const ANSI = { red: '\u001b[0;31m', green: '\u001b[0;32m', cyan: '\u001b[0;36m', reset: '\u001b[0m', bold: '\u001b[1;31m' };

/** A multi-line string in nbformat's on-disk form: a list of lines, each keeping its newline. */
function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

class Writer {
  private count = 0;
  constructor(private readonly rng: Rng) {}

  private words(n: number): string {
    return Array.from({ length: n }, () => this.rng.pick(WORDS)).join(' ');
  }

  private sentence(): string {
    const text = this.words(6 + this.rng.int(14));
    return `${text[0].toUpperCase() + text.slice(1)}.`;
  }

  private name(): string {
    return `${this.rng.pick(WORDS)}_${this.rng.pick(WORDS)}`;
  }

  markdown(): Omit<Cell, 'id'> {
    const parts = [`${'#'.repeat(1 + this.rng.int(3))} ${this.sentence().slice(0, -1)}`, ''];
    for (let p = 0; p < 1 + this.rng.int(3); p++) parts.push(Array.from({ length: 2 + this.rng.int(4) }, () => this.sentence()).join(' '), '');
    if (this.rng.next() < 0.3) parts.push(...Array.from({ length: 3 }, () => `- \`${this.name()}\`: ${this.words(5)}`), '');
    if (this.rng.next() < 0.2) parts.push(`$$\\hat{y} = \\beta_0 + \\sum_{i=1}^{${2 + this.rng.int(8)}} \\beta_i x_i$$`);
    return { cell_type: 'markdown', metadata: {}, source: lines(parts.join('\n').trimEnd()) };
  }

  code(outputs: unknown[], source: string): Omit<Cell, 'id'> {
    return { cell_type: 'code', execution_count: ++this.count, metadata: {}, outputs, source: lines(source) };
  }

  private codeLines(n: number): string {
    const templates = [
      () => `${this.name()} = df.groupby("${this.rng.pick(COLUMNS)}")["${this.rng.pick(COLUMNS)}"].mean()`,
      () => `df["${this.rng.pick(COLUMNS)}"] = df["${this.rng.pick(COLUMNS)}"] * ${this.rng.between(0.5, 3).toFixed(2)}`,
      () => `for ${this.rng.pick(['i', 'k', 'row'])} in range(${1 + this.rng.int(50)}):\n    total += ${this.rng.int(100)}`,
      () => `# ${this.sentence()}`,
      () => `${this.name()} = np.linspace(0, ${1 + this.rng.int(20)}, ${10 + this.rng.int(500)})`,
    ];
    return Array.from({ length: n }, () => this.rng.pick(templates)()).join('\n');
  }

  printed(): Omit<Cell, 'id'> {
    const rows = Array.from(
      { length: 3 + this.rng.int(30) },
      (_, i) => `epoch ${i + 1}: loss=${this.rng.between(0, 2).toFixed(4)} accuracy=${this.rng.next().toFixed(3)}`,
    );
    return this.code(
      [{ output_type: 'stream', name: 'stdout', text: lines(`${rows.join('\n')}\n`) }],
      `${this.codeLines(2 + this.rng.int(4))}\nprint(history)`,
    );
  }

  warned(): Omit<Cell, 'id'> {
    const warning = `/usr/lib/python3/dist-packages/pandas/core/frame.py:${100 + this.rng.int(9000)}: FutureWarning: ${this.sentence()}\n  ${this.name()} = ${this.name()}.apply(f)\n`;
    return this.code(
      [
        { output_type: 'stream', name: 'stderr', text: lines(warning) },
        { output_type: 'stream', name: 'stdout', text: lines(`${this.rng.int(100000)} rows kept\n`) },
      ],
      this.codeLines(3),
    );
  }

  table(): Omit<Cell, 'id'> {
    const columns = Array.from({ length: 3 + this.rng.int(5) }, () => this.rng.pick(COLUMNS));
    const rows = Array.from({ length: 5 + this.rng.int(15) }, (_, i) => [i, ...columns.map(() => this.rng.between(0, 1000).toFixed(2))]);
    const html = [
      '<div>',
      '<table border="1" class="dataframe">',
      '  <thead>',
      '    <tr style="text-align: right;">',
      '      <th></th>',
      ...columns.map((c) => `      <th>${c}</th>`),
      '    </tr>',
      '  </thead>',
      '  <tbody>',
      ...rows.flatMap(([index, ...values]) => ['    <tr>', `      <th>${index}</th>`, ...values.map((v) => `      <td>${v}</td>`), '    </tr>']),
      '  </tbody>',
      '</table>',
      `<p>${rows.length} rows × ${columns.length} columns</p>`,
      '</div>',
    ].join('\n');
    const plain = [`    ${columns.join('  ')}`, ...rows.map((r) => r.join('  '))].join('\n');
    const cell = this.code([], `${this.codeLines(1 + this.rng.int(3))}\ndf.head(${rows.length})`);
    cell.outputs = [
      { output_type: 'execute_result', execution_count: cell.execution_count, data: { 'text/html': lines(html), 'text/plain': lines(plain) }, metadata: {} },
    ];
    return cell;
  }

  figure(): Omit<Cell, 'id'> {
    const width = 160 + 16 * this.rng.int(10);
    const height = 120 + 12 * this.rng.int(10);
    const png = pngFigure(this.rng, width, height).toString('base64');
    return this.code(
      [
        {
          output_type: 'display_data',
          data: { 'image/png': `${png}\n`, 'text/plain': [`<Figure size ${width * 4}x${height * 4} with 1 Axes>`] },
          metadata: { needs_background: 'light' },
        },
      ],
      `fig, ax = plt.subplots()\n${this.codeLines(2)}\nax.plot(${this.name()}, ${this.name()})\nplt.show()`,
    );
  }

  failed(): Omit<Cell, 'id'> {
    const { ename, evalue } = this.rng.pick(ERRORS);
    const count = this.count + 1;
    const traceback = [
      `${ANSI.red}${'-'.repeat(75)}${ANSI.reset}`,
      `${ANSI.red}${ename}${ANSI.reset}${' '.repeat(Math.max(1, 34 - ename.length))}Traceback (most recent call last)`,
      `Cell ${ANSI.green}In[${count}], line ${1 + this.rng.int(4)}${ANSI.reset}\n${ANSI.green}----> 1${ANSI.reset} ${this.name()}${ANSI.cyan}[${ANSI.reset}${this.rng.pick(COLUMNS)}${ANSI.cyan}]${ANSI.reset}`,
      `File ${ANSI.green}/usr/lib/python3/dist-packages/pandas/core/frame.py:${3000 + this.rng.int(900)}${ANSI.reset}, in ${ANSI.cyan}DataFrame.__getitem__${ANSI.reset}${ANSI.bold}(self, key)${ANSI.reset}`,
      `${ANSI.red}${ename}${ANSI.reset}: ${evalue}`,
    ];
    return this.code([{ output_type: 'error', ename, evalue, traceback }], this.codeLines(2 + this.rng.int(3)));
  }

  quiet(): Omit<Cell, 'id'> {
    return { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: lines(this.codeLines(1 + this.rng.int(6))) };
  }

  raw(): Omit<Cell, 'id'> {
    return { cell_type: 'raw', metadata: {}, source: lines(`${this.words(8)}\n${this.words(5)}`) };
  }
}

/** A notebook of at least `targetBytes` of cell JSON, the same for the same seed. */
export function syntheticNotebook({ seed, targetBytes, idPrefix = 'cell' }: SyntheticOptions): SyntheticNotebook {
  const rng = new Rng(seed);
  const writer = new Writer(rng);
  const kinds: Array<[number, () => Omit<Cell, 'id'>]> = [
    [30, () => writer.markdown()],
    [18, () => writer.printed()],
    [14, () => writer.table()],
    [12, () => writer.figure()],
    [5, () => writer.failed()],
    [6, () => writer.warned()],
    [12, () => writer.quiet()],
    [3, () => writer.raw()],
  ];
  const total = kinds.reduce((sum, [weight]) => sum + weight, 0);
  const cells: Cell[] = [];
  let bytes = 0;
  // Every kind once first, so that even a small notebook shows each of them.
  for (let i = 0; bytes < targetBytes || i < kinds.length; i++) {
    let make = kinds[i]?.[1];
    if (!make) {
      // A weighted draw: walk the kinds until the roll falls inside one's weight.
      let roll = rng.int(total);
      make = kinds.find(([weight]) => {
        roll -= weight;
        return roll < 0;
      })![1];
    }
    const cell = { id: `${idPrefix}-${i}`, ...make() } as Cell;
    cells.push(cell);
    bytes += JSON.stringify(cell).length;
  }
  return { nbformat: 4, nbformat_minor: 5, metadata: structuredClone(METADATA), cells };
}

/** A real PNG (RGB, 8 bits): axes, a few coloured lines and scattered points, a little noise. */
export function pngFigure(rng: Rng, width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3, 255);
  const put = (x: number, y: number, [r, g, b]: number[]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const at = (Math.floor(y) * width + Math.floor(x)) * 3;
    pixels[at] = r;
    pixels[at + 1] = g;
    pixels[at + 2] = b;
  };
  const margin = 12;
  for (let x = margin; x < width - 4; x++) put(x, height - margin, [0, 0, 0]);
  for (let y = 4; y < height - margin; y++) put(margin, y, [0, 0, 0]);
  const palette = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
  ];
  for (let series = 0; series < 1 + rng.int(3); series++) {
    const colour = palette[series];
    let y = rng.between(margin, height - margin);
    for (let x = margin + 1; x < width - 4; x++) {
      y = Math.min(height - margin - 1, Math.max(4, y + rng.between(-2, 2)));
      put(x, y, colour);
      put(x, y + 1, colour);
    }
  }
  for (let i = 0; i < width; i++) put(rng.between(margin, width), rng.between(0, height - margin), palette[3]);
  // Anti-aliasing and gradients make real figures compress less than flat colour does.
  for (let i = 0; i < (width * height) / 6; i++) {
    const at = rng.int(width * height) * 3;
    pixels[at] = Math.max(0, pixels[at] - rng.int(24));
  }
  const raw = Buffer.alloc(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) pixels.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, RGB, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
