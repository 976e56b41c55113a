/**
 * The global ValidationPipe: whitelist + forbid unknown fields + transform,
 * with errors flattened to `details: [{ field, message }]` so a client
 * learns exactly which field is wrong and why.
 */
import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidateIf } from 'class-validator';

export interface FieldError {
  field: string;
  message: string;
}

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

/** MAX_DETAILS: a body with thousands of bad fields is answered with the first few and a count. */
export const MAX_DETAILS = 20;

function capped(details: FieldError[]): FieldError[] {
  if (details.length <= MAX_DETAILS) return details;
  return [...details.slice(0, MAX_DETAILS), { field: 'body', message: `and ${details.length - MAX_DETAILS} more problems` }];
}

export class FieldValidationError extends BadRequestException {
  readonly details: FieldError[];

  constructor(details: FieldError[]) {
    const shown = capped(details);
    super(shown.map((d) => d.message).join('; '));
    this.details = shown;
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

/**
 * Optional: the field may be left out. Unlike class-validator's IsOptional,
 * null is not "left out": it is validated like any value (and refused),
 * because services read optional fields as `undefined` or a real value.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_obj, value) => value !== undefined);
}
