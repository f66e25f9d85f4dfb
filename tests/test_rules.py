"""Line rules as data: every rule's own examples, and the labelled cases in tests/cases/."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from newsclean import clean_text
from newsclean.cleaning.rules import RuleSet, build_ruleset, count_words, default_rules
from newsclean.options import Options, RuleOptions
from scoring import normalise, score

CASES_DIR = Path(__file__).parent / "cases"


def _cases() -> list[dict]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]:
            lines = []
            for n, row in enumerate(case["lines"].strip("\n").split("\n"), start=1):
                label, _, text = row.partition(" | ")
                assert text, f"{path.name}: {case['name']}: line {n} is not 'label | text'"
                lines.append({"n": n, "label": label.strip(), "text": text})
            cases.append({**case, "lines": lines, "file": path.name})
    return cases


CASES = _cases()


@pytest.mark.parametrize("rule", default_rules(), ids=lambda r: r.name)
def test_every_example_is_taken_by_a_rule_of_its_family(rule):
    rules = RuleSet(default_rules())
    for example in rule.examples:
        taken = rules.match(example, count_words(example))
        assert taken is not None, f"{rule.name}: example {example!r} is not removed"
        assert taken.family == rule.family, f"{example!r} taken by {taken.name} ({taken.family})"


# Headings and sentences shaped like the chrome of a rule: a shop button, an image source, a request
# for tips or donations, a credit, a "more by" link, a loading placeholder. No rule may take them,
# wherever they stand. Not written as `cases/`, which the body model also learns from (weighed 5
# times a textdev line): on a full page, short lines of these shapes are mostly menus, and the
# rules, not the model, are what these lines test.
NOT_CHROME = [
    'Supported by Beijing',  # a credit needs a sponsor's or a platform's word, not a sentence's
    'Presented by Ant and Dec since 2002',
    'Latest in Berlin',  # a live blog's subheading
    'Email: press@police.uk',  # an appeal's contact is the article's
    'Buy now, pay later plans have doubled their users in two years, the regulator said on Monday.',
    'Buy now, pay later',
    'Copyright Complexity in a Fragmented World',  # headlines, not notices
    'Copyright Lawsuit Against OpenAI Dismissed',
    'Copyright Office Guidance Explained',
    'Advertising cookies allow firms to follow readers from one site to the next for months.',
    'Analytics cookies collect data on how long each reader stays on a page, researchers found.',
    'Performance cookies are used by the regulator in its report, the court said.',  # reported, not a notice
    'View at sunset from the old harbour wall',
    'Have a tip for the weekend: book the ferry early.',
    'More by luck than judgement, the shop survived the winter.',
    'Donate blood this week, the hospital urges residents.',
    'Image from the archive shows the market in 1931, when it first opened.',
    'Via Appia Antica',
    'View From The Top',
    'VIEW FROM THE TOP',
    'Shop at Borough Market',
    'Compare energy prices',
    'Photos from Gaza show the scale of the destruction.',
    'Images From The Front Line',
    'Photo from 2019 shows the bridge before the collapse.',
    "Want more coverage of women's sport? Buy a ticket, the league chief told fans.",
    'Have a news tip for the police? Call the hotline, officers said on Monday.',
    'Got a tip? Book the ferry early and sit on the left for the best views.',
    'More By Accident Than Design',
    'More by Bike',
    'Loading the van...',
    'Hat Tip To All The Volunteers',
    'Via S.Maria',
    'Search and rescue teams reached the village on Friday.',  # widgets' words in headings and sentences
    'The Search for the Missing Climbers',
    'Password Managers Compared',
    'Remember me as a teacher, she said.',
    'Follow the Money',
    'Views From the Summit',
    'Shares in the company fell 12% on Monday.',
    'Likes and Dislikes',
    '3 Shares to Buy Before the Rate Cut',
    'Read 5 Books This Summer',
    'A+ for the new school',
    '10/10',
    '[Conclusion]',
    '[Applause]',
    "[Editor's note: This story has been updated to correct the date of the vote.]",  # review
    '[Update, 3:45 p.m.: Police have confirmed the suspect was arrested.]',
    '[This interview has been edited for length and clarity.]',
    '[Translation: We will never give up.]',
    '[Laughter and applause]',
    '[More than 200 people attended the vigil, police said.]',
    '81,283,501 votes',
    'Votes: 12,345',
    'Vote 2024',
    'Read 2',
    'Remember Me',
    'Password',
    'Password:',
    'Username:',
    'Text Size',
    'Font size',
    'Follow',
    'The minister [of finance] resigned on Monday, officials said.',
    '» The council will vote on the plan on Tuesday.',  # an arrow before a sentence
    '» Is the bridge safe?',
    '→ Preheat the oven to 180C',  # a list's arrow
    'Good sound quality • ANC • Long battery life',  # a product's features, a game's specs
    '1-4 Players • Ages 14+ • 90-120 minutes • $45',
    'Politics | Power | Money',  # a headline with pipes, not a menu
    'Music • Film • Theatre: what to see this weekend',
    'Health | Science | Environment | Weather Service Cuts Explained',
    'Recent news from the region shows a rise in thefts, police said.',  # widget words in sentences
    'Contents of the suitcase were never found',
    'Toggle switches explained',
    'Was this the right call?',
    'In this guide',
    '»Wir schaffen das«',  # German and Danish quotation marks, a list's » bullets
    '»Wohin sollen wir gehen?«',
    '» Income tax thresholds frozen until 2028',
    '» 2 cups plain flour',
    '› Tatort ‹',
    'Economy | Health | Education | Environment',  # a table's header, a roundup's heading
    'Film · TV · Music · Books',
    'Close to Home',
    'Categories of risk',
    'Blog',
    'Meta',
    'Updated guidance for drivers',  # a date line must be a date, a credit a bracketed agency
    'Published in 1871, the map shows the old bridge.',
    'Posted to Kabul in March 2021',
    '(c) the applicant must hold a licence',  # a legal list's "(c)"
    'Copyright law and the public domain',
    '(AP reporters contributed)',
    'Source by source, the story came together.',
    'Sourced by hand from local farms',
    'Image caption contest winners',
    'Show captions and the hidden side of fame',
    'Gallery owners say sales fell',
    'Getty Museum reopens its west wing',
    'Save the date: the fair opens on 3 May',
    'Tags and labels in the new system',
    'Topics for the next meeting',
    'Newsletter editors on what readers want',
    'About us and them: a memoir',
    'Previous post-operative care',  # no separator, no capital: a subheading
    'Next story, same ending',
    'Stay tuned in to your body',
    'Thanks for the memories',
    'Let us know what you think',  # an invitation without the comments
    'Tell us your story',
    'Staff shortages hit hospitals',
    'Edited by volunteers, the wiki grew',
    'Contact tracing apps were withdrawn',
    'Email scams rose in 2024',
    'Brokers earn a commission on every sale, which the new rule caps.',  # not the site's own
    'Shares in the company fell after the commission ruled against it.',
    'Images via satellite show the damage',  # a credit names a source, not what a picture shows
    'Powered by solar, the village thrives',
    'Play video games with your kids',
    'Join our team',
    'Support local businesses',
    'Read more about it in our guide below.',
    'Published with the usual caveats',
    'Let us know how the comments policy should change, the regulator asked readers.',
    '© symbols appear on every page of the report',
    'Follow us on the trail as we hike the coast',
    'All rights reserved under the treaty remain with the states.',
    '"I receive compensation only when the work is done," she said.',
    'The views expressed by the minister were criticised by the opposition.',
    'Two responses to "the crisis" emerged in the cabinet, officials said.',  # a count, then a sentence
    'One response to ‘Why do we still need unions?’ came from a nurse in Leeds.',
    'Five thoughts on ‘the Ashes’ after the first Test',
    '"I receive a commission on every policy I sell, so I push customers to buy the most expensive one," the former agent said.',
    'The agent told us: I earn a commission when buyers take out a mortgage through our partners.',
    'The opinions expressed by the columnist have been widely criticised, and the paper said it does not endorse them.',
    'The views expressed by the author in the article do not reflect government policy, a spokesman said.',
    'Published with permission of the family, the photographs show the victims as children.',
    'Reproduced with permission from the estate, the letter reveals the poet\'s last months.',
    'Let me know in the comments, he tells his three million followers.',
    'He signs off every video the same way. Let me know in the comments, he says, and they do.',
    'Stay tuned for more rain this weekend.',
    'Screenshots of the chat were leaked.',
    'Screenshots of the messages show the minister\'s involvement.',
    'Screengrabs from the video show the gunman.',
    'This video could not be played to the jury.',
    'This video cannot be played in court, the judge ruled.',
    'Older Post Office branches to close',  # subheadings that open like "Older post", "Next article"
    'Next Article 50 vote set for Tuesday',
    'Photo courtesy of the family shows the boy',  # a sentence about a picture, not its credit
    'Also on Monday',  # a roundup's subheading, not "Also on Example News"
    'Latest from the front line',  # a live report's subheading, not a section's name ("Latest in Politics")
    'Powered by AI',  # what a thing runs on, not a platform's credit
    'Powered by Coal',
    'Skip to the end',  # a recipe's or a guide's jump, not a skip link
    'Enter your search terms',  # a library database's or a mail client's how-to steps
    'Type your search query and press Enter',
    'Press Enter to search',
    'Search site',  # a rescue story's caption
    'Les « gilets jaunes » reviennent « en force » à Paris',  # quotes, not a breadcrumb's arrows
    'Die »Ampel« ist am Ende, sagt »Spiegel«-Chef',
    'Manage your subscription',  # a how-to's step: how to cancel a streaming service
    'A post shared by the council on Monday drew hundreds of angry replies.',  # an embed's signature has a handle
    'Please follow the signs to the new entrance while the works go on.',
    'Total views of the comet will peak on Thursday night, astronomers said.',
    'Reuters/Ipsos poll shows support for the plan slipping to 41 percent.',  # a poll, not a photo credit
    'The company said on Monday it would cut 300 jobs. REUTERS reported the plan first.',
    'A video shared by the fire department (@LAFD) on Tuesday shows crews battling the blaze.',  # news about a post
    'A photo shared by Kim Kardashian (@kimkardashian) on Instagram racked up 5 million likes.',
    'Recommended reading: Station Eleven by Emily St. John Mandel, a novel about a pandemic that feels prophetic now.',
    'Recommended reading — and listening — for the summer holidays',  # a heading
    'Check the label for the certification. EPA/Energy Star',  # EPA is an agency, not a photo agency
    'Support for the plan slipped to 41 percent, the survey found. REUTERS/Ipsos',
    'Total shares: 45,000,000',  # an IPO's fact box
    'Courtesy of the new law, drivers can park for free on Sundays.',  # a sentence, not a credit
    'Play video games with your children, the study suggests.',
    'Credit... where credit is due',  # a personal-finance article's heading, not NYT's "Credit...Name"
    'Courtesy of a stranger',
    'Video By Teen Shows Police Chase',  # a headline
    'Open in new tab',  # a browser tutorial's menu entry
    'Originally published as a serial in 1851, the novel sold poorly.',  # not a syndication note
    'He was born in Dayton, Ohio, March 3, 1950.',  # a date closing a sentence, no caption's verb
    '“We will rebuild,” she said as crowds gathered in Kyiv, Ukraine, March 3, 2023.',  # a quote
    'FILE: your tax return is due in April.',
    'Provided by the state, the grants cover half of the cost.',
    'Photo by photo, the album grew into a history of the street.',
    'Continue reading the instructions before you switch the heater on.',
    'Reuters (Thomson Reuters)',
    'The march began at Brown Chapel in Selma, Alabama, March 7, 1965.',  # credit-less captions stay
    'The company holds its annual shareholder meeting in Omaha, Nebraska, May 4, 2024.',
    'FILE - The name of the file to read; defaults to standard input.',  # a manual's option
    'Composite: 28',  # an ACT score
    'Composite: A material made from two or more constituents.',  # a glossary's entry
    'ADVANCED PLACEMENT (AP)', 'CEREBRAL PALSY (CP):',  # headings spelling out abbreviations
    'The show runs through May 3. Photographs by Dorothea Lange and Walker Evans.',
    'Fed Holds Rates Steady - Bloomberg', 'Stocks Fall Sharply - Reuters',  # headlines with their source
    'Continue reading at Genesis 12.', 'Continue reading on page 12.',  # a reading plan, a print page
    'UP NEXT: The Bucks host the Knicks on Friday.',  # a game story's last paragraph
    'Trending: Barrel jeans', 'Trending: up 3%',  # a trend report's item, a table's cell
    "You've hit your limit of free articles, the message read.",  # an article about paywalls
    'To keep reading, log in with your library card number and PIN.',  # a how-to's step
    '4 / 5', '10 / 10', '180°', 'Up to 180°',  # a review's score, a spec table's cells
    'Partner content',  # a heading in an article about advertising
    'Outbrain', 'Taboola',  # a list of ad-tech firms
    'Sorry, an error occurred.',  # a support article's example message
    'Taboola Feed', 'Outbrain Ads',  # products, in ad-tech reporting
    'Scan the QR code to download the app.',  # a how-to's step
    'Advertisement 2:',  # a heading in a critique of ads
    # found by bench/clean_articles.py: newsletters named in a sentence, not a prompt to join one
    'I also identified 28 newsletters, a small subset of the newsletters I subscribe to, as the test set.',
    'Substack lets writers charge readers who subscribe to their newsletters.',
    'Readers who sign up for the newsletter get early access to tickets.',
    'If you subscribe to newsletters, set up a filter for them.',
    'Like many of you, I subscribe to too many newsletters.', 'Yes, people still subscribe to newsletters.',
    'The company told me that 2 million people subscribe to its newsletters.',
    'Newsletters You Should Subscribe To',  # a heading
    'Video: 4K/30p with no crop', 'Video: 6.2K/30p, 4K/60p', 'Photo: 24MP full frame',  # a camera's specs
    'Video: Up to 8K/30p', 'Video: 10-bit 4:2:2 internal', 'Video: 4096 x 2160 at 60fps',
]


@pytest.mark.parametrize("line", NOT_CHROME)
def test_no_rule_takes_a_heading_or_sentence_shaped_like_chrome(line):
    assert RuleSet(default_rules()).match(line, count_words(line)) is None


STORY = ["Heavy rain has cut off dozens of villages in the north of the country, officials said on Friday.",
         "Rescue teams were using boats to reach families stranded on rooftops, the regional governor said."]
NOT_A_THREAD = {
    "a live blog": ["Army joins rescue effort", "2 hours ago", "Soldiers arrived with boats and food for the stranded families in the valley.",
                    "Schools closed", "3 hours ago", "Every school in the region will stay closed until Monday, the ministry said."],
    "a timeline": ["Key moments", "March 3, 2024 at 11:05 pm", "The first call reached the fire station a minute later, the report says.",
                   "Fire crews arrive", "March 3, 2024 at 11:20 pm", "Four engines were at the scene within fifteen minutes, and the roads were closed."],
    "a fixture list": ["Arsenal v Chelsea", "Sat 16.03.2024 17:30", "Liverpool v Everton", "Sun 17.03.2024 14:00",
                       "Both games will be shown live, the broadcaster said on Thursday."],
    "a subheading that starts with 'Reply'": ["December 19, 2025 at 19:58",
                                              "The mayor answered the residents' letter within a day, her office said.",
                                              "Reply from the council",
                                              "The council said the bridge would reopen to cars before the end of May."],
    "quotes introduced beside a time": ["The governor said:", "December 19, 2025 at 19:58",
                                        "In a statement the minister wrote:", "December 20, 2025 at 08:15",
                                        "We will rebuild every road that the water has taken from us this winter."],
}


@pytest.mark.parametrize("name", NOT_A_THREAD)
def test_times_without_a_comment_threads_evidence_take_nothing(name):
    """`comment_thread` acts only where a 'Reply' button follows a time or a comment prompt stands
    above it: live blogs, timelines and fixture lists keep their times and the lines above them."""
    lines = NOT_A_THREAD[name]
    doc = clean_text("\n\n".join(["Floods cut off villages in the north"] + STORY + lines),
                     options=Options(rules=RuleOptions(body_model=False)))
    assert not [r for r in doc.removals if r.rule == "comment_thread"]
    for line in lines:
        assert line in doc.text


LOGIN_FORMS = {
    "fields and buttons": ["Username", "Password", "Remember Me", "Log In"],
    "a field and its button": ["Email address", "Password", "Sign in"],
    "a field beside a button a rule takes": ["Password", "Forgot your password?", "Sign in"],
    "a combined field": ["Username/Email", "Password", "Submit"],
}
NOT_A_FORM = {
    "a how-to's headings": ["Username", "Pick a name you will not mind others seeing on the forum.",
                            "Password", "Use at least twelve characters and never reuse one across sites."],
    "a heading alone": ["Password", "The film follows a hacker who breaks into a bank's vault, and it opens on Friday."],
    "fields without a password": ["Email", "Submit"],
    "a story's list of stolen fields (no button)": ["The stolen records include:", "Username", "Email address",
                                                   "Password", "Date of birth"],
}


@pytest.mark.parametrize("name", sorted(LOGIN_FORMS))
def test_a_login_forms_fields_go_together(name):
    """`login_form`: a password field and the fields and buttons beside it, with no paragraph between."""
    lines = LOGIN_FORMS[name]
    doc = clean_text("\n\n".join(["Floods cut off villages in the north"] + STORY[:1] + lines + STORY[1:]),
                     options=Options(rules=RuleOptions(body_model=False)))
    assert not [line for line in lines if line in doc.text]
    assert "login_form" in {r.rule for r in doc.removals}
    kept = clean_text("\n\n".join(["Floods cut off villages in the north"] + STORY[:1] + lines + STORY[1:]),
                      options=Options(rules=RuleOptions(body_model=False, disabled=("login_form",))))
    assert "Password" in kept.text.split("\n\n")


@pytest.mark.parametrize("name", sorted(NOT_A_FORM))
def test_headings_named_like_fields_are_no_login_form(name):
    lines = NOT_A_FORM[name]
    doc = clean_text("\n\n".join(["Floods cut off villages in the north"] + STORY[:1] + lines + STORY[1:]),
                     options=Options(rules=RuleOptions(body_model=False)))
    assert not [r for r in doc.removals if r.rule == "login_form"]
    assert all(line in doc.text.split("\n\n") for line in lines if line not in ("Submit", "Email"))


# Taken at a page's edge (`nav_section`, `breadcrumb`), never between paragraphs: a table's cell
# printed one per line, a column's header, a guide's list of insurance lines.
EDGE_ONLY = ["Close", "Close.", "Author", "Home • Auto • Life • Health",
             "Edited by Jane Doe",  # a book's editor, in a review's list
             # a web-design guide's or a WordPress tutorial's headings and steps
             "Global Navigation", "Mobile Navigation", "Primary Menu", "Footer Menu", "Sitemap", "Site map",
             "Open Search", "Close Search", "Toggle Search",
             "Top Menu", "Global Menu",  # a restaurant review's heading; a fast-food chain's, in a business story
             # a presentation or video tutorial's steps, a shortcut table's cells
             "Fullscreen", "Exit fullscreen", "Next slide", "Unmute", "Full screen",
             # a how-to's list of a site's comment sorting options
             "Top comments", "Newest first",
             # a streaming guide's heading
             "Watch on YouTube"]


@pytest.mark.parametrize("line", EDGE_ONLY)
def test_page_words_between_paragraphs_stay(line):
    doc = clean_text("\n\n".join(["Floods cut off villages in the north"] + STORY[:1] + [line] + STORY[1:]),
                     options=Options(rules=RuleOptions(body_model=False)))
    assert line in doc.text.split("\n\n")


# What an autoblog's repost carries inside its body, between two paragraphs of the article: a
# caption's label and buttons, a credit, a date line with its label, a disclosure, a player, a
# reader's tools, a comment thread's heading. The rules alone take each there; the model is off.
INSIDE_A_REPOST = [
    "Image caption, The bridge was built in 1871", "Click to enlarge", "hide caption", "Getty",
    "(AP)", "© Getty Images", "Source by Jane Doe", "Courtesy photo", "Screenshot via YouTube",
    "Updated: March 3, 2025 10:15 am ET", "First Published: March 3, 2025, 10:15 IST",
    "Updated at 5:02 p.m. ET", "We may earn a commission when you buy through links on our site.",
    "Disclaimer: The views expressed in this article are the author's own.",
    "Reprinted with permission from Example News.", "Sponsored by Example Bank", "Play Video",
    "Your browser does not support the video tag.", "Print Friendly, PDF & Email", "Spread the love",
    "Get our free app", "Copy article link", "Follow this author", "View all posts by Jane Doe",
    "Previous article Council approves new budget", "What do you think? Let us know in the comments.",
    "Stay tuned for more updates.", "3 thoughts on “Council closes old bridge to lorries”",
    "Sort by Best", "— Jane Doe (@janedoe) March 3, 2025", "Email the reporter: jane@example.com", "Tags",
    "Newsletter", "Do Not Sell My Personal Information", "Already have an account? Sign in",
    "FILE - Firefighters battle a wildfire near Athens, Greece, on Aug. 22, 2023.",
    "Firefighters battle a wildfire near Athens on Sunday. Photo by Jane Doe/Getty Images",
    "Photo by Jane Doe on Unsplash", "Provided by Example News", "LONDON (AP) —",
    "Composite: Guardian Design; Getty Images", "Story continues", "[Source: Example News]",
    "This article is sponsored by Example Bank.", "Click here to read the original article",
    "Trending: Council approves new budget", "Originally reported by Example News.",
    "Article content", "Advertisement 2", "Promoted Links by Taboola", "Tap to unmute",
]


@pytest.mark.parametrize("line", INSIDE_A_REPOST)
def test_chrome_inside_a_reposts_body_goes(line):
    doc = clean_text("\n\n".join(["Floods cut off villages in the north"] + STORY[:1] + [line] + STORY[1:]),
                     options=Options(rules=RuleOptions(body_model=False)))
    assert line not in doc.text
    assert all(paragraph in doc.text for paragraph in STORY)


def test_an_author_box_ends_at_a_line_that_is_no_name_or_biography():
    """`author_box` takes only a name or a biography under the heading: a book review's next
    sentence about the book stays."""
    lines = ["About the author", "The novel follows three sisters through a long winter in the north of the country."]
    doc = clean_text("\n\n".join(["A winter novel of three sisters"] + STORY + lines),
                     options=Options(rules=RuleOptions(body_model=False)))
    assert lines[1] in doc.text and "About the author" not in doc.text


NOT_A_SIGNATURE = {
    "a list's entry": ["Trades we cover:", "- Building", "- Electrical", "- HVAC", "- Plumbing"],
    "a heading over a list": ["REFERENCES", "1. Doe J, Roe R. Bridges under load. 2020", "2. Roe R. Old arches. 2019"],
    "a heading over footnotes": ["REFERENCES", "[1] Doe J, Roe R. Bridges under load. 2020", "[2] Roe R. Old arches. 2019"],
    "a list after a colon": ["Companies named in the suit:", "NVIDIA", "AMD", "INTEL"],
}


@pytest.mark.parametrize("name", NOT_A_SIGNATURE)
def test_capitals_in_a_list_after_the_article_are_no_desk_signature(name):
    """`desk_signature` takes a short line in capitals that closes the article ('TIME'), not an
    entry of a list or the heading over one (bench/clean_articles.py found both)."""
    lines = NOT_A_SIGNATURE[name]
    doc = clean_text("\n\n".join(["Floods cut off villages in the north"] + STORY + lines),
                     options=Options(rules=RuleOptions(body_model=False)))
    assert not [r for r in doc.removals if r.rule == "desk_signature"]


def test_a_desk_signature_after_a_list_or_a_dashed_credit_goes():
    signed = clean_text("\n\n".join(["Floods cut off villages in the north"] + STORY + ["- Plumbing", "INTERNATIONAL WRITING"]),
                        options=Options(rules=RuleOptions(body_model=False)))
    assert [r.text for r in signed.removals if r.rule == "desk_signature"] == ["INTERNATIONAL WRITING"]
    dashed = clean_text("\n\n".join(["Floods cut off villages in the north"] + STORY + ["– Additional reporting by Jane Doe", "– JS"]),
                        options=Options(rules=RuleOptions(body_model=False)))
    assert "JS" not in dashed.text


PROMPTS = ["Stay informed with the Politico Playbook newsletter — sign up here", "The Week newsletter | Sign up for free",
           "Want the latest headlines? Then sign up for our Morning Brief newsletter.",
           "If you enjoyed this, sign up for the Climate Fwd newsletter.", "Newsletter Sign Up",
           "Hi! We've moved to Substack. If you like this article, you'll like our newsletter even more. Sign up here!"]


@pytest.mark.parametrize("line", PROMPTS)
def test_newsletter_prompts_go(line):
    found = RuleSet(default_rules()).match(line, count_words(line))
    assert found is not None and found.name == "subscribe_prompt"


def test_case_files_hold_cases_of_both_kinds():
    labels = {line["label"] for case in CASES for line in case["lines"]}
    assert len(CASES) >= 8 and "keep" in labels and len(labels - {"keep", "title"}) >= 8


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['file']}:{c['name']}")
def test_case(case):
    text = "\n".join(line["text"] for line in case["lines"])
    doc = clean_text(text, title=case.get("title"))
    assert doc.rejection is None, doc.rejection
    result = score(case["lines"], doc.text)
    assert result["missed"] == [], "boilerplate left in the text"
    assert result["lost"] == [], "content lost"
    removed = {removal.line: removal for removal in doc.removals}
    for line in case["lines"]:
        if line["label"] == "title":
            assert normalise(doc.title) == normalise(line["text"])
            assert removed[line["n"]].family == "title"
        elif line["label"] != "keep":
            assert line["n"] in removed, f"line {line['n']} not recorded as removed"
            assert removed[line["n"]].family == line["label"], (
                f"line {line['n']} removed by {removed[line['n']].rule} ({removed[line['n']].family})")
        else:
            assert line["n"] not in removed, f"kept line {line['n']} removed by {removed.get(line['n'])}"


# ---------------------------------------------------------------- the `requires` fast path
from dataclasses import replace  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

GUARDED = RuleSet(default_rules())
UNGUARDED = RuleSet(tuple(replace(rule, requires=()) for rule in default_rules()))
KNOWN = sorted({e for rule in default_rules() for e in rule.examples}
               | {line["text"] for case in CASES for line in case["lines"]})
TRIGGERS = sorted({s for rule in default_rules() for s in rule.requires})
mixed_line = st.one_of(
    st.sampled_from(KNOWN),
    st.text(max_size=60),
    st.lists(st.sampled_from(KNOWN + TRIGGERS + ["ſ", "K", "İ", "PHOTO", "Ⓒ", " ", ":", "(", ")"]) | st.text(max_size=6),
             max_size=12).map(" ".join),
    st.builds(lambda a, b: a.upper() + b, st.sampled_from(KNOWN), st.text(max_size=10)),
    # letters re.IGNORECASE matches to ASCII ones, inside the words that trigger rules
    st.builds(lambda line, pick: "".join(pick(c) for c in line), st.sampled_from(KNOWN),
              st.just(lambda c: {"i": "ı", "I": "İ", "s": "ſ", "k": "K"}.get(c, c))),
    st.builds(lambda line: line.replace("i", "ı"), st.sampled_from(KNOWN)),
    st.builds(lambda line: line.upper().replace("I", "İ"), st.sampled_from(KNOWN)),
)


@settings(max_examples=1500, deadline=None)
@given(mixed_line)
def test_requires_never_changes_which_rule_takes_a_line(line):
    """A rule skipped for want of its substrings could not have matched the line anyway."""
    words = count_words(line)
    guarded, unguarded = GUARDED.match(line, words), UNGUARDED.match(line, words)
    assert (guarded and guarded.name) == (unguarded and unguarded.name)


def test_every_rule_example_holds_one_of_its_requires():
    for rule in default_rules():
        for example in rule.examples if rule.requires else ():
            assert any(s in example.casefold() for s in rule.requires), (rule.name, example)


def test_an_extra_rule_may_not_take_a_built_in_rule_name():
    """Each removal's rule names one family: the card and the audit tables rely on it."""
    for name in ("pull_quote", "template_line"):
        with pytest.raises(ValueError, match="built-in"):
            build_ruleset(RuleOptions(extra=({"name": name, "family": "navigation", "pattern": "x"},)))
    build_ruleset(RuleOptions(extra=({"name": "my_footer", "family": "navigation", "pattern": "x"},)))


# ---------------------------------------------------------------- fast forms equal their definitions
import re  # noqa: E402
import sys  # noqa: E402

from newsclean.cleaning.boilerplate import StripBoilerplate  # noqa: E402
from newsclean.cleaning.sentences import CLOSERS, TERMINAL, ends_sentence  # noqa: E402
from newsclean.cleaning.rules import WORD  # noqa: E402


def test_str_split_and_the_regex_agree_on_spaces_for_every_code_point():
    space = re.compile(r"\s")
    assert [c for c in range(sys.maxunicode + 1) if chr(c).isspace() != bool(space.match(chr(c)))] == []


sentence_ends = st.lists(st.sampled_from(list(CLOSERS) + [".", "!", "?", "…", "\n", " ", "a", "9", ":", "-"])
                         | st.text(max_size=4), max_size=12).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(mixed_line, sentence_ends))
def test_count_words_and_ends_sentence_equal_their_regexes(line):
    assert count_words(line) == len(WORD.findall(line))
    assert ends_sentence(line) == bool(TERMINAL.search(line))


def test_remembered_verdicts_change_no_output():
    """The verdict memo (per rule set) gives every case article the cleaning it gets without it,
    and a full memo starts again instead of growing."""
    import newsclean.cleaning.boilerplate as boilerplate
    from newsclean.document import Document

    class Forgetful(dict):  # no memo at all: every line judged afresh
        def __setitem__(self, key, value):
            pass

    def strip(texts, limit):
        before, boilerplate.MAX_VERDICTS = boilerplate.MAX_VERDICTS, limit or 1
        step = StripBoilerplate(RuleOptions(disabled=("no_such_rule",)))  # a rule set of its own
        step.rules.verdicts = Forgetful() if limit == 0 else {}
        try:
            docs = [step(Document(id=str(i), provenance="t", raw=t, text=t)) for i, t in enumerate(texts * 2)]
            assert len(step.rules.verdicts) <= limit
            assert limit == 0 or len(step.rules.verdicts) > 0
        finally:
            boilerplate.MAX_VERDICTS = before
            step.rules.verdicts = {}
        return [(d.lines, d.title,
                 [(r.line, r.rule, r.text) for r in d.removals]) for d in docs]

    texts = ["\n".join(line["text"] for line in case["lines"]) for case in CASES]
    assert strip(texts, 0) == strip(texts, 16_384) == strip(texts, 1) == strip(texts, 7)


def test_only_chrome_sized_lines_are_remembered():
    """A long line without spaces (a data URI, an unspaced CJK paragraph) is one word but no
    chrome: remembering it would let 16,384 of them hold gigabytes."""
    from newsclean.cleaning.boilerplate import MAX_VERDICT_CHARS
    from newsclean.document import Document

    step = StripBoilerplate(RuleOptions(disabled=("another_missing_rule",)))
    step.rules.verdicts.clear()
    long_lines = ["data:image/png;base64," + "QUJD" * (200 * n) for n in range(1, 4)] + ["中文段落" * 100]
    text = "\n".join(["Source link", *long_lines, "The council voted on Tuesday to build the bridge, officials said."])
    step(Document(id="x", provenance="t", raw=text, text=text))
    assert "Source link" in step.rules.verdicts
    assert not any(line in step.rules.verdicts for line in long_lines)
    assert all(len(line) <= MAX_VERDICT_CHARS for line in step.rules.verdicts)


PULL_QUOTE_PAGE = ["Skip to content", "News", "Travel",
                   "The best walks on the coast of Cornwall were chosen by our readers over ten years of the column.",
                   "{shown}", "Seven quiet islands to visit before the summer crowds arrive",
                   "The Greek island of Kythira has no large hotels, and most visitors arrive by a small ferry.",
                   "{quote}", "{source}"]


def _pull_quotes(shown: str, quote: str, source: str) -> list[str]:
    page = "\n".join(PULL_QUOTE_PAGE).format(shown=shown, quote=quote, source=source)
    doc = clean_text(page, options=Options(rules=RuleOptions(body_model=False)))
    return [removal.text for removal in doc.removals if removal.rule == "pull_quote"]


@pytest.mark.parametrize("shown", [
    "Main > Guides > {}", "Guides / Islands / {}", "{} | Travel | The Harbour Times", "{} - Travel Guides",
    "{} – The Harbour Times", "{} — Harbour Times", "Travel: {}", "2. {}",
    "Our guide to the {} has been read by more than a million people this spring."])
def test_a_line_shown_again_outside_a_sentence_of_its_own_is_not_a_pull_quote(shown):
    """A pull quote is lifted whole from a paragraph, as a sentence or a clause. In a full-page
    scrape the headline stands under a breadcrumb trail or a page title that holds it, a list
    entry repeats a subheading, a sentence opens with its words: none of these is where the line
    was lifted from, and the headline model must see the headline. A sentence lifted from a
    paragraph of the same page still goes."""
    headline = "Seven quiet islands to visit before the summer crowds arrive"
    quote = "Cars are banned and the beaches stretch for miles"
    source = f"On Schiermonnikoog in the Netherlands, {quote.lower()}, and the island is quiet all year."
    assert _pull_quotes(shown.format(headline), quote, source) == [quote]


@pytest.mark.parametrize("source", [
    "The island is small. {}. It is quiet all year.",
    "Its mayor said, “It is quiet.” {}, and nobody minds.",
    "Le maire a dit : « {} », sans regret.",
    "Auf der Insel sagt man „{}“ und lacht.",
    "Nobody drives there — {} — and the ferry is the only way in.",
    "THE ISLAND IS SMALL. {}, and it is quiet all year.",
])
def test_a_line_lifted_as_a_sentence_or_clause_is_a_pull_quote(source):
    """Quotes of any style, closing marks after the sentence before, dashes and case change
    nothing: the words stand in the paragraph as a sentence or a clause of their own. (A spaced
    hyphen does not open one: 'Surfshark - Best VPN for Budget' is an entry of a list.)"""
    quote = "Cars are banned and the beaches stretch for miles"
    assert _pull_quotes("Main > Guides > Islands", quote, source.format(quote)) == [quote]


RELATED = ["Storm leaves thousands without power across the region", "Council approves new budget after long debate",
           "Police appeal for witnesses after crash on motorway"]
RULES_ONLY = Options(rules=RuleOptions(body_model=False))


def _related_taken(lines: list[str], options: Options = RULES_ONLY) -> list[str]:
    doc = clean_text("\n\n".join(["Floods cut off villages in the north"] + lines), options=options)
    again = clean_text(doc.text, title=doc.title, options=options)
    assert again.text == doc.text  # cleaning the output again changes nothing
    return [r.text for r in doc.removals if r.rule == "related_list"]


@pytest.mark.parametrize("heading", ["Related", "You may also like", "More from Example News", "Most Read", "Related Posts:"])
def test_other_stories_under_a_modules_heading_after_the_article_go(heading):
    assert _related_taken(STORY + [heading] + RELATED) == RELATED


def test_a_module_inside_the_article_goes_but_its_last_line_stays():
    """Under a paragraph, between two: the run's last line may be the next section's subheading."""
    assert _related_taken(STORY[:1] + ["Related"] + RELATED + STORY[1:]) == RELATED[:-1]


def test_tags_and_the_next_story_after_the_article_go():
    assert _related_taken(STORY + ["Tags:", "Bridge", "Council", "Transport"]) == ["Bridge", "Council", "Transport"]
    assert _related_taken(STORY + ["Previous article", RELATED[0], "Next article", RELATED[1]]) == RELATED[:2]


NOT_RELATED = {
    "a subheading under the heading": STORY[:1] + ["Related", "What the council decided"] + STORY[1:],
    "a menu above the headline": ["Home", "Related", "Council closes old bridge to lorries"] + STORY,
    "a table's column label in lower case": STORY + ["most popular", "Seka Moving", "4.7 overall rating"],
    "sentences under the heading": STORY + ["Related", "The council met again on Monday.", "Work starts in spring."],
    "a list longer than a module": STORY + ["Related"] + [f"Mover number {n} of the city" for n in range(13)],
    "a section of the article's own": STORY[:1] + ["Don't miss", "The Louvre late on a Friday evening",
                                                   "A boat trip along the Seine at dusk", "Where to stay"] + STORY[1:],
}


@pytest.mark.parametrize("name", NOT_RELATED)
def test_lines_that_are_no_modules_entries_stay(name):
    assert _related_taken(NOT_RELATED[name]) == []


def test_the_next_modules_heading_ends_a_list():
    """Two modules one under the other are two lists of at most 12, not one list too long."""
    first = [f"First module's story number {n}" for n in range(8)]
    second = [f"Second module's story number {n}" for n in range(8)]
    assert _related_taken(STORY + ["Related"] + first + ["Most Read"] + second) == first + second


def test_related_list_can_be_disabled():
    options = Options(rules=RuleOptions(body_model=False, disabled=("related_list",)))
    assert _related_taken(STORY + ["Related"] + RELATED, options) == []
