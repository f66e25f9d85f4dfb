"""A login or sign-up form printed line by line (`login_form`, a context rule: it runs in
`context.CONTEXT_RULES`).

Alone, "Username", "Password" or "Remember Me" may be a heading (a how-to's step, a film, a
game show), so `login_box` in rules.toml takes only what no heading says ("Password *",
"Forgot your password?"). A form's fields stand together, with no paragraph between them: a
password field and a button to send it ("Log In", "Remember Me", "Forgot password?"). A list of
the fields a story names ("The stolen records include:", "Username", "Email address",
"Password") has no button, and stays.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import Article

# A field's label, or a button, of a login, registration or password-reset form.
_FIELDS = (r"user ?name|e-?mail(?: address)?|(?:user ?name|e-?mail)(?: or |\s*+/\s*+)(?:user ?name|e-?mail(?: address)?)"
           r"|(?:confirm |new |repeat )?password")
_BUTTONS = (r"remember me|keep me (?:signed|logged) in|stay signed in|log ?in|sign ?in|log ?out|sign ?up|register"
            r"|create (?:an |your )?account|forgot(?: your)? password\??|lost(?: your)? password\??|reset password"
            r"|get new password|submit")
FIELD = re.compile(rf"(?:{_FIELDS}|{_BUTTONS})\s*+[*:]?\s*+\*?", re.IGNORECASE)
BUTTON = re.compile(rf"(?:{_BUTTONS})\s*+[*:]?\s*+\*?", re.IGNORECASE)
PASSWORD = re.compile(r"(?:confirm |new |repeat )?password\s*+[*:]?\s*+\*?", re.IGNORECASE)
FIELD_WORDS = 6  # the longest label or button: "Email or username", "Keep me signed in", "Forgot your password?"


def login_form(article: Article) -> None:
    """Each run of consecutive lines that are form fields or buttons (other lines a rule took do
    not break it), holding a password field and a button: all of its lines."""
    lines = article.lines
    run: list[int] = []

    def close() -> None:
        texts = [lines[i].text.strip() for i in run]
        if any(PASSWORD.fullmatch(text) for text in texts) and any(BUTTON.fullmatch(text) for text in texts):
            for i in run:
                article.mark(i, "login_form", "navigation")
        run.clear()

    for i, line in enumerate(lines):
        if line.words <= FIELD_WORDS and FIELD.fullmatch(line.text.strip()):
            run.append(i)  # one a rule took already ("Sign in") counts, and stays that rule's
        elif line.rule is None:
            close()  # other lines a rule took ("Forgot your password?") do not break a form
    close()
