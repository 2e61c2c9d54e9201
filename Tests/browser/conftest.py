"""A real headless Chromium (Debian's chromium and chromium-driver) for the browser suite, and what its tests share:
page loads that fail on any console error, screenshots at phone and desktop widths in both colour schemes, and an
accessibility check (axe-core) in each."""

import base64
import os
import pathlib
import shutil

import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ.get("PAPERBOY_TEST_URL", "http://127.0.0.1:8080")
SCREENSHOTS = pathlib.Path(os.environ.get("SCREENSHOT_DIR", "test-output/screenshots"))
WIDTHS = {"phone": 390, "desktop": 1280}
SCHEMES = ("light", "dark")
# What the accessibility check fails on: axe-core's two highest impacts.
FAILING_IMPACTS = {"serious", "critical"}


class Browser:
    def __init__(self, driver):
        self.driver = driver
        # A form post reloads the page: an element found before it goes stale, and the wait looks again.
        self.wait = WebDriverWait(
            driver, 20, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))

    def open(self, path):
        """Loads a page of the site and waits for the site's script to have run (math rendered where there is any)."""
        self.driver.get(BASE + path)
        self.wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        return self

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def console_errors(self):
        """Errors the page logged since the last call (script errors, refused by the CSP, failed loads)."""
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def assert_clean(self):
        errors = self.console_errors()
        assert errors == [], f"console errors on {self.driver.current_url}: {errors}"

    def accessibility_problems(self):
        axe = Axe(self.driver)
        axe.inject()
        results = axe.run()
        return [
            f"{v['id']} ({v['impact']}): {v['help']}: " + "; ".join(n["target"][0] for n in v["nodes"][:5])
            for v in results["violations"]
            if v["impact"] in FAILING_IMPACTS
        ]

    def emulate(self, width, scheme, height=900):
        self.driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
        )
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )

    def reset(self):
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})

    def survey(self, name):
        """Screenshots of the current page at each width in each scheme, checking at each that nothing is wider than
        the screen and that axe-core finds no serious or critical problem. Returns the problems found."""
        problems = []
        try:
            for scheme in SCHEMES:
                for label, width in WIDTHS.items():
                    self.emulate(width, scheme)
                    overflow = self.driver.execute_script(
                        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
                    )
                    if overflow > 0:
                        problems.append(f"{name} {label} {scheme}: the page is {overflow} px wider than the screen")
                    height = self.driver.execute_script("return Math.min(document.documentElement.scrollHeight, 5000)")
                    self.emulate(width, scheme, height=max(height, 600))
                    shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    (SCREENSHOTS / f"{name}-{label}-{scheme}.png").write_bytes(base64.b64decode(shot["data"]))
                    problems += [f"{name} {label} {scheme}: {p}" for p in self.accessibility_problems()]
        finally:
            self.reset()
        return problems


@pytest.fixture(scope="session")
def browser():
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--lang=en-US", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    try:
        yield Browser(driver)
    finally:
        driver.quit()


@pytest.fixture
def fresh(browser):
    """The shared browser, signed out and with no console errors left over."""
    browser.driver.delete_all_cookies()
    browser.console_errors()
    return browser
