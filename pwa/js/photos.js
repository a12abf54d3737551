// Shrink a camera photo on the phone before it is queued: a 5 MB original over one bar of
// signal rarely arrives, a 300 KB copy does. Long side 1600 px, JPEG quality 0.8.

import { readExif } from "./exif.js";

const LONG_SIDE = 1600;
const QUALITY = 0.8;

/** {id, blob, taken_at, lat, lon} ready for the outbox. */
export async function preparePhoto(file) {
  const meta = (await readExif(file).catch(() => null)) ?? {};
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    // A format this browser cannot draw (HEIC on many phones): the server converts it.
    return { id: crypto.randomUUID(), blob: file, ...meta };
  }
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.round(bitmap.width * scale);
  const height = Math.round(bitmap.height * scale);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  return { id: crypto.randomUUID(), blob: blob ?? file, ...meta };
}

/** A drawn signature as a JPEG on white (a transparent PNG would turn black as JPEG). */
export async function canvasPhoto(canvas) {
  const flat = document.createElement("canvas");
  flat.width = canvas.width;
  flat.height = canvas.height;
  const ctx = flat.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, flat.width, flat.height);
  ctx.drawImage(canvas, 0, 0);
  const blob = await new Promise((resolve) => flat.toBlob(resolve, "image/jpeg", 0.9));
  return { id: crypto.randomUUID(), blob, taken_at: new Date().toISOString(), lat: null, lon: null };
}
