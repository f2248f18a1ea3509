/** The front page: the newest stories (v1/latest.json) and the trending sidebar. */

import { FRONT_PAGE_TEASERS } from "../config.js";
import { el, replaceContent } from "../dom.js";
import { setTitle, showLoadError, startPage, startSidebar } from "../page.js";
import { getOptionalSnapshot, links, paths } from "../snapshots.js";
import { teaserList } from "../teasers.js";

async function main() {
  setTitle("");
  startSidebar();
  const content = document.getElementById("content");
  try {
    const [titles, latest] = await Promise.all([startPage(), getOptionalSnapshot(paths.latest())]);
    const items = latest?.items ?? [];
    const more = items.length > FRONT_PAGE_TEASERS || latest?.older;
    replaceContent(
      content,
      el("h1", { className: "page-title" }, "Главное"),
      teaserList(
        items.slice(0, FRONT_PAGE_TEASERS),
        titles,
        "Новостей пока нет: они появятся, как только партнёры пришлют материалы.",
      ),
      more &&
        el(
          "p",
          { className: "paging" },
          el("a", { href: links.latest(), className: "paging__older" }, "Все новости →"),
        ),
    );
    content.setAttribute("aria-busy", "false");
  } catch (error) {
    showLoadError(content, error);
  }
}

main();
