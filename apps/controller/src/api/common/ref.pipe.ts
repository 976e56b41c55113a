/** RefParam: `:id` path parameters (id, id prefix or name) are bounded, printable strings. */
import { BadRequestException, PipeTransform } from '@nestjs/common';

export class RefPipe implements PipeTransform<string, string> {
  transform(v: string): string {
    if (typeof v !== 'string' || !/^[\w.-]{1,128}$/.test(v)) throw new BadRequestException('id must be 1 to 128 letters, digits, dots, dashes or underscores');
    return v;
  }
}
