"""A login or sign-up form printed line by line (`login_form`, a context rule: it runs in
`context.CONTEXT_RULES`).

Alone, "Username", "Password" or "Remember Me" may be a heading (a how-to's step, a film, a
game show), so `login_box` in rules.toml takes only what no heading says ("Password *",
"Forgot your password?"). A form's fields stand together: a password field beside another
field or button, with no paragraph between them. That is the shape this rule looks for.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import Article

# One field's label or one button of a login, registration or password-reset form.
FIELD = re.compile(
    r"(?:user ?name|e-?mail(?: address)?|(?:user ?name|e-?mail)(?: or|/)(?: user ?name| e-?mail(?: address)?)"
    r"|(?:confirm |new |repeat )?password|remember me|keep me (?:signed|logged) in|stay signed in"
    r"|log ?in|sign ?in|log ?out|sign ?up|register|create (?:an |your )?account|forgot(?: your)? password\??"
    r"|lost(?: your)? password\??|reset password|get new password|submit|cancel)"
    r"\s*+[*:]?\s*+\*?",
    re.IGNORECASE)
PASSWORD = re.compile(r"(?:confirm |new |repeat )?password\s*+[*:]?\s*+\*?", re.IGNORECASE)
FIELD_WORDS = 6
MIN_FIELDS = 2  # a password field and at least one more


def login_form(article: Article) -> None:
    """Each run of consecutive lines that are form fields or buttons (other lines a rule took do
    not break it), holding a password field and one more field: all of its lines."""
    lines = article.lines
    run: list[int] = []

    def close() -> None:
        if len(run) >= MIN_FIELDS and any(PASSWORD.fullmatch(lines[i].text.strip()) for i in run):
            for i in run:
                article.mark(i, "login_form", "navigation")
        run.clear()

    for i, line in enumerate(lines):
        if line.words <= FIELD_WORDS and FIELD.fullmatch(line.text.strip()):
            run.append(i)  # one a rule took already ("Sign in") counts, and stays that rule's
        elif line.rule is None:
            close()  # other lines a rule took ("Forgot your password?") do not break a form
    close()
