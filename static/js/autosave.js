// Saves a draft in the background a few seconds after typing stops, so nothing typed is lost.
// Progressive enhancement: without it the page still saves on each submit.
// The form opts in with data-autosave="<id of the element that shows the save status>".
const DELAY_MS = 3000;

for (const form of document.querySelectorAll("form[data-autosave]")) {
  const status = document.getElementById(form.dataset.autosave);
  let timer = null;
  let queue = Promise.resolve();

  const save = async () => {
    try {
      const response = await fetch(form.action || window.location.href, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Autosave": "1" },
        credentials: "same-origin",
      });
      const result = await response.json();
      status.textContent = result.saved
        ? `Saved automatically at ${result.saved_at}.`
        : `Not saved automatically: ${result.errors.join(" ")}`;
    } catch {
      status.textContent = "Not saved automatically. Use Save draft.";
    }
  };

  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      queue = queue.then(save);
    }, DELAY_MS);
  });
  // A submit saves anyway: drop a pending background save so the two do not race.
  form.addEventListener("submit", () => clearTimeout(timer));
}
