// A notebook's schedule: a cron expression and a time zone at `metadata.tandem.schedule`,
// checked with croner (a cron parser users of Node trust) so a bad one is refused with why.

import { Cron } from 'croner';
import * as Y from 'yjs';
import type { ScheduleSpec } from '../../common/api';
import { isJSONObject, type JSONObject } from '../../common/nbformat';
import { invalid } from '../errors';
import { type Room, SERVER_ORIGIN } from '../rooms/room';

export const SCHEDULE_KEY = 'schedule';

function cronOf(spec: ScheduleSpec): Cron {
  // Paused: croner is only asked for times here; the scheduler runs jobs itself.
  return new Cron(spec.cron, { timezone: spec.timezone ?? 'UTC', paused: true });
}

/** The schedule given, checked; throws an `invalid` error that says what is wrong. */
export function checkSchedule(raw: unknown): ScheduleSpec {
  if (!isJSONObject(raw) || typeof raw.cron !== 'string') throw invalid('A schedule is {cron, timezone}: cron is a cron expression such as "0 7 * * 1-5"');
  const cron = raw.cron.trim();
  const timezone = raw.timezone === undefined || raw.timezone === null ? undefined : raw.timezone;
  if (timezone !== undefined && typeof timezone !== 'string') throw invalid('The time zone must be an IANA name such as "Europe/Oslo"');
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: timezone });
    } catch {
      throw invalid(`Unknown time zone "${timezone}": use an IANA name such as "Europe/Oslo"`);
    }
  }
  const spec: ScheduleSpec = timezone ? { cron, timezone } : { cron };
  try {
    if (!cronOf(spec).nextRun()) throw new Error('it never runs');
  } catch (error) {
    throw invalid(`Invalid cron expression "${cron}": ${(error as Error).message}`);
  }
  return spec;
}

/** The schedule in a notebook's metadata, or undefined when it has none or it is unusable. */
export function scheduleIn(metadata: JSONObject): ScheduleSpec | undefined {
  const tandem = metadata.tandem;
  if (!isJSONObject(tandem) || tandem[SCHEDULE_KEY] === undefined) return undefined;
  try {
    return checkSchedule(tandem[SCHEDULE_KEY]);
  } catch {
    return undefined;
  }
}

/** The first run time strictly after `after`, if any. */
export function nextRun(spec: ScheduleSpec, after: Date): Date | undefined {
  return cronOf(spec).nextRun(after) ?? undefined;
}

export function nextRuns(spec: ScheduleSpec, count: number, after: Date): Date[] {
  return cronOf(spec).nextRuns(count, after);
}

function plainTandem(metadata: Y.Map<unknown>): JSONObject {
  const value = metadata.get('tandem');
  if (value instanceof Y.AbstractType) return value.toJSON() as JSONObject;
  return isJSONObject(value) ? value : {};
}

/** The schedule in a live document's metadata. */
export function scheduleInDoc(doc: Y.Doc): ScheduleSpec | undefined {
  const metadata = doc.getMap('meta').get('metadata');
  return metadata instanceof Y.Map ? scheduleIn({ tandem: plainTandem(metadata) }) : undefined;
}

/** Writes (or, with undefined, removes) the schedule in the notebook's metadata, where it travels with the file. */
export function writeSchedule(room: Room, spec: ScheduleSpec | undefined): void {
  room.transact(() => {
    const meta = room.doc.getMap('meta');
    let metadata = meta.get('metadata');
    if (!(metadata instanceof Y.Map)) {
      metadata = new Y.Map<unknown>(Object.entries(isJSONObject(metadata) ? metadata : {}));
      meta.set('metadata', metadata);
    }
    const map = metadata as Y.Map<unknown>;
    const tandem: JSONObject = { ...plainTandem(map) };
    if (spec) tandem[SCHEDULE_KEY] = { ...spec };
    else delete tandem[SCHEDULE_KEY];
    if (Object.keys(tandem).length) map.set('tandem', tandem);
    else map.delete('tandem');
  }, SERVER_ORIGIN);
}
