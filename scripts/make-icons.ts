// Draws Parley's icons (a speech bubble on a teal disc; the tray variant with an unread dot)
// into build/icons as PNG, with no image library: node scripts/make-icons.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];

function png(size: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      // 4×4 supersampling for smooth edges.
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const p = pixel((x + (sx + 0.5) / 4) / size, (y + (sy + 0.5) / 4) / size);
          for (let i = 0; i < 4; i++) acc[i] = (acc[i] as number) + (p[i] as number) / 16;
        }
      raw.set(acc.map(Math.round), y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(data: Buffer): number {
  let c = ~0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

const TEAL: Rgba = [20, 132, 124, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const RED: Rgba = [226, 54, 54, 255];
const CLEAR: Rgba = [0, 0, 0, 0];

/** A disc with a rounded speech bubble; `dot` adds the unread marker. */
function parley(dot: boolean) {
  return (x: number, y: number): Rgba => {
    if (dot && (x - 0.8) ** 2 + (y - 0.2) ** 2 < 0.04) return RED;
    const inDisc = (x - 0.5) ** 2 + (y - 0.5) ** 2 < 0.23;
    if (!inDisc) return CLEAR;
    const bubble = ((x - 0.5) / 0.27) ** 2 + ((y - 0.47) / 0.2) ** 2 < 1;
    const tail = y > 0.58 && y < 0.75 && x > 0.33 && x < 0.45 && x - 0.33 < (0.75 - y) * 0.9;
    return bubble || tail ? WHITE : TEAL;
  };
}

const buildDir = join(import.meta.dirname, '../build/icons');
const assetsDir = join(import.meta.dirname, '../apps/desktop/assets');
writeFileSync(join(buildDir, 'icon.png'), png(512, parley(false)));
writeFileSync(join(assetsDir, 'tray.png'), png(32, parley(false)));
writeFileSync(join(assetsDir, 'tray-unread.png'), png(32, parley(true)));
console.log(`icons written to ${buildDir} and ${assetsDir}`);
