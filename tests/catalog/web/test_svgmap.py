"""The SVG map: the view fits the extents with a margin in a frame of bounded proportions, extents are projected
inside it (larger ones first, tiny ones still visible), outlines outside the view are left out, and the page
renders it as links with titles inside an SVG labelled by its title and description."""

from __future__ import annotations

import lxml.html

from catalog.web import Chrome, Extent, Outline, environment, extent_map, render
from catalog.web.svgmap import MIN_SIDE, Projection, fit_view
from policies.territories import all_territories, get_territory

OUTLINES = [Outline(t.label(), t.kind, t.geometry) for t in all_territories()]


def test_view_fits_and_keeps_proportions():
    view = fit_view((-1.6, 47.2, -1.5, 47.25))
    assert view[0] < -1.6 and view[2] > -1.5 and view[1] < 47.2 and view[3] > 47.25
    projection = Projection(view, 640)
    assert 0.5 * 640 - 1 <= projection.height <= 0.75 * 640 + 1
    x, y = projection.point(view[0], view[3])
    assert (x, y) == (0, 0)
    x, y = projection.point(view[2], view[1])
    assert abs(x - 640) < 0.2 and abs(y - projection.height) < 0.2


def test_extents_and_outlines():
    nantes = get_territory("44109")
    extents = [Extent("big", "Grand", "/jeux/big", (-2.6, 46.9, -0.9, 47.8)),
               Extent("tiny", "Petit", "/jeux/tiny", (-1.55, 47.21, -1.5499, 47.2101))]
    model = extent_map(extents, OUTLINES, highlight=nantes.label())
    assert [e.key for e in model.extents] == ["big", "tiny"]  # larger first: the small one stays on top
    tiny = model.extents[1]
    assert tiny.width == MIN_SIDE and tiny.height == MIN_SIDE
    assert all(0 <= e.x <= model.width and 0 <= e.y <= model.height for e in model.extents)
    kinds = {o.kind for o in model.outlines}
    assert "epci" not in kinds and {"departement", "commune"} <= kinds
    assert [o.label for o in model.outlines if o.highlighted] == [nantes.label()]
    assert model.outlines[-1].highlighted  # drawn last, over the others
    angers = extent_map([Extent("a", "Angers", "/a", (-0.6, 47.45, -0.55, 47.5))], OUTLINES)
    assert "Saint-Nazaire (commune 44184)" not in {o.label for o in angers.outlines}
    assert any(o.label_x is not None for o in angers.outlines)  # small view: commune names written
    empty = extent_map([], OUTLINES)
    assert empty.extents == [] and empty.outlines
    metropole = get_territory("244400404")  # an EPCI: its outline is drawn only when it is the one searched
    focused = extent_map(extents, OUTLINES, focus=tuple(metropole.geometry.bounds), highlight=metropole.label())
    assert focused.view[2] - focused.view[0] < 0.7  # the territory, not the large extent
    big, small = focused.extents
    assert big.clipped and not small.clipped and (big.x, big.y) == (0, 0)
    assert [o.kind for o in focused.outlines if o.highlighted] == ["epci"]
    assert "epci" not in {o.kind for o in focused.outlines if not o.highlighted}


def test_rendered_as_accessible_links():
    env = environment()
    env.globals["model"] = extent_map([Extent("k", "Zonage <PPRI>", "/jeux/k", (-1.6, 47.2, -1.5, 47.25))], OUTLINES)
    page = env.from_string('{% extends "web/base.html" %}{% from "web/macros.html" import svg_map %}'
                           '{% block main %}{{ svg_map(model, "Carte", "Les emprises") }}{% endblock %}')
    doc = lxml.html.fromstring(page.render(chrome=Chrome(lang="fr", site_name="Essai"), lang="fr",
                                           tr=lambda fr, en: fr))
    svg = doc.xpath("//svg")[0]
    assert svg.get("aria-labelledby") == "carte-title carte-desc"
    assert svg.xpath("./title")[0].text == "Carte" and svg.xpath("./desc")[0].text == "Les emprises"
    link = svg.xpath(".//a")[0]
    assert link.get("href") == "/jeux/k" and link.get("aria-label") == "Zonage <PPRI>"  # escaped, read back
    assert svg.xpath(".//g[@aria-hidden='true']//path")
    assert "Zonage &lt;PPRI&gt;" in page.render(chrome=None, lang="fr", tr=lambda fr, en: fr)
    assert render(env, "web/error.html", None, lang="en", heading="H", message="M", links=[])
