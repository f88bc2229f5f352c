// The job dashboard (/admin/rq): rq-dashboard's pages, driven from this file instead of the
// package's inline scripts and underscore templates, which wrote job data (exception text,
// descriptions, arguments, metadata) into the page as HTML.
//
// Rules that keep it safe under the app's Content-Security-Policy (script-src 'self'):
// - every value that comes from Redis is put into the page as text (el() below, textContent),
//   never parsed as HTML; links are built here from URL-encoded ids, or taken from the server
//   only when they are paths of this site;
// - every action is a POST carrying the CSRF token of the page's <meta name="csrf-token">.
"use strict";

(() => {
  const body = document.body;
  const config = body.dataset;
  const prefix = config.urlPrefix; // "/admin/rq/"
  const instance = config.instance;
  const pollInterval = Math.max(1000, parseInt(config.pollInterval, 10) || 5000);
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const enc = encodeURIComponent;
  let autorefresh = true;

  const urls = {
    queuesData: () => `${prefix}${enc(instance)}/data/queues.json`,
    workersData: () => `${prefix}${enc(instance)}/data/workers.json`,
    jobsData: (queue, registry, perPage, order, page) =>
      `${prefix}${enc(instance)}/data/jobs/${enc(queue)}/${enc(registry)}/${enc(perPage)}/${enc(order)}/${enc(page)}.json`,
    jobData: (jobId) => `${prefix}${enc(instance)}/data/job/${enc(jobId)}.json`,
    queuesView: () => `${prefix}${enc(instance)}/view/queues`,
    jobsView: (queue, registry, perPage, order, page) =>
      `${prefix}${enc(instance)}/view/jobs/${enc(queue)}/${enc(registry)}/${enc(perPage)}/${enc(order)}/${enc(page)}`,
    jobView: (jobId) => `${prefix}${enc(instance)}/view/job/${enc(jobId)}`,
    deleteJob: (jobId) => `${prefix}job/${enc(jobId)}/delete`,
    requeueJob: (jobId) => `${prefix}job/${enc(jobId)}/requeue`,
  };

  // -- building the page ------------------------------------------------------------------------

  // An element with attributes and children; a child that is not a Node becomes a text node.
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // A link target from the server only if it is a path of this site (never javascript:, never
  // another host).
  function localPath(url) {
    return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") && !url.startsWith("/\\")
      ? url
      : null;
  }

  function link(url, text) {
    const path = localPath(url);
    return path ? el("a", { href: path }, text) : el("span", {}, text);
  }

  function emptyRow(columns, text) {
    return el("tr", {}, el("td", { colspan: columns }, text));
  }

  const relativeFormat = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const UNITS = [
    ["year", 365 * 86400],
    ["month", 30 * 86400],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ];

  function parseDate(value) {
    if (!value) return null;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  }

  function relative(value) {
    const date = parseDate(value);
    if (!date) return value ? String(value) : "-";
    const seconds = (date.getTime() - Date.now()) / 1000;
    const [unit, size] = UNITS.find(([, size]) => Math.abs(seconds) >= size) || UNITS[UNITS.length - 1];
    return relativeFormat.format(Math.round(seconds / size), unit);
  }

  function relativeAndExact(value) {
    const date = parseDate(value);
    return date ? `${relative(value)} / ${date.toLocaleString()}` : "-";
  }

  // -- talking to the server --------------------------------------------------------------------

  // One message at a time: a failed action's, or the last failed load's. A successful load clears
  // only a load's message, so an action's refusal stays until the next action.
  const status = document.getElementById("dashboard-status");
  let statusFrom = null;

  function showError(text, from = "action") {
    status.textContent = text;
    status.hidden = false;
    statusFrom = from;
  }

  function clearError(from = "action") {
    if (from === "load" && statusFrom !== "load") return;
    status.hidden = true;
    status.textContent = "";
    statusFrom = null;
  }

  function loadFailed(error) {
    showError(`Could not load the dashboard's data: ${error.message}.`, "load");
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    return response.json();
  }

  // An action: a POST with the CSRF token, which the dashboard's routes require.
  async function post(url, what) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
        credentials: "same-origin",
      });
    } catch (error) {
      showError(`Could not ${what}: ${error.message}`);
      return null;
    }
    if (!response.ok) {
      const advice = response.status === 400 ? " Reload the page and try again." : "";
      showError(`Could not ${what}: the server answered ${response.status}.${advice}`);
      return null;
    }
    const data = await response.json().catch(() => ({}));
    if (data.status !== "OK") {
      showError(`Could not ${what}: ${data.status === "DISABLED" ? "deleting is turned off" : "refused"}.`);
      return null;
    }
    clearError();
    return data;
  }

  // Loads the page's data now, then again every poll interval while autorefresh is on.
  function poll(load) {
    const tick = async () => {
      if (autorefresh) {
        try {
          await load();
          clearError("load");
        } catch (error) {
          loadFailed(error);
        }
      }
      setTimeout(tick, pollInterval);
    };
    tick();
  }

  // -- the pages --------------------------------------------------------------------------------

  async function loadQueues() {
    const data = await getJSON(urls.queuesData());
    const rows = data.queues.map((queue) =>
      el(
        "tr",
        { "data-queue": queue.name },
        el("td", {}, queue.name),
        el("td", { class: "narrow" }, link(queue.queued_url, queue.count)),
        el("td", { class: "narrow" }, link(queue.deferred_url, queue.deferred_job_registry_count)),
        el("td", { class: "narrow" }, link(queue.scheduled_url, queue.scheduled_job_registry_count)),
        el("td", { class: "narrow" }, link(queue.started_url, queue.started_job_registry_count)),
        el("td", { class: "narrow" }, link(queue.finished_url, queue.finished_job_registry_count)),
        el("td", { class: "failed" }, link(queue.failed_url, queue.failed_job_registry_count)),
        el("td", { class: "failed" }, link(queue.canceled_url, queue.canceled_job_registry_count)),
      ),
    );
    document.querySelector("#queues tbody").replaceChildren(...(rows.length ? rows : [emptyRow(8, "No queues.")]));
  }

  function jobsPage() {
    const { queue, registry, perPage, order, currentPage } = config;
    const enableDelete = Boolean(config.enableDelete);
    const tbody = document.querySelector("#jobs tbody");

    function jobRow(job) {
      const failed = registry === "failed";
      return el(
        "tr",
        { "data-job-id": job.id },
        el(
          "td",
          {},
          el("span", { class: "description ellipsify", title: job.description }, job.description),
          el("div", { class: "job_id" }, el("a", { href: urls.jobView(job.id) }, job.id)),
          failed ? el("span", { class: "end_date" }, job.ended_at ? `Failed ${relative(job.ended_at)}` : "Failed") : null,
          job.exc_info ? el("pre", { class: "exc_info" }, job.exc_info) : null,
        ),
        el("td", {}, el("span", { class: "creation_date" }, relative(job.created_at))),
        el(
          "td",
          { class: "actions narrow" },
          failed
            ? el("button", { type: "button", class: "btn btn-outline-warning btn-sm", "data-do": "requeue" }, "Requeue")
            : null,
          enableDelete
            ? el("button", { type: "button", class: "btn btn-outline-danger btn-sm", "data-do": "delete" }, "Delete")
            : null,
        ),
      );
    }

    function pageItem(label, url, { disabled = false, active = false, name = null } = {}) {
      const path = disabled ? null : localPath(url);
      const classes = ["page-item", disabled || !path ? "disabled" : "", active ? "active" : ""].join(" ").trim();
      const anchor = path
        ? el("a", { class: "page-link", href: path, "aria-label": name }, label)
        : el("span", { class: "page-link", "aria-label": name }, label);
      return el("li", { class: classes }, anchor);
    }

    function renderPagination(pagination) {
      const none = !pagination.num_pages;
      const items = [
        pageItem("«", pagination.first_page && pagination.first_page.url, {
          disabled: none || pagination.current_page === 1,
          name: "First page",
        }),
        pageItem("‹", pagination.prev_page && pagination.prev_page.url, {
          disabled: !pagination.prev_page,
          name: "Previous page",
        }),
        ...(pagination.pages_in_window || []).map((page) =>
          pageItem(page.number, page.url, { active: page.number === pagination.current_page }),
        ),
        pageItem("›", pagination.next_page && pagination.next_page.url, {
          disabled: !pagination.next_page,
          name: "Next page",
        }),
        pageItem("»", pagination.last_page && pagination.last_page.url, {
          disabled: none || pagination.current_page === pagination.num_pages,
          name: "Last page",
        }),
      ];
      document.querySelector("#page-selection ul").replaceChildren(...items);
    }

    async function load() {
      const data = await getJSON(urls.jobsData(queue, registry, perPage, order, currentPage));
      const rows = data.jobs.map(jobRow);
      tbody.replaceChildren(...(rows.length ? rows : [emptyRow(3, "No jobs.")]));
      renderPagination(data.pagination || {});
    }

    tbody.addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-do]");
      if (!button) return;
      const row = button.closest("tr");
      const jobId = row.dataset.jobId;
      if (button.dataset.do === "requeue") {
        if (await post(urls.requeueJob(jobId), "requeue the job")) row.remove();
      } else if (button.dataset.do === "delete") {
        if (!window.confirm(`Delete the job ${jobId}?`)) return;
        if (await post(urls.deleteJob(jobId), "delete the job")) row.remove();
      }
    });

    // Requeue all, compact, empty: each asks first, then reloads the list.
    for (const button of document.querySelectorAll("button[data-action]")) {
      button.addEventListener("click", async () => {
        if (!window.confirm(button.dataset.confirm)) return;
        if (await post(button.dataset.action, button.textContent.trim().toLowerCase())) {
          await load().catch(loadFailed);
        }
      });
    }

    // Changing a filter opens the first page of the list it names.
    const go = () => {
      const name = document.getElementById("select-queue").value.trim() || "default";
      const size = Math.min(200, Math.max(1, parseInt(document.getElementById("select-per-page").value, 10) || 8));
      const sortOrder = document.getElementById("select-sort-order").value;
      window.location.assign(urls.jobsView(name, document.getElementById("select-registry").value, size, sortOrder, 1));
    };
    for (const id of ["select-queue", "select-registry", "select-sort-order", "select-per-page"]) {
      document.getElementById(id).addEventListener("change", go);
    }

    poll(load);
  }

  function jobPage() {
    const jobId = config.jobId;
    const requeueButton = document.getElementById("requeue-job-btn");
    const deleteButton = document.getElementById("delete-job-btn");

    function field(label, value) {
      return [el("dt", {}, label), el("dd", {}, value)];
    }

    function dependencies(job) {
      if (!job.depends_on || !job.depends_on.length) return "-";
      return el(
        "ul",
        {},
        job.depends_on.map((dependency, index) =>
          (job.depends_on_status || [])[index] === "active"
            ? el("li", {}, el("a", { href: urls.jobView(dependency) }, dependency))
            : el("li", {}, `${dependency} (expired)`),
        ),
      );
    }

    async function load() {
      const job = await getJSON(urls.jobData(jobId));
      let result;
      try {
        result = JSON.stringify(job.result, null, 2);
      } catch (_error) {
        result = String(job.result);
      }
      document.getElementById("job-data").replaceChildren(
        el(
          "dl",
          { class: "col-6" },
          field("Description", el("div", { class: "description-scroll" }, job.description)),
          field("Origin queue", job.origin),
          field("Status", el("span", { "data-field": "status" }, job.status)),
          field("Result", el("pre", {}, result === undefined ? "null" : result)),
          field("Metadata", el("pre", {}, job.metadata)),
          field("Depends on", dependencies(job)),
        ),
        el(
          "dl",
          { class: "col-6" },
          field("Created at", relativeAndExact(job.created_at)),
          field("Enqueued at", relativeAndExact(job.enqueued_at)),
          field("Started at", relativeAndExact(job.started_at)),
          field("Ended at", relativeAndExact(job.ended_at)),
        ),
        el(
          "div",
          { class: "col-12 exc_info-wrap" },
          el("p", {}, el("strong", {}, "Exception info")),
          el("pre", { class: "exc_info" }, job.exc_info || "-"),
        ),
      );
      requeueButton.hidden = job.status !== "failed";
    }

    requeueButton.addEventListener("click", async () => {
      if (await post(urls.requeueJob(jobId), "requeue the job")) {
        await load().catch(loadFailed);
      }
    });
    if (deleteButton) {
      deleteButton.addEventListener("click", async () => {
        if (!window.confirm(`Delete the job ${jobId}?`)) return;
        if (await post(urls.deleteJob(jobId), "delete the job")) window.location.assign(urls.queuesView());
      });
    }

    poll(load);
  }

  async function loadWorkers() {
    const data = await getJSON(urls.workersData());
    const rows = data.workers.map((worker) => {
      const current = worker.current_job;
      let jobCell;
      if (current && typeof current === "object") {
        const details = [
          `Job ID: ${current.job_id}`,
          `Description: ${current.description || ""}`,
          `Created at: ${relative(current.created_at)}`,
        ].join("\n");
        jobCell = el("td", { title: details }, el("a", { href: urls.jobView(current.job_id) }, current.call_string));
      } else {
        jobCell = el("td", {}, current || "idle");
      }
      const versions = worker.version && worker.python_version ? `RQ ${worker.version} / Python ${worker.python_version}` : null;
      return el(
        "tr",
        { "data-worker": worker.name },
        el("td", { title: versions }, worker.name),
        jobCell,
        el("td", {}, (worker.queues || []).join(", ")),
      );
    });
    const count = { 0: "No workers registered.", 1: "1 worker registered." };
    document.getElementById("workers-count").textContent = count[rows.length] || `${rows.length} workers registered.`;
    document.querySelector("#workers tbody").replaceChildren(...(rows.length ? rows : [emptyRow(3, "No workers.")]));
  }

  document.getElementById("autorefresh-switch").addEventListener("change", (event) => {
    autorefresh = event.target.checked;
  });

  const pages = {
    queues: () => poll(loadQueues),
    jobs: jobsPage,
    job: jobPage,
    workers: () => poll(loadWorkers),
  };
  if (pages[config.page]) pages[config.page]();
})();
