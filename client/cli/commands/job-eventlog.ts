// job-eventlog.ts - `flurry job eventlog ID`: one event per line as `flux job eventlog` prints them
// (`<timestamp> <name> key=value ...`), with -T/-H time formats, -f json, and -F to follow a live job.
// Invariant: without -F it prints the eventlog as it is now and exits; with -F it ends when the job is inactive.
import { Option, type Command } from 'commander';
import { EventlogFormatter, TIME_FORMATS, type TimeFormat } from '../format/eventlog.ts';
import { jobIdArg } from '../format/ids.ts';
import { connect } from '../instance.ts';

interface EventlogOptions {
  format: 'text' | 'json';
  timeFormat?: TimeFormat;
  human?: boolean;
  follow?: boolean;
}

const EXAMPLES = `
Examples:
  $ flurry job eventlog ƒ2MU1GM7V
  1699995759.537775 submit userid="alice" urgency=16 flags=0 version=1
  1699995759.559785 validate
  ...
  $ flurry job eventlog -H ƒ2MU1GM7V      # [Nov14 21:02] then [  +0.022011] offsets
  $ flurry job eventlog -f json ƒ2MU1GM7V
  $ flurry job eventlog -F ƒ2MU1GM7V      # follow until the job is inactive
`;

/** Add `eventlog` to the `job` group. */
export function registerJobEventlog(job: Command): Command {
  return job
    .command('eventlog')
    .description("print a job's eventlog, one event per line")
    .argument('<id>', 'job id (any encoding)')
    .addOption(new Option('-f, --format <FORMAT>', 'text or json (one JSON object per line)').choices(['text', 'json']).default('text'))
    .addOption(new Option('-T, --time-format <FORMAT>', 'timestamps: raw, iso, offset (from the first event), human').choices(TIME_FORMATS))
    .option('-H, --human', 'human-readable times (same as -T human)')
    .option('-F, --follow', 'keep printing new events until the job is inactive')
    .addHelpText('after', EXAMPLES)
    .action(async (idText: string, o: EventlogOptions, cmd: Command) => {
      const id = jobIdArg(idText);
      const client = await connect(cmd);
      const fmt = new EventlogFormatter({ format: o.format, time: o.human ? 'human' : (o.timeFormat ?? 'raw') });
      if (o.follow) {
        for await (const ev of client.events(id)) process.stdout.write(`${fmt.line(ev)}\n`);
        return;
      }
      const page = await client.eventlogPage(id);
      process.stdout.write(page.events.map((ev) => `${fmt.line(ev)}\n`).join(''));
    });
}
