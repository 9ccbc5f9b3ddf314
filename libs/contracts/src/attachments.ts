/** Photos (现场照片): what an upload answers. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Shape, Uuid } from './schema.js';

export const AttachmentViewSchema = Shape('AttachmentView', {
  id: Uuid('Reference it in attachmentIds of a report or an action.'),
  mime: Type.Literal('image/jpeg', { description: 'Every photo is re-encoded as JPEG.' }),
  bytes: Type.Integer({ minimum: 1 }),
  width: Type.Integer({ minimum: 1 }),
  height: Type.Integer({ minimum: 1 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});
export type AttachmentView = Static<typeof AttachmentViewSchema>;
