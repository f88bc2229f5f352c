// Settings → Integrations → Salesforce: Connect opens Salesforce's authorize page in a popup
// (or in this window when the browser blocks popups), and the OAuth callback page tells the
// settings page how it went. No inline script anywhere: the page's CSP is script-src 'self'.
"use strict";

(() => {
  const MESSAGE_SOURCE = "switchboard-salesforce";
  const WATCH_EVERY_MS = 500;
  const STATUS_EVERY_MS = 3000;
  const STATUS_FOR_MS = 10 * 60 * 1000; // an attempt lasts 10 minutes on the server too

  // -- the callback page (in the popup, or in this window) ---------------------------------------

  function finishCallback(page) {
    const connected = page.dataset.outcome === "connected";
    const opener = window.opener;
    if (opener && !opener.closed) {
      try {
        opener.postMessage(
          { source: MESSAGE_SOURCE, outcome: page.dataset.outcome, message: page.dataset.message },
          window.location.origin,
        );
      } catch (_error) {
        // The opener navigated elsewhere: it learns the outcome from the status endpoint.
      }
      if (connected) {
        window.close();
        return;
      }
      const close = page.querySelector('[data-action="close-window"]');
      close.hidden = false;
      close.addEventListener("click", () => window.close());
    } else if (connected) {
      window.location.replace(page.dataset.settingsUrl);
    }
  }

  // -- the settings page ---------------------------------------------------------------------------

  function wireConnect(form) {
    const outcome = document.getElementById("connect-outcome");
    const hints = document.getElementById("connect-hints");
    let popup = null;
    let attemptState = null; // the OAuth state of the attempt under way, to report a silent close
    let heardBack = false;
    let watcher = null;
    let poller = null;

    function say(text, kind) {
      outcome.textContent = text;
      outcome.className = `flash flash-${kind}`;
      outcome.hidden = false;
    }

    function stopWatching() {
      clearInterval(watcher);
      clearInterval(poller);
      watcher = poller = null;
    }

    async function authorizeUrl(mode) {
      const data = new FormData(form);
      data.set("mode", mode);
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok || typeof body.authorize_url !== "string") {
        throw new Error(body.message || "Switchboard could not start the connection. Reload the page and try again.");
      }
      return body.authorize_url;
    }

    async function status() {
      const response = await fetch(form.dataset.statusUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      return response.ok ? response.json() : {};
    }

    // Tells Switchboard the window closed while the attempt was unfinished, for Troubleshooting;
    // the server keeps it only if the callback really never ran.
    function reportClosed() {
      if (!attemptState || !form.dataset.closedUrl) return;
      const data = new FormData(form);
      data.set("state", attemptState);
      fetch(form.dataset.closedUrl, { method: "POST", body: data, credentials: "same-origin" }).catch(() => {});
    }

    // The window closed without a word from the callback (Salesforce showed an error page, or
    // the admin closed it): say what to check, and keep asking for a while in case the
    // callback ran after all (a login page that cut the popup off from this window).
    async function popupClosed() {
      if (heardBack) return;
      const now = await status().catch(() => ({}));
      if (heardBack) return;
      if (now.connected) {
        window.location.reload();
        return;
      }
      if (now.error) {
        say(now.error, "error");
      } else {
        hints.hidden = false;
        reportClosed();
      }
      const until = Date.now() + STATUS_FOR_MS;
      poller = setInterval(async () => {
        const later = await status().catch(() => ({}));
        if (later.connected) window.location.reload();
        if (Date.now() > until) clearInterval(poller);
      }, STATUS_EVERY_MS);
    }

    function watch() {
      watcher = setInterval(() => {
        if (popup && popup.closed) {
          clearInterval(watcher);
          popupClosed();
        }
      }, WATCH_EVERY_MS);
    }

    window.addEventListener("message", (event) => {
      if (event.origin !== window.location.origin || !event.data || event.data.source !== MESSAGE_SOURCE) return;
      heardBack = true;
      stopWatching();
      hints.hidden = true;
      if (event.data.outcome === "connected") {
        window.location.reload();
      } else {
        say(String(event.data.message || "Connecting to Salesforce failed."), "error");
      }
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      stopWatching();
      heardBack = false;
      outcome.hidden = true;
      hints.hidden = true;
      // Opened now, in the click's own turn, or the browser counts it as an unasked-for popup.
      popup = window.open("", "salesforce-connect", "popup,width=620,height=720");
      try {
        const url = await authorizeUrl(popup ? "popup" : "window");
        attemptState = new URL(url).searchParams.get("state");
        if (popup) {
          popup.location.href = url;
          watch();
        } else {
          window.location.assign(url); // popups blocked: the same flow in this window
        }
      } catch (error) {
        if (popup) popup.close();
        say(error.message, "error");
      }
    });
  }

  const callbackPage = document.getElementById("salesforce-callback");
  if (callbackPage) finishCallback(callbackPage);
  const connectForm = document.getElementById("salesforce-connect");
  if (connectForm) wireConnect(connectForm);
})();
