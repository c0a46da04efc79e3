"""Hostile text with real data in stages 5–9 (issue 16): a served project (tests/app/hostile_world.py) whose
name, columns, categories, sign-off statements, alert comment, A/B reasons and retirement reason are
Markdown, HTML, maths and icon directives. Every page, as every role, shows them literally; every plotly
figure carries them escaped; every exported document carries them escaped for its format (Markdown
escaped, HTML escaped with no script or handler of ours or theirs, CSV cells that a spreadsheet would run
neutralised, JSON exact)."""
from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import zipfile
from html.parser import HTMLParser

import pytest
from streamlit.testing.v1 import AppTest

from lifecycle import auth
from lifecycle.govern import annex_iv, audit_trail, card
from lifecycle.retire import archive, build_handover, handover_render, retirement_of
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.app.conftest import APP, PAGES, no_exceptions
from tests.app.hostile_world import CATEGORY, COMMENT, NUMBER, RAW, build
from tests.app.test_hostile_text import MARKDOWN_FIELDS, _json_strings, _strings

pytestmark = pytest.mark.slow  # one world (about 35 s) and every page as four roles
ROLES = ("ana", "rey", "sam", "admin")
# Read back from the page: the hostile text must be there, whole (escapes decoded).
SHOWN = ("**b** [x](http://x.io)", "<script>alert(1)</script>")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build(tmp_path_factory.mktemp("hostile-world"))


@pytest.fixture
def served(world, tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    shutil.copy(world.path, path)
    shutil.copytree(world.path.with_suffix(".files"), path.with_suffix(".files"))
    monkeypatch.setenv("LIFECYCLE_WORKSPACE", str(path))
    monkeypatch.setenv("LIFECYCLE_DEMO", "0")
    monkeypatch.setenv("LIFECYCLE_AUTOSERVE", "0")
    yield open_workspace(path)
    close_database(path)


def raw_markup(app: AppTest) -> tuple[list[str], list[str]]:
    """(strings where hostile markup reached a Markdown renderer or a chart raw, every such string decoded)."""
    raw, shown = [], []
    for node in app._tree:
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "ListFields"):
            continue
        kind = getattr(node, "type", "")
        if kind == "plotly_chart":
            texts = list(_json_strings(json.loads(proto.spec)))
        else:
            fields = MARKDOWN_FIELDS | ({"options"} if kind == "radio" else set())
            if kind == "metric":
                fields = fields - {"body"}
            texts = [value for name, value in _strings(proto) if name in fields]
        for value in texts:
            found = [markup for markup in RAW if markup in value]
            if found:
                raw.append(f"{kind}: {found} in {value[:200]!r}")
            shown.append(html.unescape(value))
    return raw, shown


def _views(app: AppTest, where: str) -> tuple[list[str], list[str]]:
    """The page, then each option of every enabled keyed radio (a section's views)."""
    problems, shown = raw_markup(app)
    problems = [f"[{where}] {p}" for p in problems]
    for radio in [r for r in app.radio if r.key and not r.disabled]:
        for option in radio.options:
            if radio.key not in {r.key for r in app.radio}:  # an earlier choice took this radio away
                break
            app.radio(key=radio.key).set_value(option).run()
            no_exceptions(app)
            more, seen = raw_markup(app)
            problems += [f"[{where} / {option}] {p}" for p in more]
            shown += seen
    return problems, shown


# What each stage shows of the hostile world's real data, to the analyst (every view visited): the proof
# that the pages above rendered the traffic, the drift, the comments and the reasons, not empty states.
_NOTE = "=cmd|' /C calc'!A0 **b**"  # the start of every comment, sign-off statement and reason
EXPECTED = {("ana", "pages/deploy.py"): [NUMBER],  # the served schema (reasons go to the audit trail)
            ("ana", "pages/monitor.py"): [NUMBER, _NOTE],  # the drifting column; the alert's comment
            ("ana", "pages/retrain.py"): [NUMBER, CATEGORY],  # the version diff and the comparison
            ("ana", "pages/govern.py"): [_NOTE],  # the sign-off statements
            ("ana", "pages/retire.py"): [_NOTE]}  # the retirement's reason


def _table_texts(app: AppTest) -> list[str]:
    """Every text cell and column name of the page's tables (plain text: shown as written)."""
    texts = []
    for frame in app.dataframe:
        value = frame.value
        texts += [str(c) for c in value.columns]
        texts += [v for column in value.columns for v in value[column].tolist() if isinstance(v, str)]
    return texts


@pytest.mark.parametrize("role", ROLES)
def test_every_page_shows_the_hostile_world_literally_to_each_role(served, world, role):
    app = AppTest.from_file(str(APP), default_timeout=120)
    app.session_state["user"] = role
    app.session_state["project_id"] = world.project_id
    app.session_state["model_version_id"] = world.production_id
    app.run()
    no_exceptions(app)
    problems, missing = [], []
    for page in PAGES:
        if page == "pages/admin.py" and role != "admin":
            continue
        app.switch_page(page).run()
        no_exceptions(app)
        found, shown = _views(app, f"{role} {page}") if role == "ana" else raw_markup(app)
        problems += found
        shown += _table_texts(app)
        for expected in ([SHOWN[0]] if page != "pages/admin.py" else []) + EXPECTED.get((role, page), []):
            if not any(expected in s for s in shown):
                missing.append(f"{page}: {expected!r}")
    assert not problems, "\n".join(problems)
    assert not missing, f"not shown: {missing}"


# -- exported documents ------------------------------------------------------------------------------
class _Tags(HTMLParser):
    """Script blocks and attributes of an HTML document, as a browser's parser sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def assert_safe_html(document: str, where: str) -> None:
    """No tag or handler the hostile text brought; its scripts (plotly's) hold no hostile tag; the
    hostile text is readable as text."""
    parser = _Tags()
    parser.feed(document)
    handlers = [(t, a) for t, a in parser.tags if any(k.startswith("on") for k in a)]
    assert not handlers, (where, handlers[:3])
    assert not [a for t, a in parser.tags if t == "img" and a.get("src") == "x"], where
    for script in parser.scripts:
        assert "alert(1)" not in script and "alert(2)" not in script, (where, "hostile text inside a script")
    text = html.unescape(" ".join(parser.text))
    assert "<script>alert(1)</script>" in text or "**b**" in text, (where, "the hostile text is not shown")


def _outside_fences(markdown: str) -> str:
    return re.sub(r"^(```+|~~~+).*?^\1", "", markdown, flags=re.S | re.M)


def _unescaped(markdown: str) -> str:
    """Markdown with every backslash-escaped character (``\\*``) replaced by a NUL: what is left is markup."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "\x00", markdown)


def assert_safe_markdown(document: str, where: str) -> None:
    """No hostile markup unescaped outside code blocks (a backslash escape or a character reference is
    text), no line break of a comment starting a heading, and the text readable once unescaped."""
    prose = _unescaped(_outside_fences(document))
    found = [markup for markup in RAW if markup in prose]
    assert not found, (where, found, [line for line in prose.splitlines() if any(m in line for m in found)][:3])
    assert not re.search(r"^#+ heading", prose, flags=re.M), (where, "a comment's line break started a heading")
    readable = html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", document))
    assert "**b** [x](http://x.io)" in readable, (where, "the hostile text is not shown")


def assert_safe_csv(data: bytes, where: str) -> None:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    formulas = [cell for row in rows for cell in row if cell[:1] in ("=", "+", "@") or
                (cell[:1] == "-" and not re.fullmatch(r"-[\d.eE+-]+", cell))]
    assert not formulas, (where, formulas[:3])
    assert any("cmd|" in cell for row in rows for cell in row), (where, "the comment is not in the export")


def test_model_cards_escape_for_their_format(served, world):
    for version_id in (world.production_id, world.challenger_id):
        assert_safe_markdown(card.model_card(served, version_id, "md"), f"card md v{version_id}")
        assert_safe_html(card.model_card(served, version_id, "html"), f"card html v{version_id}")


def test_the_annex_iv_pack_escapes_for_each_format(served, world):
    admin = auth.get_user(served, "admin")
    with zipfile.ZipFile(io.BytesIO(annex_iv.docs_zip(served, admin, world.production_id))) as pack:
        names = pack.namelist()
        for name in names:
            data = pack.read(name)
            if name.endswith(".md"):
                assert_safe_markdown(data.decode(), f"annex {name}")
            elif name.endswith(".html"):
                assert_safe_html(data.decode(), f"annex {name}")
            elif name.endswith(".csv"):
                assert_safe_csv(data, f"annex {name}")
            elif name.endswith(".json"):
                json.loads(data)  # JSON carries text exactly; it only has to stay JSON
    assert any(n.endswith(".md") for n in names) and any(n.endswith(".json") for n in names)


def test_the_handover_report_escapes_for_each_format(served, world):
    report = build_handover(served, auth.get_user(served, "admin"), world.project_id)
    assert_safe_markdown(handover_render.to_markdown(report), "handover md")
    assert_safe_html(handover_render.to_html(report), "handover html")


def test_the_audit_export_neutralises_formulas_and_keeps_json_exact(served):
    assert_safe_csv(audit_trail.export(served, "csv"), "audit csv")
    exported = json.loads(audit_trail.export(served, "json"))
    assert any(COMMENT in text for event in exported["events"] for text in _json_strings(event))


def test_the_retirement_archive_escapes_for_each_format(served, world):
    retirement = retirement_of(served, world.retired_id)
    folder = served.artifacts_dir / retirement.archive_path
    assert archive.verify_archive(folder, retirement.archive_sha256).ok
    checked = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".md":
            assert_safe_markdown(path.read_text(), f"archive {path.name}")
        elif path.suffix == ".html":
            assert_safe_html(path.read_text(), f"archive {path.name}")
        elif path.suffix == ".csv":
            assert_safe_csv(path.read_bytes(), f"archive {path.name}")
        elif path.suffix == ".json":
            json.loads(path.read_bytes())
        else:
            continue
        checked += 1
    assert checked >= 2
    assert NUMBER  # the drifting column's name reaches the Monitor charts above (every plotly string checked)
