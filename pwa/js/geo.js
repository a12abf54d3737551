// The phone's GPS position with its accuracy. A fix worse than POOR_ACCURACY_M is kept but
// flagged to the user: indoors or under a hill it may be kilometres off.

export const POOR_ACCURACY_M = 100;

/**
 * Watch the position; `onUpdate({fix, error})` gets every improvement. Returns a stop function.
 * A fix is {lat, lon, accuracy_m, at}.
 */
export function watchFix(onUpdate) {
  if (!navigator.geolocation) {
    onUpdate({ fix: null, error: "unsupported" });
    return () => {};
  }
  let best = null;
  const id = navigator.geolocation.watchPosition(
    (position) => {
      const { latitude, longitude, accuracy } = position.coords;
      const fix = { lat: latitude, lon: longitude, accuracy_m: Math.round(accuracy), at: position.timestamp };
      if (!best || fix.accuracy_m <= best.accuracy_m || fix.at - best.at > 60_000) best = fix;
      onUpdate({ fix: best, error: null });
    },
    (error) => onUpdate({ fix: best, error: error.code === error.PERMISSION_DENIED ? "denied" : "unavailable" }),
    { enableHighAccuracy: true, maximumAge: 30_000, timeout: 60_000 },
  );
  return () => navigator.geolocation.clearWatch(id);
}
