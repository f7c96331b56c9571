/** Small helpers shared by the benchmark scripts: timing and medians. */
export const now = () => performance.now();

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export const ms = (value: number) => `${value.toFixed(3)} ms`;

export function table(rows: [string, string, string?][]): void {
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [name, value, note] of rows)
    console.log(`  ${name.padEnd(width)}  ${value.padStart(14)}${note ? `  ${note}` : ''}`);
}
