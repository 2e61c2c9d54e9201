"""Paperboy in a real browser: every page reads well at phone and desktop widths in both colour schemes (screenshots,
no console errors, nothing wider than the screen, no serious accessibility problem), TeX renders, navigation and
search work in every mode, every form flow works, and the keyboard keys do what the ? list says."""

import email
import email.policy
import os
import pathlib
import re
import time
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import BASE

MATH_PAPER = "/papers/2612.90001"
PASSWORD = "correct horse battery staple"


def wait_for_math(browser, css):
    """Waits until KaTeX has rendered a formula inside `css`."""
    browser.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, css + " .katex"))


def sign_up(browser, username=None):
    username = username or "u" + uuid.uuid4().hex[:10]
    browser.open("/signup")
    browser.find("input[name=username]").send_keys(username)
    browser.find("input[name=fullname]").send_keys("Test Reader")
    browser.find("input[name=email]").send_keys(f"{username}@example.org")
    browser.find("input[name=password]").send_keys(PASSWORD)
    browser.find("form.stacked button[type=submit]").click()
    browser.wait.until(lambda d: "/signup" not in d.current_url)
    assert browser.find("nav.account").text.find(username) >= 0
    browser.assert_clean()
    return username


def log_in(browser, username):
    browser.open("/login")
    browser.find("input[name=login]").send_keys(username)
    browser.find("input[name=password]").send_keys(PASSWORD)
    browser.find("form.stacked button[type=submit]").click()
    browser.wait.until(lambda d: username in d.find_element(By.CSS_SELECTOR, "nav.account").text)
    browser.assert_clean()


# Pages ---------------------------------------------------------------------------------------------------------------

PAGES = {
    "home": "/",
    # The demo's home page: 50 real abstracts, several with TeX past a card's three-line clamp (on a phone such a card
    # once stretched the page to 1,780 px).
    "day": "/papers?date=2007-04-02",
    "week": None,  # found through the home page's period links
    "month": None,
    "paper": MATH_PAPER,
    "search": "/search?q=attention+sorting",
    "stats": "/stats",
    "trending": "/trending",
    "login": "/login",
    "signup": "/signup",
}


def test_every_page_reads_well_at_both_widths_in_both_schemes(fresh):
    browser = fresh
    problems = []
    browser.open("/")
    links = {a.text.strip().lower(): a.get_attribute("href") for a in browser.find_all("nav.periods a")}
    for name, path in PAGES.items():
        url = path if path else links[{"week": "week", "month": "month"}[name]].replace(BASE, "")
        browser.open(url)
        if name == "paper":
            wait_for_math(browser, "h1.tex")
        browser.assert_clean()
        problems += browser.survey(name)
        browser.assert_clean()
    assert problems == [], "\n".join(problems)
    shots = sorted(p.name for p in pathlib.Path(os.environ.get("SCREENSHOT_DIR", "test-output/screenshots")).glob("*.png"))
    assert len([s for s in shots if s.split("-")[0] in PAGES]) >= len(PAGES) * 4


def test_signed_in_pages_read_well_too(fresh):
    browser = fresh
    sign_up(browser)
    problems = []
    for name, path in {"home-signed-in": "/", "paper-signed-in": MATH_PAPER, "settings": "/settings",
                       "submit": "/submit", "collections": "/collections"}.items():
        browser.open(path)
        browser.assert_clean()
        problems += browser.survey(name)
    assert problems == [], "\n".join(problems)


# Math ----------------------------------------------------------------------------------------------------------------

def test_tex_renders_in_titles_and_abstracts_and_stays_readable_without_script(fresh):
    browser = fresh
    browser.open(MATH_PAPER)
    wait_for_math(browser, "h1.tex")
    wait_for_math(browser, "p.abstract.tex")
    # The display formula is a display; the escaped dollar stays a dollar.
    assert browser.find_all("p.abstract.tex .katex-display")
    assert "$5 per run" in browser.find("p.abstract.tex").text
    # KaTeX's own MathML keeps the source for screen readers and copying.
    annotation = browser.find("h1.tex annotation").get_attribute("textContent")
    assert annotation.strip() == r"\mathcal{O}(n \log n)"
    browser.assert_clean()
    # The same page without JavaScript shows the TeX as written.
    page = browser.driver.execute_script("return fetch(location.href).then(r => r.text())")
    assert r"Sorting in $\mathcal{O}(n \log n)$ Time with Attention" in page


def test_search_highlights_outside_formulas_and_math_still_renders(fresh):
    browser = fresh
    browser.open("/search?q=sorting+log&mode=keyword")
    card = browser.find("article.card")
    wait_for_math(browser, "article.card h2")
    marks = [m.text for m in card.find_elements(By.CSS_SELECTOR, "h2 mark")]
    # "log" inside the formula is not marked (it is part of the formula); "Sorting" outside is.
    assert marks == ["Sorting"]
    browser.assert_clean()


# Navigation and search -----------------------------------------------------------------------------------------------

def test_day_week_and_month_navigation(fresh):
    browser = fresh
    browser.open("/")
    day_heading = browser.find("h1").text
    browser.find("nav.dates a[rel=prev]").click()
    browser.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "h1").text != day_heading)
    assert "date=" in browser.driver.current_url
    browser.find("nav.dates a[rel=next]").click()
    browser.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "h1").text == day_heading)
    for period, parameter in (("Week", "week="), ("Month", "month=")):
        browser.driver.find_element(By.LINK_TEXT, period).click()
        browser.wait.until(lambda d: parameter in d.current_url)
        assert browser.find(f"nav.periods a[aria-current=page]").text == period
        assert browser.find_all("article.card")
        browser.find("nav.dates a[rel=prev]").click()
        browser.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "h1")))
        assert parameter in browser.driver.current_url
    browser.assert_clean()


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_search_in_every_mode_from_the_header(fresh, mode):
    browser = fresh
    browser.open("/")
    box = browser.find("header.site input[type=search]")
    box.send_keys("sorting keys with attention")
    box.send_keys(Keys.ENTER)
    browser.wait.until(lambda d: "/search?" in d.current_url)
    browser.driver.find_element(By.LINK_TEXT, mode.capitalize()).click()
    browser.wait.until(lambda d: (f"mode={mode}" in d.current_url) or (mode == "hybrid" and "mode=" not in d.current_url))
    titles = [a.text for a in browser.find_all("article.card h2 a")]
    assert titles, f"no results in {mode} mode"
    assert any("Sorting in" in t for t in titles[:3]), titles[:3]
    assert browser.find("nav.periods a[aria-current=page]").text == mode.capitalize()
    browser.assert_clean()


def test_suggestions_offer_titles_and_authors_as_you_type(fresh):
    browser = fresh
    browser.open("/")
    box = browser.find("header.site input[type=search]")
    assert box.get_attribute("list") == "search-suggestions"
    box.send_keys("sorting")
    browser.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-suggestions option"))
    values = [o.get_attribute("value") for o in browser.find_all("#search-suggestions option")]
    assert any(v.startswith("Sorting in") for v in values), values
    box.clear()
    author = browser.driver.execute_script(
        "return document.querySelector('article.card p.authors a').textContent")
    # Typed in lower case, up to its last letter: the name comes back as written.
    box.send_keys(author.lower()[:-1])
    browser.wait.until(lambda d: any(
        author in (o.get_attribute("value") or "") for o in d.find_elements(By.CSS_SELECTOR, "#search-suggestions option")))
    browser.assert_clean()


# Forms ---------------------------------------------------------------------------------------------------------------

def test_sign_up_log_out_and_log_in(fresh):
    browser = fresh
    username = sign_up(browser)
    browser.find("form.logout button").click()
    browser.wait.until(lambda d: d.find_elements(By.LINK_TEXT, "Log in"))
    browser.driver.find_element(By.LINK_TEXT, "Log in").click()
    browser.find("input[name=login]").send_keys(username)
    browser.find("input[name=password]").send_keys(PASSWORD)
    browser.find("form.stacked button[type=submit]").click()
    browser.wait.until(lambda d: username in d.find_element(By.CSS_SELECTOR, "nav.account").text)
    browser.assert_clean()


def test_vote_updates_the_count_in_place_and_survives_a_reload(fresh):
    browser = fresh
    log_in(browser, "voter")
    browser.open(MATH_PAPER)
    button = browser.find(".actions form.vote button")
    before = int(browser.find(".actions form.vote .count").text)
    assert browser.find(".actions form.vote .count").get_attribute("aria-live") == "polite"
    url = browser.driver.current_url
    button.click()
    browser.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".actions form.vote button").get_attribute("aria-pressed") == "true")
    assert int(browser.find(".actions form.vote .count").text) == before + 1
    assert browser.driver.current_url == url
    browser.open(MATH_PAPER)
    assert int(browser.find(".actions form.vote .count").text) == before + 1
    # Taking it back.
    browser.find(".actions form.vote button").click()
    browser.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".actions form.vote button").get_attribute("aria-pressed") == "false")
    assert int(browser.find(".actions form.vote .count").text) == before
    browser.assert_clean()


def test_vote_without_javascript_posts_the_form(fresh):
    browser = fresh
    log_in(browser, "nojs")
    browser.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.open("/papers/2612.90002")
        before = int(browser.find(".actions form.vote .count").text)
        browser.find(".actions form.vote button").click()
        browser.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".actions form.vote button").get_attribute("aria-pressed") == "true")
        assert int(browser.find(".actions form.vote .count").text) == before + 1
    finally:
        browser.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_submit_comment_and_collect(fresh):
    browser = fresh
    log_in(browser, "submitter")
    # Submit a paper by its arXiv id.
    browser.open("/submit")
    browser.find("input[name=paper_id]").send_keys("2612.90002")
    browser.find("form.stacked button[type=submit]").click()
    browser.wait.until(lambda d: "/papers/2612.90002" in d.current_url)
    assert "Submitted to Paperboy by" in browser.find("dl.details").text
    # Comment, with TeX that renders.
    browser.find("#comment-text").send_keys(r"The bound $O(n \log n)$ is tight.")
    browser.find("form.comment-form button").click()
    browser.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "article.comment"))
    wait_for_math(browser, "article.comment .comment-body")
    # A collection, then the paper added to it.
    browser.open("/collections")
    browser.find("input[name=name]").send_keys("Reading list")
    browser.find("form.stacked button[type=submit]").click()
    browser.wait.until(lambda d: "Reading list" in d.find_element(By.TAG_NAME, "main").text)
    browser.open("/papers/2612.90002")
    browser.find("details.collections-control summary").click()
    browser.find("details.collections-control form.collect button").click()
    browser.wait.until(lambda d: d.find_element(
        By.CSS_SELECTOR, "details.collections-control form.collect button").get_attribute("aria-pressed") == "true")
    browser.assert_clean()


def test_subscribe_sends_a_confirmation_mail(fresh):
    browser = fresh
    mail_dir = pathlib.Path(os.environ["PAPERBOY_MAIL_DIR"])
    before = set(mail_dir.glob("*"))
    address = f"reader-{uuid.uuid4().hex[:8]}@example.org"
    browser.open("/subscribe")
    browser.find("form.subscribe input[type=email]").send_keys(address)
    browser.find("form.subscribe button[type=submit]").click()
    browser.wait.until(lambda d: "sent=1" in d.current_url)
    def arrived():
        return [p for p in set(mail_dir.glob("*.eml")) - before if address.encode() in p.read_bytes()]

    deadline = time.time() + 20
    while time.time() < deadline and not arrived():
        time.sleep(0.2)
    assert arrived(), "no confirmation mail arrived"
    message = email.message_from_bytes(arrived()[0].read_bytes(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/subscriptions/confirm\?token=\S+", text).group(0)
    browser.driver.get(link)
    assert browser.find("main h1").text == "Confirm your subscription"
    browser.find("main form button[type=submit]").click()
    browser.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "main h1").text == "You're subscribed")
    browser.assert_clean()


# Keys ----------------------------------------------------------------------------------------------------------------

def current_title(browser):
    return browser.driver.execute_script(
        "var c = document.querySelector('article.card.current'); return c && c.querySelector('h2 a').textContent")


# A page with many cards whatever the other tests did to the newest day.
KEYS_PAGE = "/search?q=learning&mode=keyword"


def test_keys_move_open_search_and_list(fresh):
    browser = fresh
    browser.open(KEYS_PAGE)
    body = browser.find("body")
    titles = [a.text for a in browser.find_all("article.card h2 a")]
    assert len(titles) >= 2
    body.send_keys("j")
    assert current_title(browser) == titles[0]
    assert browser.driver.switch_to.active_element.text == titles[0]
    browser.driver.switch_to.active_element.send_keys("j")
    assert current_title(browser) == titles[1]
    browser.driver.switch_to.active_element.send_keys("k")
    assert current_title(browser) == titles[0]
    # ? lists the keys; Escape closes the list.
    browser.driver.switch_to.active_element.send_keys("?")
    dialog = browser.find("dialog.keys")
    assert dialog.get_attribute("open") is not None
    assert "upvote" in dialog.text
    dialog.send_keys(Keys.ESCAPE)
    browser.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog.keys").get_attribute("open") is None)
    # / goes to search, where letters are typed, not taken as keys.
    browser.find("body").send_keys("/")
    active = browser.driver.switch_to.active_element
    assert active.get_attribute("type") == "search"
    active.send_keys("jk")
    assert active.get_attribute("value").endswith("jk")
    # o opens the current paper.
    active.send_keys(Keys.ESCAPE)
    browser.driver.execute_script("document.activeElement.blur()")
    browser.find("body").send_keys("j")
    first = current_title(browser)
    browser.driver.switch_to.active_element.send_keys("o")
    browser.wait.until(lambda d: "/papers/" in d.current_url and "?" not in d.current_url.split("/papers/")[1])
    assert browser.find("h1").get_attribute("textContent").strip() == first.strip()
    browser.assert_clean()


def test_u_upvotes_the_current_paper_when_signed_in(fresh):
    browser = fresh
    log_in(browser, "keyboard")
    browser.open(KEYS_PAGE)
    browser.find("body").send_keys("j")
    card = browser.find("article.card.current")
    before = int(card.find_element(By.CSS_SELECTOR, "form.vote .count").text)
    browser.driver.switch_to.active_element.send_keys("u")
    browser.wait.until(lambda d: card.find_element(By.CSS_SELECTOR, "form.vote button").get_attribute("aria-pressed") == "true")
    assert int(card.find_element(By.CSS_SELECTOR, "form.vote .count").text) == before + 1
    # A second u does not take the vote back.
    browser.driver.switch_to.active_element.send_keys("u")
    time.sleep(0.5)
    assert int(card.find_element(By.CSS_SELECTOR, "form.vote .count").text) == before + 1
    browser.assert_clean()


# Print ---------------------------------------------------------------------------------------------------------------

def test_a_paper_prints_without_the_sites_chrome(fresh):
    browser = fresh
    browser.open(MATH_PAPER)
    wait_for_math(browser, "h1.tex")
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = browser.driver.execute_script("""
            var shown = s => { var e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none'; };
            return {header: shown('header.site'), footer: shown('footer.site'), votes: shown('.actions'),
                    title: shown('h1.tex'), abstract: shown('p.abstract.tex'), details: shown('dl.details')};
        """)
        assert shown == {"header": False, "footer": False, "votes": False, "title": True, "abstract": True,
                         "details": True}
        pdf = browser.driver.execute_cdp_cmd("Page.printToPDF", {})
        assert len(pdf["data"]) > 1000
    finally:
        browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    browser.assert_clean()
