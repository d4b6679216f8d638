"""A small grammar that writes plausible world-affairs analysis.

Sentences are templates with named slots (``{c}`` the article's country,
``{thing}`` a noun phrase from the topic's lexicon, ``{official}`` an invented
source, and so on). A :class:`Writer` fills them for one article from a seeded
``random.Random``, so an article is the same for the same seed. Templates are
drawn without replacement within an article so paragraphs do not repeat.

All templates were written for Masthead's demo; every quoted person, institution
and document is invented.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from . import words
from .words import LEXICON, MONTHS, NUMBER_WORDS, WEEKDAYS, TopicLexicon

_TAG_RE = re.compile(r"<[^>]+>")

REGION_HOODS: dict[str, str] = {
    "africa": "sub-Saharan Africa",
    "middle-east-north-africa": "the Middle East",
    "europe": "Europe",
    "russia-eurasia": "the former Soviet space",
    "south-asia": "South Asia",
    "east-asia": "East Asia",
    "southeast-asia": "South-East Asia",
    "oceania": "the Pacific",
    "north-america": "North America",
    "latin-america-caribbean": "Latin America",
    "antarctica": "the Southern Ocean",
}


class Place(NamedTuple):
    code: str
    name: str  # as printed in running text: "the United States"
    possessive: str  # "the United States'"
    capital: str  # "Washington" or "the capital"
    hood: str  # "North America", "the Sahel"


def make_place(code: str, name: str, region_slug: str) -> Place:
    display = f"the {name}" if code in words.NAMES_WITH_THE else name
    possessive = f"{display}'" if display.endswith("s") else f"{display}'s"
    capital = words.CAPITALS.get(code, "the capital")
    hood = words.NEIGHBOURHOODS.get(code) or REGION_HOODS.get(region_slug, "the region")
    return Place(code, display, possessive, capital, hood)


def plain_words(html: str) -> int:
    """Words in a piece of inline HTML, counted as ``body_word_count`` counts them."""
    if "<" in html:
        html = _TAG_RE.sub("", html)
    return len(html.split())


_INNER_START_RE = re.compile(r"([.?!] )([a-z])")


def _upper(match: re.Match) -> str:
    return match.group(1) + match.group(2).upper()


def _cap(sentence: str) -> str:
    """Capitalise the start of every sentence in a filled template (a slot may begin one)."""
    if not sentence:
        return sentence
    first = sentence[0]
    opens_quote = first in "\u201c\"'"
    sentence = first + sentence[1:2].upper() + sentence[2:] if opens_quote else first.upper() + sentence[1:]
    if ". " in sentence or "? " in sentence:
        sentence = _INNER_START_RE.sub(_upper, sentence)
    return sentence


# --- Sentence templates by role -------------------------------------------------------------

LEDE = (
    "When {hook} came {recent}, few officials in {cap} were surprised.",
    "The news from {c} {recent} was {hook}, and it has forced the government to revisit {issue}.",
    "For much of the past year, {cp} leaders insisted that {thing} was under control; {hook} {recent} "
    "suggests otherwise.",
    "{recent}, {c} offered the clearest sign yet that {issue} has become a political problem rather than a "
    "technical one.",
    "Few outside {hood} paid much attention {recent} to {hook} in {c}. They should have.",
    "It began, as these things often do, with {hook}.",
    "Officials in {cap} had hoped to spend the year talking about {thing}; instead they are managing the "
    "fallout from {hook}.",
    "On the surface, {hook} in {c} {recent} was a local affair.",
    "The announcement came late on a {weekday}, in a short statement from the {min}: {cp} approach to {issue} "
    "would change.",
    "By the standards of {hood}, {cp} {dom} has long looked predictable. {hook} has changed that.",
    "Three questions have hung over {cp} {dom} since {yr}. {recent}, one of them was partly answered.",
    "There was little ceremony {recent} when {c} moved to overhaul {thing}.",
    "In {cap}, the talk this {season} is of little else but {issue}.",
    "The clearest way to understand what happened in {c} {recent} is to start with {thing}.",
    "For {actor}, {hook} was the moment a slow-moving problem became an urgent one.",
    "{c} rarely makes headlines for its {dom}. That changed {recent}, after {hook}.",
    "Diplomats in {cap} describe the mood as {mood}.",
    "On paper, {hook} in {c} changes little. In practice, it may change a great deal.",
    "Nobody in {cap} planned for {hook}, and it shows.",
    "The timing of {hook}, just weeks before an important budget vote, could hardly have been worse for "
    "{cp} government.",
)

STAKES = (
    "The stakes go well beyond {c}.",
    "What happens next matters for {hood} as a whole, where {people} are watching closely.",
    "At issue is not only {thing} but the credibility of a government that promised to fix it.",
    "If the current approach fails, the costs will fall first on {actor}, and later on the state's finances.",
    "The episode exposes a deeper weakness: {cp} reliance on {thing} leaves it with few good options.",
    "That matters because {issue} touches almost every other problem the government faces.",
    "For {c2}, which has spent years cultivating ties with {c}, the timing is awkward.",
    "The real question is whether {cp} leaders can change course without appearing to concede defeat.",
    "Behind the technical language lies a simple political problem: someone will have to pay.",
    "Much depends on {issue}, a subject on which the government has so far said remarkably little.",
    "The outcome will shape not only {cp} {dom} but also its standing with {c2}.",
    "Seen from {cap}, this is a question of sovereignty as much as of policy.",
    "The sums involved are modest; the precedent is not.",
    "It is, in short, a test of whether {c} can manage {issue} on its own terms.",
    "Getting this wrong would be expensive. Getting it right would require the kind of patience that the "
    "political calendar rarely allows.",
    "Few issues reveal the limits of state capacity in {c} as clearly as {thing}.",
    "The risk is less a sudden collapse than a slow erosion of confidence among {actor}.",
    "That is why the argument over {issue} has become so bitter.",
    "It is also a reminder that {cp} {dom} is shaped as much in the provinces as in {cap}.",
    "The decision will be read, rightly or wrongly, as a signal of how far the government is prepared to go.",
)

CONTEXT = (
    "This is not a new problem. Since {yr}, successive governments have promised to reform {thing}, and each "
    "has retreated when the costs became clear.",
    "The roots of the current dispute go back to {yr}, when {c} agreed to a compromise on {issue} that "
    "satisfied nobody.",
    "For most of the past decade, {thing} was treated as a technical matter, left to officials at the {min}.",
    "Back in {yr}, {c} looked like a success story, praised by lenders for its handling of {issue}.",
    "The arrangement dates from a period of relative calm, when {actor} were willing to accept the state's terms.",
    "Much of the present difficulty stems from decisions taken in haste after {event2}.",
    "Earlier attempts to deal with {issue} foundered on the same obstacle: the unwillingness of {actor} to "
    "accept losses.",
    "The system was designed for a different era, one in which {c2} was a predictable partner and money was cheap.",
    "At the time, few objected. {actor} were doing well, and the government had other priorities.",
    "Since then, {metric} has {moved}, and the old bargain has frayed.",
    "Two things have changed since {yr}: money has become scarcer, and {c2} has become more assertive.",
    "Memories of {event2} still shape attitudes to {issue} among {actor}.",
    "The legal framework, last revised in {yr}, gives the {min} broad powers over {thing}, but those powers "
    "have rarely been used.",
    "The last serious attempt at reform, in {yr}, ended with the resignation of a minister and a quiet return "
    "to the status quo.",
    "Over the same period, {hood} has become crowded with outside powers, each with its own interest in {thing}.",
    "In the years after {yr}, {c} borrowed heavily to cushion the effects of {issue}.",
    "It helps to recall how {thing} worked before the current government took office.",
    "The pattern is familiar across {hood}: promises made in good times, broken in bad ones.",
    "A report by {inst} in {yr} warned that {issue} would become unmanageable within a decade. Its authors "
    "were, if anything, too optimistic.",
    "Ordinary people feel the problem most directly through {metric}, which has {moved} since {yr}.",
    "The current government inherited much of this. It has also made it worse, by treating {issue} as a "
    "question of public relations.",
    "None of this happened in a vacuum. {event2} in {yr} left a legacy of mistrust that still colours every "
    "negotiation.",
)

ACTORS = (
    "\u201cWe are not going to solve {issue} in one budget cycle,\u201d said {official}, who asked not to be "
    "named because the discussions are confidential.",
    "{official} put it more bluntly: the government, on this account, has \u201crun out of easy choices\u201d.",
    "According to {official}, the real debate inside government is not whether to act but how quickly.",
    "Privately, {people} concede that the official line on {thing} is more hopeful than the evidence allows.",
    "\u201cThe public numbers on {metric} are the optimistic version,\u201d said a researcher at {inst}.",
    "{actor} complain that they were not consulted. Several said they learned of the decision from the news.",
    "One veteran of earlier negotiations over {issue} described the current talks as \u201cmore serious than "
    "anything since {yr}, which is not saying much\u201d.",
    "In interviews, {people} in {cap} described a government divided between reformers and those who fear "
    "the political cost of change.",
    "{official} argued that critics underestimate how much has already changed.",
    "\u201cEveryone agrees on the diagnosis,\u201d said {official}. \u201cNobody agrees on who should take the "
    "medicine.\u201d",
    "The {min} declined to comment on the details, saying only that its approach to {issue} remained under review.",
    "Opposition politicians have seized on the issue, accusing the government of mishandling {thing}.",
    "{actor} are lobbying hard, and not always discreetly.",
    "A diplomat from {c2} who follows the file closely was more sceptical. \u201cWe have heard these promises "
    "before,\u201d the diplomat said.",
    "Among {actor}, the mood is one of weary pragmatism.",
    "The officials most closely involved tend to speak of {issue} in the language of risk management rather "
    "than reform.",
    "Several of the people interviewed for this article pointed to the same moment: the government's handling "
    "of {event2}.",
    "{official} suggested that a compromise on {issue} could be reached {later}, without offering details.",
    "Not everyone in government shares that confidence. {official2} warned that {actor} could yet derail the plan.",
    "{actor}, for their part, say they have been asking for clarity on {thing} for years.",
    "\u201cThis is a political problem dressed up as a technical one,\u201d said {official}.",
    "A former minister who once handled the file said the government was \u201c<i>managing</i> the problem, "
    "not solving it\u201d.",
)

DATA = (
    "The figures are stark: {metric} has {moved} over the past {n} years, according to official data.",
    'By <a href="{url}">one estimate</a> from {inst}, {metric} {rose} by {pct} per cent in the year to {month}.',
    "Roughly {pct} per cent of {actor} surveyed last year said they expected conditions to worsen.",
    "The government puts the cost of the programme at {money}; independent estimates run to nearly twice that.",
    "Some {big} people are directly affected, most of them in the poorer provinces.",
    "{metric} now stands at its {level} level since {yr}.",
    '<a href="{url}">Official figures</a> show that {metric} {rose} by {pct} per cent last year, though '
    "economists at {inst} say the true change may be larger.",
    "Spending linked to {thing} has grown to about {share} per cent of the relevant budget, up from {share2} "
    "per cent in {yr}.",
    "A survey published in {month} found that {pct} per cent of respondents in {c} regarded {issue} as the "
    "country's most pressing problem.",
    "Data collected by {inst} suggest that {metric} has {moved} since {yr}, with the sharpest change in the "
    "past {n} months.",
    "The sums are not trivial: {money}, or roughly {small_pct} per cent of annual output.",
    "In {n} of the past {n2} years, {metric} has missed the government's own targets.",
    "Even the optimistic scenario in the government's planning documents assumes that {metric} will not "
    "recover to its level of {yr} until at least {fyr}.",
    "Nobody knows the precise figure. Estimates of the number of people affected range from {big} to several "
    "times that.",
    "Compared with its neighbours in {hood}, {c} has been slow to put money behind its plans: about {money} "
    "a year, by one count.",
    "The trend is clear even if the numbers are disputed: {metric} has {moved} in {n} of the past {n2} quarters.",
    "A decade ago, {actor} accounted for a small share of the total; today the figure is closer to {pct} per cent.",
    "Put simply, {metric} {rose} by {pct} per cent while the budget for {thing} stayed flat.",
)

COUNTER = (
    "There are reasons for caution. Similar announcements in {yr} produced little change on the ground.",
    "Yet the picture is not uniformly bleak.",
    "Sceptics point out that the government has a habit of announcing reforms it never implements.",
    "None of this means a crisis is inevitable.",
    "It would be a mistake, however, to read too much into a single {period}.",
    "Still, the optimists have a case. {actor} have adapted faster than many expected.",
    "The counter-argument deserves a hearing: {c} has muddled through worse.",
    "Some of the gloomier forecasts rest on assumptions that may not hold.",
    "Much will depend on factors outside the government's control, not least the behaviour of {c2}.",
    "A more charitable reading is that {cp} leaders are buying time while they build a coalition for change.",
    "Whether this amounts to a strategy or merely a reaction is hard to say.",
    "The evidence, such as it is, points in both directions.",
    "That said, {metric} has {moved} before without lasting political consequences.",
    "The honest answer is that nobody, including the government, knows how {actor} will respond.",
    "Critics may be overstating the danger; they may also be understating it.",
    "Not every setback is a trend, and {c} has surprised its critics before.",
    "For all the alarm, the institutions involved have so far held.",
    "The more probable outcome is neither breakthrough nor collapse, but a long period of improvisation.",
    "It is worth remembering that similar warnings were issued about {thing} in {yr}, and the worst did not happen.",
)

REGIONAL = (
    "The view from {c2} matters here.",
    "Across {hood}, governments are watching to see whether {cp} approach works.",
    "{c2} has its own reasons to care: its officials have long treated {cp} handling of {issue} as a bellwether.",
    "Neighbouring governments face similar pressures, and several have quietly copied parts of {cp} playbook.",
    "For {c2}, the calculation is straightforward: instability in {c} is expensive, but so is involvement.",
    "The episode has also become entangled with {cp} relations with {c2}, which were already strained.",
    "Outside powers are not idle. {c2} has offered help with {thing}, on terms that officials in {cap} regard warily.",
    "In {hood}, where borders are porous and {issue} rarely stays within one country, the effects will spread.",
    "Regional bodies such as {forum} have so far confined themselves to statements of concern.",
    "The question of {issue} was on the agenda at the last meeting of {forum}, though it produced little "
    "beyond a communiqu\u00e9.",
    "{c2} and {c} have rarely agreed on {issue}, but each needs the other more than either admits.",
    "What happens in {c} tends not to stay there. Officials in {c2} are already adjusting their plans.",
    "The rivalry among outside powers gives {cp} leaders room for manoeuvre, and they have used it.",
    "Seen from {c2}, the priority is to avoid surprises.",
    "Officials in {c2} have been careful to say little in public, which is itself a kind of statement.",
    "For smaller states in {hood}, the lesson is uncomfortable: {issue} is no longer a domestic matter.",
)

OUTLOOK = (
    "What to watch next is {issue}.",
    "The next test will come {later}, when {actor} must decide whether to accept the new terms.",
    "For now, the most likely outcome is a messy compromise that satisfies nobody but keeps the system running.",
    "Much will depend on whether the government can hold its coalition together {later}.",
    "If the current course holds, {metric} should begin to stabilise {later}. If it does not, the political "
    "consequences could be severe.",
    "Three signals are worth following: the budget, the tone of statements from {c2}, and the mood among {actor}.",
    "The government has bought itself some time. It is not clear that it knows what to do with it.",
    "The danger is that {issue} becomes another problem that {c} manages rather than solves.",
    "None of the options is cheap, and the cheapest ones are the most dangerous.",
    "Over the next year, the debate over {thing} is likely to become sharper, not calmer.",
    "The window for an orderly solution is narrowing.",
    "Whatever happens {later}, the old assumptions about {cp} {dom} will not return.",
    "The choices made in {cap} in the coming months will be felt well beyond {hood}.",
    "A breakthrough remains possible. It is simply less likely than it was a year ago.",
    "Expect more improvisation, and more arguments about {issue}, before anything is settled.",
    "The likeliest trigger for change is not a summit or a speech but {event2}.",
)

OPINION = (
    "I have followed {cp} {dom} for long enough to be wary of declarations that this time is different.",
    "My argument is simple: {c} needs to treat {issue} as a political question, not a technical one.",
    "We should be honest about what has gone wrong.",
    "The fashionable view is that {issue} can be solved with more money. I think that is mistaken.",
    "It is tempting to blame {c2}. It is also too easy.",
    "Policymakers in {cap} would do better to start with {thing}.",
    "The lesson of {yr} is that half-measures cost more in the end.",
    "I am not arguing for doing nothing; I am arguing for doing fewer things, better.",
    "There is a better path, and it is not a secret.",
    "Those who warn of the risks of acting should be asked to describe the risks of not acting.",
    "Governments elsewhere in {hood} have shown that it can be done.",
    "What is missing is not knowledge but political will.",
    "We have been here before, and we should not pretend otherwise.",
    "If I were advising the {min}, I would begin by admitting that the current strategy has failed.",
    "Reasonable people can disagree about the pace of change; they should not disagree about its direction.",
    "The case for patience is strong. The case for complacency is not.",
    "I would <i>start</i> with {issue}, because everything else depends on it.",
)

ASIDES = (
    "The details matter.",
    "That is easier said than done.",
    "The difference is more than semantic.",
    "It is a familiar pattern.",
    "Officials know this.",
    "Few expect a quick resolution.",
    "That may prove optimistic.",
    "The arithmetic is unforgiving.",
    "It is not the first time.",
    "This is where the politics gets difficult.",
)

ROLES: dict[str, tuple[str, ...]] = {
    "lede": LEDE,
    "stakes": STAKES,
    "context": CONTEXT,
    "actors": ACTORS,
    "data": DATA,
    "counter": COUNTER,
    "regional": REGIONAL,
    "outlook": OUTLOOK,
    "opinion": OPINION,
    "aside": ASIDES,
}

# Which roles a paragraph of a given role borrows its later sentences from.
COMPANIONS: dict[str, tuple[str, ...]] = {
    "lede": ("stakes", "context", "stakes", "context", "aside"),
    "stakes": ("context", "counter", "context", "counter", "aside"),
    "context": ("data", "actors", "data", "actors", "aside"),
    "actors": ("context", "counter", "data"),
    "data": ("context", "counter", "context", "counter", "aside"),
    "counter": ("actors", "data", "stakes"),
    "regional": ("actors", "stakes", "counter"),
    "outlook": ("counter", "stakes", "counter", "stakes", "aside"),
    "opinion": ("stakes", "counter", "context"),
}

HEADINGS = (
    "The view from {cap}",
    "What the numbers say",
    "An {adj_an} bargain",
    "The {kw} question",
    "Who gains, who loses",
    "The regional picture",
    "Old habits, new pressures",
    "Counting the cost",
    "The calculation in {c2}",
    "The politics of {kw}",
    "Where this leads",
    "A problem deferred",
    "The limits of reform",
    "Inside the {min}",
    "The long view",
    "What could go wrong",
    "Lessons from {yr}",
    "On the ground",
    "The money question",
    "Beyond {hood}",
    "A question of trust",
    "The road to {fyr}",
)

HEADLINES = (
    "Why {cp} {head} matters for {hood}",
    "Why {cp} {head} matters for {c2}",
    "The quiet {shift} in {cp} {dom}",
    "What {hook} means for {c}",
    "{cp} {head} is {more} than it looks",
    "How {actor} are reshaping {cp} {dom}",
    "The limits of {cp} {head}",
    "Inside {cp} struggle over {issue}",
    "Can {c} fix {thing}?",
    "{c} and {c2}: an uneasy {pairing}",
    "The {adj} politics of {kw} in {c}",
    "After {hook}, {c} faces {dilemma}",
    "{c} after {hook}",
    "Is {cp} approach to {issue} working?",
    "The return of {cp} {head}",
    "{c} is running out of time on {issue}",
    "Who really decides {cp} {dom}?",
    "The battle over {thing} in {c}",
    "What {c2} gets wrong about {c}",
    "{cp} {head} enters a dangerous phase",
)
BRIEFING_HEADLINES = (
    "{cp} {head}, explained",
    "Five things to know about {issue} in {c}",
    "Briefing: {issue} in {c}",
    "What we know about {hook} in {c}",
    "The essentials: {cp} {head}",
)
OPINION_HEADLINES = (
    "The case for rethinking {issue}",
    "{c} should stop {gerund}",
    "What {c2} gets wrong about {c}",
    "It is time to be honest about {cp} {head}",
    "A better answer to {issue}",
    "Don't mistake {cp} {head} for a strategy",
)

DEKS = (
    "{cp} government is betting that {thing} can carry it through {issue}; the evidence so far is mixed.",
    "A dispute over {issue} exposes how little room {cp} leaders have left.",
    "{hook} has revived an old argument in {cap}, and {c2} is watching closely.",
    "Behind the headlines about {hook} lies a slower shift in how {c} handles {issue}.",
    "Why the fight over {issue} will shape {cp} {dom} for years to come.",
    "The government in {cap} wants to change {thing} without paying the political price.",
    "{c} has more at stake in {issue} than its leaders admit.",
    "How {actor} became the deciding force in {cp} {dom}.",
    "A close look at {thing} shows why {c} keeps returning to the same dilemma.",
    "Officials promise stability, but {metric} tells a less comfortable story.",
    "The argument over {issue} is really an argument about who governs {c}.",
)
BRIEFING_DEKS = (
    "The essentials on {issue} in {c}, and what to watch next.",
    "What happened, why it matters and what comes next for {cp} {dom}.",
    "A short guide to {hook} and its consequences for {hood}.",
)
OPINION_DEKS = (
    "{c} needs to stop treating {issue} as someone else's problem.",
    "The current approach to {thing} is failing, and pretending otherwise helps nobody.",
    "Outsiders keep misreading {cp} {dom}; here is a better way to think about it.",
)

QUOTES = (
    "We are trying to manage a crisis with the tools of a calmer decade.",
    "Everyone agrees on the diagnosis. Nobody agrees on who should take the medicine.",
    "The question is not whether we change, but whether we get to choose how.",
    "If this fails, it will not fail quietly.",
    "We have bought time. We have not bought a solution.",
    "People here have stopped waiting for the state to fix {thing}.",
    "Every month we delay, the bill gets larger.",
    "Nobody in {cap} wants to be the one who says it out loud.",
    "This is a political problem dressed up as a technical one.",
    "The easy choices were made years ago.",
    "We are negotiating with people who can wait longer than we can.",
    "The numbers on paper and the numbers on the street are not the same numbers.",
)

DOCUMENT_QUOTES = (
    (
        "The parties undertake to refrain from any action that would prejudice {issue}, pending the conclusion "
        "of a comprehensive settlement.",
        "Draft text circulated at {forum}",
    ),
    (
        "The current trajectory of {metric} is not compatible with the stability objectives set out in the "
        "medium-term framework.",
        "Internal briefing note of the {min}, seen by The Meridian Review",
    ),
    (
        "We recognise the concerns raised by {actor} and will respond to them in full once the review is complete.",
        "Statement by a spokesperson for the {min}",
    ),
    (
        "In our assessment, the risks associated with {issue} are rising and are not adequately reflected in "
        "official planning.",
        "Annual risk report, {inst_name}",
    ),
    (
        "No lasting solution to {issue} is possible without the participation of {actor}.",
        "Final communiqu\u00e9 of {forum}",
    ),
    (
        "Implementation has been uneven, and in several provinces it has not begun at all. The committee "
        "regards this as a matter of serious concern.",
        "Report of a parliamentary committee on {thing}",
    ),
)

CAPTIONS = (
    "{scene}. The debate over {issue} is reshaping {cp} {dom}.",
    "{scene}. {c} faces hard choices over {thing}.",
    "{scene}, an illustration for our report on {issue}.",
    "{scene}. Few in {cap} expect {issue} to be settled soon.",
)

EXTERNAL_READING = (
    "Annual review of {issue}",
    "Working paper: {thing} in {c}",
    "Data brief on {metric}",
    "Dossier: {cp} {dom} since {yr}",
)

MOODS = (
    "anxious but not yet alarmed",
    "quietly optimistic",
    "grim",
    "unusually tense",
    "resigned",
    "more hopeful than at any time this year",
)
PEOPLE = (
    "diplomats",
    "analysts",
    "economists",
    "local officials",
    "aid workers",
    "business leaders",
    "opposition politicians",
    "security officials",
    "journalists",
    "civil servants",
)
ADJS = ("uneasy", "fragile", "costly", "improbable", "overdue", "risky", "pragmatic", "awkward", "unfinished")
ADJ_AN = ("uneasy", "improbable", "overdue", "awkward", "unfinished", "expensive", "unlikely")
MOVED = (
    "fallen by roughly a third",
    "almost doubled",
    "risen steadily",
    "swung sharply",
    "stagnated",
    "declined for {n} consecutive years",
    "risen by about {pct} per cent",
    "fallen by about {pct} per cent",
)
ROSE = ("rose", "fell", "climbed", "dropped", "edged up", "slipped")
LATER = (
    "by the end of the year",
    "before the next budget",
    "within months",
    "next spring",
    "in the run-up to the next election",
    "over the coming winter",
    "after the summer recess",
)
SHIFTS = ("revolution", "retreat", "reinvention", "crisis", "shift", "reckoning", "realignment")
MORE = ("more fragile", "more durable", "riskier", "more costly", "more popular", "less secure")
PAIRINGS = ("partnership", "rivalry", "truce", "bargain", "alliance")
DILEMMAS = ("a hard choice", "an old dilemma", "a reckoning", "a long winter", "an awkward bargain")
GERUNDS = (
    "pretending {thing} will fix itself",
    "treating {issue} as a technicality",
    "waiting for {c2} to act",
    "outsourcing {issue}",
)
OFFICIALS = (
    "a senior adviser to the {min}",
    "an official at the {min}",
    "a former deputy minister",
    "a diplomat based in {cap}",
    "a senior member of the ruling party",
    "a researcher at {inst}",
    "an economist who has advised the government",
    "a mid-ranking official in {cap}",
    "a retired senior civil servant",
    "a member of parliament's budget committee",
    "a Western diplomat",
    "a diplomat from a neighbouring country",
)
PERIODS = ("month", "quarter", "season", "week", "set of figures")


def _fill(template: str, writer: Writer) -> str:
    return template.format_map(_Slots(writer))


class _Slots(dict):
    """Slot values for one sentence, computed on first use so one name means one value."""

    def __init__(self, writer: Writer):
        super().__init__()
        self.writer = writer

    def __missing__(self, key: str) -> str:
        value = self.writer.slot(key, self)
        self[key] = value
        return value


class Writer:
    """Writes one article: headline, dek, body blocks, quotes, captions."""

    def __init__(
        self,
        rng: random.Random,
        *,
        kind: str,
        places: Sequence[Place],
        topics: Sequence[str],
        when: datetime,
        region: str = "",
    ):
        self.rng = rng
        self.kind = kind
        self.places = list(places)
        self.place = self.places[0]
        self.others = self.places[1:]
        self.topics = list(topics)
        self.lexicons: list[TopicLexicon] = [LEXICON[slug] for slug in self.topics]
        self.lex = self.lexicons[0]
        self.when = when
        self.year = when.year
        self._other_turn = 0
        self._bags: dict[str, list[str]] = {}
        self.hook = rng.choice(self.lex.events)
        # A one-country article is weighed against one outside power throughout, not a new one each sentence.
        powers = words.OUTSIDE_POWERS_BY_REGION.get(region, words.OUTSIDE_POWERS)
        self.outside = self._pick([p for p in powers if p != self.place.name])
        self.used_sentences: list[str] = []

    # -- slots ---------------------------------------------------------------------------

    def _pick(self, options: Sequence[str], avoid: str | None = None) -> str:
        choice = options[int(self.rng.random() * len(options))]
        if avoid is not None and choice == avoid and len(options) > 1:
            choice = options[(options.index(choice) + 1) % len(options)]
        return choice

    def _other(self) -> str:
        if self.others:
            place = self.others[self._other_turn % len(self.others)]
            self._other_turn += 1
            return place.name
        return self.outside

    def slot(self, key: str, slots: _Slots) -> str:
        rng = self.rng
        lex = self.lex
        match key:
            case "c":
                return self.place.name
            case "cp":
                return self.place.possessive
            case "cap":
                return self.place.capital
            case "hood":
                return self.place.hood
            case "c2":
                return self._other()
            case "dom":
                return lex.domain
            case "min":
                return lex.ministry
            case "thing":
                return self._pick(lex.things)
            case "thing2":
                return self._pick(lex.things, avoid=slots["thing"])
            case "issue":
                return self._pick(lex.issues)
            case "actor":
                return self._pick(lex.actors)
            case "metric":
                return self._pick(lex.metrics)
            case "event2":
                return self._pick(lex.events, avoid=self.hook)
            case "hook":
                return self.hook
            case "head":
                return self._pick(lex.heads)
            case "kw":
                return self._pick(lex.keywords)
            case "topic":
                return self.topics[0].replace("-", " ")
            case "official" | "official2":
                return _fill(self._pick(OFFICIALS, avoid=slots.get("official")), self)
            case "people":
                return self._pick(PEOPLE)
            case "inst":
                return "the " + self._pick(words.INSTITUTES)
            case "inst_name":
                return "the " + self._pick(words.INSTITUTES)
            case "forum":
                return self._pick(words.FORUMS)
            case "pct":
                return str(rng.randint(3, 38) if rng.random() < 0.85 else rng.randint(39, 64))
            case "pct2":
                return str(max(1, int(int(slots["pct"]) * (0.3 + rng.random() * 0.5))))
            case "share":
                return str(rng.randint(3, 24))
            case "share2":
                return str(max(1, int(int(slots["share"]) * (0.3 + rng.random() * 0.5))))
            case "small_pct":
                return f"{rng.randint(5, 60) / 10:.1f}"
            case "money":
                amount = rng.random()
                if amount < 0.45:
                    return f"${rng.randint(120, 950)}m"
                if amount < 0.9:
                    return f"${rng.randint(11, 99) / 10:.1f}bn"
                return f"${rng.randint(10, 60)}bn"
            case "big":
                if rng.random() < 0.3:
                    return f"{rng.randint(11, 49) / 10:.1f}m"
                return f"{rng.randint(8, 900) * 1000:,}"
            case "n":
                return NUMBER_WORDS[rng.randint(2, 5)]
            case "n2":
                return NUMBER_WORDS[rng.randint(NUMBER_WORDS.index(slots["n"]) + 2, 12)]
            case "yr":
                return str(self.year - rng.randint(3, 14))
            case "fyr":
                return str(self.year + rng.randint(2, 6))
            case "month":
                return MONTHS[rng.randint(0, max(0, self.when.month - 2))] if self.when.month > 1 else "December"
            case "recent":
                roll = rng.random()
                if roll < 0.3:
                    return "last week"
                if roll < 0.5:
                    return "earlier this month"
                if roll < 0.7:
                    return "in recent days"
                return "on " + slots["weekday"]
            case "weekday":
                return WEEKDAYS[(self.when - timedelta(days=rng.randint(1, 5))).weekday()]
            case "season":
                return ("winter", "spring", "summer", "autumn")[(self.when.month % 12) // 3]
            case "later":
                return self._pick(LATER)
            case "mood":
                return self._pick(MOODS)
            case "adj":
                return self._pick(ADJS)
            case "adj_an":
                return self._pick(ADJ_AN)
            case "moved":
                return _fill_nested(self._pick(MOVED), slots)
            case "rose":
                return self._pick(ROSE)
            case "level":
                return "highest" if rng.random() < 0.6 else "lowest"
            case "period":
                return self._pick(PERIODS)
            case "url":
                return self._pick(words.FICTIONAL_DATA_SITES) + self.topics[0]
            case "shift":
                return self._pick(SHIFTS)
            case "more":
                return self._pick(MORE)
            case "pairing":
                return self._pick(PAIRINGS)
            case "dilemma":
                return self._pick(DILEMMAS)
            case "gerund":
                return _fill_nested(self._pick(GERUNDS), slots)
            case "scene":
                return slots.get("scene", "An editorial illustration")
        raise KeyError(key)

    # -- sentences and paragraphs --------------------------------------------------------

    def _template(self, role: str) -> str:
        bag = self._bags.get(role)
        if not bag:
            bag = list(ROLES[role])
            self.rng.shuffle(bag)
            self._bags[role] = bag
        return bag.pop()

    def sentence(self, role: str) -> str:
        if role == "aside" and self._bags.get("aside") == []:
            role = "counter"  # short asides repeat visibly; use them once each
        if role == "lede" and "lede" in self._bags:
            role = "context"  # one lede per article: each one restates the news hook
        return _cap(_fill(self._template(role), self))

    def _choose_lexicon(self) -> None:
        if len(self.lexicons) > 1 and self.rng.random() < 0.3:
            self.lex = self.lexicons[1 + int(self.rng.random() * (len(self.lexicons) - 1))]
        else:
            self.lex = self.lexicons[0]

    def paragraph(self, role: str) -> tuple[str, int]:
        """(HTML paragraph, word count)."""
        self._choose_lexicon()
        rng = self.rng
        count = 3 + (rng.random() < 0.7) + (rng.random() < 0.4) + (rng.random() < 0.15)
        sentences = [self.sentence(role)]
        companions = COMPANIONS[role]
        # Only the first sentence of the opening paragraph is a lede; more would repeat the news hook.
        same_role = 0.0 if role == "lede" else 0.55
        for _ in range(count - 1):
            if rng.random() < same_role:
                sentences.append(self.sentence(role))
            else:
                sentences.append(self.sentence(companions[int(rng.random() * len(companions))]))
        self.used_sentences.extend(sentences)
        text = " ".join(sentences)
        return text, plain_words(text)

    # -- article parts -------------------------------------------------------------------

    def headline(self) -> str:
        if self.kind == "briefing" and self.rng.random() < 0.6:
            pool = BRIEFING_HEADLINES
        elif self.kind == "opinion" and self.rng.random() < 0.6:
            pool = OPINION_HEADLINES
        else:
            pool = HEADLINES
        return _cap(_fill(self._pick(pool), self))

    def dek(self) -> str:
        if self.kind == "briefing":
            pool = BRIEFING_DEKS
        elif self.kind == "opinion":
            pool = OPINION_DEKS
        else:
            pool = DEKS
        return _cap(_fill(self._pick(pool), self))

    def heading(self) -> str:
        self._choose_lexicon()
        return _cap(_fill(self._template_from(HEADINGS, "heading"), self))

    def _template_from(self, options: Sequence[str], bag_name: str) -> str:
        bag = self._bags.get(bag_name)
        if not bag:
            bag = list(options)
            self.rng.shuffle(bag)
            self._bags[bag_name] = bag
        return bag.pop()

    def quote(self) -> tuple[str, str]:
        """(quote, attribution) for a pull-quote block."""
        text = _fill(self._template_from(QUOTES, "quote"), self)
        return text, _cap(_fill(self._pick(OFFICIALS), self))

    def document_quote(self) -> tuple[str, str]:
        """(quote, source) from an invented document."""
        text, source = self._pick(DOCUMENT_QUOTES)
        slots = _Slots(self)
        return text.format_map(slots), _cap(source.format_map(slots))

    def caption(self, scene: str) -> str:
        slots = _Slots(self)
        slots["scene"] = scene
        return _cap(self._pick(CAPTIONS).format_map(slots))[:300]

    def external_reading(self) -> tuple[str, str]:
        """(url, title) of invented reading elsewhere."""
        title = _cap(_fill(self._pick(EXTERNAL_READING), self))
        institute = self._pick(words.INSTITUTES)
        host = re.sub(r"[^a-z]+", "-", institute.lower()).strip("-")
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        return f"https://{host}.example/reports/{slug}", f"{title}, {institute}"[:200]

    def pull_quote_sentence(self) -> str:
        candidates = [s for s in self.used_sentences if 60 <= len(s) <= 220 and "\u201c" not in s and "<" not in s]
        if not candidates:
            return ""
        return self._pick(candidates)


def _fill_nested(template: str, slots: _Slots) -> str:
    return template.format_map(slots)
