import { DevicesCommandReply, DevicesCommandRequest, DeviceStatus, DeviceType, subjects } from '@edge/contracts';
import { EXIT, UsageError, type CliCommand } from '../command';
import { table } from '../format';

const USAGE = `edge devices — the device registry, as the normalizer holds it

  edge devices [--offline] [--status S] [--system ID] [--type T] [--removed] [--limit N] [--json]

--offline is --status offline. Devices removed by a complete sync are hidden unless --removed.
Sorted by system, then name. Answered by the normalizer over edge.<site>.cmd.devices.`;

export const devicesCommand: CliCommand = {
  name: 'devices',
  summary: 'devices in the registry, their status and last seen (--offline)',
  usage: USAGE,
  options: {
    offline: { type: 'boolean' },
    status: { type: 'string' },
    system: { type: 'string' },
    type: { type: 'string' },
    removed: { type: 'boolean' },
    limit: { type: 'string' },
  },
  async run(ctx, _args, values) {
    const wantStatus = values.offline ? 'offline' : (values.status as string | undefined);
    if (wantStatus && !DeviceStatus.safeParse(wantStatus).success) throw new UsageError(`--status is one of ${DeviceStatus.options.join(', ')}`);
    if (values.type !== undefined && !DeviceType.safeParse(values.type).success) throw new UsageError(`--type is one of ${DeviceType.options.join(', ')}`);
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit takes a positive whole number');
    const req = DevicesCommandRequest.parse({
      status: wantStatus,
      system: values.system,
      type: values.type,
      removed: values.removed === true ? true : undefined,
      limit,
    });
    const raw = await ctx.request(subjects.cmdDevices(ctx.target().siteId), req);
    const reply = DevicesCommandReply.safeParse(raw);
    if (!reply.success) throw new Error(`unexpected reply from the normalizer: ${JSON.stringify(raw).slice(0, 200)}`);
    if (!reply.data.ok) {
      ctx.err(`normalizer: ${reply.data.error ?? 'request refused'}`);
      return EXIT.failed;
    }
    const shown = reply.data.devices ?? [];
    if (ctx.json) {
      ctx.out(JSON.stringify(shown, null, 2));
      return EXIT.ok;
    }
    for (const l of table(
      ['ID', 'NAME', 'TYPE', 'STATUS', 'SINCE', 'LAST SEEN', 'IP'],
      shown.map((d) => [d.id, d.device?.name ?? '-', d.device?.type ?? '-', d.removed_at ? `${d.status} (removed)` : d.status, d.status_changed_at ?? '-', d.last_seen ?? '-', d.device?.ip ?? '-']),
      48,
    ))
      ctx.out(l);
    const counts = Object.entries(reply.data.counts ?? {});
    ctx.out('');
    ctx.out(`${shown.length} shown of ${reply.data.total ?? shown.length} matching (${counts.map(([k, v]) => `${v} ${k}`).join(', ') || 'none'})`);
    return EXIT.ok;
  },
};
