// Marks each page with how many of its figures loaded, for the course's automated
// build check (scripts/check_book.py and tests/test_book.py read it in headless Chromium).
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.querySelectorAll("article img"));
  var loaded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; });
  document.documentElement.setAttribute("data-figures-loaded", loaded.length + "/" + images.length);
});
