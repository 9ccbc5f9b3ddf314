import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bumpReferenceVersion, checkSchemaDrift, createDataSource, describeSchemaDrift, importRegionsGeoJson, loadConfig, pendingSchemaSql,
  bindDemoZwddAccounts, purgeDemoEvents, renderMigration, seedDemo,
} from '#core';

/**
 * Admin commands:
 *   migrate                          apply pending migrations
 *   seed-demo                        load divisions, synthetic Anji polygons, reference data, units and demo accounts
 *   regions-import <file> [--crs gcj02|wgs84] [--code-property code] [--name-property name]
 *                                    replace region geometry with real boundaries from a GeoJSON FeatureCollection
 *   migration-generate <Name>        write migrations/<timestamp>-<Name>.ts from what the entities need and the database
 *                                    (migrated to head) lacks; read it, add data moves by hand, list it in migrations/index.ts
 *   schema-check                     exit 1 when the entities and the migrated database disagree (the drift check)
 *   demo-purge                       delete the living demo's events (events.demo) with their timelines and outbox rows
 *   demo-zwdd-bind                   bind every enabled account without one to the sandbox 浙政钉 account demo-<username>
 *                                    (the demo's 浙政钉 is the province sandbox: notices, to-dos and 免登 then reach people)
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const DATA_DIR = path.join(ROOT, 'data');

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const config = loadConfig();
  const ds = await createDataSource(config).initialize();
  try {
    switch (command) {
      case 'migrate': {
        const done = await ds.runMigrations({ transaction: 'each' });
        console.log(`migrations applied: ${done.length ? done.map((m) => m.name).join(', ') : 'none pending'}`);
        return 0;
      }
      case 'seed-demo': {
        const started = Date.now();
        const result = await ds.transaction((m) => seedDemo(m, DATA_DIR, config.COUNTY_CODE));
        console.log(`demo data loaded for county ${config.COUNTY_CODE}: ${result.users} demo accounts (password Grid141!demo) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return 0;
      }
      case 'regions-import': {
        const file = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1]?.startsWith('--') !== true);
        if (!file) { console.error('usage: regions-import <file.geojson> [--crs gcj02|wgs84] [--code-property code] [--name-property name]'); return 2; }
        const crs = (flag(args, 'crs') ?? 'wgs84') as 'wgs84' | 'gcj02';
        if (crs !== 'wgs84' && crs !== 'gcj02') { console.error('--crs must be wgs84 or gcj02'); return 2; }
        const result = await ds.transaction(async (m) => {
          const r = await importRegionsGeoJson(m, path.resolve(file), {
            crs, codeProperty: flag(args, 'code-property'), nameProperty: flag(args, 'name-property') });
          await bumpReferenceVersion(m);
          return r;
        });
        console.log(JSON.stringify(result, null, 2));
        return result.rejected.length > 0 ? 1 : 0;
      }
      case 'migration-generate': {
        const name = args[0];
        if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) { console.error('usage: migration-generate <PascalCaseName>'); return 2; }
        if ((await ds.showMigrations())) { console.error('the database has pending migrations: run `npm run db:migrate` first'); return 1; }
        const sql = await pendingSchemaSql(ds);
        if (sql.up.length === 0) { console.log('no changes: the entities match the database'); return 0; }
        const timestamp = Date.now();
        const file = path.join(ROOT, 'migrations', `${timestamp}-${name}.ts`);
        await writeFile(file, renderMigration(name, timestamp, sql), { flag: 'wx' });
        console.log(`${path.relative(process.cwd(), file)}: ${sql.up.length} statements. Read it, then add ${name}${timestamp} to migrations/index.ts`);
        return 0;
      }
      case 'schema-check': {
        const report = describeSchemaDrift(await checkSchemaDrift(ds));
        console.log(report || 'entities and migrations agree');
        return report ? 1 : 0;
      }
      case 'demo-zwdd-bind': {
        const n = await ds.transaction((m) => bindDemoZwddAccounts(m));
        console.log(`demo: ${n} accounts bound to sandbox 浙政钉 accounts demo-<username>`);
        return 0;
      }
      case 'demo-purge': {
        const result = await ds.transaction((m) => purgeDemoEvents(m));
        console.log(`demo data deleted: ${result.events} events, ${Object.entries(result.references).map(([t, n]) => `${n} ${t}`).join(', ') || 'no'} rows pointing at them, ${result.outbox} outbox messages`);
        return 0;
      }
      default:
        console.error('commands: migrate | seed-demo | regions-import <file> [--crs gcj02|wgs84] | migration-generate <Name> | schema-check | demo-purge');
        return 2;
    }
  } finally {
    await ds.destroy();
  }
}

process.exitCode = await main(process.argv.slice(2));
