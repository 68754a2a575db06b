// Candor's few behaviours, in plain JS (no inline script: the CSP forbids it).
"use strict";

// Upload: drag a file onto the drop zone to choose it; a file over the server's limit is
// refused here, before it is sent.
function setUpDropzones() {
  document.querySelectorAll("[data-dropzone]").forEach((zone) => {
    const input = zone.querySelector("input[type=file]");
    const text = zone.querySelector(".dropzone-text");
    const show = () => {
      if (!input.files.length) return;
      const file = input.files[0];
      const limit = Number(input.dataset.maxBytes);
      const tooLarge = limit && file.size > limit;
      input.setCustomValidity(
        tooLarge ? `${file.name} is over the ${Math.floor(limit / 1048576)} MiB limit.` : "",
      );
      text.textContent = tooLarge ? input.validationMessage : file.name;
      zone.classList.toggle("invalid", Boolean(tooLarge));
    };
    ["dragenter", "dragover"].forEach((name) =>
      zone.addEventListener(name, (event) => {
        event.preventDefault();
        zone.classList.add("over");
      }),
    );
    ["dragleave", "drop"].forEach((name) =>
      zone.addEventListener(name, () => zone.classList.remove("over")),
    );
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
    input.addEventListener("change", show);
  });
}

// A running answering job: poll its progress, reload the page when it has finished.
function followJobs() {
  document.querySelectorAll("[data-job]").forEach((box) => {
    if (!["pending", "running"].includes(box.dataset.jobStatus)) return;
    const bar = box.querySelector("progress");
    const text = box.querySelector(".job-text");
    const poll = async () => {
      const response = await fetch(`/api/v1/jobs/${box.dataset.job}`, { credentials: "same-origin" });
      if (!response.ok) return;
      const job = await response.json();
      if (job.status === "done" || job.status === "failed") {
        window.location.reload();
        return;
      }
      bar.max = job.total || 1;
      bar.value = job.done;
      text.textContent = job.status === "pending"
        ? "Queued: answering starts shortly."
        : `Answering… ${job.done}/${job.total} questions matched` +
          (job.done === 0 ? " (loading the language model)" : "");
      window.setTimeout(poll, 1000);
    };
    window.setTimeout(poll, 1000);
  });
}

// An edit the server refused (nothing saved): bring its answer, with what was typed, into view.
function showRefusedEdit() {
  const refused = document.querySelector("[data-refused]");
  if (!refused) return;
  refused.scrollIntoView({ block: "center" });
  const field = refused.closest("form").querySelector("select[name=value], textarea[name=value]");
  if (field) field.focus();
}

document.addEventListener("DOMContentLoaded", () => {
  setUpDropzones();
  followJobs();
  showRefusedEdit();
});
