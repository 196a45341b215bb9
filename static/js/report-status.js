// Keeps the summary report's status current while it is built, without reloading the page.
// The panel is a polite live region: it changes only when the status does, so a screen reader
// hears each step once.
const panel = document.querySelector("[data-report-status-url]");
const POLL_MS = 3000;

async function refresh() {
  try {
    const response = await fetch(panel.dataset.reportStatusUrl, { credentials: "same-origin" });
    // Signed out meanwhile (sent to sign in) or an error: stop polling; a reload shows the news.
    if (!response.ok || response.redirected) {
      panel.dataset.reportFinished = "true";
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    const fresh = template.content.firstElementChild;
    if (!fresh || fresh.id !== panel.id) {
      panel.dataset.reportFinished = "true";
      return;
    }
    if (fresh.innerHTML.trim() !== panel.innerHTML.trim()) {
      panel.innerHTML = fresh.innerHTML;
    }
    panel.dataset.reportFinished = fresh.dataset.reportFinished;
  } catch {
    // A network hiccup: try again at the next tick.
  } finally {
    if (panel.dataset.reportFinished !== "true") {
      setTimeout(refresh, POLL_MS);
    }
  }
}

if (panel && panel.dataset.reportFinished !== "true") {
  setTimeout(refresh, POLL_MS);
}
