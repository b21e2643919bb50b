// ids.ts - job ids typed on the command line: any RFC 19 encoding in, f58 out (what the API answers with and
// what messages show). Invariant: a string that is not a job id is a CliError naming it.
import { decodeFluid, encodeFluid } from '../../../control/core/fluid.ts';
import { CliError } from '../fail.ts';

/**
 * The f58 form of a job id given in any encoding.
 * @example jobIdArg('6731191091817518') // 'ƒuZZybuNNy'
 */
export function jobIdArg(text: string, prog = 'flurry'): string {
  try {
    return encodeFluid(decodeFluid(text.trim()), 'f58');
  } catch (e) {
    const why = e instanceof Error ? e.message : `invalid job id "${text}"`;
    throw new CliError(prog === 'flurry' ? why : `${prog}: ${why}`);
  }
}
