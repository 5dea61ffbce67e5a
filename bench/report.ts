/** Markdown tables and SVG bar charts of benchmark results. */

export type Cell = string | number | undefined;

/** Words a numeric column may hold instead of a number. */
const STATUS_WORDS = new Set(["missing", "unavailable", "failed", "wrong checksum", "ok"]);

/** A Markdown table; columns of numbers are right-aligned, undefined cells print as "—". */
export function markdownTable(header: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map((c) => (c === undefined ? "—" : String(c))));
  const numeric = header.map((_, k) => text.some((r) => /^\d/.test(r[k])) && text.every((r) => /^\d/.test(r[k]) || r[k] === "—" || STATUS_WORDS.has(r[k])));
  const lines = [
    `| ${header.join(" | ")} |`,
    `|${header.map((_, k) => (numeric[k] && k > 0 ? "---:" : "---")).join("|")}|`,
    ...text.map((r) => `| ${r.join(" | ")} |`),
  ];
  return lines.join("\n") + "\n";
}

/** A number with `digits` significant digits, without exponent notation for everyday sizes. */
export function sig(v: number | undefined, digits = 3): string | undefined {
  if (v === undefined || !Number.isFinite(v)) return undefined;
  if (v === 0) return "0";
  const mag = Math.floor(Math.log10(Math.abs(v)));
  const decimals = Math.max(0, digits - 1 - mag);
  return v.toFixed(Math.min(decimals, 6));
}

export interface ChartSeries {
  name: string;
  color: string;
}

export interface ChartGroup {
  label: string;
  /** One value per series; undefined draws no bar and labels it "n/a". */
  values: (number | undefined)[];
}

export interface BarChart {
  title: string;
  subtitle: string;
  /** Axis label, e.g. "MIPS (log scale)". */
  axis: string;
  series: ChartSeries[];
  groups: ChartGroup[];
  /** A reference line (e.g. 1 for "same as jit386"). */
  reference?: { value: number; label: string };
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Splits text into lines of at most `width` characters at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Horizontal grouped bars on a logarithmic axis: the values span orders of magnitude. */
export function svgBarChart(chart: BarChart): string {
  // A series with no value anywhere (a peer or engine that is missing) is left out of the chart.
  const keep = chart.series.map((_, si) => chart.groups.some((g) => (g.values[si] ?? 0) > 0));
  const c: BarChart = {
    ...chart,
    series: chart.series.filter((_, si) => keep[si]),
    groups: chart.groups.map((g) => ({ label: g.label, values: g.values.filter((_, si) => keep[si]) })),
  };
  const all = c.groups.flatMap((g) => g.values).filter((v): v is number => v !== undefined && v > 0);
  if (c.reference) all.push(c.reference.value);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 10))));
  const labelW = 150;
  const plotW = 600;
  const width = labelW + plotW + 70;
  const barH = 12;
  const gap = 10;
  const subtitle = wrap(c.subtitle, 120);
  const top = 44 + subtitle.length * 14 + 12;
  const groupH = c.series.length * barH + gap;
  const plotH = c.groups.length * groupH;
  const legendY = top + plotH + 52;
  const height = legendY + 16;
  const x = (v: number) => labelW + (plotW * Math.log10(v / lo)) / Math.log10(hi / lo);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="10" y="22" font-size="15" font-weight="bold">${esc(c.title)}</text>`);
  subtitle.forEach((line, k) => out.push(`<text x="10" y="${42 + k * 14}" fill="#555">${esc(line)}</text>`));
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v > hi * 1.0001) break;
      const gx = x(v).toFixed(1);
      out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + plotH}" stroke="${m === 1 ? "#bbb" : "#e4e4e4"}"/>`);
      if (m === 1 || hi / lo <= 100) out.push(`<text x="${gx}" y="${top + plotH + 14}" text-anchor="middle" fill="#444">${sig(v, 2)}</text>`);
    }
  }
  out.push(`<text x="${labelW + plotW / 2}" y="${top + plotH + 32}" text-anchor="middle" fill="#444">${esc(c.axis)}</text>`);
  c.groups.forEach((g, gi) => {
    const gy = top + gi * groupH;
    out.push(`<text x="${labelW - 8}" y="${gy + (c.series.length * barH) / 2 + 4}" text-anchor="end">${esc(g.label)}</text>`);
    g.values.forEach((v, si) => {
      const by = gy + si * barH;
      const s = c.series[si];
      if (v === undefined || v <= 0) {
        out.push(`<text x="${labelW + 4}" y="${by + barH - 3}" fill="#999" font-size="9">${esc(s.name)}: n/a</text>`);
        return;
      }
      const w = Math.max(1, x(v) - labelW);
      out.push(`<rect x="${labelW}" y="${by + 1}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${s.color}"><title>${esc(`${g.label}, ${s.name}: ${sig(v)}`)}</title></rect>`);
      out.push(`<text x="${(labelW + w + 3).toFixed(1)}" y="${by + barH - 3}" font-size="9" fill="#333">${sig(v)}</text>`);
    });
  });
  if (c.reference) {
    const rx = x(c.reference.value).toFixed(1);
    out.push(`<line x1="${rx}" y1="${top - 10}" x2="${rx}" y2="${top + plotH}" stroke="#000" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${rx}" y="${top - 13}" text-anchor="middle" fill="#000">${esc(c.reference.label)}</text>`);
  }
  let lx = labelW;
  for (const s of c.series) {
    out.push(`<rect x="${lx}" y="${legendY - 9}" width="10" height="10" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 14}" y="${legendY}">${esc(s.name)}</text>`);
    lx += 34 + s.name.length * 7;
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** Text progress: a bar redrawn in place on a terminal, one line per finished step elsewhere. */
export class Progress {
  private done = 0;
  private label = "";
  private started = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly total: number) {}

  start(label: string): void {
    this.label = label;
    this.started = performance.now();
    if (this.tty) {
      this.draw();
      this.timer = setInterval(() => this.draw(), 250);
    }
  }

  finish(summary: string): void {
    clearInterval(this.timer);
    this.done++;
    if (this.tty) process.stderr.write(`\r\x1b[K`);
    process.stderr.write(`[${this.done}/${this.total}] ${this.label}: ${summary}\n`);
    if (this.tty && this.done < this.total) this.draw();
  }

  private draw(): void {
    const width = 30;
    const filled = Math.round((width * this.done) / this.total);
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    process.stderr.write(`\r\x1b[K[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${this.done}/${this.total} ${this.label} ${secs} s`);
  }
}
