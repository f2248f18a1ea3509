/**
 * What every page shares: the section navigation, the trending sidebar (refreshed while the page
 * is open) and the messages shown when a file cannot be read.
 */

import { el, replaceContent } from "./dom.js";
import { loadSectionTitles, renderSectionsNav } from "./sections.js";
import { getOptionalSnapshot, paths } from "./snapshots.js";
import { trendingBlocks } from "./trending.js";

/** trending.json is cached for a minute (its Cache-Control); asking more often brings nothing new. */
const SIDEBAR_REFRESH_MS = 60_000;

/**
 * Build the shared parts of a page and return the section titles (slug → title).
 * `currentSection`: the slug marked in the navigation ("" for the latest list).
 */
export async function startPage({ currentSection = null } = {}) {
  const titles = await loadSectionTitles().catch(() => new Map());
  const nav = document.getElementById("sections-nav");
  if (nav) renderSectionsNav(nav, titles, currentSection);
  return titles;
}

/** Fill the sidebar now and again every minute, so the rankings move while the page is open. */
export function startSidebar({ section = null } = {}) {
  const sidebar = document.getElementById("sidebar");
  if (!sidebar) return;
  const refresh = async () => {
    try {
      const trending = await getOptionalSnapshot(paths.trending());
      const blocks = trendingBlocks(trending, { section });
      // A section with nothing trending yet shows the whole site's lists instead.
      replaceContent(sidebar, blocks.length || !section ? blocks : trendingBlocks(trending));
      sidebar.setAttribute("aria-busy", "false");
    } catch (error) {
      console.warn("trending.json could not be read", error); // keep what is shown
    }
  };
  refresh();
  setInterval(refresh, SIDEBAR_REFRESH_MS);
}

/** Replace `container`'s content with a message (and a way back to the front page). */
export function showMessage(container, title, text) {
  replaceContent(
    container,
    el("h1", { className: "page-title" }, title),
    text && el("p", { className: "message" }, text),
    el("p", {}, el("a", { href: "./" }, "На главную")),
  );
  container.setAttribute("aria-busy", "false");
}

/** The message for a file that could not be read at all (network, server). */
export function showLoadError(container, error) {
  console.error(error);
  showMessage(container, "Не удалось загрузить страницу", "Проверьте соединение и обновите страницу.");
}

/** Set the document title: "Заголовок — Newsdesk". */
export function setTitle(text) {
  document.title = text ? `${text} — Newsdesk` : "Newsdesk";
}
