// Scans the Electron code with Electronegativity (run in its own npx tree: it needs TypeScript 4,
// the project uses 7) and fails on any HIGH-severity finding. node scripts/electronegativity.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const electron = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version as string;
const report = join(root, '.cache/electronegativity.csv');
mkdirSync(join(root, '.cache'), { recursive: true });
execFileSync(
  'npm',
  [
    'exec',
    '--yes',
    '--package=@doyensec/electronegativity@1.10.3',
    '--',
    'electronegativity',
    '-i',
    'apps/desktop/src',
    '-e',
    electron,
    '-r',
    '-o',
    report,
  ],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
);
const findings = readFileSync(report, 'utf8')
  .split('\n')
  .slice(1)
  .filter((line) => /^[A-Z_]+,"(HIGH|MEDIUM|LOW|INFORMATIONAL)"/.test(line))
  .map((line) => ({
    check: line.split(',')[0] as string,
    severity: line.split(',')[1]?.replaceAll('"', '') as string,
    where: `${line.split(',')[3]}:${line.split(',')[4]}`.replaceAll('"', ''),
  }));
const count = (severity: string) => findings.filter((f) => f.severity === severity).length;
console.log(
  `Electronegativity (Electron ${electron}): ${['HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'].map((s) => `${count(s)} ${s.toLowerCase()}`).join(', ')}`,
);
for (const f of findings) console.log(`  ${f.severity.padEnd(13)} ${f.check.padEnd(28)} ${f.where}`);
if (count('HIGH') > 0) {
  console.error('High-severity findings: fix them before release.');
  process.exit(1);
}
