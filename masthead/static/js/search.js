// Autocomplete for search boxes: headlines, topics and authors as the reader types.
// Progressive enhancement: without JavaScript the box is a plain GET form to /search/.
// The ARIA 1.2 combobox pattern: the input owns a listbox; arrows move through the
// options (aria-activedescendant), Enter opens the chosen one, Escape closes the list.
(function () {
  "use strict";
  if (!window.fetch || !document.querySelectorAll) return;

  var KIND_LABELS = { article: "Article", topic: "Topic", author: "Author" };
  var counter = 0;

  function enhance(input) {
    var endpoint = input.getAttribute("data-search-autocomplete");
    var form = input.form;
    if (!endpoint || !form) return;
    counter += 1;
    var listId = "search-suggestions-" + counter;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "search-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    (input.parentNode || form).appendChild(list);

    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var items = [];
    var active = -1;
    var timer = null;
    var controller = null;
    var lastQuery = "";

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function setActive(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function render(suggestions) {
      items = suggestions;
      list.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!suggestions.length) {
        close();
        status.textContent = "";
        return;
      }
      suggestions.forEach(function (suggestion, index) {
        var option = document.createElement("li");
        option.id = listId + "-" + index;
        option.className = "search-suggestion";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.className = "search-suggestion__label";
        label.textContent = suggestion.label; // text, never HTML
        var kind = document.createElement("span");
        kind.className = "search-suggestion__kind";
        kind.textContent = KIND_LABELS[suggestion.kind] || "";
        option.appendChild(label);
        option.appendChild(kind);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep focus in the box
          go(index);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = suggestions.length + (suggestions.length === 1 ? " suggestion" : " suggestions") +
        ": use the up and down arrows to choose.";
    }

    function go(index) {
      var suggestion = items[index];
      if (!suggestion) return;
      var url = new URL(suggestion.url, window.location.href);
      if (url.origin !== window.location.origin) return; // only ever our own pages
      window.location.assign(url.href);
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query === lastQuery) return;
      lastQuery = query;
      if (query.length < 2) {
        render([]);
        return;
      }
      if (controller && controller.abort) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      fetch(endpoint + "?q=" + encodeURIComponent(query), {
        credentials: "omit",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) throw new Error("suggest");
          return response.json();
        })
        .then(function (data) {
          if (input.value.trim() !== query) return;
          render(Array.isArray(data.suggestions) ? data.suggestions : []);
        })
        .catch(function () {
          /* Suggestions are a convenience: on any error the form still works. */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, 150);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        if (!open && items.length) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        if (items.length) {
          event.preventDefault();
          setActive(active + 1);
        }
      } else if (event.key === "ArrowUp") {
        if (open && items.length) {
          event.preventDefault();
          setActive(active - 1);
        }
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          go(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(close, 100);
    });
  }

  function start() {
    var inputs = document.querySelectorAll("input[data-search-autocomplete]");
    for (var i = 0; i < inputs.length; i++) enhance(inputs[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
