"""The HTML report in a real browser: headless Chromium renders the shipped default run's
report.html at phone width, and a probe script injected into a copy records JavaScript errors,
images that did not decode and horizontal overflow, which ``--dump-dom`` prints.

Headless Chromium lays pages out at least 500 px wide, so the page is shown in a 390 px wide
frame (``srcdoc``, same origin) of a wrapper page, whose own script copies the probe's record
into the DOM.

The probe is shown to catch each fault on a page made to have them (a throwing script, a broken
image, a page wider than the phone), so a silent probe cannot pass the real report.

Chromium is the Debian package ``chromium`` (.ci/run installs it when missing). The tests skip
without it only outside CI; with ``CI=true`` a missing browser fails.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

PHONE = (390, 844)  # CSS pixels: a common phone in portrait
BROWSER_TIMEOUT = 120  # seconds for one headless render

_PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  if (e.target && e.target !== window && e.target.tagName) { return; }
  window.__errors.push(String(e.message || e));
}, true);
window.addEventListener("load", function () {
  var broken = [], imgs = document.images;
  for (var i = 0; i < imgs.length; i++) {
    if (!imgs[i].complete || imgs[i].naturalWidth === 0) { broken.push(imgs[i].alt || String(i)); }
  }
  window.__probe = {
    errors: window.__errors, images: imgs.length, broken: broken,
    width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth
  };
});
</script>"""

_WRAPPER = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="page" style="width:{width}px;height:{height}px;border:0" srcdoc="{page}"></iframe>
<script>
window.addEventListener("load", function () {{
  var probe = document.getElementById("page").contentWindow.__probe;
  var out = document.createElement("pre");
  out.id = "__probe";
  out.textContent = JSON.stringify(probe || {{missing: true}});
  document.body.appendChild(out);
}});
</script></body></html>"""


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None and Path("/usr/bin/chromium").exists():
        exe = "/usr/bin/chromium"
    if exe is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true but chromium is missing: .ci/run installs the Debian package")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return exe


def _render(page: Path, tmp_path: Path) -> dict:
    """Open ``page`` (with the probe injected) at phone width; the probe's record."""
    text = page.read_text()
    head = text.index("<head>") + len("<head>")
    probed = tmp_path / f"probed-{page.name}"
    probed.write_text(
        _WRAPPER.format(
            width=PHONE[0],
            height=PHONE[1],
            page=html.escape(text[:head] + _PROBE + text[head:], quote=True),
        )
    )
    proc = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--window-size=800,900",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
    )
    m = re.search(r'<pre id="__probe">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"the probe did not report (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(html.unescape(m.group(1)))


def test_probe_catches_errors_broken_images_and_overflow(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head><body>"
        "<img alt='good' src='data:image/gif;base64,R0lGODlhAQABAAAAACwAAAAAAQABAAA='>"
        "<img alt='broken' src='data:image/png;base64,AAAA'>"
        "<div style='width:2000px'>wide</div>"
        "<script>throw new Error('boom');</script></body></html>"
    )
    got = _render(bad, tmp_path)
    assert got["images"] == 2 and got["broken"] == ["broken"]
    assert len(got["errors"]) == 1 and "boom" in got["errors"][0]
    assert got["scrollWidth"] > got["width"]


def test_default_report_renders_in_chromium_at_phone_width(default_run, tmp_path):
    """Every figure of the shipped run's report decodes, no script fails, and nothing is wider
    than a phone (wide tables scroll inside their own box)."""
    page = default_run.dir / "report.html"
    text = page.read_text()
    assert "<script" not in text  # the report itself runs no JavaScript
    n_images = text.count("<img ")
    assert n_images >= 4
    got = _render(page, tmp_path)
    assert got["errors"] == []
    assert got["images"] == n_images and got["broken"] == []
    assert got["width"] == PHONE[0]
    assert got["scrollWidth"] <= got["width"]
