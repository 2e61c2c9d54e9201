// Paperboy's one script: progressive enhancement only. Every page reads, searches, votes and submits without it.
//   - Math: TeX in titles, abstracts and comments (elements with class "tex") is rendered with KaTeX, which is
//     loaded from the site's own /static/katex/ only on pages that have some.
//   - Keys: j / k move between papers, o or Enter opens one, u upvotes it (signed in), / goes to search, ? lists keys.
//   - Votes: the vote buttons update their count in place (announced through aria-live) instead of reloading.
//   - Suggestions: the search box offers paper titles and authors as you type (GET /api/suggest?q=).
(function () {
    "use strict";
    var script = document.currentScript;
    var staticRoot = (script && script.dataset.static) || "/static/";
    var suggestURL = script && script.dataset.suggest;

    // Math ------------------------------------------------------------------------------------------------------
    // The delimiters, in the order Paperboy's highlighter (TeXSpans) expects.
    var delimiters = [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
        { left: "$", right: "$", display: false }
    ];
    var hasTeX = /\$|\\\(|\\\[/;

    function load(tag, attributes) {
        return new Promise(function (resolve, reject) {
            var element = document.createElement(tag);
            Object.keys(attributes).forEach(function (name) { element.setAttribute(name, attributes[name]); });
            element.addEventListener("load", resolve);
            element.addEventListener("error", reject);
            document.head.appendChild(element);
        });
    }

    function renderMath() {
        var elements = Array.prototype.filter.call(document.querySelectorAll(".tex"), function (element) {
            return hasTeX.test(element.textContent);
        });
        if (elements.length === 0) return;
        var katex = staticRoot + "katex/";
        load("link", { rel: "stylesheet", href: katex + "katex.min.css" });
        load("script", { src: katex + "katex.min.js" })
            .then(function () { return load("script", { src: katex + "auto-render.min.js" }); })
            .then(function () {
                elements.forEach(function (element) {
                    window.renderMathInElement(element, {
                        delimiters: delimiters,
                        // A formula KaTeX cannot parse stays as the raw TeX it was.
                        throwOnError: true,
                        errorCallback: function () {},
                        strict: "ignore",
                        trust: false
                    });
                });
                document.documentElement.classList.add("math-rendered");
            })
            .catch(function () { /* The raw TeX stays readable. */ });
    }

    // Votes -----------------------------------------------------------------------------------------------------
    function vote(form) {
        var button = form.querySelector("button");
        var count = form.querySelector(".count");
        var label = form.querySelector(".visually-hidden");
        // The button's own name and value (up or remove) are not in the form's data unless it was clicked.
        var data = new FormData(form);
        var change = form.querySelector("button[name=change]");
        if (change) data.set("change", change.value);
        if (button) button.disabled = true;
        return fetch(form.action, {
            method: "POST",
            body: new URLSearchParams(data),
            headers: { Accept: "application/json" },
            credentials: "same-origin"
        }).then(function (response) {
            if (!response.ok) throw new Error("vote refused");
            return response.json();
        }).then(function (state) {
            change.value = state.upvoted ? "remove" : "up";
            change.setAttribute("aria-pressed", state.upvoted ? "true" : "false");
            var words = state.upvoted ? "Remove your upvote" : "Upvote";
            change.title = words;
            if (count) count.textContent = String(state.upvotes);
            if (label) label.textContent = " upvotes. " + words;
        }).catch(function () {
            // Fall back to the plain form: the server answers with the page again.
            form.submit();
        }).finally(function () {
            if (button) button.disabled = false;
        });
    }

    document.addEventListener("submit", function (event) {
        var form = event.target;
        if (!(form instanceof HTMLFormElement) || !form.classList.contains("vote") || !window.fetch) return;
        event.preventDefault();
        vote(form);
    });

    // Keys ------------------------------------------------------------------------------------------------------
    var current = -1;

    function cards() { return document.querySelectorAll("article.card"); }

    function select(index) {
        var all = cards();
        if (all.length === 0) return;
        index = Math.max(0, Math.min(all.length - 1, index));
        if (current >= 0 && all[current]) all[current].classList.remove("current");
        current = index;
        var card = all[current];
        card.classList.add("current");
        var link = card.querySelector("h2 a");
        if (link) link.focus({ preventScroll: true });
        card.scrollIntoView({ block: "nearest" });
    }

    function currentCard() {
        var all = cards();
        return current >= 0 && current < all.length ? all[current] : null;
    }

    var help = null;

    function showHelp() {
        if (!help) {
            help = document.createElement("dialog");
            help.className = "keys";
            help.setAttribute("aria-labelledby", "keys-title");
            var title = document.createElement("h2");
            title.id = "keys-title";
            title.textContent = "Keyboard shortcuts";
            help.appendChild(title);
            var list = document.createElement("dl");
            [
                ["j", "next paper"], ["k", "previous paper"], ["o or Enter", "open the paper"],
                ["u", "upvote it (signed in)"], ["/", "search"], ["?", "this list"], ["Esc", "close"]
            ].forEach(function (pair) {
                var key = document.createElement("dt");
                var kbd = document.createElement("kbd");
                kbd.textContent = pair[0];
                key.appendChild(kbd);
                var what = document.createElement("dd");
                what.textContent = pair[1];
                list.appendChild(key);
                list.appendChild(what);
            });
            help.appendChild(list);
            var close = document.createElement("form");
            close.method = "dialog";
            var button = document.createElement("button");
            button.textContent = "Close";
            close.appendChild(button);
            help.appendChild(close);
            document.body.appendChild(help);
        }
        if (!help.open) help.showModal();
    }

    function typing(target) {
        return target instanceof HTMLElement &&
            (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName));
    }

    document.addEventListener("keydown", function (event) {
        if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
        if (help && help.open) return;
        if (typing(event.target)) return;
        var card;
        switch (event.key) {
            case "j": select(current + 1); break;
            case "k": select(current < 0 ? 0 : current - 1); break;
            case "o":
                card = currentCard();
                var link = card && card.querySelector("h2 a");
                if (!link) return;
                link.click();
                break;
            case "u":
                card = currentCard();
                var form = card && card.querySelector("form.vote");
                if (!form) return;
                if (form.querySelector("button[name=change]").value === "up") vote(form);
                break;
            case "/":
                var box = document.querySelector("header.site input[type=search]");
                if (!box) return;
                box.focus();
                box.select();
                break;
            case "?": showHelp(); break;
            default: return;
        }
        event.preventDefault();
    });

    // Suggestions -----------------------------------------------------------------------------------------------
    function suggestions() {
        var box = document.querySelector("header.site input[type=search]");
        if (!box || !suggestURL || !window.fetch) return;
        var list = document.createElement("datalist");
        list.id = "search-suggestions";
        box.parentNode.appendChild(list);
        box.setAttribute("list", list.id);
        var timer = null;
        var asked = "";
        box.addEventListener("input", function () {
            clearTimeout(timer);
            var text = box.value.trim();
            if (text.length < 2 || text === asked) return;
            timer = setTimeout(function () {
                asked = text;
                fetch(suggestURL + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
                    .then(function (response) { return response.ok ? response.json() : null; })
                    .then(function (answer) {
                        if (!answer || box.value.trim() !== text) return;
                        while (list.firstChild) list.removeChild(list.firstChild);
                        answer.papers.forEach(function (paper) {
                            var option = document.createElement("option");
                            option.value = paper.title;
                            option.label = "Paper " + paper.id;
                            list.appendChild(option);
                        });
                        answer.authors.forEach(function (author) {
                            var option = document.createElement("option");
                            option.value = "author:\"" + author.name + "\"";
                            option.label = author.name + " (" + author.papers + (author.papers === 1 ? " paper)" : " papers)");
                            list.appendChild(option);
                        });
                    })
                    .catch(function () { /* No suggestions; the search itself still works. */ });
            }, 150);
        });
    }

    function start() {
        renderMath();
        suggestions();
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
