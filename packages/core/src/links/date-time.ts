// RFC 3339 date-time: date, `T`, time with seconds, optional fraction, `Z` or an offset.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

const isLeapYear = (year: number): boolean =>
  year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Epoch milliseconds of an RFC 3339 date-time such as `2030-01-31T12:00:00Z` or
 * `2030-01-31T12:00:00.5+02:00`; `NaN` for any other text, and for a date-time whose
 * fields do not exist (February 30, April 31, February 29 of a common year, hour 24,
 * minute or second 60, an offset beyond 23:59), which `Date.parse` would roll over into
 * another instant or refuse.
 */
export function parseDateTime(text: string): number {
  const fields = DATE_TIME.exec(text);
  if (fields === null) return Number.NaN;
  // A `Z` leaves the offset groups empty: offset 00:00.
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = fields
    .slice(1)
    .map((field) => Number(field ?? 0));
  const exists =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59;
  return exists ? Date.parse(text) : Number.NaN;
}
