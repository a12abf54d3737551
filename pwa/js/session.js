// Who is logged in on this phone. The token and the account are kept on the phone so that the
// app opens offline the next morning; an expired token only matters when it is time to send.

import { ApiError, api, setToken } from "./api.js";
import { get, put, remove } from "./db.js";

let current = null;

export function session() {
  return current;
}

export async function restoreSession() {
  current = (await get("kv", "session")) ?? null;
  setToken(current?.token ?? null);
  return current;
}

export async function logIn(username, password) {
  const form = new URLSearchParams({ username, password });
  const response = await fetch("/api/v1/auth/token", { method: "POST", body: form });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new ApiError({ status: response.status, title: problem.title, detail: problem.detail });
  }
  const { access_token: token, expires_in: expiresIn } = await response.json();
  setToken(token);
  const me = await api("/me");
  current = { token, username: me.username, me, expires_at: Date.now() + expiresIn * 1000 };
  await put("kv", current, "session");
  return current;
}

/** Refresh the account and its postings when online; offline keeps what the phone has. */
export async function refreshMe() {
  const me = await api("/me");
  current = { ...current, me };
  await put("kv", current, "session");
  return me;
}

/** A new password ends the account's other sessions; this one carries on with the token it got back. */
export async function changePassword(oldPassword, newPassword) {
  const { access_token: token, expires_in: expiresIn } = await api("/me/password", {
    method: "POST",
    json: { old_password: oldPassword, new_password: newPassword },
  });
  setToken(token);
  current = { ...current, token, expires_at: Date.now() + expiresIn * 1000 };
  return refreshMe();
}

export async function markExpired() {
  if (!current) return;
  current = { ...current, token: null };
  setToken(null);
  await put("kv", current, "session");
}

export async function logOut() {
  current = null;
  setToken(null);
  await remove("kv", "session");
}

/** The villages this secretary is posted to today or later, nearest start first. */
export function villages() {
  return current?.me?.postings ?? [];
}
