import { ValidationPipe } from '@nestjs/common';
import type { ArgumentMetadata } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { Problem } from '#core';
import type { FieldProblem } from '#core';

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = prefix ? (/^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`) : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

const NUL_MESSAGE = 'must not contain NUL (\\u0000) characters';

/**
 * The path of the first string holding a NUL character (PostgreSQL text cannot store one, so it would
 * fail deep in a query as a 500), named the way the client sent it; null when there is none.
 */
export function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (depth > 20 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findNul(value[i], `${path}[${i}]`, depth + 1);
      if (hit !== null) return hit;
    }
    return null;
  }
  for (const [key, v] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return here;
    const hit = findNul(v, here, depth + 1);
    if (hit !== null) return hit;
  }
  return null;
}

/** class-validator plus a refusal of NUL characters in any string of a body, query or path parameter. */
class ProblemValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const field = findNul(value, metadata.data ?? '');
      if (field !== null) {
        const name = field || metadata.type;
        throw Problem.badRequest(`${name}: ${NUL_MESSAGE}`, [{ field: name, message: NUL_MESSAGE }]);
      }
    }
    return super.transform(value, metadata);
  }
}

/** class-validator on every body and query; unknown fields are refused; errors name each field. */
export function validationPipe(): ValidationPipe {
  return new ProblemValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return Problem.badRequest(fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields);
    },
  });
}
