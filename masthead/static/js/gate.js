// Progressive enhancement of the registration gate: submit without leaving the page,
// then put the whole article (now readable) in place of the teaser. Without
// JavaScript the form posts and the server redirects to the same result.
(function () {
  "use strict";
  var form = document.querySelector("form[data-gate]");
  if (!form || !window.fetch || !window.DOMParser) return;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok || !response.redirected) throw new Error("gate");
        return response.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var newBody = next.querySelector(".article-body");
        var oldBody = document.querySelector(".article-body");
        if (!newBody || !oldBody) throw new Error("gate");
        var firstHidden = oldBody.children.length - 1;
        oldBody.replaceWith(newBody);
        ["main .messages"].forEach(function (selector) {
          var incoming = next.querySelector(selector);
          var current = document.querySelector(selector);
          if (incoming && current) current.replaceWith(incoming);
          else if (incoming) document.querySelector("main").prepend(incoming);
        });
        var revealed = newBody.children[Math.max(0, firstHidden)];
        if (revealed) {
          revealed.setAttribute("tabindex", "-1");
          revealed.focus();
        }
      })
      .catch(function () {
        form.submit();
      });
  });
})();
