// Read the capture time and GPS position from a JPEG's EXIF block. The phone shrinks photos on
// a canvas, which drops EXIF, so these two facts are read from the original and sent beside
// the shrunk photo: they are evidence (a photo taken days before the visit, or elsewhere).

const TAG = { exifIfd: 0x8769, gpsIfd: 0x8825, dateTime: 0x0132, original: 0x9003, offset: 0x9011 };

/** {taken_at, lat, lon} as far as the file tells; nulls when it does not (or is not a JPEG). */
export async function readExif(file) {
  const none = { taken_at: null, lat: null, lon: null };
  const view = new DataView(await file.slice(0, 256 * 1024).arrayBuffer());
  if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return none;
  let at = 2;
  while (at + 4 <= view.byteLength && view.getUint8(at) === 0xff) {
    const marker = view.getUint8(at + 1);
    const length = view.getUint16(at + 2);
    if (marker === 0xe1 && view.getUint32(at + 4) === 0x45786966) return parseTiff(view, at + 10) ?? none;
    if (marker === 0xda) break; // image data begins: no EXIF before it
    at += 2 + length;
  }
  return none;
}

function parseTiff(view, start) {
  const little = view.getUint16(start) === 0x4949;
  const u16 = (o) => view.getUint16(start + o, little);
  const u32 = (o) => view.getUint32(start + o, little);
  const entries = (ifd) => {
    const out = new Map();
    if (!ifd || start + ifd + 2 > view.byteLength) return out;
    const count = u16(ifd);
    for (let i = 0; i < count; i++) {
      const e = ifd + 2 + i * 12;
      if (start + e + 12 > view.byteLength) break;
      out.set(u16(e), { type: u16(e + 2), count: u32(e + 4), valueAt: e + 8 });
    }
    return out;
  };
  const ascii = (entry) => {
    if (!entry) return null;
    const offset = entry.count > 4 ? u32(entry.valueAt) : entry.valueAt;
    let text = "";
    for (let i = 0; i < entry.count - 1 && start + offset + i < view.byteLength; i++) {
      text += String.fromCharCode(view.getUint8(start + offset + i));
    }
    return text;
  };
  const rationals = (entry) => {
    if (!entry || entry.type !== 5) return null;
    const offset = u32(entry.valueAt);
    const values = [];
    for (let i = 0; i < entry.count; i++) values.push(u32(offset + i * 8) / (u32(offset + i * 8 + 4) || 1));
    return values;
  };
  try {
    const ifd0 = entries(u32(4));
    const exif = entries(ifd0.get(TAG.exifIfd) ? u32(ifd0.get(TAG.exifIfd).valueAt) : 0);
    const gps = entries(ifd0.get(TAG.gpsIfd) ? u32(ifd0.get(TAG.gpsIfd).valueAt) : 0);
    const stamp = ascii(exif.get(TAG.original)) || ascii(ifd0.get(TAG.dateTime));
    return {
      taken_at: toInstant(stamp, ascii(exif.get(TAG.offset))),
      lat: degrees(rationals(gps.get(2)), ascii(gps.get(1)), "S"),
      lon: degrees(rationals(gps.get(4)), ascii(gps.get(3)), "W"),
    };
  } catch {
    return null; // a damaged EXIF block is no reason to refuse the photo
  }
}

function degrees(dms, ref, negative) {
  if (!dms || dms.length < 3) return null;
  const value = dms[0] + dms[1] / 60 + dms[2] / 3600;
  if (!Number.isFinite(value) || value === 0) return null;
  return ref === negative ? -value : value;
}

/** "2026:11:30 09:15:00" (+ optional "+08:00") → RFC 3339; no offset means the phone's own. */
function toInstant(stamp, offset) {
  const m = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(stamp || "");
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  if (offset && /^[+-]\d{2}:\d{2}$/.test(offset)) {
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${offset}`;
  }
  const local = new Date(y, mo - 1, d, h, mi, s);
  return Number.isNaN(local.getTime()) ? null : local.toISOString();
}
