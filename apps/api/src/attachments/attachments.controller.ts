import { Controller, Get, Param, ParseUUIDPipe, Post, Req, Res, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AttachmentViewSchema } from '#contracts';
import type { AttachmentView } from '#contracts';
import { AttachmentsService, AuthService, Problem } from '#core';
import type { Actor } from '#core';
import { CurrentActor, Public } from '../auth/auth.guard.js';
import { DeclaredInputOnly } from '../common/fields.js';
import { IdParam, Problems, Returns, ReturnsBinary } from '../common/openapi.js';

@ApiTags('attachments')
@UseGuards(DeclaredInputOnly)
@Controller('attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService, private readonly auth: AuthService) {}

  /** multipart/form-data with one `file`: a photo, sniffed and re-encoded; returns its id for reports and actions. */
  @ApiBearerAuth() @Post() @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Upload a photo (JPEG, PNG, WebP, HEIC or AVIF): sniffed, re-encoded as JPEG, metadata stripped' })
  @ApiBody({
    required: true,
    schema: {
      type: 'object', required: ['file'], additionalProperties: false,
      properties: { file: { type: 'string', format: 'binary', description: 'The image; its type is sniffed from the content, never from the name.' } },
    },
  })
  @Returns(201, AttachmentViewSchema, 'Stored: reference the id in attachmentIds')
  @Problems([413, 'The file is larger than the upload limit (10 MB by default)'],
    [415, 'The content is not an accepted image, or cannot be decoded'])
  @UseInterceptors(FileInterceptor('file'))
  upload(@CurrentActor() actor: Actor, @UploadedFile() file: Express.Multer.File | undefined, @Req() req: Request): Promise<AttachmentView> {
    // multer keeps the other multipart fields in req.body: the upload takes none
    const extra = file ? Object.keys((req.body ?? {}) as object)[0] : undefined;
    if (extra !== undefined) throw Problem.badRequest(`${extra}: the upload takes only \`file\``, [{ field: extra, message: 'is not a field of this upload' }]);
    return this.attachments.upload(actor, file);
  }

  /**
   * A photo through a signed link from an event's `photos` (no Authorization header: an <img> loads it). 404 for a
   * malformed, forged or expired link and when the session that got it has ended (nothing tells which).
   */
  @Public() @Get('media/:token')
  @ApiOperation({ summary: 'A photo or thumbnail through a short-lived signed link (from `photos` of GET /events/:id)' })
  @ReturnsBinary(200, 'image/jpeg', 'The JPEG')
  @Problems(404)
  async media(@Param('token') token: string, @Res() res: Response) {
    const grant = this.attachments.verifyPhotoLink(token);
    if (!grant || !(await this.auth.sessionAlive(grant.sessionId, grant.userId))) throw Problem.notFound('photo link');
    const data = await this.attachments.photo(grant);
    if (!data) throw Problem.notFound('photo link');
    // cached by this browser only, for no longer than the link lives; never sent on as a referrer
    res.type('image/jpeg').setHeader('Cache-Control', `private, max-age=${Math.max(0, grant.exp - Math.floor(Date.now() / 1000))}`);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.send(data);
  }

  @ApiBearerAuth() @Get(':id')
  @ApiOperation({ summary: 'A photo the caller uploaded or can see on an event' })
  @IdParam('id', 'Attachment id')
  @ReturnsBinary(200, 'image/jpeg', 'The JPEG')
  @Problems(404)
  async download(@CurrentActor() actor: Actor, @Param('id', new ParseUUIDPipe({ exceptionFactory: () => Problem.notFound('attachment') })) id: string, @Res() res: Response) {
    const { mime, data } = await this.attachments.download(actor, id);
    res.type(mime).setHeader('Cache-Control', 'private, max-age=86400');
    res.send(data);
  }
}
