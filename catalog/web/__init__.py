"""What the project's web interfaces share — the federated catalogue's public site (`catalog.federated.site`) and
the participant console each connector serves: the page frame and its Jinja2 environment (`layout`), the page
language (`i18n`), signed-cookie sessions and CSRF tokens (`session`), SVG maps drawn on the server (`svgmap`), and
the stylesheet and the small optional script (`static/`). Nothing here knows about datasets or connectors; nothing
is ever fetched from another site; every page works without JavaScript."""

from .i18n import LANGS, LangError, page_lang, remember_lang, switch_url, translator
from .layout import STATIC_PREFIX, Chrome, NavItem, SignedIn, environment, inline_css, render, static_router
from .session import CSRF_FIELD, SessionCookies
from .svgmap import Extent, MapModel, Outline, extent_map

__all__ = ["CSRF_FIELD", "LANGS", "STATIC_PREFIX", "Chrome", "Extent", "LangError", "MapModel", "NavItem", "Outline",
           "SessionCookies", "SignedIn", "environment", "extent_map", "inline_css", "page_lang", "remember_lang",
           "render", "static_router", "switch_url", "translator"]
