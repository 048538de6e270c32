"""The few pages outside the Gradio UI: the login page, a shared conversation, and a link that no longer works.
Plain HTML, every user-given text escaped, in Russian or English by the browser's Accept-Language."""
from __future__ import annotations

import time
from html import escape

from rag import SharedConversation

TEXT = {
    "title": ("Sign in — Quadrate Chat", "Вход — Quadrate Chat"),
    "heading": ("Sign in to Quadrate Chat", "Вход в Quadrate Chat"),
    "name": ("User name", "Имя пользователя"),
    "password": ("Password", "Пароль"),
    "submit": ("Sign in", "Войти"),
    "failed": ("Wrong user name or password.", "Неверное имя пользователя или пароль."),
    "throttled": ("Too many failed sign-ins: wait a minute and try again.",
                  "Слишком много неудачных попыток: подождите минуту и попробуйте снова."),
    "gone": ("This link does not exist, has expired or was revoked.",
             "Эта ссылка не существует, истекла или отозвана."),
    "shared": ("Shared conversation", "Общий доступ к беседе"),
    "shared_by": ("Space {space}, shared by {by} on {when}. A read-only copy.",
                  "Пространство {space}, поделился {by}, {when}. Копия только для чтения."),
    "sources": ("Sources", "Источники"),
    "page": ("page", "стр."),
}
STYLE = """body{font-family:system-ui,sans-serif;max-width:860px;margin:2rem auto;padding:0 1rem;color:#1f2328}
form{display:flex;flex-direction:column;gap:.6rem;max-width:340px}input{padding:.5rem;font-size:1rem}
button{padding:.6rem;font-size:1rem;background:#1d4ed8;color:#fff;border:0;border-radius:6px;cursor:pointer}
.error{color:#b42318}.q{font-weight:600;margin-top:1.5rem}.a{white-space:pre-wrap;margin:.4rem 0}
.src{font-size:.9rem;color:#3d4450;border-left:3px solid #c7d2fe;padding-left:.6rem;margin:.3rem 0;
white-space:pre-wrap}"""


def language(accept_language: str) -> str:
    return "ru" if accept_language.lower().lstrip().startswith("ru") else "en"


def say(lang: str, key: str, **values: str) -> str:
    en, ru = TEXT[key]
    return (ru if lang == "ru" else en).format(**values)


def _page(lang: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{escape(title)}</title><style>{STYLE}</style>'
            f"</head><body>{body}</body></html>")


def login_page(lang: str, next_path: str, problem: str = "") -> str:
    error = f'<p class="error" id="login-error" role="alert">{escape(problem)}</p>' if problem else ""
    return _page(lang, say(lang, "title"), f"""<h1>{say(lang, "heading")}</h1>{error}
<form method="post" action="login" id="login-form"><input type="hidden" name="next" value="{escape(next_path)}">
<label>{say(lang, "name")}<br><input name="name" id="login-name" autocomplete="username" required maxlength="64"
 style="width:100%"></label>
<label>{say(lang, "password")}<br><input name="password" id="login-password" type="password" required
 autocomplete="current-password" style="width:100%"></label>
<button type="submit" id="login-submit">{say(lang, "submit")}</button></form>""")


def gone_page(lang: str) -> str:
    return _page(lang, "Quadrate Chat", f'<h1>Quadrate Chat</h1><p id="link-gone">{say(lang, "gone")}</p>')


def conversation_page(lang: str, shared: SharedConversation) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(shared.created))
    parts = [f"<h1>{say(lang, 'shared')}</h1><p>" + say(lang, "shared_by", space=escape(shared.space),
                                                         by=escape(shared.by), when=when) + "</p>"]
    for turn in shared.turns:
        parts.append(f'<div class="turn"><p class="q">{escape(turn.question)}</p>'
                     f'<div class="a">{escape(turn.answer)}</div>')
        if turn.sources:
            parts.append(f"<details><summary>{say(lang, 'sources')}</summary>")
            for s in turn.sources:
                page = f", {say(lang, 'page')} {s.page}" if s.page else ""
                parts.append(f'<div class="src"><b>[{s.n}] {escape(s.file)}{page}</b>\n{escape(s.text)}</div>')
            parts.append("</details>")
        parts.append("</div>")
    return _page(lang, say(lang, "shared"), "".join(parts))
