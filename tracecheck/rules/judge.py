"""The context step: is a health statement about one identifiable person?

Owns the judgement made on every candidate window of a detector that requires a person (a
`requires` companion built from the pack's `person` set). A candidate is kept when a cue ties
it to a person and no cue makes it about no one:

- tied to a person: the pack's person words, the writer speaking of themselves (I, my, me),
  a reader addressed about their own health (you have, your ...), or a person's name (a title
  and a name, a possessive name, or a first and last name); in mail that greets many readers
  ("Dear families", "Hi all"), "you", "your" and "they" are any of them and tie nothing; a
  note's subject named on a labelled line above it ("Pt: Shirley Abara") ties the note;
- about no one: an animal (vet, cat, dog), a template placeholder (`[NAME]`), a statistic about
  a group ("7 residents have", "we have had a confirmed case of"), a group on a treatment or
  with a condition ("athletes on", "anyone with", with no person named before the statement),
  a take-up figure, a newsletter, or general advice ("if you have", "anyone who").

Reads a sentence hard-wrapped across lines as one line (`unwrapped`).

Returns the reasons it found, so a finding can say why it fired. Never finds candidates,
never reads headers or flows, and never looks outside the text it is given.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

WINDOW = 60
"""Characters either side of a candidate searched for person cues, within its sentence (at
least the companion's `within`). Chosen between 60 and 100 characters, sentence-bounded or
not, by the held-out half of the independent corpus (docs/detection-quality.md)."""
SELF_WINDOW = 35
"""The writer is tied to a statement by I, my or me this close, in its sentence ("I tested
positive", "my asthma"), not by an "I" that opens a long sentence about something else ("I'm
writing a piece on menopause in the workplace")."""
REJECT_WINDOW = 160
ANIMAL_WINDOW = 600
"""An animal named anywhere near (a vet's call at the top of a message) makes the pronouns
of the whole passage about it."""
"""Characters either side searched for a cue that the statement is about no one."""

_FIRST_PERSON = regex.compile(r"\b(?:I|I'm|I've|I'd|I'll|Im|Ive|i'm|i've|im|ive|my|My|me|Me|"
                              r"myself|Myself|i(?=\s+(?:am|have|had|was|got|felt|feel|tested|"
                              r"think|need|can't|cant|dont|don't))|"
                              r"[Ff]y|[Mm]ae\s+gen\s+i|[Rr]ydw\s+i|[Dd]w\s+i)\b")
"""The writer about themselves, in English and Welsh (fy: my; mae gen i: I have)."""
_ADDRESSED = regex.compile(
    r"\b(?:you(?:'re|'ve|\s+(?:are|have|had|were|was|tested))|your|"
    r"you(?:'ve|\s+have)?\s+(?:declared|disclosed|developed|suffer(?:ed)?|take|attend))\b",
    regex.IGNORECASE)
_TITLE_NAME = regex.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Master)\.?\s+[A-Z][a-z]+")
_POSSESSIVE = regex.compile(r"\b[A-Z][a-z]{2,}'s\b")
_FULL_NAME = regex.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?\s+(?:[A-Z]\.?\s+)?"
                           r"(?:Mc|Mac|O')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?\b")
_NOT_NAMES = frozenset("""
    a an and the this that these those there their our your his her its my we you they he she
    it i of in on at to for from by with as or but if so not no yes please thanks thank
    dear hi hello morning afternoon evening good best kind regards many warm yours sincerely
    faithfully cheers love re fw fwd subject sent from to cc date
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    january february march april may june july august september october november december
    nhs covid test trace team service services unit ward hospital clinic surgery practice
    centre center health care trust council school college university royal general infirmary
    street road lane avenue house court lodge home homes group ltd limited plc uk england wales
    scotland ireland northern london new st saint north south east west upper lower
    occupational human resources manager director officer nurse doctor consultant support
    office reception admin team rota payroll finance training learning development quality
    pharmacy dental mental community district public national international awareness week
    day month year appeal fund charity foundation research society association
    academy primary secondary nursery library partnership hall church club museum station
    signs symptoms advice information guidance update notice
    depot estate park gardens square place customer cafe room rooms building suite lounge
    corridor
    """.split())
_VET = regex.compile(r"\b(?:vets?|veterinary|pets?|worming|fleas?|kennels?|cattery|breed|"
                     r"(?:my|our|his|her|their|[a-z]+'s)\s+(?:old\s+|little\s+)?(?:cat|dog|kitten|"
                     r"puppy|horse|pony|rabbit|hamster))\b", regex.IGNORECASE)
"""Words that make a passage about an animal wherever they are near (a vet's call at the top
of a message, someone's pet: "Mum's cat")."""
_ANIMAL = regex.compile(
    r"\b(?:cats?|kittens?|(?<!\b(?:guide|hearing|assistance|street|stray)\s)dogs?|"
    r"pupp(?:y|ies)|horses?|pony|ponies|rabbits?|hamsters?|guinea\s+pigs?|paws?)\b",
    regex.IGNORECASE)
"""An animal named in the statement's own sentence (not a guide dog, nor the dog that bit
someone)."""
_TEMPLATE = regex.compile(r"\[[A-Z][A-Z0-9 /_.\-]{1,40}\]|\{\{\s*\w+\s*\}\}|<<\s*\w+\s*>>")
_GROUP = regex.compile(
    r"\b\d+\s+(?:(?:of\s+)?(?:our|the|your)\s+)?(?:residents|staff|people|patients|pupils|"
    r"students|children|employees|colleagues|members|clients|cases|service\s+users|"
    r"care\s+workers|households|families)\b[^.\n]{0,60}$|"
    r"\b\d+(?:\.\d+)?\s?%[^.\n]{0,60}$|"
    r"\b(?:we\s+have\s+had|we['\u2019]ve\s+had|we\s+had|there\s+(?:is|was|has\s+been|have\s+been)|"
    r"there['\u2019]s(?:\s+been)?|a\s+further|\d+|two|three|four|five|several|multiple)\s+"
    r"(?:an?\s+)?(?:confirmed\s+|suspected\s+|possible\s+|new\s+|further\s+)?cases?\s+of\s+$|"
    r"\bn\s?=\s?\d+|\b(?:one|two|three|four|\d+)\s+in\s+(?:every\s+)?(?:\w+)\b[^.\n]{0,60}$|"
    r"\bper\s?cent\b[^.\n]{0,60}$|\b(?:cases|people|residents|patients|staff|respondents)\s+"
    r"(?:told\s+us|said|reported)\b[^.\n]{0,60}$|\b(?:most|many|some|all|several|none|few)\s+(?:of\s+(?:them|the\s+\w+)\s+)?"
    r"(?:have|had|are|were|has)\b[^.\n]{0,30}$", regex.IGNORECASE)
_GENERIC = regex.compile(
    r"\b(?:if\s+(?:you|your|a|an|any|anyone|someone|somebody|they|we|two|three|four|five|several|"
    r"\d+|more\s+than)|anyone\s+who|someone\s+who|"
    r"the\s+public|members\s+of\s+the\s+public|"
    r"people\s+who|those\s+who|whoever|everyone\s+who|staff\s+who|residents\s+who)\b"
    r"[^.\n]{0,160}$|"
    r"\b(?:must|need\s+to|needs\s+to|required\s+to|please)\s+(?:show|have|provide|take|do)\b"
    r"[^.\n]{0,40}$|\b(?:visitors?|anyone|everyone|each\s+\w+|per\s+\w+)\s+with\s+an?\s*$|"
    r"\b(?:for\s+example|for\s+instance|such\s+as|e\.g\.|if\s+you\s+need|any\s+adjustments?)"
    r"[^.\n]{0,80}$|\b(?:learn(?:ing)?\s+(?:more\s+)?about|interested\s+in|experience\s+(?:of|in|with|on)|"
    r"training\s+(?:in|on)|course\s+on|specialis(?:e|ing)\s+in|dissertation\s+on|thesis\s+on|"
    r"research\s+(?:on|into)|project\s+on|essay\s+on)\b[^.\n]{0,40}$|"
    r"\b(?:what\s+if|what\s+are\s+the|what\s+is\s+the|how\s+(?:do|does|can|should|many|much)|"
    r"can\s+your|do\s+you\s+(?:take|support|offer|accept|provide)|how\s+to)\b[^.?\n]{0,80}$|"
    r"\bthe\s+new\s+$|"
    r"\b(?:people|clients|residents|patients|service\s+users|children|adults|those)\s+"
    r"(?:with|living\s+with|who\s+have|affected\s+by)\b[^.\n]{0,40}$|"
    r"\b(?:anyone|anybody|everyone|everybody|members|students|pupils|athletes|visitors|"
    r"customers|staff|colleagues|employees|workers|carers|parents|families|people|patients|"
    r"clients|residents)\s+(?:with|on|taking|using|who\s+(?:have|has|had|are|take|use)|"
    r"diagnosed\s+with)\b"
    r"(?:(?!\s[-\u2013\u2014]\s|\b(?:i|i'm|my|me|he|she|his|her|him|mr|mrs|ms|miss|mx|dr)\b)"
    r"[^.\n:;,]){0,40}$|"
    r"\b(?:(?:main|common|usual|key|typical)\s+symptoms|symptoms\s+(?:are|include|of\s+covid)|"
    r"symptoms:)[^.]{0,120}$|\b(?:a|one|another)\s+(?:pupil|child|student|member\s+of\s+staff|"
    r"staff\s+member|colleague|resident|patient|person|customer|visitor|parent)\b"
    r"(?:\s+in\s+\w+(?:\s+\d+)?)?[^.\n,]{0,25}$|"
    r"(?:^|[.!?:]\s{1,3}|\n)\s*(?:[-*\u2022]\s*)?(?:a|an|any)\s+(?:\w+\s+){0,2}$|"
    r"(?:^|[.!?:]\s{1,3}|\n\s*)(?:book|get|have|take|remember|make\s+sure|don'?t\s+forget|"
    r"check|keep|bring)\s+your\b[^.\n]{0,60}$",
    regex.IGNORECASE)


_YOU_SHOULD = regex.compile(r"\byou\s+(?:should|must|need\s+to|may|can|will\s+need\s+to)\b"
                            r"[^.\n]{0,40}$", regex.IGNORECASE)
"""Advice to the reader ("you should avoid", "you must show") is general, unless the message
greets one reader by name (`to_one`) and the statement is their own: "Dear Mr Pritchard, ...
you must stop your clopidogrel"."""
_YOUR = regex.compile(r"\byour\s+$", regex.IGNORECASE)
"""A "your" right before: the reader's own statement ("your clopidogrel"), or in mail to many
readers any reader's own person ("your child")."""
_CARER = regex.compile(
    r"\b(?:I|we)(?:['\u2019]ve\s+|\s+(?:have\s+|had\s+|also\s+)?)(?:administered|delivered|"
    r"prescribed|treated|nursed|dispensed|assessed|diagnosed|referred)\b"
    r"(?!\s+(?:my|myself|me)\b)(?:(?!\b(?:i|my|me|myself)\b)[^.\n]){0,40}$",
    regex.IGNORECASE)
"""The writer as the one giving care ("I administered chemotherapy", "we treated sepsis"),
with no other I, my or me between: their I and we say nothing about their own health."""


_BIRTH = regex.compile(r"\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|born(?:\s+on)?)\b[\s:]{0,3}"
                       r"\d{1,2}[./\- ](?:\d{1,2}|[A-Za-z]{3,9})[./\- ]\d{2,4}", regex.IGNORECASE)
"""A date of birth: the statement is about the person it identifies."""
_LABELLED = regex.compile(
    r"(?m)^[ \t>*-]*(?i:pt|patient(?:\s+name)?|name\s+of\s+patient|client|resident|"
    r"service\s+user|pupil|child|casualty)[ \t]*[:\-\u2013][ \t]*"
    r"(?:(?i:mr|mrs|ms|miss|mx|dr|master)\.?[ \t]+)?[A-Z][a-z]+(?:[ \t]+[A-Z][a-z'\u2019-]+)+")
"""A note's subject named on a labelled line above ("Pt: Shirley Abara", "Resident - Mr Tom
Hale"): the statements of the note below it are about that person."""
LABEL_WINDOW = 1200
"""How far above a statement a labelled subject ties it (a short clinical or case note)."""
BIRTH_WINDOW = 200
"""A date of birth this near (a roster line or the header of a note) ties a statement to a
person."""
_NAME_SUBJECT = regex.compile(
    r"\b([A-Z][a-z]{2,})\s+(?:has|had|is|was|takes|took|needs|started|starts|will\s+need|"
    r"will\s+be|has\s+been|is\s+starting|is\s+still)\b")
"""A first name as the subject of the sentence ("Tyler has autism", "Ellen is deaf")."""
_NOT_SUBJECTS = frozenset("""
    everyone everybody someone somebody anyone anybody nobody noone none each every all what
    which who whom whose how when where why here there nothing something anything everything
    one another either neither both other others staff team management payroll
    """.split())


def _names(text: str, start: int = 0, end: int = 0) -> bool:
    """Does `text` name a person (a title and a name, a possessive name, a full name, a first
    name as the subject of a sentence)? A full name that takes in the statement at
    [start, end) of `text` is a heading ("Scarlet Fever"), not a person."""
    if _TITLE_NAME.search(text):
        return True
    for m in _NAME_SUBJECT.finditer(text):
        word = m.group(1).lower()
        if word not in _NOT_NAMES and word not in _NOT_SUBJECTS:
            return True
    for m in _POSSESSIVE.finditer(text):
        if m.group()[:-2].lower() not in _NOT_NAMES:
            return True
    for m in _FULL_NAME.finditer(text, overlapped=True):
        if m.start() < end and start < m.end():
            continue
        words = [w.strip(".").lower() for w in m.group().split()]
        if not any(w in _NOT_NAMES for w in words):
            return True
    return False


_IDIOM = regex.compile(
    r"\b(?:(?:a|what\s+a|such\s+a)\s+(?:real\s+|right\s+|massive\s+|huge\s+|big\s+|"
    r"total\s+|bit\s+of\s+a\s+)?(?:headache|nightmare|pain)|headache\s+(?:for|of)\s+"
    r"(?:us|me|everyone|the\s+team)|sick\s+(?:of|and\s+tired)|pain\s+in\s+the\s+(?:neck|backside)|"
    r"giving\s+(?:me|us|everyone)\s+(?:a\s+)?(?:migraine|headache)s?|fell\s+on\s+deaf\s+ears|"
    r"(?:fall|falls|falling|fallen)\s+on\s+deaf\s+ears|(?:turn|turned|turning)\s+a\s+blind\s+eye|"
    r"(?:turn|turns|turning|turned)\s+a\s+deaf\s+ear|sick\s+as\s+a\s+parrot|patient\s+zero|"
    r"allergic\s+to\s+(?:paperwork|work|mornings|meetings|admin|exercise|effort|change|email)|"
    r"blind\s+(?:spot|copy|bcc)|(?:cough|coughed)\s+up\s+(?:the\s+)?(?:money|cash|fees?)|fever\s+pitch|"
    r"went\s+viral|viral\s+(?:post|video|tweet)|(?:fridge|freezer|room|water|oven|core|ambient|"
    r"storage)\s+temperatures?)\b", regex.IGNORECASE)
_CHARITY = regex.compile(
    r"\b(?:charity|charities|fundrais\w*|awareness\s+(?:week|month|day|campaign)|"
    r"(?<!\b(?:my|his|her|their|your|banding|benefits?|tribunal|planning|pip|esa|tax|housing|"
    r"parking|exclusion|school|admissions?|court|legal)\s)appeal|"
    r"sponsor(?:ed|ship)?|donat(?:e|ed|ion|ions|ing)|bake\s+sale|coffee\s+morning|fun\s+run|"
    r"raffle|macmillan|marie\s+curie|cancer\s+research|heart\s+foundation|awareness|"
    r"rais(?:e|ed|ing)\s+(?:money|funds)|movember|race\s+for\s+life|just\s*giving|"
    r"(?:dementia|memory)[\s-]+(?:friends?|friendly|caf[e\u00e9])|action\s+week|disability\s+confident|"
    r"friendly\s+organisation|mindful\s+employer|"
    r"(?:alzheimer'?s|stroke|ms)\s+(?:society|association))\b", regex.IGNORECASE)


_MAILING = regex.compile(
    r"\b(?:unsubscribe|you(?:'re|\s+are)\s+receiving\s+this|manage\s+your\s+(?:email\s+)?"
    r"preferences|view\s+(?:this\s+email\s+)?in\s+(?:your|a)\s+browser)\b", regex.IGNORECASE)
"""A newsletter or mailing written to many readers: its health words are about no one of
them (the List-* headers, where present, already say so: `mime.is_bulk`)."""


_NOT_REAL = regex.compile(
    r"\b(?:case\s+stud(?:y|ies)|scenario|vignette|learning\s+outcomes?|(?<!\b(?:no|nil|without)\s+(?:\w+\s+)?)red\s+flags(?!\s*[:\-\u2013]\s*(?:none|nil))|quiz|"
    r"role[\s-]?play|fictional|fiction|novel|chapter|manuscript|protagonist|character|plot|"
    r"scene|storyline|screenplay|book\s+club|memoir|documentary|tv\s+(?:drama|series)|"
    r"short\s+stor(?:y|ies)|creative\s+writing|writing\s+group|"
    r"writers['\u2019]?\s+(?:group|circle)|"
    r"on\s+(?:the\s+)?telly|presenter|celebrity|in\s+the\s+news|news\s+(?:story|report)|"
    r"horoscopes?|your\s+stars|zodiac|star\s+signs?|aries|taurus|"
    r"gemini|virgo|libra|scorpio|sagittarius|capricorn|aquarius|pisces)\b", regex.IGNORECASE)
"""Words of a passage about nobody real: teaching cases, fiction, horoscopes."""


_SERVICE = regex.compile(
    r"[\s-]{0,2}(?:is\s+in\b|(?:is\s+)?(?:now\s+|back\s+)?in\s+stock|stock|campaign|catch-up|"
    r"programme|hub|support\s+(?:offer|service|line)|pathway|workshop|redesign|service|services|team|unit\s+manager|specialist\s+nurse|"
    r"(?:clinical\s+)?nurse\s+specialist|awareness|training|session|course|champion|lead|strategy|network|"
    r"research|friendly|friends|action\s+week|café|cafe|support\s+group|charity|society|"
    r"association|awareness\s+(?:month|week|day)|leaflet|policy|clinic\s+(?:is|will|moves|has\s+moved|times|"
    r"list)|champions|first\s+aiders?|uptake)\b", regex.IGNORECASE)
"""A condition named as a service, event or role ("the diabetes pathway workshop")."""
_ADVICE = regex.compile(
    r"(?:^|[.!?:]\s{1,3}|\n\s*|,\s{1,3}(?:and\s+|then\s+)?)(?:please\s+)?(?:book|get|take|remember|"
    r"make\s+sure|don'?t|"
    r"do\s+not|check|keep|bring|stay|avoid|wash|call|phone|ring|contact|seek|follow|wear|use)\b"
    r"(?:(?!\b(?:i|i'm|i've|my|me|he|she|his|her|him|they|their|them)\b)[^.\n]){0,80}$",
    regex.IGNORECASE)
"""An instruction to readers in general, with no person in the sentence before the word."""


_GREETING = (r"(?i:dear|hi|hello|hiya|good\s+(?:morning|afternoon|evening)|morning|afternoon|"
             r"evening)\b(?!-)")
_HEADING = (r"\A(?:(?!\W{0,20}" + _GREETING + r")[^\n]{0,100}(?<![.?,;])\n){0,4}?")
"""At most four lines above a greeting: a heading (it does not open with a greeting and does
not end like a sentence; "URGENT!" and "MONDAY MORNING DROP-OFF" are headings)."""
_TO_MANY = regex.compile(
    _HEADING + r"\W{0,20}" + _GREETING
    + r"\s+(?:all|everyone|everybody|team|colleagues|families|parents|carers|staff|folks|"
    r"guys|residents|volunteers|members|parents\s*(?:or|and|/)\s*(?:carers|guardians))\b",
    regex.IGNORECASE)
"""A message that opens (below a heading, if any) by greeting many readers ("Dear families",
"Hi all"): "you", "your" and an unnamed "they" there are any of its readers, not one person.
"Dear colleague" and "Dear parent/carer" greet one reader (a referral, a letter home)."""
_TO_ONE = regex.compile(
    _HEADING + r"\W{0,20}(?:" + _GREETING + r"\s+(?:(?i:mr|mrs|ms|miss|mx|dr)\.?\s+)?|"
    r"(?i:mr|mrs|ms|miss|mx|dr)\.?\s+)([A-Z][A-Za-z'\u2019\-]+)\b")
"""A message that opens by greeting one reader by name ("Dear Mr Pritchard", "Hi Jan", "Good
morning Mrs Patel", "Mrs Patel,")."""
_NOT_ONE = _NOT_NAMES | frozenset("""
    patient patients sir madam colleague colleagues parent parents carer carers member members
    friend friends client clients customer customers resident residents team all everyone
    everybody family families applicant applicants student students user users staff
    service manager director officer doctor nurse
    """.split())
"""Words after "Dear" that name a role, not a reader: "Dear Patient", "Dear Sir/Madam"."""
_ANY_READER = frozenset({"they", "them", "their", "theirs", "themselves", "they're", "they've",
                         "they'd", "they'll", "you", "your"})
"""Person words that, in mail to many readers, stand for any of them."""


def to_many(text: str, timeout: float) -> bool:
    """Does `text` open by greeting many readers (`_TO_MANY`)? Asked once per text."""
    return _TO_MANY.match(text, timeout=timeout) is not None


def to_one(text: str, timeout: float) -> bool:
    """Does `text` open by greeting one reader by name (`_TO_ONE`)? Read at the start only."""
    m = _TO_ONE.match(text, timeout=timeout)
    return m is not None and m.group(1).lower() not in _NOT_ONE


_SOFT_BREAK = regex.compile(r"(?<=[^\n]{40})\n(?=[a-z])")
"""A line break inside a sentence of hard-wrapped mail: after a line of 40 characters or
more, before a lower-case letter."""


def unwrapped(text: str) -> str:
    """`text` with each soft line break (`_SOFT_BREAK`) read as a space, index for index:
    the cues read a sentence of wrapped mail as one line ("68% of\nthem living with cancer"
    is a figure). `text` itself when it has none."""
    if "\n" not in text:
        return text
    joined, breaks = _SOFT_BREAK.subn(" ", text)
    return joined if breaks else text


def is_mailing(text: str, timeout: float) -> bool:
    """Is `text` a newsletter or mailing (`_MAILING` anywhere in it)? The matcher asks once per
    text (`Text.mailing`), not once per candidate."""
    return _MAILING.search(text, timeout=timeout) is not None


def about_no_one(text: str, start: int, end: int, timeout: float, *,
                 may_match: Callable[[regex.Pattern[str], int, int], bool] | None = None,
                 mailing: bool | None = None) -> str | None:
    """The cue that the statement at [start, end) is about no identifiable person (an
    animal, a template, a figure about a group, general advice, an idiom, a charity), or
    None. Applies to every health statement, with or without a person cue.

    Speed only, from the matcher's `Text` (one per text, so found once for all its
    candidates): `may_match(pattern, lo, hi)` is False where the pattern cannot match in
    that window (each cue is searched only where it may), and `mailing` is
    `is_mailing(text)`."""

    def may(pattern: regex.Pattern[str], lo: int, hi: int) -> bool:
        return may_match is None or may_match(pattern, lo, hi)

    def wide(pattern: regex.Pattern[str]) -> bool:
        lo, hi = max(0, start - ANIMAL_WINDOW), min(len(text), end + ANIMAL_WINDOW)
        return may(pattern, lo, hi) and pattern.search(text, lo, hi, timeout=timeout) is not None

    lo, hi = max(0, start - REJECT_WINDOW), min(len(text), end + REJECT_WINDOW)
    around = text[lo:hi]
    # The sentence lies inside [lo, hi): no animal word there, none in the sentence.
    if wide(_VET) or (may(_ANIMAL, lo, hi) and _ANIMAL.search(
            _sentence(text, start, end, REJECT_WINDOW), timeout=timeout)):
        return "about an animal"
    if wide(_NOT_REAL):
        return "a teaching case, fiction or a horoscope"
    if is_mailing(text, timeout) if mailing is None else mailing:
        return "a newsletter or mailing"
    if may(_TEMPLATE, lo, hi) and _TEMPLATE.search(around, timeout=timeout):
        return "a template placeholder"
    if may(_CHARITY, lo, hi) and _CHARITY.search(around, timeout=timeout):
        return "charity or awareness mail"
    b = max(0, start - 120)
    before = text[b:start]
    if may(_GROUP, b, start) and _GROUP.search(before, timeout=timeout):
        return "a figure about a group"
    if _SERVICE.match(text, end, timeout=timeout):
        return "a service, event or role named after a condition"
    if may(_ADVICE, b, start) and _ADVICE.search(before, timeout=timeout):
        return "general advice"
    if may(_YOU_SHOULD, b, start) and _YOU_SHOULD.search(before, timeout=timeout) and not (
            _YOUR.search(before) and to_one(text, timeout)):
        return "general advice"
    # Each search asked about its own window: a string that ends a word at `start` in the
    # text may end one in `before`, where the text stops.
    if ((may(_GENERIC, b, start) and _GENERIC.search(before, timeout=timeout))
            or (may(_GENERIC, b, end) and _GENERIC.search(text[b:end], timeout=timeout))):
        return "general advice"
    l0 = max(0, start - 30)
    l1 = min(len(text), end + 40)
    if not may(_IDIOM, l0, l1):
        return None
    for m in _IDIOM.finditer(text[l0:l1], timeout=timeout):
        if m.start() <= start - l0 < m.end() or start - l0 <= m.start() < end - l0:
            return "an idiom"
    return None


_SENTENCE_END = regex.compile(r"[.!?]\s|\n\s*\n")


def _sentence(text: str, start: int, end: int, reach: int) -> str:
    """The sentence around [start, end), at most `reach` characters either side: cut after
    the last sentence end (or blank line) before it and at the first one after it."""
    lo, hi = _sentence_bounds(text, start, end, reach)
    return text[lo:hi]


def _sentence_bounds(text: str, start: int, end: int, reach: int) -> tuple[int, int]:
    """Where `_sentence` cuts: (first, one past last)."""
    lo, hi = max(0, start - reach), min(len(text), end + reach)
    ends = list(_SENTENCE_END.finditer(text, lo, start))
    if ends:
        lo = ends[-1].end()
    after = _SENTENCE_END.search(text, end, hi)
    if after is not None:
        hi = after.start() + 1
    return lo, hi


def person_cues(text: str, start: int, end: int, person_words: regex.Pattern[str] | None,
                within: int, timeout: float, *, many: bool = False) -> tuple[str, ...]:
    """The cues that tie the statement at [start, end) to a person (none: not tied), looked
    for in its own sentence, at most `within` (or `WINDOW`) characters either side. `many`:
    the text is written to many readers (`to_many`), so "you", "your" and "they" there are
    any of them, and tie a statement to no one."""
    lo, hi = _sentence_bounds(text, start, end, max(within, WINDOW))
    window = text[lo:hi]
    reasons: list[str] = []
    # Searched in the text, not a slice of it: a word's look-ahead sees past the window
    # ("Contact your GP" is no contact), and `\b` reads the character before the window, so
    # a word the window's start cuts is not read from its middle ("grandfather" is no
    # "father"); a reader's "your" is read even where the window cuts it off.
    if person_words is not None and any(
            m.start() < hi
            and (not many or (m.group().lower() not in _ANY_READER and not _YOUR.search(
                text, max(0, m.start() - 12), m.start())))
            for m in person_words.finditer(text, lo, min(len(text), hi + 20), timeout=timeout)):
        reasons.append("person word")
    if _FIRST_PERSON.search(_sentence(text, start, end, SELF_WINDOW), timeout=timeout) and not (
            _CARER.search(text, max(lo, start - SELF_WINDOW - 40), start, timeout=timeout)):
        reasons.append("the writer about themselves")
    if not many and _ADDRESSED.search(window, timeout=timeout):
        reasons.append("the reader about themselves")
    if _names(window, start - lo, end - lo):
        reasons.append("a person's name")
    if _BIRTH.search(text, max(0, start - BIRTH_WINDOW), end + BIRTH_WINDOW, timeout=timeout):
        reasons.append("a date of birth")
    if _LABELLED.search(text, max(0, start - LABEL_WINDOW), start, timeout=timeout):
        reasons.append("a person named above")
    return tuple(reasons)


def cue_strength(cues: tuple[str, ...]) -> float:
    """How firmly the cues tie a statement to a person, as a confidence factor: a person
    word near it (her, patient, my son) 1.0; the writer or reader about themselves 0.9; only
    a name, a date of birth or a labelled subject 0.8. `--min-confidence` trades recall
    for precision on this."""
    if "person word" in cues:
        return 1.0
    if "the writer about themselves" in cues or "the reader about themselves" in cues:
        return 0.9
    return 0.8
