/** One stream entry as read back: its id and the payload, `null` once trimmed away. */
export interface StreamEntry {
  id: string;
  payload: string | null;
}

/** The hash field that carries each click's JSON. */
export const PAYLOAD_FIELD = 'event';

type RawEntry = [id: string, fields: string[] | null];

function toEntry([id, fields]: RawEntry): StreamEntry {
  if (fields === null) return { id, payload: null };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === PAYLOAD_FIELD) return { id, payload: fields[i + 1]! };
  }
  return { id, payload: null };
}

/** The entries of an XREADGROUP reply on one stream (`null`: nothing arrived in time). */
export function parseReadGroup(reply: unknown): StreamEntry[] {
  if (reply === null) return [];
  const [[, entries]] = reply as [[stream: string, entries: RawEntry[]]];
  return entries.map(toEntry);
}

/** An XAUTOCLAIM reply: the next cursor, the entries claimed and the ids found trimmed. */
export function parseAutoClaim(reply: unknown): {
  cursor: string;
  entries: StreamEntry[];
  deleted: number;
} {
  const [cursor, entries, deleted] = reply as [string, RawEntry[], string[] | undefined];
  return { cursor, entries: entries.map(toEntry), deleted: deleted?.length ?? 0 };
}

/** Delivery counts by entry id from an extended XPENDING reply. */
export function parseDeliveryCounts(reply: unknown): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [id, , , deliveries] of reply as [string, string, number, number][]) {
    counts.set(id, deliveries);
  }
  return counts;
}
