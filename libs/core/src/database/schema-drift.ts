import type { DataSource, EntityMetadata } from 'typeorm';

/**
 * What the entities cannot say, kept in migrations by hand. TypeORM's schema builder is told to leave these alone
 * (`@Index(name, { synchronize: false })` on the entity, or it never models the object at all), so the drift check
 * verifies each one directly against the catalogue instead: it must exist with exactly this definition.
 * Nothing outside this list is ignored.
 */
export const KNOWN_SCHEMA_EXCEPTIONS: readonly KnownSchemaException[] = [
  {
    name: 'sla_rules_scope_idx', kind: 'index',
    reason: 'unique expression index on coalesce(category_code, \'*\'): one county default per urgency and tier (NULLs are never equal in a plain unique)',
    definition: `CREATE UNIQUE INDEX sla_rules_scope_idx ON public.sla_rules USING btree (COALESCE(category_code, '*'::character varying), urgency, complexity)`,
  },
  {
    name: 'regions_code_prefix_idx', kind: 'index',
    reason: 'text_pattern_ops operator class (code LIKE \'prefix%\' for jurisdictions): @Index has no operator classes',
    definition: 'CREATE INDEX regions_code_prefix_idx ON public.regions USING btree (code text_pattern_ops)',
  },
  {
    name: 'units_region_idx', kind: 'index',
    reason: 'text_pattern_ops operator class (region_code LIKE \'prefix%\'): @Index has no operator classes',
    definition: 'CREATE INDEX units_region_idx ON public.units USING btree (region_code text_pattern_ops)',
  },
  {
    name: 'events_region_idx', kind: 'index',
    reason: 'text_pattern_ops plus DESC columns for keyset paging within a jurisdiction: @Index has neither',
    definition: 'CREATE INDEX events_region_idx ON public.events USING btree (region_code text_pattern_ops, created_at DESC, id DESC)',
  },
  {
    name: 'event_code_seq', kind: 'sequence',
    reason: 'a free-standing sequence for human-readable event codes (not owned by a column): TypeORM models no sequences',
    definition: 'CREATE SEQUENCE public.event_code_seq',
  },
  {
    name: 'grid141_auth_changed', kind: 'function',
    reason: 'trigger function sending NOTIFY grid141_auth on a session or user change (API session caches): TypeORM models no functions',
    definition: 'CREATE FUNCTION grid141_auth_changed() RETURNS trigger (migration AuthChangeNotify1796200000000)',
  },
  {
    name: 'sessions_auth_changed', kind: 'trigger',
    reason: 'calls grid141_auth_changed when a session is revoked or deleted: TypeORM models no triggers',
    definition: 'CREATE TRIGGER sessions_auth_changed AFTER DELETE OR UPDATE ON public.sessions FOR EACH ROW EXECUTE FUNCTION grid141_auth_changed()',
  },
  {
    name: 'users_auth_changed', kind: 'trigger',
    reason: 'calls grid141_auth_changed when a user\'s standing changes or the user is deleted: TypeORM models no triggers',
    definition: 'CREATE TRIGGER users_auth_changed AFTER DELETE OR UPDATE OF username, role, unit_code, jurisdiction_code, disabled, password_hash, '
      + 'must_change_password ON public.users FOR EACH ROW EXECUTE FUNCTION grid141_auth_changed()',
  },
  countingKey('map_cell_category_totals', '(level, category_code, status, cell_y, cell_x, region_code, warning)'),
  countingKey('map_cell_counts', '(day, status, cell_y, cell_x, region_code, category_code, warning)'),
  countingKey('map_cell_totals', '(level, status, cell_y, cell_x, region_code, warning)'),
  {
    name: 'map_count_event', kind: 'function',
    reason: 'trigger function keeping the map aggregates (map_region_* and map_cell_* tables) in the transaction of each change to events: TypeORM models no functions',
    definition: 'CREATE FUNCTION map_count_event() RETURNS trigger (migration MapAggregates1796600000000)',
  },
  {
    name: 'events_map_count', kind: 'trigger',
    reason: 'calls map_count_event for every writer of events (reports, transitions, SLA, plain SQL): TypeORM models no triggers',
    definition: 'CREATE TRIGGER events_map_count AFTER INSERT OR DELETE OR UPDATE OF status, warning, category_code, region_code, location, created_at '
      + 'ON public.events FOR EACH ROW EXECUTE FUNCTION map_count_event()',
  },
  {
    name: 'stats_report_rollup', kind: 'function',
    reason: 'trigger function adding a report to the evaluation rollup (stats_daily) after the map aggregates, so every writer locks in one order: TypeORM models no functions',
    definition: 'CREATE FUNCTION stats_report_rollup() RETURNS trigger (migration ReportRollupTrigger1797800000000)',
  },
  {
    name: 'events_report_rollup', kind: 'trigger',
    reason: 'calls stats_report_rollup for every new event, after events_map_count (triggers fire in name order): TypeORM models no triggers',
    definition: 'CREATE TRIGGER events_report_rollup AFTER INSERT ON public.events FOR EACH ROW EXECUTE FUNCTION stats_report_rollup()',
  },
];

/** A map aggregate's primary key in read order carrying its count (INCLUDE (n)): @PrimaryColumn cannot say INCLUDE. */
function countingKey(table: string, columns: string): KnownSchemaException {
  return {
    name: `${table}_pkey`, kind: 'index',
    reason: 'primary key carrying the count (INCLUDE (n)) so map reads are index-only and an increment rewrites one index: @PrimaryColumn has no INCLUDE',
    definition: `CREATE UNIQUE INDEX ${table}_pkey ON public.${table} USING btree ${columns} INCLUDE (n)`,
  };
}

export interface KnownSchemaException {
  name: string;
  kind: 'index' | 'sequence' | 'function' | 'trigger';
  /** Why TypeORM cannot express it. */
  reason: string;
  /**
   * For an index or a trigger, pg_get_indexdef() / pg_get_triggerdef() exactly; for a sequence or a function, the
   * statement that makes it (existence is checked).
   */
  definition: string;
}

export interface SchemaDrift {
  /** SQL the schema builder would run to make the database match the entities (empty when they agree). */
  pending: string[];
  /**
   * What the schema builder does not compare, compared here against the catalogue: CHECK expressions, index column
   * order and WHERE predicates, single-column unique constraint names.
   */
  catalogue: string[];
  /** Problems with the known exceptions: missing, defined differently, or not declared in the list. */
  exceptions: string[];
}

export interface SchemaQuery { query: string; parameters?: unknown[] }

/** The schema builder's queries: what a migration generated now would contain (down[i] undoes up[i]). */
export async function pendingSchemaSql(ds: DataSource): Promise<{ up: SchemaQuery[]; down: SchemaQuery[] }> {
  const sql = await ds.driver.createSchemaBuilder().log();
  const plain = (q: SchemaQuery): SchemaQuery => (q.parameters?.length ? { query: q.query, parameters: q.parameters } : { query: q.query });
  return { up: sql.upQueries.map(plain), down: sql.downQueries.map(plain) };
}

const asText = (q: SchemaQuery) => {
  const text = q.query.replace(/\s+/g, ' ').trim();
  return q.parameters?.length ? `${text} -- parameters: ${JSON.stringify(q.parameters)}` : text;
};

/** Entity indexes the schema builder skips (`synchronize: false`): each must be a named known exception. */
function unsyncedIndexes(metadatas: readonly EntityMetadata[]): string[] {
  return metadatas.flatMap((m) => m.indices.filter((i) => i.synchronize === false).map((i) => i.name));
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The schema builder matches CHECK constraints and indexes by name only (and a unique constraint by its column), so
 * an edited expression, predicate or column order would pass it. Each one the entities declare is therefore built
 * once more on an empty temporary copy of its table, PostgreSQL prints both definitions, and they must be equal.
 * Runs in a transaction that is rolled back.
 */
async function compareWithCatalogue(ds: DataSource): Promise<string[]> {
  const problems: string[] = [];
  const runner = ds.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    let n = 0;
    const unsynced = new Set(unsyncedIndexes(ds.entityMetadatas));
    for (const m of ds.entityMetadatas) {
      // a missing table is the schema builder's finding (CREATE TABLE)
      const [exists] = await runner.query(`SELECT to_regclass($1) IS NOT NULL AS "exists"`, [ident(m.tableName)]);
      if (!exists.exists) continue;
      const probe = `schema_drift_probe_${n++}`;
      await runner.query(`CREATE TEMP TABLE ${probe} (LIKE ${ident(m.tableName)})`);
      // a definition that cannot be built because the live table lacks a column it names is skipped here: the schema
      // builder already reports the missing column (ADD COLUMN)
      const attempt = async (sql: string) => {
        await runner.query('SAVEPOINT drift_probe');
        try {
          await runner.query(sql);
          await runner.query('RELEASE SAVEPOINT drift_probe');
        } catch (err) {
          await runner.query('ROLLBACK TO SAVEPOINT drift_probe');
          if ((err as { driverError?: { code?: string } }).driverError?.code !== '42703') throw err; // undefined_column only
        }
      };
      for (const check of m.checks) {
        await attempt(`ALTER TABLE ${probe} ADD CONSTRAINT ${ident(check.name)} CHECK (${check.expression})`);
      }
      for (const index of m.indices.filter((i) => i.synchronize !== false)) {
        const method = index.isSpatial ? 'gist' : (index.type ?? 'btree');
        const columns = index.columns.map((c) => ident(c.databaseName)).join(', ');
        await attempt(`CREATE ${index.isUnique ? 'UNIQUE ' : ''}INDEX ${ident(index.name)} ON ${probe} USING ${method} (${columns})`
          + (index.where ? ` WHERE ${index.where}` : ''));
      }
      const definitions = async (table: string): Promise<Map<string, string>> => {
        const rows: { name: string; def: string }[] = await runner.query(
          `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('c', 'u')
           UNION ALL
           SELECT c.relname, regexp_replace(pg_get_indexdef(c.oid), '^.* USING ', 'USING ') FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)`, [table]);
        return new Map(rows.map((r) => [r.name, r.def]));
      };
      const live = await definitions(m.tableName);
      for (const unique of m.uniques) {
        const columns = unique.columns.map((c) => ident(c.databaseName)).join(', ');
        await attempt(`ALTER TABLE ${probe} ADD CONSTRAINT ${ident(unique.name)} UNIQUE (${columns})`);
      }
      const wanted = await definitions(probe);
      for (const [name, def] of wanted) {
        const found = live.get(name);
        if (found === undefined) problems.push(`${m.tableName}: ${name} is missing (entity: ${def})`);
        else if (found !== def) problems.push(`${m.tableName}: ${name} differs\n    entity:   ${def}\n    database: ${found}`);
      }
      for (const [name, def] of live) {
        if (!wanted.has(name) && !unsynced.has(name)) problems.push(`${m.tableName}: ${name} is not in the entity (database: ${def})`);
      }
    }
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
  return problems;
}

/**
 * Compares the entities with the database behind `ds` (migrated to head): the schema builder must propose nothing,
 * what it does not compare must match the catalogue, and each known exception must be in the database exactly as listed.
 */
export async function checkSchemaDrift(ds: DataSource, exceptions: readonly KnownSchemaException[] = KNOWN_SCHEMA_EXCEPTIONS): Promise<SchemaDrift> {
  const { up } = await pendingSchemaSql(ds);
  const problems: string[] = [];
  const listed = new Set(exceptions.map((e) => e.name));
  for (const name of unsyncedIndexes(ds.entityMetadatas)) {
    if (!listed.has(name)) problems.push(`index ${name} is excluded from synchronization by its entity but is not a known exception`);
  }
  // what the schema holds of the kinds TypeORM cannot model, as PostgreSQL prints it (a definition where it has one)
  const found: { kind: KnownSchemaException['kind']; name: string; def: string | null; own: boolean }[] = await ds.query(
    `SELECT 'index' AS kind, c.relname AS name, pg_get_indexdef(c.oid) AS def, false AS own
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'i' AND n.nspname = current_schema()
     UNION ALL
     SELECT 'sequence', c.relname, NULL, false
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()
     UNION ALL
     SELECT 'trigger', t.tgname, pg_get_triggerdef(t.oid), true
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT t.tgisinternal AND n.nspname = current_schema()
     UNION ALL
     SELECT 'function', p.proname, NULL, true
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`);
  const byKey = new Map(found.map((f) => [`${f.kind}:${f.name}`, f]));
  for (const e of exceptions) {
    const f = byKey.get(`${e.kind}:${e.name}`);
    if (!f) problems.push(`${e.kind} ${e.name} is missing (expected: ${e.definition})`);
    else if (f.def !== null && f.def !== e.definition) problems.push(`${e.kind} ${e.name} differs:\n    expected: ${e.definition}\n    found:    ${f.def}`);
  }
  // triggers and functions of our own (not an extension's, such as PostGIS) exist only as listed exceptions
  for (const f of found.filter((x) => x.own)) {
    if (!exceptions.some((e) => e.kind === f.kind && e.name === f.name)) problems.push(`${f.kind} ${f.name} is in the database but not a known exception`);
  }
  return { pending: up.map(asText), catalogue: await compareWithCatalogue(ds), exceptions: problems };
}

/** A readable report of a drift (empty string when there is none). */
export function describeSchemaDrift(drift: SchemaDrift): string {
  const parts: string[] = [];
  if (drift.pending.length > 0) {
    parts.push(`entities and migrations disagree; a migration generated now would run:\n${drift.pending.map((q) => `  ${q};`).join('\n')}`);
  }
  if (drift.catalogue.length > 0) parts.push(`definitions the schema builder does not compare:\n${drift.catalogue.map((p) => `  ${p}`).join('\n')}`);
  if (drift.exceptions.length > 0) parts.push(`known exceptions:\n${drift.exceptions.map((p) => `  ${p}`).join('\n')}`);
  return parts.join('\n');
}

/**
 * The source of a migration class from the schema builder's queries (what `migration-generate` writes).
 * Read it before committing: data moves (backfills) are added by hand, and down() must work.
 */
export function renderMigration(name: string, timestamp: number, sql: { up: SchemaQuery[]; down: SchemaQuery[] }): string {
  const literal = (q: string) => '`' + q.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';
  const lines = (qs: SchemaQuery[]) => qs.map((q) =>
    `    await q.query(${literal(q.query.trim())}${q.parameters?.length ? `, ${JSON.stringify(q.parameters)}` : ''});`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Generated from the entities by \`npm run db:generate -- ${name}\`; read and completed by hand. */
export class ${name}${timestamp} implements MigrationInterface {
  name = '${name}${timestamp}';

  async up(q: QueryRunner): Promise<void> {
${lines(sql.up)}
  }

  async down(q: QueryRunner): Promise<void> {
${lines([...sql.down].reverse())}
  }
}
`;
}
