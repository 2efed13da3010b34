// Search on demand. On every page load, Material (9.8.2, pinned) starts its search worker and
// downloads the search index: about 30 KB gzip on this site, a third of a text page, although
// most visits never search. This script runs before Material's bundle (both are deferred; it comes
// first in the page) and holds both back until the reader goes for search:
//   - the XMLHttpRequest for search/search_index.json is opened but not sent;
//   - `new Worker(".../workers/search.*.js")` returns a stand-in that queues what Material posts;
//   - the first time the search toggle is switched on or the search box gets focus (a click, a
//     tap, Material's keyboard shortcuts, or ?q= in the URL), or at once when the page was opened
//     from a search result (?h=, which Material highlights with the index), the request is sent
//     and the real worker started, with what Material posted to the stand-in meanwhile.
// Material itself sends no query before the worker has answered its set-up message.
// tests/test_browser.py checks that pages load neither file; tests/test_browser_reading.py that
// search, ?q= and ?h= work.
(function () {
  "use strict";

  var INDEX = /\/search\/search_index\.json(\?|$)/;
  var WORKER = /\/workers\/search\.[^/]*\.js(\?|$)/;
  var pending = [];

  function start() {
    if (!pending) return;
    var run = pending;
    pending = null;
    run.forEach(function (go) { go(); });
  }

  function whenStarted(go) {
    if (pending) pending.push(go);
    else go();
  }

  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  var held = new WeakSet();
  XMLHttpRequest.prototype.open = function (method, url) {
    if (INDEX.test(String(url))) held.add(this);
    else held.delete(this);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var request = this;
    var args = arguments;
    if (!held.has(request)) return send.apply(request, args);
    whenStarted(function () { send.apply(request, args); });
  };

  var RealWorker = window.Worker;

  function SearchWorker(url, options) {
    var worker = null;
    var listeners = [];
    var early = []; // posted before the worker exists

    this.postMessage = function (message) {
      if (worker) worker.postMessage(message);
      else early.push(message);
    };
    this.addEventListener = function (type, listener, opts) {
      if (worker) worker.addEventListener(type, listener, opts);
      else listeners.push([type, listener, opts]);
    };
    this.removeEventListener = function (type, listener, opts) {
      if (worker) worker.removeEventListener(type, listener, opts);
      else listeners = listeners.filter(function (l) { return l[0] !== type || l[1] !== listener; });
    };
    var ended = false;
    this.terminate = function () {
      ended = true;
      if (worker) worker.terminate();
    };

    whenStarted(function () {
      if (ended) return;
      worker = new RealWorker(url, options);
      listeners.forEach(function (l) { worker.addEventListener(l[0], l[1], l[2]); });
      early.forEach(function (message) { worker.postMessage(message); });
      early = listeners = null;
    });
  }

  window.Worker = function (url, options) {
    if (WORKER.test(String(url))) return new SearchWorker(url, options);
    return new RealWorker(url, options);
  };
  window.Worker.prototype = RealWorker.prototype;

  var params = new URLSearchParams(location.search);
  if (params.has("h")) start();
  document.addEventListener("change", function (event) {
    if (event.target.id === "__search" && event.target.checked) start();
  }, true);
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(".md-search__input")) start();
  }, true);

  // Chinese words as typed. Material's index splits a query such as 事件循环 into pieces, marks
  // every piece in the results (each 事 of 事情 too) and sends only the first piece, ?h=事, to the
  // page a result opens. So: Chinese marks that hold none of the typed words are unmarked, and a
  // result's ?h= carries the query as typed (the page then marks whole words).
  var HAN = /[\u4e00-\u9fff]/;

  function typedWords() {
    var box = document.querySelector(".md-search__input");
    return box ? box.value.trim().split(/\s+/).filter(Boolean) : [];
  }

  function wholeWords(results) {
    var words = typedWords();
    if (!words.length) return;
    results.querySelectorAll("mark").forEach(function (mark) {
      var text = mark.textContent;
      var whole = words.some(function (word) { return text.indexOf(word) >= 0; });
      if (HAN.test(text) && !whole) mark.replaceWith(document.createTextNode(text));
    });
    results.querySelectorAll("a[href*='?h=']").forEach(function (link) {
      var url = new URL(link.href);
      url.searchParams.set("h", words.join(" "));
      if (url.href !== link.href) link.href = url.href;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var results = document.querySelector(".md-search-result__list");
    if (!results) return;
    new MutationObserver(function () { wholeWords(results); })
      .observe(results, { childList: true, subtree: true });
  });
})();
