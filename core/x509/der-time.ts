/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, 'Z'. */
export function derTime(d: Date): Uint8Array {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19);
  const utc = d.getUTCFullYear() < 2050;
  const text = `${utc ? digits.slice(2) : digits}Z`;
  const out = new Uint8Array(2 + text.length);
  out[0] = utc ? 0x17 : 0x18;
  out[1] = text.length;
  for (let i = 0; i < text.length; i++) out[2 + i] = text.charCodeAt(i);
  return out;
}
