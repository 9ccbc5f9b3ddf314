import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { AppConfig, DEFAULT_12345_MAPPING, GATEWAY_CONFIG, HotlineService, parse12345Mapping, Problem, REDIS, RedisNonceStore, verifyInbound } from '#core';
import type { Hotline12345Mapping, ResolvedGatewayConfig, VisitReceipt, WorkOrderReceipt } from '#core';
import { Public } from '../auth/auth.guard.js';

type GatewayRefusal = { message: string };

/**
 * The provincial push door (issue 10): the 12345 platform pushes a work order (工单) and later its 回访 result, each a
 * signed `application/x-www-form-urlencoded` POST. Public (no bearer token: the gateway signature is the credential),
 * verified BEFORE anything is written — key, clock skew, signature, then the nonce (a replay is refused) — and refused
 * with 401 and the gateway's own error text (`{"message": "Invalid signature"}`, as the gateways answer), not a
 * problem+json. Field problems after verification are 400 problems naming the province's field. Not in the OpenAPI
 * document (its errors are problem+json by contract; this door speaks the gateway's shape): see the README.
 */
@ApiExcludeController()
@Public()
@Controller('province')
export class ProvinceController {
  private readonly nonces: RedisNonceStore;
  /** The field names of the pushes: GATEWAY_12345_MAPPING over DOMAIN 4.4's (validated by loadGatewayConfig already). */
  private readonly mapping: Hotline12345Mapping;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly gateways: ResolvedGatewayConfig,
    @Inject(REDIS) redis: Redis,
    config: AppConfig,
    private readonly hotline: HotlineService,
  ) {
    this.nonces = new RedisNonceStore(redis, config.REDIS_PREFIX);
    const json = gateways.raw.GATEWAY_12345_MAPPING;
    this.mapping = gateways.hotline12345?.mapping ?? (json ? parse12345Mapping(json) : DEFAULT_12345_MAPPING);
  }

  @Post('work-orders') @HttpCode(200)
  async workOrder(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<WorkOrderReceipt | GatewayRefusal> {
    const fields = await this.verified(req);
    if (!fields.ok) { res.status(401); return { message: fields.error }; }
    return this.hotline.receiveWorkOrder(fields.value, new Date(), this.mapping);
  }

  @Post('work-orders/visits') @HttpCode(200)
  async visit(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<VisitReceipt | GatewayRefusal> {
    const fields = await this.verified(req);
    if (!fields.ok) { res.status(401); return { message: fields.error }; }
    return this.hotline.receiveVisit(fields.value, new Date(), this.mapping);
  }

  /** The push's form fields once its signature, clock and nonce passed; or the gateway's refusal. */
  private async verified(req: Request): Promise<{ ok: true; value: Record<string, string> } | { ok: false; error: string }> {
    const inbound = this.gateways.inbound;
    if (!inbound) {
      throw new Problem(503, 'Service Unavailable', 'not configured: provincial pushes need GATEWAY_INBOUND_ACCESS_KEY and GATEWAY_INBOUND_SECRET_KEY');
    }
    const url = req.originalUrl;
    const q = url.indexOf('?');
    const form = typeof req.body === 'string' ? req.body : undefined;
    let result;
    try {
      result = await verifyInbound(inbound.scheme, {
        method: req.method, path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), headers: req.headers, formBody: form,
      }, {
        now: new Date(), skewSeconds: inbound.skewSeconds, store: this.nonces,
        secretOf: (ak) => (ak === inbound.accessKey ? inbound.secretKey : undefined),
      });
    } catch {
      // the nonce store is down: refuse rather than let an unchecked push through (the province retries with a new nonce)
      throw new Problem(503, 'Service Unavailable', 'the replay check is unavailable: retry later');
    }
    if (!result.ok) return { ok: false, error: result.error };
    if (form === undefined) {
      throw new Problem(415, 'Unsupported Media Type', 'a push must be application/x-www-form-urlencoded (UTF-8)',
        [{ field: 'body', message: `content type ${(req.headers['content-type'] ?? '(none)').slice(0, 80)} is not accepted` }],
        'urn:grid141:problem:unsupported-media-type');
    }
    return { ok: true, value: Object.fromEntries(new URLSearchParams(form)) };
  }
}
