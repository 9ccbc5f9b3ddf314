// Fails when a built web file references another host: the pages must work on a government network with no
// internet (no CDN, no external font, no tile or script from outside). Run after `vite build` (npm run build:web).
// Allowed are only strings that are never fetched: XML namespaces, and the links listed below with their reason.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'dist/web');
const NEVER_FETCHED = [
  /^https?:\/\/www\.w3\.org\//, // XML/SVG/MathML namespaces inside Vue, Leaflet and ECharts
  /^http:\/\/www\.idpf\.org\//, // namespace names in Vue's runtime DOM props
  /^https:\/\/vuejs\.org\/error-reference\//, // text of Vue's production error messages (console only)
];
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(js|mjs|css|html|json|webmanifest|svg)$/.test(name)) files.push(p);
  }
})(root);
const found = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:https?:)?\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?[^\s"'`)<>]*/gi)) {
    const url = m[0];
    if (!/^https?:/i.test(url)) {
      // a protocol-relative //host reference inside CSS url() or an HTML src/href is a request; a // in code is not
      const before = text.slice(Math.max(0, m.index - 6), m.index);
      if (!/url\(\s*["']?$|(?:src|href)=["']?$/i.test(before)) continue;
    }
    if (NEVER_FETCHED.some((re) => re.test(url))) continue;
    found.push(`${path.relative(root, file)}: ${url.slice(0, 120)}`);
  }
}
if (found.length) {
  console.error(`The built web pages reference ${found.length} external URL(s) (nothing may load from outside the server):`);
  for (const f of [...new Set(found)].slice(0, 50)) console.error(`  ${f}`);
  process.exit(1);
}
console.log(`check-web-offline: ${files.length} built files, no external host referenced`);
