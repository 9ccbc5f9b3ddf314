import { Controller, Get, Param, ParseUUIDPipe, Post, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AttachmentsService, Problem } from '#core';
import type { Actor } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';

@ApiTags('attachments')
@ApiBearerAuth()
@Controller('attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  /** multipart/form-data with one `file`: a photo, sniffed and re-encoded; returns its id for reports and actions. */
  @Post() @ApiConsumes('multipart/form-data')
  @UseInterceptors(FileInterceptor('file'))
  upload(@CurrentActor() actor: Actor, @UploadedFile() file: Express.Multer.File | undefined) {
    return this.attachments.upload(actor, file);
  }

  @Get(':id')
  async download(@CurrentActor() actor: Actor, @Param('id', new ParseUUIDPipe({ exceptionFactory: () => Problem.notFound('attachment') })) id: string, @Res() res: Response) {
    const { mime, data } = await this.attachments.download(actor, id);
    res.type(mime).setHeader('Cache-Control', 'private, max-age=86400');
    res.send(data);
  }
}
