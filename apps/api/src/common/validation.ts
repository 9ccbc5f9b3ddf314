import { ValidationPipe } from '@nestjs/common';
import type { ArgumentMetadata } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { Problem } from '#core';
import { findInputProblem } from './body-guard.js';
import type { FieldProblem } from '#core';

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = prefix ? (/^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`) : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * class-validator behind the checks every input gets whatever its DTO says: a body must be a JSON object, and every
 * key and string of a body, query or path parameter must be well-formed Unicode without NUL and no prototype key
 * (the body guard has checked bodies and queries already; path parameters are only known here).
 */
class ProblemValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object && !metadata.data
      && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw Problem.badRequest('body: must be a JSON object', [{ field: 'body', message: 'must be a JSON object' }]);
    }
    // bodies and queries were walked by the body guard already; path parameters are only known here
    if (metadata.type === 'param') {
      const hit = findInputProblem(value, metadata.data ?? '');
      if (hit !== null) {
        const name = hit[0] || metadata.type;
        throw Problem.badRequest(`${name}: ${hit[1]}`, [{ field: name, message: hit[1] }]);
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
