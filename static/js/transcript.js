// The job page: live progress, player sync, keyboard, in-place edits, the
// readable / as-heard switch and a summary on its way.
(function () {
  "use strict";
  const POLL_MS = 1500;
  const SUMMARY_POLL_MS = 3000;
  const SKIP_S = 5;
  const job = document.getElementById("job");
  const list = document.getElementById("segments");
  const player = document.getElementById("player");
  const csrfToken = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  let wordsByIndex = null; // segment index -> [{word, start, end}], loaded on the first word click
  let heardByIndex = null; // segment index -> the words as the model heard them, loaded with them
  let showingHeard = false;

  // ---- live progress ----
  function clock(seconds) {
    const total = Math.floor(seconds);
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function renderSegment(item) {
    const li = document.createElement("li");
    li.className = "segment" + (item.edited ? " edited" : "");
    li.id = "segment-" + item.index;
    li.dataset.index = item.index;
    li.dataset.start = item.start;
    li.dataset.end = item.end;
    const parts = [];
    if (item.speaker) {
      const speaker = document.createElement("span");
      speaker.className = "speaker";
      speaker.textContent = item.speaker;
      parts.push(speaker);
    }
    const time = document.createElement("button");
    time.type = "button";
    time.className = "time";
    time.dataset.seek = item.start;
    time.textContent = clock(item.start) + "–" + clock(item.end);
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = item.text;
    const edit = document.createElement("a");
    edit.className = "edit-link";
    edit.href = list.dataset.editUrlPrefix + item.index + "/";
    edit.textContent = "Edit";
    li.append(...parts, time, text, edit);
    return li;
  }

  function showState(state) {
    job.dataset.status = state.status;
    document.getElementById("job-status").textContent = state.status_label;
    document.getElementById("job-stage").textContent = state.stage_text;
    document.getElementById("job-eta").textContent =
      state.seconds_left === null ? "" : "about " + clock(state.seconds_left) + " left";
    const bar = document.getElementById("job-progress");
    if (bar) {
      bar.setAttribute("aria-valuenow", state.percent);
      bar.firstElementChild.style.width = state.percent + "%";
      document.getElementById("job-percent").textContent = Math.round(state.percent) + "%";
    }
    if (state.segments) {
      list.replaceChildren(...state.segments.map(renderSegment));
      const none = document.getElementById("no-segments");
      if (none && state.segments.length) none.remove();
    }
  }

  function stopFollowing(message) {
    job.dataset.unfinished = "false";
    document.getElementById("job-stage").textContent = message;
    document.getElementById("job-eta").textContent = "";
  }

  async function poll() {
    const url = job.dataset.statusUrl + "?known=" + list.children.length;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      // Deleted elsewhere (404), refused (403) or signed out (sent to the
      // sign-in page): asking again would never get another answer.
      if (response.status === 404 || response.status === 403) {
        stopFollowing("This transcription no longer exists. It may have been deleted in another window.");
        return;
      }
      if (response.redirected) {
        stopFollowing("You have been signed out. Sign in again to follow this transcription.");
        return;
      }
      if (response.ok) {
        const state = await response.json();
        showState(state);
        if (!state.unfinished) {
          window.location.reload(); // the finished page: player, downloads, full text
          return;
        }
      }
    } catch (error) {
      // A network blip: try again at the next tick.
    }
    window.setTimeout(poll, POLL_MS);
  }

  if (job.dataset.unfinished === "true") window.setTimeout(poll, POLL_MS);

  async function pollSummary() {
    try {
      const response = await fetch(job.dataset.statusUrl + "?known=" + list.children.length, {
        headers: { Accept: "application/json" },
      });
      if (response.status === 404 || response.status === 403 || response.redirected) return;
      if (response.ok && !(await response.json()).summary_pending) {
        window.location.reload(); // the summary, or why it failed
        return;
      }
    } catch (error) {
      // A network blip: try again at the next tick.
    }
    window.setTimeout(pollSummary, SUMMARY_POLL_MS);
  }

  if (job.dataset.unfinished !== "true" && job.dataset.summaryPending === "true") {
    window.setTimeout(pollSummary, SUMMARY_POLL_MS);
  }

  // ---- player sync ----
  function seek(seconds) {
    if (!player) return;
    player.currentTime = seconds;
    player.play().catch(() => {}); // autoplay may be refused; the seek still holds
  }

  async function loadWords() {
    if (wordsByIndex) return wordsByIndex;
    const response = await fetch(list.dataset.segmentsUrl, { headers: { Accept: "application/json" } });
    const data = await response.json();
    heardByIndex = new Map(data.segments.map((item) => [item.index, item.heard_words || []]));
    wordsByIndex = new Map(data.segments.map((item) => [item.index, item.words || []]));
    return wordsByIndex;
  }

  // ---- readable / as heard ----
  // The readable text (punctuated, numbers as digits, edits) or what the model
  // heard, in the same segments: edits apply to the readable text only.
  async function showText(heard) {
    if (heard) await loadWords();
    for (const segment of list.children) {
      const text = segment.querySelector(".text");
      if (heard) {
        if (!("readable" in text.dataset)) text.dataset.readable = text.textContent;
        const words = heardByIndex.get(parseInt(segment.dataset.index, 10)) || [];
        text.textContent = words.map((word) => word.word).join(" ");
      } else if ("readable" in text.dataset) {
        text.textContent = text.dataset.readable;
        delete text.dataset.readable;
      }
    }
    showingHeard = heard;
    list.classList.toggle("showing-heard", heard);
    document.getElementById("show-readable").setAttribute("aria-pressed", String(!heard));
    document.getElementById("show-heard").setAttribute("aria-pressed", String(heard));
  }

  const showHeardButton = document.getElementById("show-heard");
  if (showHeardButton) {
    showHeardButton.addEventListener("click", () => showText(true));
    document.getElementById("show-readable").addEventListener("click", () => showText(false));
  }

  function wordIndexAt(event, textElement) {
    // Which word of the paragraph was clicked: count the words before the caret.
    const range = document.caretRangeFromPoint
      ? document.caretRangeFromPoint(event.clientX, event.clientY)
      : null;
    if (!range || !textElement.contains(range.startContainer)) return null;
    const before = range.startContainer.textContent.slice(0, range.startOffset);
    return before.split(/\s+/).filter(Boolean).length - (/\S$/.test(before) ? 1 : 0);
  }

  list.addEventListener("click", async (event) => {
    const time = event.target.closest(".time");
    if (time) {
      seek(parseFloat(time.dataset.seek));
      return;
    }
    const text = event.target.closest(".text");
    if (text && !text.isContentEditable && window.getSelection().isCollapsed) {
      const segment = text.closest(".segment");
      let seconds = parseFloat(segment.dataset.start);
      const wordIndex = wordIndexAt(event, text);
      if (wordIndex !== null && (showingHeard || !segment.classList.contains("edited"))) {
        await loadWords();
        const byIndex = showingHeard ? heardByIndex : wordsByIndex;
        const words = byIndex.get(parseInt(segment.dataset.index, 10)) || [];
        if (words[wordIndex]) seconds = words[wordIndex].start;
      }
      seek(seconds);
    }
  });

  let current = null;
  function segmentAt(seconds) {
    // Segments are in time order: binary search for the last one starting before `seconds`.
    const items = list.children;
    let low = 0, high = items.length - 1, found = null;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (parseFloat(items[middle].dataset.start) <= seconds) {
        found = items[middle];
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found && seconds < parseFloat(found.dataset.end) + 0.5 ? found : null;
  }

  if (player) {
    player.addEventListener("timeupdate", () => {
      const segment = segmentAt(player.currentTime);
      if (segment === current) return;
      if (current) current.classList.remove("current");
      current = segment;
      if (!segment) return;
      segment.classList.add("current");
      if (!player.paused && !list.querySelector("textarea")) {
        segment.scrollIntoView({ block: "nearest", behavior: "smooth" });
      }
    });

    // A link to a moment (a search hit: /t/12/#t=83.40, as in media fragments):
    // show its segment and play from there.
    function seekToFragment() {
      const match = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
      if (!match) return;
      const seconds = parseFloat(match[1]);
      const segment = segmentAt(seconds);
      if (segment) segment.scrollIntoView({ block: "center" });
      seek(seconds);
    }
    if (player.readyState >= 1) seekToFragment();
    else player.addEventListener("loadedmetadata", seekToFragment, { once: true });
    window.addEventListener("hashchange", seekToFragment);

    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      // Keys typed into a field, or pressing a focused button, link or control,
      // are theirs: Space must still press a button for keyboard users.
      if (event.target.isContentEditable) return;
      if (event.target.closest("input, textarea, select, button, a, summary, audio, video")) return;
      if (event.key === " ") {
        event.preventDefault();
        if (player.paused) player.play().catch(() => {});
        else player.pause();
      } else if (event.key === "ArrowLeft") {
        event.preventDefault();
        player.currentTime = Math.max(0, player.currentTime - SKIP_S);
      } else if (event.key === "ArrowRight") {
        event.preventDefault();
        player.currentTime = Math.min(player.duration || Infinity, player.currentTime + SKIP_S);
      }
    });
  }

  // ---- edit in place ----
  async function errorMessage(response) {
    // The server explains a refusal ({"errors": {"text": ["..."]}}); other
    // failures (an expired session, a server error) come back as HTML.
    try {
      const errors = (await response.json()).errors;
      const messages = Object.values(errors).flat();
      if (messages.length) return messages.join(" ");
    } catch (error) {
      // not JSON: fall through to the generic message
    }
    return "Not saved (the server answered " + response.status + "). Reload the page and try again.";
  }

  async function post(url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
        body: body,
      });
    } catch (error) {
      throw new Error("Not saved: the server could not be reached. Try again.");
    }
    if (response.redirected) {
      throw new Error("Not saved: you have been signed out. Sign in again in another tab, then save.");
    }
    if (!response.ok) throw new Error(await errorMessage(response));
    return response.json();
  }

  function showSaveError(form, error) {
    form.classList.add("has-errors");
    let message = form.querySelector(".editor-error");
    if (!message) {
      message = document.createElement("p");
      message.className = "error-message editor-error";
      message.setAttribute("role", "alert");
      form.append(message);
    }
    message.textContent = error.message;
  }

  function closeEditor(segment, text) {
    segment.querySelector(".editor").remove();
    segment.querySelector(".text").textContent = text;
    segment.querySelector(".text").hidden = false;
    segment.querySelector(".edit-link").hidden = false;
  }

  function openEditor(segment, editUrl) {
    const text = segment.querySelector(".text");
    const form = document.createElement("form");
    form.className = "editor";
    const area = document.createElement("textarea");
    area.name = "text";
    area.rows = 3;
    area.value = text.textContent;
    const save = document.createElement("button");
    save.type = "submit";
    save.textContent = "Save";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = "Cancel";
    form.append(area, save, cancel);
    if (segment.classList.contains("edited")) {
      const revert = document.createElement("button");
      revert.type = "button";
      revert.className = "secondary revert";
      revert.textContent = "Revert to the original";
      revert.addEventListener("click", async () => {
        try {
          const saved = await post(editUrl + "revert/", new FormData());
          segment.classList.toggle("edited", saved.edited);
          closeEditor(segment, saved.text);
        } catch (error) {
          showSaveError(form, error);
        }
      });
      form.append(revert);
    }
    cancel.addEventListener("click", () => closeEditor(segment, text.textContent));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const saved = await post(editUrl, new FormData(form));
        segment.classList.toggle("edited", saved.edited);
        closeEditor(segment, saved.text);
      } catch (error) {
        showSaveError(form, error);
      }
    });
    text.hidden = true;
    segment.querySelector(".edit-link").hidden = true;
    text.after(form);
    area.focus();
  }

  list.addEventListener("click", (event) => {
    const link = event.target.closest(".edit-link");
    if (!link || list.dataset.editable !== "true") return;
    event.preventDefault();
    openEditor(link.closest(".segment"), link.getAttribute("href"));
  });
})();
