// Precompresses the built pages' hashed assets (dist/web/assets/*.js|css|svg) as .gz beside them (gzip level 9), so the
// API sends them compressed without compressing on every request (apps/api/src/web/static.ts). Run by npm run build:web.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = path.resolve(process.argv[2] ?? 'dist/web', 'assets');
let raw = 0;
let packed = 0;
let files = 0;
for (const name of readdirSync(dir)) {
  if (!/\.(js|css|svg|json)$/.test(name)) continue;
  const file = path.join(dir, name);
  const data = readFileSync(file);
  if (data.length < 1024) continue;
  const gz = gzipSync(data, { level: 9 });
  if (gz.length >= data.length) continue;
  writeFileSync(`${file}.gz`, gz);
  raw += data.length;
  packed += gz.length;
  files++;
}
console.log(`compress-web: ${files} assets, ${(raw / 1024).toFixed(0)} KB → ${(packed / 1024).toFixed(0)} KB gzip`);
