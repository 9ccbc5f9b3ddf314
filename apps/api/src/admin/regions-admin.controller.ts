import { Controller, HttpCode, Post, Query, Req, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { REGION_IMPORT_CRS, RegionImportPreviewSchema } from '#contracts';
import type { RegionImportPreview } from '#contracts';
import { Problem, RegionsAdminService } from '#core';
import type { Actor } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { Bool, Code, DeclaredInputOnly, Enum } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

export class RegionImportQuery {
  @Bool({ query: true, description: 'true: answer what would change, write nothing; false: write every feature in one transaction, or nothing.' }) dryRun: boolean;
  @Enum(REGION_IMPORT_CRS, { optional: true, description: 'Datum of the coordinates (default wgs84); gcj02 is converted.' }) crs?: 'wgs84' | 'gcj02';
  @Code(/^[A-Za-z_][A-Za-z0-9_]{0,39}$/, { maxLength: 40, optional: true, description: 'Feature property holding the region code (default code).' }) codeProperty?: string;
  @Code(/^[A-Za-z_][A-Za-z0-9_]{0,39}$/, { maxLength: 40, optional: true, description: 'Feature property holding a grid name (default name).' }) nameProperty?: string;
}

/** Admin: real region and grid boundaries from GeoJSON, with a preview. Every other role gets 403. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('admin/regions')
export class RegionsAdminController {
  constructor(private readonly regions: RegionsAdminService) {}

  /** multipart/form-data with one `file`: a GeoJSON FeatureCollection. */
  @Post('import') @HttpCode(200) @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Import boundaries (admin): a dry run previews added, changed and rejected regions with their geometry; a commit writes all or nothing' })
  @ApiBody({
    required: true,
    schema: {
      type: 'object', required: ['file'], additionalProperties: false,
      properties: { file: { type: 'string', format: 'binary', description: 'GeoJSON FeatureCollection of Polygon/MultiPolygon features with a code property.' } },
    },
  })
  @Returns(200, RegionImportPreviewSchema, 'What would change (dry run) or what changed')
  @Problems(403, [413, 'The file is larger than the upload limit'], [422, 'Not GeoJSON, or a feature is rejected (nothing written; errors[] names each feature)'])
  @UseInterceptors(FileInterceptor('file'))
  async import(@CurrentActor() actor: Actor, @Query() q: RegionImportQuery, @UploadedFile() file: Express.Multer.File | undefined,
    @Req() req: Request): Promise<RegionImportPreview> {
    if (actor.role !== 'admin') throw Problem.forbidden('only an administrator may import region boundaries');
    if (!file || file.size === 0) throw Problem.invalidField('file', 'a non-empty GeoJSON file is required', 400);
    const extra = Object.keys((req.body ?? {}) as object)[0];
    if (extra !== undefined) throw Problem.badRequest(`${extra}: the import takes only \`file\``, [{ field: extra, message: 'is not a field of this upload' }]);
    return this.regions.import(actor, { fileName: file.originalname, data: file.buffer, crs: q.crs ?? 'wgs84', codeProperty: q.codeProperty,
      nameProperty: q.nameProperty }, q.dryRun, req.ip ?? null);
  }
}
