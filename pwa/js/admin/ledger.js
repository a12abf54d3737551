// 农户台账: upload a county's ledger (Excel or CSV), see what was added and updated and which rows
// were refused and why, and download those rows as an Excel file to fix and upload again. The
// server keeps no list of an import's refused rows: they are on this page until it is left.

import { ApiError, api, apiBlob } from "../api.js";
import { t } from "../messages.js";
import { session } from "../session.js";
import { h } from "../ui.js";
import "./messages.js";
import { errorLine, field } from "./scope.js";

export const title = () => t("ledger.title");

// The ledger's columns, in the order of the template (api/households/spreadsheet.py).
const HEADERS = ["村代码", "户编号", "户主姓名", "村民小组", "住址", "联系电话", "标签"];
const REQUIRED = new Set(["村代码", "户编号", "户主姓名"]);
// Thousands of rows help nobody on a screen; the downloaded file has them all.
const SHOWN = 200;

export async function render() {
  const result = h("section", { class: "stack ledger-result", "aria-labelledby": "ledger-result", hidden: true });
  return h(
    "div",
    { class: "stack" },
    h("a", { href: "#/admin" }, t("admin.back")),
    h("div", { class: "ledger-top" }, uploadForm(result), columnsTable()),
    result,
  );
}

function uploadForm(result) {
  const [input, inputField] = field("ledger-file", t("ledger.file"), h("input", { type: "file", accept: ".csv,.xlsx" }));
  const error = errorLine();
  const upload = h("button", { type: "submit", class: "primary" }, t("ledger.upload"));
  const template = h("button", { type: "button", class: "secondary" }, t("ledger.template"));
  template.onclick = () => busy(template, error, async () => save(await apiBlob("/imports/households/template?format=xlsx"), t("ledger.templateFile")));
  async function submit(event) {
    event.preventDefault();
    const [file] = input.files;
    if (!file) {
      error.show(t("ledger.chooseFile"));
      return;
    }
    const form = new FormData();
    form.append("file", file);
    upload.textContent = t("ledger.uploading");
    await busy(upload, error, async () => {
      showResult(result, file.name, await api("/imports/households", { method: "POST", form }));
      input.value = "";
    });
    upload.textContent = t("ledger.upload");
  }
  return h(
    "form",
    { class: "card stack", onsubmit: submit, "aria-labelledby": "ledger-upload" },
    h("h2", { id: "ledger-upload" }, t("ledger.uploadTitle")),
    h("p", {}, t("ledger.formatLead")),
    inputField,
    h("div", { class: "buttons" }, upload, template),
    error,
    h("p", { class: "muted" }, t("ledger.templateNote")),
  );
}

/** The columns, one line each: what goes in them, and which are required. */
function columnsTable() {
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "ledger-format" },
    h("h2", { id: "ledger-format" }, t("ledger.formatTitle")),
    h(
      "table",
      { class: "grid" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("ledger.col.header")), h("th", { scope: "col" }, t("ledger.col.meaning")))),
      h(
        "tbody",
        {},
        HEADERS.map((header) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, header, " ", REQUIRED.has(header) ? h("span", { class: "badge pending" }, t("ledger.required")) : null),
            h("td", {}, t(`ledger.about.${header}`)),
          ),
        ),
      ),
    ),
    h("p", { class: "muted" }, t("ledger.formatNote")),
  );
}

/** Run `work` with `button` disabled, showing what went wrong (the server's own words) in `error`. */
async function busy(button, error, work) {
  button.disabled = true;
  error.show("");
  try {
    await work();
  } catch (e) {
    error.show(e.words ?? String(e));
  } finally {
    button.disabled = false;
  }
}

function showResult(section, fileName, result) {
  const heading = h("h2", { id: "ledger-result", tabindex: "-1" }, t("ledger.resultTitle", { file: fileName }));
  const ignored = result.ignored_columns.join("、");
  section.replaceChildren(
    heading,
    h(
      "dl",
      { class: "ledger-counts" },
      count("created", t("ledger.households", { count: result.created })),
      count("updated", t("ledger.households", { count: result.updated })),
      count("unchanged", t("ledger.households", { count: result.unchanged })),
      count("rejected", t("ledger.rows", { count: result.rejected.length }), result.rejected.length > 0),
    ),
    h("p", { class: "muted", hidden: !ignored }, t("ledger.ignored", { columns: ignored })),
    result.rejected.length ? rejectedRows(result.rejected) : h("p", { class: "ledger-ok" }, t("ledger.allGood")),
  );
  section.hidden = false;
  heading.scrollIntoView({ block: "start" });
  heading.focus({ preventScroll: true });
}

function count(key, text, bad = false) {
  return h("div", { class: bad ? "bad" : null }, h("dt", {}, t(`ledger.${key}`)), h("dd", {}, text));
}

/** The refused rows: the reason next to the row number, then the cells as the file had them. */
function rejectedRows(rows) {
  const columns = HEADERS.filter((header) => rows.some((row) => header in row.values));
  const error = errorLine();
  const download = h("button", { class: "secondary" }, t("ledger.download"));
  download.onclick = () => busy(download, error, async () => save(await rejectedWorkbook(rows), t("ledger.rejectedFile")));
  return h(
    "div",
    { class: "stack" },
    h("p", {}, t("ledger.rejectedLead", { count: rows.length })),
    h("div", { class: "buttons" }, download),
    error,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "grid", "aria-label": t("ledger.rejectedTable") },
        h("thead", {}, h("tr", {}, [t("ledger.col.row"), t("ledger.col.reason"), ...columns].map((name) => h("th", { scope: "col" }, name)))),
        h(
          "tbody",
          {},
          rows.slice(0, SHOWN).map((row) =>
            h(
              "tr",
              {},
              h("th", { scope: "row", class: "num" }, String(row.row)),
              h("td", { class: "reason" }, row.reason),
              columns.map((header) => h("td", {}, row.values[header] ?? "")),
            ),
          ),
        ),
      ),
    ),
    rows.length > SHOWN ? h("p", { class: "muted" }, t("ledger.shown", { shown: SHOWN, count: rows.length })) : null,
  );
}

/** The rows as an Excel file the server makes from them: a POST, which apiBlob (GET only) does not send. */
async function rejectedWorkbook(rows) {
  let response;
  try {
    response = await fetch("/api/v1/imports/households/rejected", {
      method: "POST",
      headers: { Authorization: `Bearer ${session().token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ rows }),
    });
  } catch {
    throw new ApiError({ status: 0, title: t("error.network"), network: true });
  }
  if (response.ok) return response.blob();
  const problem = await response.json().catch(() => ({}));
  throw new ApiError({
    status: response.status,
    title: problem.title || t("error.status", { status: response.status }),
    detail: problem.detail,
    errors: Array.isArray(problem.errors) ? problem.errors : [],
  });
}

function save(blob, fileName) {
  const link = h("a", { href: URL.createObjectURL(blob), download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
}
