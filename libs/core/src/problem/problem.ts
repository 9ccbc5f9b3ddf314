import { HttpException } from '@nestjs/common';
import type { FieldProblem } from '#contracts';

/** One invalid field of a request, named the way the client sent it (`location.lng`): the contract's shape. */
export type { FieldProblem } from '#contracts';

/**
 * An RFC 9457 problem: every error the API returns is one of these, rendered as
 * application/problem+json by the ProblemFilter.
 */
export class Problem extends HttpException {
  constructor(
    status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
    readonly problemType = 'about:blank',
  ) {
    super({ title, detail, errors }, status);
  }

  static badRequest(detail: string, errors: FieldProblem[] = []): Problem {
    return new Problem(400, 'Bad Request', detail, errors, 'urn:grid141:problem:invalid-input');
  }
  static invalidField(field: string, message: string, status = 422): Problem {
    return new Problem(status, status === 400 ? 'Bad Request' : 'Unprocessable Content', `${field}: ${message}`,
      [{ field, message }], 'urn:grid141:problem:invalid-input');
  }
  static notFound(what: string): Problem {
    return new Problem(404, 'Not Found', `${what} not found`, [], 'urn:grid141:problem:not-found');
  }
  static forbidden(detail: string): Problem {
    return new Problem(403, 'Forbidden', detail, [], 'urn:grid141:problem:forbidden');
  }
  static conflict(detail: string, type = 'urn:grid141:problem:conflict'): Problem {
    return new Problem(409, 'Conflict', detail, [], type);
  }
  static unauthorized(detail: string): Problem {
    return new Problem(401, 'Unauthorized', detail, [], 'urn:grid141:problem:unauthorized');
  }
}
