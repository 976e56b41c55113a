/**
 * The global ValidationPipe: whitelist + forbid unknown fields + transform,
 * with errors flattened to `details: [{ field, message }]` so a client
 * learns exactly which field is wrong and why.
 */
import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

export interface FieldError { field: string; message: string }

export function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  const seen = new Set<string>();
  return collect(errors, prefix).filter((d) => !seen.has(`${d.field}\0${d.message}`) && seen.add(`${d.field}\0${d.message}`));
}

function collect(errors: ValidationError[], prefix: string): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message: message.startsWith(e.property) ? `${field}${message.slice(e.property.length)}` : message }));
    return [...own, ...collect(e.children ?? [], field)];
  });
}

export class FieldValidationError extends BadRequestException {
  constructor(readonly details: FieldError[]) {
    super(details.map((d) => d.message).join('; '));
  }
}

/** fieldError: a 400 for one field, its message starting with the field's name. */
export function fieldError(field: string, message: string): FieldValidationError {
  return new FieldValidationError([{ field, message: `${field}: ${message}` }]);
}

export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
    transform: true,
    exceptionFactory: (errors) => new FieldValidationError(flatten(errors)),
  });
}
