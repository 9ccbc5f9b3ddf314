import { Controller, Get, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AUDIT_OUTCOMES, AuditPageSchema } from '#contracts';
import type { AuditPage } from '#contracts';
import { AuditAdminService } from '#core';
import type { Actor, AuditFilter } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { Code, DeclaredInputOnly, Enum, Instant, Int, Text } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

export class AuditFilterQuery implements AuditFilter {
  @Text({ max: 64, optional: true, query: true, description: 'Exact username of who acted.' }) username?: string;
  @Code(/^[a-z][a-z0-9_.]{0,63}$/, { maxLength: 64, optional: true, description: 'An action (user.update) or a family (user: every user.*).' }) action?: string;
  @Text({ max: 100, optional: true, query: true, description: 'Exact target (user id, unit code, category code …).' }) target?: string;
  @Enum(AUDIT_OUTCOMES, { optional: true }) outcome?: 'ok' | 'denied' | 'failed';
  @Instant({ optional: true, description: 'From this instant (inclusive), RFC 3339 with an offset.' }) from?: string;
  @Instant({ optional: true, description: 'Up to this instant (exclusive).' }) to?: string;
}

export class AuditPageQuery extends AuditFilterQuery {
  @Code(/^[1-9]\d{0,18}$/, { maxLength: 19, optional: true, description: 'The `next` of the previous page: entries older than it.' }) before?: string;
  @Int({ min: 1, max: 500, optional: true, query: true, description: 'Page size (default 100).' }) limit?: number;
}

export class AuditExportQuery extends AuditFilterQuery {
  @Enum(['xlsx', 'csv'] as const, { optional: true, description: 'xlsx (default) or csv (UTF-8 with a BOM).' }) format?: 'xlsx' | 'csv';
}

/** Admin: the audit log (审计日志), kept at least 183 days. Every other role gets 403. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('admin/audit')
export class AuditController {
  constructor(private readonly audit: AuditAdminService) {}

  @Get('export')
  @ApiOperation({ summary: 'The entries matching the filters as xlsx or CSV, newest first, at most 50,000 (admin); the export is itself audited' })
  @ApiResponse({ status: 200, description: 'The workbook (format=xlsx) or the table (format=csv)', content: {
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } },
    'text/csv': { schema: { type: 'string', format: 'binary' } } } })
  @Problems(403, [422, 'to is not after from'])
  async export(@CurrentActor() actor: Actor, @Query() q: AuditExportQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { format, ...filter } = q;
    const f = format ?? 'xlsx';
    const { mime, data } = await this.audit.export(actor, filter, f, req.ip ?? null);
    res.type(mime).setHeader('Content-Disposition', `attachment; filename="audit.${f}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.send(data);
  }

  @Get()
  @ApiOperation({ summary: 'Audit entries, newest first, filtered by who, action, target, outcome and time (admin); keyset pages' })
  @Returns(200, AuditPageSchema, 'A page of entries and the cursor of the next one')
  @Problems(403, [422, 'to is not after from'])
  page(@CurrentActor() actor: Actor, @Query() q: AuditPageQuery): Promise<AuditPage> {
    const { before, limit, ...filter } = q;
    return this.audit.page(actor, filter, before, limit ?? 100);
  }
}
