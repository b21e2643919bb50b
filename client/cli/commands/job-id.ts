// job-id.ts - `flurry job id`: convert job ids (RFC 19 FLUIDs) between encodings, like `flux job id`.
// Invariant: prints nothing unless every id converts; one output line per input id, in input order.
import { Option, type Command } from 'commander';
import { FLUID_ENCODINGS, decodeFluid, encodeFluid, type FluidEncoding } from '../../../control/core/fluid.ts';

const EXAMPLES = `
Ids are accepted in every RFC 19 encoding: f58 (ƒuZZybuNNy, or fuZZybuNNy
without the Unicode prefix), dec (6731191091817518), hex (0x17e9fb8df16c2e),
dothex (0017.e9fb.8df1.6c2e) and words (reform-remote-galileo--heart-package-academy).

Examples:
  $ flurry job id ƒuZZybuNNy
  6731191091817518
  $ flurry job id --to=f58 6731191091817518 0x17e9fb8df16c2e
  ƒuZZybuNNy
  ƒuZZybuNNy
  $ flurry job id --to=words fuZZybuNNy
  reform-remote-galileo--heart-package-academy
  $ echo "ƒuZZybuNNy 123" | flurry job id --to=hex
  0x17e9fb8df16c2e
  0x7b
`;

/**
 * Convert each id to `to`; throws InvalidInputError naming the first id that is not a job id.
 * @example convertJobIds(['ƒuZZybuNNy'], 'dec') // ['6731191091817518']
 */
export function convertJobIds(ids: readonly string[], to: FluidEncoding): string[] {
  return ids.map((id) => encodeFluid(decodeFluid(id), to));
}

/** Add `id` to the `job` group. */
export function registerJobId(job: Command): Command {
  return job
    .command('id')
    .description('convert job ids between encodings (f58, dec, hex, dothex, words)')
    .argument('[ids...]', 'job ids in any encoding; read whitespace-separated from stdin when none are given')
    .addOption(new Option('--to <encoding>', 'output encoding').choices(FLUID_ENCODINGS).default('dec'))
    .addHelpText('after', EXAMPLES)
    .action(async (ids: string[], opts: { to: FluidEncoding }) => {
      const inputs = ids.length > 0 ? ids : (await readStdin()).split(/\s+/).filter((s) => s !== '');
      const lines = convertJobIds(inputs, opts.to);
      if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
