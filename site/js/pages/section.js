/**
 * A list page: a section (`?slug=`), an outlet (`?outlet=`) or every story (no parameter).
 * Paging follows the list's own links: `older` (the newest day page before this page's last
 * story) and `newer`; the page being shown is the `page` parameter, a snapshot path that is
 * checked to belong to the same list before it is fetched.
 */

import { el, replaceContent, timeElement } from "../dom.js";
import { setTitle, showLoadError, showMessage, startPage, startSidebar } from "../page.js";
import { getSnapshot, isListPage, isSegment, links, paths, SnapshotMissing } from "../snapshots.js";
import { teaserList } from "../teasers.js";

/** Which list the address asks for: its head file, the prefix of its pages, and its kind. */
function requestedList(query) {
  const slug = query.get("slug");
  const outlet = query.get("outlet");
  if (isSegment(slug)) return { kind: "section", key: slug, head: paths.section(slug), prefix: `/v1/sections/${slug}` };
  if (isSegment(outlet))
    return { kind: "outlet", key: outlet, head: paths.outlet(outlet), prefix: `/v1/outlets/${outlet}` };
  if (slug === null && outlet === null) return { kind: "latest", key: "", head: paths.latest(), prefix: "/v1/latest" };
  return null;
}

/** A `page` parameter is used only if it is a page of the same list (`/v1/sections/x.json`, `/v1/sections/x/…`). */
function pageOf(list, page) {
  if (!page) return list.head;
  const ofThisList = page === `${list.prefix}.json` || page.startsWith(`${list.prefix}/`);
  return isListPage(page) && ofThisList ? page : null;
}

async function main() {
  const query = new URLSearchParams(location.search);
  const list = requestedList(query);
  const content = document.getElementById("content");
  startSidebar({ section: list?.kind === "section" ? list.key : null });
  // The navigation and the list load side by side; the list's title may need the section titles.
  const titlesLoaded = startPage({
    currentSection: list?.kind === "section" ? list.key : list?.kind === "latest" ? "" : null,
  });
  const page = list && pageOf(list, query.get("page"));
  if (!list || !page) {
    setTitle("Раздел не найден");
    showMessage(content, "Раздел не найден", "Такого раздела на сайте нет.");
    return;
  }
  try {
    const [file, titles] = await Promise.all([getSnapshot(page), titlesLoaded]);
    const title = listTitle(list, file, titles);
    setTitle(title);
    const isArchive = page !== list.head;
    replaceContent(
      content,
      el("h1", { className: "page-title" }, title),
      isArchive && archiveNote(file),
      teaserList(file.items ?? [], titles),
      pagingNav(query, list, file, isArchive),
    );
    content.setAttribute("aria-busy", "false");
  } catch (error) {
    if (error instanceof SnapshotMissing) {
      setTitle("Раздел не найден");
      showMessage(content, "Раздел не найден", "Такого раздела на сайте нет или страница архива больше не существует.");
    } else {
      showLoadError(content, error);
    }
  }
}

function listTitle(list, file, titles) {
  if (list.kind === "section") return file.section?.title || titles.get(list.key) || list.key;
  if (list.kind === "outlet") return file.outlet?.name || list.key;
  return "Все новости";
}

/** "Архив за 29 ноября 2026 г." (or "Архив: с … по …") for a page reached by paging. */
function archiveNote(file) {
  const items = file.items ?? [];
  if (!items.length) return el("p", { className: "archive-note" }, "Архив");
  const newest = timeElement(items[0].published_at, { day: true });
  const oldest = timeElement(items[items.length - 1].published_at, { day: true });
  if (newest?.textContent === oldest?.textContent) return el("p", { className: "archive-note" }, "Архив за ", newest);
  return el("p", { className: "archive-note" }, "Архив: с ", oldest, " по ", newest);
}

/** Links to newer and older pages; "К свежим материалам" on an archive page. */
function pagingNav(query, list, file, isArchive) {
  const newer = isListPage(file.newer) ? file.newer : null;
  const older = isListPage(file.older) ? file.older : null;
  if (!newer && !older && !isArchive) return null;
  const headQuery = new URLSearchParams(query);
  headQuery.delete("page");
  return el(
    "nav",
    { className: "paging", attrs: { "aria-label": "Страницы списка" } },
    newer && el("a", { href: links.listPage(query, newer), className: "paging__newer", rel: "prev" }, "← Более новые"),
    isArchive &&
      el(
        "a",
        { href: `section.html${headQuery.size ? `?${headQuery}` : ""}`, className: "paging__head" },
        "К свежим материалам",
      ),
    older && el("a", { href: links.listPage(query, older), className: "paging__older", rel: "next" }, "Более ранние →"),
  );
}

main();
