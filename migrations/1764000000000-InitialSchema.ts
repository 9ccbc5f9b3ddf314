import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The spine of Grid141: regions (行政区划/网格), units (处置单位), users, categories (事件分类),
 * SLA rules and calendar (data for the time-limit engine), events (事件), their timeline (流转记录),
 * the outbox and the audit log. Written as reviewed SQL: PostGIS types and partial indexes are clearer here
 * than in decorators, and the entity files in libs/core mirror these tables.
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS postgis`);

    await q.query(`
      CREATE TABLE regions (
        code        varchar(18) PRIMARY KEY,
        name        text        NOT NULL,
        level       text        NOT NULL CHECK (level IN ('province','city','county','township','village','grid')),
        parent_code varchar(18) REFERENCES regions(code),
        geom        geometry(MultiPolygon, 4326),
        synthetic   boolean     NOT NULL DEFAULT false,
        geom_source text,
        valid_from  date,
        valid_to    date
      )`);
    await q.query(`CREATE INDEX regions_code_prefix_idx ON regions (code text_pattern_ops)`);
    await q.query(`CREATE INDEX regions_parent_idx ON regions (parent_code)`);
    await q.query(`CREATE INDEX regions_geom_idx ON regions USING gist (geom)`);
    await q.query(`CREATE INDEX regions_grid_geom_idx ON regions USING gist (geom) WHERE level = 'grid'`);

    await q.query(`
      CREATE TABLE platform_types (
        code text PRIMARY KEY,
        name text NOT NULL,
        scheme text NOT NULL,
        sort int NOT NULL DEFAULT 0,
        active boolean NOT NULL DEFAULT true
      )`);

    await q.query(`
      CREATE TABLE units (
        code               varchar(40) PRIMARY KEY,
        name               text NOT NULL,
        type               text NOT NULL CHECK (type IN ('county_centre','county_department','township_centre','township_platform','township_station','grid_team')),
        region_code        varchar(18) NOT NULL REFERENCES regions(code),
        platform_type_code text REFERENCES platform_types(code),
        department_kind    text,
        parent_unit_code   varchar(40) REFERENCES units(code),
        active             boolean NOT NULL DEFAULT true
      )`);
    await q.query(`CREATE INDEX units_region_idx ON units (region_code text_pattern_ops)`);

    await q.query(`
      CREATE TABLE users (
        id                uuid PRIMARY KEY,
        username          text NOT NULL UNIQUE,
        display_name      text NOT NULL,
        password_hash     text NOT NULL,
        role              text NOT NULL CHECK (role IN ('grid_worker','township_dispatcher','handler','county_operator','county_leader','admin')),
        unit_code         varchar(40) REFERENCES units(code),
        jurisdiction_code varchar(18) NOT NULL REFERENCES regions(code),
        failed_logins     int NOT NULL DEFAULT 0,
        locked_until      timestamptz,
        disabled          boolean NOT NULL DEFAULT false,
        created_at        timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id          uuid PRIMARY KEY,
        user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id   uuid NOT NULL,
        token_hash  text NOT NULL UNIQUE,
        expires_at  timestamptz NOT NULL,
        used_at     timestamptz,
        revoked_at  timestamptz,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);

    await q.query(`
      CREATE TABLE categories (
        code                 varchar(4) PRIMARY KEY,
        name                 text NOT NULL,
        major_code           varchar(2) NOT NULL,
        major_name           text NOT NULL,
        platform_type_code   text REFERENCES platform_types(code),
        county_department    text,
        default_urgency      text NOT NULL DEFAULT 'normal' CHECK (default_urgency IN ('normal','urgent')),
        is_event             boolean NOT NULL DEFAULT true,
        active               boolean NOT NULL DEFAULT true,
        sort                 int NOT NULL DEFAULT 0
      )`);

    await q.query(`
      CREATE TABLE sla_rules (
        id                      serial PRIMARY KEY,
        category_code           varchar(4) REFERENCES categories(code),
        urgency                 text NOT NULL CHECK (urgency IN ('normal','urgent')),
        basis                   text NOT NULL CHECK (basis IN ('working','natural')),
        accept_minutes          numeric NOT NULL CHECK (accept_minutes > 0),
        sign_minutes            numeric NOT NULL CHECK (sign_minutes > 0),
        handle_minutes          numeric NOT NULL CHECK (handle_minutes > 0),
        verify_minutes          numeric NOT NULL CHECK (verify_minutes > 0),
        yellow_ratio            numeric NOT NULL DEFAULT 0.8 CHECK (yellow_ratio > 0 AND yellow_ratio < 1),
        escalate_grace_minutes  numeric NOT NULL DEFAULT 0 CHECK (escalate_grace_minutes >= 0),
        updated_at              timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX sla_rules_scope_idx ON sla_rules (coalesce(category_code, '*'), urgency)`);

    // Bumped in the same transaction as an admin edit, so every process reloads cached settings.
    await q.query(`CREATE TABLE settings_versions (name text PRIMARY KEY, version bigint NOT NULL DEFAULT 1)`);
    await q.query(`INSERT INTO settings_versions (name) VALUES ('calendar'), ('sla_rules'), ('reference')`);

    await q.query(`
      CREATE TABLE calendar_days (
        date date PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('holiday','workday')),
        name text NOT NULL
      )`);

    await q.query(`CREATE SEQUENCE event_code_seq`);
    await q.query(`
      CREATE TABLE events (
        id                        uuid PRIMARY KEY,
        code                      varchar(24) NOT NULL UNIQUE,
        category_code             varchar(4) NOT NULL REFERENCES categories(code),
        description               text NOT NULL,
        address                   text,
        urgency                   text NOT NULL CHECK (urgency IN ('normal','urgent')),
        source                    text NOT NULL CHECK (source IN ('grid','hotline12345','zlb','province','open311','staff')),
        location                  geometry(Point, 4326) NOT NULL,
        region_code               varchar(18) NOT NULL REFERENCES regions(code),
        grid_code                 varchar(18) NOT NULL,
        village_code              varchar(18) NOT NULL,
        township_code             varchar(18) NOT NULL,
        county_code               varchar(18) NOT NULL,
        status                    text NOT NULL CHECK (status IN ('reported','accepted','dispatched','handling','handled','closed','rejected','merged','suspended')),
        level                     text NOT NULL CHECK (level IN ('village','township','county')),
        warning                   text NOT NULL DEFAULT 'none' CHECK (warning IN ('none','yellow','red')),
        owner_unit_code           varchar(40) NOT NULL REFERENCES units(code),
        centre_unit_code          varchar(40) NOT NULL REFERENCES units(code),
        handler_unit_code         varchar(40) REFERENCES units(code),
        suggested_unit_code       varchar(40) REFERENCES units(code),
        support_unit_codes        text[] NOT NULL DEFAULT '{}',
        involved_unit_codes       text[] NOT NULL DEFAULT '{}',
        assignee_id               uuid REFERENCES users(id),
        reporter_id               uuid REFERENCES users(id),
        suspended_from_status     text,
        extension_requested_until timestamptz,
        extended_until            timestamptz,
        merged_into_id            uuid REFERENCES events(id),
        urge_count                int NOT NULL DEFAULT 0,
        supervised                boolean NOT NULL DEFAULT false,
        rework_count              int NOT NULL DEFAULT 0,
        return_count              int NOT NULL DEFAULT 0,
        rating                    smallint,
        resolved_on_site          boolean NOT NULL DEFAULT false,
        attachment_ids            uuid[] NOT NULL DEFAULT '{}',
        stage                     text,
        stage_started_at          timestamptz,
        stage_due_at              timestamptz,
        stage_yellow_at           timestamptz,
        stage_escalate_at         timestamptz,
        stage_paused_at           timestamptz,
        sla_basis                 text CHECK (sla_basis IN ('working','natural')),
        sla_next_at               timestamptz,
        version                   int NOT NULL DEFAULT 1,
        created_at                timestamptz NOT NULL DEFAULT now(),
        updated_at                timestamptz NOT NULL DEFAULT now(),
        closed_at                 timestamptz
      )`);
    await q.query(`CREATE INDEX events_region_idx ON events (region_code text_pattern_ops, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX events_involved_idx ON events USING gin (involved_unit_codes)`);
    await q.query(`CREATE INDEX events_sla_next_idx ON events (sla_next_at, id) WHERE sla_next_at IS NOT NULL`);
    await q.query(`CREATE INDEX events_updated_idx ON events (updated_at)`);
    await q.query(`CREATE INDEX events_open_location_idx ON events USING gist (location)
                   WHERE status NOT IN ('closed','rejected','merged')`);

    await q.query(`
      CREATE TABLE event_actions (
        id             bigserial PRIMARY KEY,
        event_id       uuid NOT NULL REFERENCES events(id),
        type           text NOT NULL,
        from_status    text,
        to_status      text NOT NULL,
        from_level     text,
        to_level       text NOT NULL,
        actor_id       uuid REFERENCES users(id),
        actor_role     text NOT NULL,
        unit_code      varchar(40),
        note           text,
        data           jsonb NOT NULL DEFAULT '{}',
        attachment_ids uuid[] NOT NULL DEFAULT '{}',
        at             timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX event_actions_event_idx ON event_actions (event_id, id)`);

    await q.query(`
      CREATE TABLE outbox (
        id           bigserial PRIMARY KEY,
        topic        text NOT NULL,
        aggregate_id uuid NOT NULL,
        payload      jsonb NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        attempts     int NOT NULL DEFAULT 0
      )`);
    await q.query(`CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL`);

    await q.query(`
      CREATE TABLE audit_log (
        id        bigserial PRIMARY KEY,
        at        timestamptz NOT NULL DEFAULT now(),
        actor_id  uuid,
        username  text,
        action    text NOT NULL,
        target    text,
        outcome   text NOT NULL,
        ip        text,
        detail    jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at)`);

    await q.query(`
      CREATE TABLE attachments (
        id          uuid PRIMARY KEY,
        uploader_id uuid NOT NULL REFERENCES users(id),
        mime        text NOT NULL,
        bytes       int NOT NULL,
        width       int NOT NULL,
        height      int NOT NULL,
        sha256      text NOT NULL,
        data        bytea NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['attachments', 'audit_log', 'outbox', 'event_actions', 'events', 'calendar_days', 'settings_versions', 'sla_rules',
      'categories', 'refresh_tokens', 'users', 'units', 'platform_types', 'regions']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query(`DROP SEQUENCE IF EXISTS event_code_seq`);
  }
}
