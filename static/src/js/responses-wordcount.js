// The live word count of a response's answer editor ("123 / 250 words"), for every textarea with
// data-word-count="<id of the count's paragraph>" (and data-word-limit when the question has one). Words are
// counted as mhi.responses.drafting.word_count counts them: pieces between white space holding a letter or digit.
// Without JavaScript the page shows the count computed on the server when it was loaded.
(function () {
  const WORD = /[\p{L}\p{N}]/u;
  const count = (text) => text.split(/\s+/).filter((piece) => WORD.test(piece)).length;
  for (const area of document.querySelectorAll("textarea[data-word-count]")) {
    const output = document.getElementById(area.dataset.wordCount);
    if (!output) continue;
    const label = output.querySelector("[data-word-count-label]");
    const over = output.querySelector("[data-word-count-over]");
    const limit = area.dataset.wordLimit ? parseInt(area.dataset.wordLimit, 10) : null;
    let timer = null;
    const update = () => {
      const words = count(area.value);
      const unit = (limit ?? words) === 1 ? "word" : "words";
      label.textContent = limit === null ? `${words} ${unit}` : `${words} / ${limit} ${unit}`;
      if (over) over.hidden = !(limit !== null && words > limit);
    };
    // Counted at once on the screen; the live region is announced when typing pauses.
    area.addEventListener("input", () => {
      output.setAttribute("aria-live", "off");
      update();
      clearTimeout(timer);
      timer = setTimeout(() => output.setAttribute("aria-live", "polite"), 800);
    });
    update();
  }
})();
