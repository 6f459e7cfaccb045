// "These may solve it" on the report form: while the summary is typed, ask the portal for public
// known errors and articles and offer them, each with "Read it in full" and "This solved it".
// Progressive enhancement: without this script the form's "Check for known solutions" button does
// the same with a page load.
(function () {
  "use strict";
  var region = document.getElementById("kb-deflection");
  var summary = document.getElementById("id_summary");
  var description = document.getElementById("id_description");
  if (!region || !summary || !window.fetch) { return; }
  var list = region.querySelector("[data-kb-results]");
  var empty = region.querySelector("[data-kb-empty]");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");
  var DELAY_MS = 350;
  var MIN_LENGTH = 4;
  var timer = null;
  var latest = 0;

  function typedText() {
    return [summary.value.trim(), description ? description.value.trim() : ""].filter(Boolean).join("\n");
  }

  function hidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  // Titles and excerpts arrive HTML-escaped from the server; they are shown as they are, never as markup.
  function unescape(html) {
    var node = document.createElement("textarea");
    node.innerHTML = html;
    return node.value;
  }

  function render(results) {
    list.textContent = "";
    results.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "kb-suggestion";
      var title = document.createElement("strong");
      title.textContent = unescape(item.title);
      var excerpt = document.createElement("p");
      excerpt.textContent = unescape(item.excerpt);
      // "Read it in full" opens the whole answer, formatted, in a new tab: the report keeps its text.
      var read = document.createElement("form");
      read.method = "post";
      read.action = item.url;
      read.target = "_blank";
      read.className = "kb-read";
      if (token) { read.appendChild(hidden("csrfmiddlewaretoken", token.value)); }
      read.appendChild(hidden("text", typedText()));
      var readButton = document.createElement("button");
      readButton.type = "submit";
      readButton.className = "button button--secondary";
      readButton.textContent = "Read it in full";
      read.appendChild(readButton);
      var form = document.createElement("form");
      form.method = "post";
      form.action = region.dataset.deflectUrl;
      if (token) { form.appendChild(hidden("csrfmiddlewaretoken", token.value)); }
      form.appendChild(hidden("kind", item.kind));
      form.appendChild(hidden("id", String(item.id)));
      form.appendChild(hidden("text", typedText()));
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "button";
      button.textContent = "This solved it";
      form.appendChild(button);
      li.appendChild(title);
      li.appendChild(excerpt);
      li.appendChild(read);
      li.appendChild(form);
      list.appendChild(li);
    });
    if (empty) { empty.hidden = results.length > 0; }
    region.hidden = results.length === 0;
  }

  function lookUp() {
    var text = typedText();
    if (summary.value.trim().length < MIN_LENGTH) { return; }
    var ask = ++latest;
    fetch(region.dataset.suggestUrl + "?q=" + encodeURIComponent(text), {
      credentials: "same-origin",
      headers: {"Accept": "application/json"}
    })
      .then(function (response) { return response.ok ? response.json() : {results: []}; })
      .then(function (data) { if (ask === latest) { render(data.results || []); } })
      .catch(function () { /* Suggestions are a help, not a step: the form still works. */ });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, DELAY_MS);
  }

  summary.addEventListener("input", schedule);
  if (description) { description.addEventListener("input", schedule); }
}());
