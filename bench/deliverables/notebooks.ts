// The two notebooks of the deliverables benchmarks. The report notebook has the outputs a
// report is made of (markdown, a pandas table, a matplotlib PNG, printed text); the light one is
// a few cells of plain Python, so that a job's cost is the machinery around the cells, not them.

type Cell = { type: 'markdown' | 'code'; source: string };

function notebook(cells: Cell[]): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' },
      language_info: { name: 'python' },
    },
    cells: cells.map((cell, i) => {
      const base = { id: `cell-${i}`, cell_type: cell.type, metadata: {}, source: cell.source };
      return cell.type === 'code' ? { ...base, execution_count: null, outputs: [] } : base;
    }),
  };
}

export const REPORT_NOTEBOOK = notebook([
  { type: 'markdown', source: '# Weekly sales\n\nThe numbers *this* week, by region, with a plot.' },
  {
    type: 'code',
    source: ['import pandas as pd', "sales = pd.DataFrame({'region': ['North', 'South', 'East', 'West'], 'units': [120, 95, 143, 88]})", 'sales'].join('\n'),
  },
  {
    type: 'code',
    source: [
      'import io',
      'import matplotlib',
      "matplotlib.use('Agg')",
      'import matplotlib.pyplot as plt',
      'from IPython.display import Image, display',
      'fig, ax = plt.subplots(figsize=(5, 3))',
      "ax.bar(sales['region'], sales['units'])",
      'buffer = io.BytesIO()',
      "fig.savefig(buffer, format='png')",
      'display(Image(data=buffer.getvalue()))',
    ].join('\n'),
  },
  { type: 'code', source: 'print(f"Total units: {sales[\'units\'].sum()}")' },
  { type: 'markdown', source: '## Notes\n\n- East leads.\n- West needs a look.' },
]);

/**
 * In-page test that a page shows the report notebook's outputs: the table, the decoded plot and
 * the printed total. Both pages render outputs with the same components, so one test serves both.
 */
export const REPORT_OUTPUTS_SHOWN = `(() => {
  const img = document.querySelector('img[data-testid="image-output"]');
  return Boolean(img && img.complete && img.naturalWidth > 0
    && document.querySelector('[data-testid="html-output"] table')
    && [...document.querySelectorAll('[data-testid="stream-output"]')].some((e) => e.textContent.includes('Total units: 446')));
})()`;

export const LIGHT_NOTEBOOK = notebook([
  { type: 'markdown', source: '# A light notebook\n\nA few cells of plain Python.' },
  { type: 'code', source: 'import math, statistics' },
  { type: 'code', source: 'values = [math.sin(i / 10) for i in range(10_000)]' },
  { type: 'code', source: 'print(round(statistics.mean(values), 6))' },
  { type: 'code', source: "{'n': len(values), 'max': round(max(values), 3)}" },
]);
