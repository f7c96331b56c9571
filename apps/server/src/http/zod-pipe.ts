import type { PipeTransform } from '@nestjs/common';
import { toFieldIssues } from '@parley/shared';
import type { z } from 'zod';
import { AppError } from './app-error.js';

/** Validates (and normalises) a body, query or path against a shared schema. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      throw new AppError('VALIDATION_FAILED', 'The request is not valid', { issues: toFieldIssues(result.error) });
    }
    return result.data;
  }
}

export const valid = <S extends z.ZodType>(schema: S) => new ZodPipe(schema);
