/** Maps an IP (or the truncated prefix a click carries) to a country. */
export interface GeoLookup {
  /**
   * ISO 3166-1 alpha-2 country of `ip`, or `null` when unknown. Accepts a plain address
   * or a prefix in CIDR notation (`203.0.113.0/24`); must not throw.
   */
  country(ip: string): string | null;
}

/** The two record shapes of country databases: MaxMind/GeoLite2 and ip-location-db. */
interface CountryRecord {
  country?: { iso_code?: string };
  country_code?: string;
}

/**
 * Opens a country mmdb database (MaxMind GeoLite2-Country, or the CC0
 * `@ip-location-db/*-country-mmdb` files) with the `maxmind` reader, an optional peer
 * dependency loaded only here. Records with `country.iso_code` or `country_code` work.
 */
export async function openMaxmindGeo(path: string): Promise<GeoLookup> {
  const { open } = await import('maxmind');
  const reader = await open(path);
  return {
    country(ip) {
      const slash = ip.indexOf('/');
      const address = slash === -1 ? ip : ip.slice(0, slash);
      try {
        const record = reader.get(address) as CountryRecord | null;
        return record?.country?.iso_code ?? record?.country_code ?? null;
      } catch {
        return null;
      }
    },
  };
}
