/**
 * Counting a reader's view: one `POST /v1/events` to the Newsdesk API per article page
 * (docs/engagement.md). The API's address is not in the snapshots (the site reads only those),
 * so it comes from `config.json` beside the pages: `{"events_url": "https://api…/v1/events"}`.
 * Without that file (or with an empty `events_url`) no view is sent and nothing else changes.
 *
 * The visitor id is random and kept in localStorage, so reloads count once per hour (the API
 * dedupes per visitor, article and hour); it identifies a browser, never a person.
 */

import { safeUrl } from "./dom.js";

const VISITOR_KEY = "newsdesk-visitor";

export async function countView(articleId) {
  try {
    const response = await fetch("config.json", { headers: { Accept: "application/json" } });
    const config = response.ok ? await response.json() : null;
    const eventsUrl = safeUrl(config?.events_url);
    if (!eventsUrl) return;
    await fetch(eventsUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ events: [{ type: "view", article_id: articleId, visitor: visitorId() }] }),
      credentials: "omit", // the API needs no cookie, and gets none
      keepalive: true, // still sent if the reader leaves the page at once
    });
  } catch (error) {
    console.warn("the view was not counted", error); // a lost view never breaks the page
  }
}

/** A random id for this browser (crypto.getRandomValues works on http pages too). */
function visitorId() {
  const fresh = () =>
    Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    let id = localStorage.getItem(VISITOR_KEY);
    if (!id) {
      id = fresh();
      localStorage.setItem(VISITOR_KEY, id);
    }
    return id;
  } catch {
    return fresh(); // storage disabled: the view still counts, once per page load
  }
}
