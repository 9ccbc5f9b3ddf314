/**
 * The OpenAPI document (/docs, JSON at /docs-json), OpenAPI 3.1 so that the TypeBox contracts of libs/contracts —
 * plain JSON Schema — are the response schemas as they are: each named shape is registered once under
 * components.schemas and referenced. Request schemas come from the DTO field decorators (common/fields.ts).
 *
 * Statuses every operation can answer are added here, from what the global layers do, so that no operation can
 * forget them: 400 (the input guard and the validation pipe refuse a malformed query, path or body on every route),
 * 401 on every route that needs a token, 413 and 415 wherever a body is taken (size limit, media type). Statuses
 * that depend on the operation (403, 404, 409, 422, 503 …) are declared on the handler with @Problems.
 */
import { applyDecorators } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { ApiParam, ApiResponse, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { TSchema } from '@sinclair/typebox';
import { ProblemSchema } from '#contracts';

type Json = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';
const components = new Map<string, TSchema>();

function register(schema: TSchema): string {
  const title = schema.title;
  if (typeof title !== 'string' || title === '') throw new Error('a response schema needs a title (use Shape() from #contracts)');
  const known = components.get(title);
  if (known && known !== schema && JSON.stringify(known) !== JSON.stringify(schema)) throw new Error(`two different schemas are titled ${title}`);
  components.set(title, schema);
  return `${COMPONENT_PREFIX}${title}`;
}

/** A reference to a contract schema (registered under components.schemas by its title). */
export const schemaRef = (schema: TSchema): { $ref: string } => ({ $ref: register(schema) });

const PROBLEM_REF = schemaRef(ProblemSchema).$ref;

/**
 * The JSON of a TypeBox schema as a component: nested named shapes become references (and are registered), so each
 * shape is defined once in the document. Symbol keys (TypeBox's internals) are not copied.
 */
function toComponent(node: unknown, top: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => toComponent(n, false));
  if (node === null || typeof node !== 'object') return node;
  const o = node as Json;
  if (!top && typeof o.title === 'string' && (typeof o.type === 'string' || o.anyOf !== undefined)) return { $ref: register(o as TSchema) };
  const out: Json = {};
  for (const key of Object.keys(o)) out[key] = toComponent(o[key], false);
  return out;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Bad input: a malformed body, query or path parameter (errors[] names each field)',
  401: 'No valid access token (missing, malformed, expired, or its session ended)',
  403: 'Authenticated, but the caller\'s role or unit may not do this, or the password must be changed first (password-change-required)',
  404: 'Not found (or outside the caller\'s jurisdiction)',
  409: 'Conflict with the current state',
  413: 'The body (or the uploaded file) is too large',
  415: 'Unsupported media type',
  422: 'Well-formed, but refers to something that does not exist or does not apply (errors[] names the field)',
  423: 'Locked',
  429: 'Too many requests',
  503: 'A dependency is not available; retry later',
};

/** A success answer with a contract schema (application/json). */
export function Returns(status: number, schema: TSchema, description: string): MethodDecorator {
  return ApiResponse({ status, description, schema: schemaRef(schema) });
}

/** A success answer without a body. */
export function ReturnsNothing(status: number, description: string): MethodDecorator {
  return ApiResponse({ status, description });
}

/** A success answer with a binary body of the given media type. */
export function ReturnsBinary(status: number, mediaType: string, description: string): MethodDecorator {
  return ApiResponse({ status, description, content: { [mediaType]: { schema: { type: 'string', format: 'binary' } } } });
}

/** The problem (RFC 9457) answers an operation can give beyond the ones every operation has (see the top of this file). */
export function Problems(...statuses: (number | [number, string])[]): MethodDecorator {
  return applyDecorators(...statuses.map((s) => {
    const [status, description] = Array.isArray(s) ? s : [s, DESCRIPTIONS[s] ?? 'Problem'];
    return ApiResponse({ status, description, schema: { $ref: PROBLEM_REF } });
  }));
}

/** A UUID path parameter; a value that is not a UUID is answered 404 like an unknown id. */
export function IdParam(name: string, description: string): MethodDecorator {
  return ApiParam({ name, description, required: true, schema: { type: 'string', format: 'uuid' } });
}

const problemContent = () => ({ 'application/problem+json': { schema: { $ref: PROBLEM_REF } } });

function ensureProblem(responses: Json, status: number): void {
  if (!responses[String(status)]) responses[String(status)] = { description: DESCRIPTIONS[status] ?? 'Problem', content: problemContent() };
}

/** The routes a user who must change their password may still call (AuthGuard, @PasswordChangeExempt). */
const PASSWORD_CHANGE_PATHS = new Set(['/api/v1/me', '/api/v1/auth/password', '/api/v1/auth/logout']);

/** Completes a scanned document: statuses every operation has, problem media type, components from the contracts. */
export function completeDocument(doc: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const responses = (op.responses ?? (op.responses = {})) as Json;
      for (const r of Object.values(responses) as Json[]) {
        const content = r.content as Record<string, { schema?: Json }> | undefined;
        if (content && Object.values(content).some((c) => c.schema?.$ref === PROBLEM_REF)) r.content = problemContent();
      }
      ensureProblem(responses, 400);
      if (Array.isArray(op.security) && op.security.length > 0) {
        ensureProblem(responses, 401);
        // every secured route except /me, /auth/password and /auth/logout refuses a user who must change their password
        if (!PASSWORD_CHANGE_PATHS.has(path)) ensureProblem(responses, 403);
      }
      if (op.requestBody) { ensureProblem(responses, 413); ensureProblem(responses, 415); }
    }
  }
  // The scanned schemas are the request DTOs: the validation pipe refuses any property they do not declare.
  for (const schema of Object.values((doc.components?.schemas ?? {}) as Record<string, Json>)) {
    if (schema.type === 'object') schema.additionalProperties = false;
  }
  // converting registers nested shapes too: repeat until every referenced shape is a component
  const schemas: Json = {};
  for (let done = -1; done !== components.size;) {
    done = components.size;
    for (const [title, schema] of [...components]) schemas[title] = toComponent(schema, true);
  }
  doc.components = { ...doc.components, schemas: { ...(doc.components?.schemas as Json | undefined), ...schemas } as never };
  return doc;
}

/** Builds the document from the controllers and serves it at /docs (UI) and /docs-json. */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Grid141 API')
    .setDescription('141 基层治理 — events, regions, units, workflow. Every error is an RFC 9457 application/problem+json.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const doc = completeDocument(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup('docs', app, doc);
  return doc;
}
