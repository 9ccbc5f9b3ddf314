import { All, Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Open311Error, Open311Service } from '#core';
import type { Open311Input, Open311RequestQuery } from '#core';
import { Public } from '../auth/auth.guard.js';
import { Open311ErrorFilter } from './open311.filter.js';
import { sendOpen311 } from './open311.format.js';
import type { Open311Format } from './open311.format.js';

type Params = Record<string, string | undefined>;

function formatOf(value: string | undefined): Open311Format {
  if (value === 'json' || value === 'xml') return value;
  throw new Open311Error(404, `format ${String(value).slice(0, 20)} is not served: use .json or .xml`);
}

/** The query (and, for POST, the form fields) as strings: a JSON body's numbers and booleans as written, null as absent. */
function fieldsOf(req: Request): Open311Input {
  const out: Open311Input = {};
  for (const source of [req.query as Record<string, unknown>, (req.body ?? {}) as Record<string, unknown>]) {
    for (const [k, v] of Object.entries(source)) {
      if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    }
  }
  return out;
}

/**
 * Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) at /open311/v2, outside /api/v1: discovery, services, service
 * definitions, requests (GET, POST with an api_key), a request, tokens — each as `.json` or `.xml`. Public (the api_key
 * of a POST is checked by the service); every error a GeoReport error answer (Open311ErrorFilter). Documented by the
 * GeoReport spec and its discovery document rather than the API's OpenAPI document (whose errors are problem+json).
 */
@ApiExcludeController()
@Public()
@UseFilters(Open311ErrorFilter)
@Controller('open311')
export class Open311Controller {
  constructor(private readonly open311: Open311Service) {}

  @Get('v2/discovery.:format')
  async discovery(@Param() p: Params, @Req() req: Request, @Res() res: Response): Promise<void> {
    const format = formatOf(p.format);
    sendOpen311(res, format, 200, 'discovery', await this.open311.discovery(`${req.protocol}://${req.get('host') ?? 'localhost'}/open311/v2`));
  }

  @Get('v2/services.:format')
  async services(@Param() p: Params, @Query() q: Params, @Res() res: Response): Promise<void> {
    const format = formatOf(p.format);
    this.open311.checkJurisdiction(q.jurisdiction_id);
    sendOpen311(res, format, 200, 'services', await this.open311.services());
  }

  @Get('v2/services/:code.:format')
  async serviceDefinition(@Param() p: Params, @Query() q: Params, @Res() res: Response): Promise<void> {
    const format = formatOf(p.format);
    this.open311.checkJurisdiction(q.jurisdiction_id);
    sendOpen311(res, format, 200, 'service_definition', await this.open311.serviceDefinition(p.code ?? ''));
  }

  @Get('v2/requests.:format')
  async requests(@Param() p: Params, @Query() q: Params, @Res() res: Response): Promise<void> {
    const format = formatOf(p.format);
    this.open311.checkJurisdiction(q.jurisdiction_id);
    sendOpen311(res, format, 200, 'service_requests', await this.open311.requests(q as Open311RequestQuery));
  }

  @Post('v2/requests.:format')
  async create(@Param() p: Params, @Req() req: Request, @Res() res: Response): Promise<void> {
    const format = formatOf(p.format);
    const input = fieldsOf(req);
    this.open311.checkJurisdiction(input.jurisdiction_id);
    // 200 as the spec's examples answer (the created request is in the body)
    sendOpen311(res, format, 200, 'service_requests', [await this.open311.create(input, req.ip ?? null)]);
  }

  @Get('v2/requests/:id.:format')
  async request(@Param() p: Params, @Query() q: Params, @Res() res: Response): Promise<void> {
    const format = formatOf(p.format);
    this.open311.checkJurisdiction(q.jurisdiction_id);
    sendOpen311(res, format, 200, 'service_requests', await this.open311.request(p.id ?? ''));
  }

  @Get('v2/tokens/:token.:format')
  async token(@Param() p: Params, @Query() q: Params, @Res() res: Response): Promise<void> {
    const format = formatOf(p.format);
    this.open311.checkJurisdiction(q.jurisdiction_id);
    sendOpen311(res, format, 200, 'service_requests', await this.open311.token(p.token ?? ''));
  }

  /** Anything else under /open311 (another version, a missing or unknown format, another method): a GeoReport 404. */
  @All(['', '{*rest}'])
  notFound(@Req() req: Request): never {
    throw new Open311Error(404, `${req.method} ${req.path.slice(0, 200)} is not a GeoReport v2 resource of this endpoint`);
  }
}
