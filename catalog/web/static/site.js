/* Progressive enhancement only: every page works without this script.
   Pointing at a result in the list lights its extent on the map, and the other way round. */
(function () {
  "use strict";
  function light(key, on) {
    document.querySelectorAll('[data-extent="' + key + '"]').forEach(function (el) {
      el.classList.toggle("lit", on);
    });
  }
  document.querySelectorAll("[data-extent]").forEach(function (el) {
    var key = el.getAttribute("data-extent");
    ["mouseenter", "focusin"].forEach(function (type) { el.addEventListener(type, function () { light(key, true); }); });
    ["mouseleave", "focusout"].forEach(function (type) { el.addEventListener(type, function () { light(key, false); }); });
  });
})();
