import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Closed, Shape } from './schema.js';

export const FieldProblemSchema = Closed({
  field: Type.String({ description: 'The field as the client sent it: `location.lng`, `attachmentIds[0]`, `cursor`, `date`.' }),
  message: Type.String(),
});
export type FieldProblem = Static<typeof FieldProblemSchema>;

/** RFC 9457 problem details: every error the API answers (`application/problem+json`). */
export const ProblemSchema = Shape('Problem', {
  type: Type.String({ description: 'A URI naming the kind of problem (`urn:grid141:problem:…` or `about:blank`).' }),
  title: Type.String(),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  detail: Type.String(),
  instance: Type.String({ description: 'The request path.' }),
  errors: Type.Optional(Type.Array(FieldProblemSchema, { description: 'Each invalid field, when the problem is about input.' })),
}, { description: 'RFC 9457 problem details' });
export type ProblemBody = Static<typeof ProblemSchema>;
