"""The language of a web page: French by default, English on request. A page asks for `lang` (a query parameter:
`fr` or `en`, anything else is refused with the reason), else the language the visitor chose earlier (a cookie set
by the language switch link), else the preferred of French and English in `Accept-Language`, else French.

`translator(lang)` gives `t(fr, en)`, which picks the text of the page's language."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import Response

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"
LANG_COOKIE = "jnt_lang"
LANG_COOKIE_AGE = 365 * 24 * 3600


class LangError(ValueError):
    """A `lang` parameter that is neither fr nor en."""

    def __init__(self, value: str) -> None:
        super().__init__(f"lang: '{value}'; expected: fr or en")
        self.value = value
        self.fr = f"« {value} » ; attendu : fr ou en"
        self.en = f"'{value}'; expected: fr or en"


def accept_language(header: str | None) -> str | None:
    """The preferred of fr / en in an Accept-Language header (None when it names neither)."""
    best, best_q = None, 0.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower()[:2]
        if code not in LANGS:
            continue
        params = params.strip()
        try:
            q = float(params[2:]) if params.startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if q > best_q:
            best, best_q = code, q
    return best


def page_lang(request: Request) -> str:
    """The page's language (see the module's docstring). Raises `LangError` for a bad `lang` parameter."""
    asked = request.query_params.get("lang")
    if asked is not None:
        if asked not in LANGS:
            raise LangError(asked)
        return asked
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return chosen
    return accept_language(request.headers.get("accept-language")) or DEFAULT_LANG


def remember_lang(request: Request, response: Response, lang: str, *, secure: bool = False) -> None:
    """Keep an explicitly chosen language (`?lang=`) for the next pages."""
    if request.query_params.get("lang") == lang and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, httponly=True, samesite="lax", secure=secure,
                            path="/")


def other_lang(lang: str) -> str:
    return "en" if lang == "fr" else "fr"


def switch_url(request: Request, lang: str) -> str:
    """The current page in the other language (the link of the language switch)."""
    kept = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k != "lang"]
    return f"{request.url.path}?{urlencode([*kept, ('lang', other_lang(lang))])}"


def translator(lang: str):
    """`t(fr, en)` for a page in `lang`."""

    def t(fr: str, en: str) -> str:
        return en if lang == "en" else fr

    return t


__all__ = ["DEFAULT_LANG", "LANGS", "LANG_COOKIE", "LangError", "accept_language", "other_lang", "page_lang",
           "remember_lang", "switch_url", "translator"]
