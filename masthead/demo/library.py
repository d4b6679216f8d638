"""Builds the demo library: site structure, authors, pictures and (many) articles.

Articles are written in bulk rather than through ``add_child`` and revisions:
for each batch the builder computes the treebeard paths of the new children of
the article index itself, inserts the ``wagtailcore_page`` rows with
``bulk_create``, then the ``ArticlePage`` rows through Django's own
``_insert`` (how ``Model.save`` writes each table of a multi-table model), then
the authors, topics and countries, all in one transaction per batch. Signals do
not fire; the search index and Wagtail's reference index are updated through
their bulk APIs instead.
"""

from __future__ import annotations

import functools
import io
import queue
import random
import threading
import time
import uuid
from array import array
from bisect import bisect
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.files.images import ImageFile
from django.db import connection, reset_queries, transaction
from django.db.models import F
from django.utils.text import slugify
from modelcluster.models import get_all_child_relations
from wagtail.blocks import StreamValue, StructValue, field_block
from wagtail.models import Collection, Page, ReferenceIndex, Site
from wagtail.search.backends import get_search_backends

from masthead.articles.enums import ArticleKind
from masthead.articles.models import (
    ArticleAuthor,
    ArticleIndexPage,
    ArticlePage,
    Author,
    Country,
    Topic,
    WorldRegion,
)
from masthead.articles.text import headline_key
from masthead.core.models import MastheadImage, PublicationSettings
from masthead.home.models import HomePage

from . import images, words
from .text import Writer, make_place

MAX_ARTICLES = 1_000_000
MAX_BATCH_SIZE = 10_000
DEFAULT_BATCH_SIZE = 1_000
LANDSCAPE_COUNT = 30
YEARS_OF_ARCHIVE = 6
PORTRAIT_PREFIX = "Portrait placeholder:"

KIND_SHARES = (
    (0.55, ArticleKind.DAILY_ANALYSIS.value),
    (0.70, ArticleKind.IN_DEPTH.value),
    (0.90, ArticleKind.BRIEFING.value),
    (1.00, ArticleKind.OPINION.value),
)
WORD_TARGETS = {
    ArticleKind.DAILY_ANALYSIS.value: (850, 1450),
    ArticleKind.IN_DEPTH.value: (1500, 1940),
    ArticleKind.BRIEFING.value: (820, 1150),
    ArticleKind.OPINION.value: (850, 1400),
}
MAX_WORDS = 1990
BRIEFING_SECTIONS = (
    ("What happened.", "lede"),
    ("Why it matters.", "stakes"),
    ("The background.", "context"),
    ("The numbers.", "data"),
    ("Who is involved.", "actors"),
    ("What to watch.", "outlook"),
)
DAILY_ROLES = ("lede", "stakes", "context", "actors", "data", "counter", "regional", "actors", "context", "data")
DAILY_EXTRA_ROLES = ("context", "actors", "data", "counter", "regional", "stakes")
OPINION_ROLES = ("opinion", "stakes", "opinion", "context", "counter", "opinion", "actors", "opinion", "regional")
SECTION_ROLES = (
    ("context", "data", "actors", "counter"),
    ("actors", "regional", "data", "counter"),
    ("data", "context", "actors", "stakes"),
    ("regional", "counter", "actors", "context"),
)

ProgressCallback = Callable[[str, int, int], None]


# --- Small helpers -----------------------------------------------------------------------


@contextmanager
def memoised_text_for_indexing():
    """Strip each rich-text paragraph's HTML once, not three times, while articles are indexed.

    modelsearch's ObjectIndexer asks every search field for its content three times (for the
    title, body and autocomplete columns), so each paragraph of a StreamField body goes through
    Wagtail's ``get_text_for_indexing`` (an HTML parser) three times. That function is pure, so
    caching it for the duration of a bulk index changes nothing but the time taken.
    """
    original = field_block.get_text_for_indexing
    field_block.get_text_for_indexing = functools.lru_cache(maxsize=512)(original)
    try:
        yield
    finally:
        field_block.get_text_for_indexing = original


def insert_rows(model, fields, rows: list[list]) -> None:
    """INSERT plain rows (values already prepared for the database) with one executemany."""
    if not rows:
        return
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model, values as parameters
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def reference_rows(obj) -> list[ReferenceIndex]:
    """The reference-index rows ReferenceIndex.create_or_update_for_object would write for a new object."""
    if not ReferenceIndex.is_indexed(type(obj)):
        return []
    content_types = [
        ContentType.objects.get_for_model(model_or_object, for_concrete_model=False)
        for model_or_object in [obj, *obj._meta.get_parent_list()]
    ]
    content_type, base_content_type = content_types[0], content_types[-1]
    return [
        ReferenceIndex(
            content_type=content_type,
            base_content_type=base_content_type,
            object_id=str(obj.pk),
            to_content_type_id=to_content_type_id,
            to_object_id=to_object_id,
            model_path=model_path,
            content_path=content_path,
            content_path_hash=ReferenceIndex._get_content_path_hash(content_path),
        )
        for to_content_type_id, to_object_id, model_path, content_path in set(
            ReferenceIndex._extract_references_from_object(obj)
        )
    ]


def prepared_rows(objects, fields) -> list[list]:
    return [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] for obj in objects]


class Weighted:
    """Fast weighted choice over a fixed list, driven by the caller's RNG."""

    def __init__(self, items: Sequence, weights: Sequence[float]):
        self.items = list(items)
        self.cumulative = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: random.Random):
        return self.items[bisect(self.cumulative, rng.random() * self.total)]

    def __bool__(self) -> bool:
        return bool(self.items)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _block(rng: random.Random, block_type: str, value) -> dict:
    return {"type": block_type, "value": value, "id": _uuid(rng)}


def _slug_base(title: str) -> str:
    slug = slugify(title)
    if len(slug) > 80:
        slug = slug[:80].rsplit("-", 1)[0]
    return slug or "article"


@dataclass
class Summary:
    created: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    authors_created: int = 0
    topics_created: int = 0
    images_created: int = 0
    indexed: int = 0
    seconds: float = 0.0


@dataclass
class Structure:
    home: HomePage
    index: ArticleIndexPage
    topics: dict[str, Topic]
    countries: dict[str, Country]
    regions: dict[int, WorldRegion]
    authors: list[Author]
    author_data: list[words.AuthorData]
    landscapes: list[MastheadImage]


BODY_BLOCK = ArticlePage._meta.get_field("body").stream_block


@dataclass
class _Draft:
    """One article between the page insert and the article insert."""

    number: int
    rng: random.Random
    writer: Writer
    page: Page
    kind: str
    topic_ids: list[int]
    country_ids: list[int]
    author_ids: list[int]
    lead_image: MastheadImage | None
    body: list[dict] = field(default_factory=list)


class BackgroundIndexer:
    """Adds batches of articles to the search backends in a thread with its own database connection.

    On PostgreSQL most of the indexing time is the server computing tsvectors and updating GIN
    indexes; a second connection lets that overlap with writing the next batch. (SQLite has a
    single writer, so there the builder indexes inline instead.)
    """

    def __init__(self, backends):
        self.backends = backends
        self.batches: queue.Queue = queue.Queue(maxsize=1)  # bounded: at most one batch waits in memory
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="demo-library-indexer", daemon=True)
        self.thread.start()

    def submit(self, articles: list[ArticlePage]) -> None:
        self.raise_error()
        self.batches.put(articles)

    def close(self) -> None:
        self.batches.put(None)
        self.thread.join()
        self.raise_error()

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            with memoised_text_for_indexing():
                while (articles := self.batches.get()) is not None:
                    if self.error is not None:
                        continue  # keep draining so the writer never blocks; it raises on its next submit
                    try:
                        with transaction.atomic():
                            for backend in self.backends:
                                backend.add_bulk(ArticlePage, articles)
                    except BaseException as error:  # handed to the main thread
                        self.error = error
                    reset_queries()  # this thread's connection logs queries too when DEBUG is on
        finally:
            connection.close()


# --- The builder ---------------------------------------------------------------------------


class LibraryBuilder:
    def __init__(self, *, seed: int = 1, progress: ProgressCallback | None = None):
        self.seed = seed
        self.progress = progress
        self.summary = Summary()
        self.backends = []
        self.new_objects: list = []  # topics, images and authors made by ensure_structure, for the indexes

    # -- structure ---------------------------------------------------------------------------

    @transaction.atomic
    def ensure_structure(self) -> Structure:
        home = HomePage.objects.order_by("path").first()
        if home is None:
            raise LookupError("There is no home page; run `manage.py migrate` first.")
        countries = {country.code: country for country in Country.objects.select_related("region")}
        if not countries:
            raise LookupError("No countries are loaded; run `manage.py migrate` first.")
        regions = {region.pk: region for region in WorldRegion.objects.all()}

        index = ArticleIndexPage.objects.order_by("path").first()
        if index is None:
            index = home.add_child(
                instance=ArticleIndexPage(title=words.INDEX_TITLE, slug=words.INDEX_SLUG, intro=words.INDEX_INTRO)
            )
            index.save_revision().publish()
            index.refresh_from_db()

        topics = self._ensure_topics()
        collection = self._ensure_collection()
        landscapes = self._ensure_landscapes(collection)
        authors = self._ensure_authors(collection)
        self._ensure_settings(home)
        return Structure(
            home=home,
            index=index,
            topics=topics,
            countries=countries,
            regions=regions,
            authors=authors,
            author_data=list(words.AUTHORS),
            landscapes=landscapes,
        )

    # Topics, pictures and authors are bulk-created like the articles: no per-object signals or queued tasks;
    # generate() indexes them (search and references) in one go unless told not to.

    def _ensure_topics(self) -> dict[str, Topic]:
        existing = {topic.slug: topic for topic in Topic.objects.all()}
        missing = [
            Topic(
                name=data.name,
                slug=data.slug,
                description=data.description,
                featured=data.featured,
                sort_order=data.sort_order,
            )
            for data in words.TOPICS
            if data.slug not in existing
        ]
        for topic in Topic.objects.bulk_create(missing):
            existing[topic.slug] = topic
        self.summary.topics_created += len(missing)
        self.new_objects.extend(missing)
        return {data.slug: existing[data.slug] for data in words.TOPICS}

    def _ensure_collection(self) -> Collection:
        root = Collection.get_first_root_node()
        collection = root.get_children().filter(name=words.COLLECTION_NAME).first()
        if collection is None:
            collection = root.add_child(name=words.COLLECTION_NAME)
        return collection

    def _pictures(self, pictures: Sequence[images.PictureData], collection: Collection) -> list[MastheadImage]:
        """Store pictures as images (files written by the bulk insert, as by a save)."""
        unsaved = []
        for picture in pictures:
            image = MastheadImage(
                title=picture.title,
                description=picture.description,
                credit=picture.credit,
                collection=collection,
                file=ImageFile(io.BytesIO(picture.content), name=picture.filename),
            )
            image._set_image_file_metadata()
            unsaved.append(image)
        created = MastheadImage.objects.bulk_create(unsaved)
        self.summary.images_created += len(created)
        self.new_objects.extend(created)
        return created

    def _ensure_landscapes(self, collection: Collection) -> list[MastheadImage]:
        existing = list(
            MastheadImage.objects.filter(collection=collection)
            .exclude(title__startswith=PORTRAIT_PREFIX)
            .order_by("pk")
        )
        missing = LANDSCAPE_COUNT - len(existing)
        if missing > 0:
            taken = {image.title for image in existing}
            wanted = [p for p in images.landscapes(LANDSCAPE_COUNT, self.seed) if p.title not in taken][:missing]
            existing.extend(self._pictures(wanted, collection))
        return existing

    def _ensure_authors(self, collection: Collection) -> list[Author]:
        existing = {author.slug: author for author in Author.objects.all()}
        missing = [(number, data, slugify(data.name)) for number, data in enumerate(words.AUTHORS)]
        missing = [(number, data, slug) for number, data, slug in missing if slug not in existing]
        photos = self._pictures([images.portrait(data.name, slug, self.seed) for _, data, slug in missing], collection)
        new_authors = [
            self._new_author(number, data, slug, photo)
            for (number, data, slug), photo in zip(missing, photos, strict=True)
        ]
        for author in Author.objects.bulk_create(new_authors):
            existing[author.slug] = author
        self.summary.authors_created += len(new_authors)
        self.new_objects.extend(new_authors)
        return [existing[slugify(data.name)] for data in words.AUTHORS]

    def _new_author(self, number: int, data: words.AuthorData, slug: str, photo: MastheadImage) -> Author:
        rng = random.Random(f"meridian-author:{self.seed}:{slug}")
        first = data.name.split()[0]
        surname = data.name.split()[1]
        if data.institution:
            affiliation = f"{data.role}, {data.institution}"
            first_sentence = f"{data.name} is {data.role[0].lower()}{data.role[1:]} at the {data.institution}."
        else:
            affiliation = f"{data.role}, {words.PUBLICATION_NAME}"
            first_sentence = f"{data.name} is {words.PUBLICATION_NAME}'s {data.role[0].lower()}{data.role[1:]}."
        topic_names = [next(t.name.lower() for t in words.TOPICS if t.slug == slug_) for slug_ in data.topics]
        bio = [first_sentence, f"{first} {data.background}."]
        if rng.random() < 0.7:
            bio.append(f"{first} writes mainly about {' and '.join(topic_names[:2])}.")
        handle = f"{first[0]}{surname.split('-')[0]}".lower()
        return Author(
            name=data.name,
            slug=slug,
            bio=" ".join(bio),
            affiliation=affiliation,
            photo=photo,
            x_handle=f"{handle[:11]}_mr" if number % 2 == 0 else "",
            bluesky_handle=f"{handle}.meridian-review.example" if number % 3 == 0 else "",
            mastodon_handle=f"@{handle}@meridian-review.example" if number % 5 == 1 else "",
            website=(
                f"https://{slugify(data.institution)}.example/people/{slug}" if data.institution and number % 4 else ""
            ),
        )

    def _ensure_settings(self, home: HomePage) -> None:
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.filter(root_page=home).first()
        if site is None:
            return
        if not site.site_name:
            site.site_name = words.PUBLICATION_NAME
            site.save(update_fields=["site_name"])
        settings = PublicationSettings.for_site(site)
        if not settings.about:  # an editor's own words survive a second run
            settings.tagline = words.TAGLINE
            settings.about = words.ABOUT
            settings.copyright_holder = words.COPYRIGHT_HOLDER
            settings.save()

    # -- articles ---------------------------------------------------------------------------

    def generate(self, structure: Structure, count: int, *, batch_size: int = DEFAULT_BATCH_SIZE, index: bool = True):
        started = time.monotonic()
        self.backends = list(get_search_backends(with_auto_update=False)) if index else []
        self._prepare(structure, count)
        # On PostgreSQL a second connection indexes while this one writes; not inside a caller's transaction,
        # whose rows that connection could not see and whose rollback its writes would escape.
        overlap = self.backends and connection.vendor == "postgresql" and not connection.in_atomic_block
        self.indexer = BackgroundIndexer(self.backends) if overlap else None
        done = 0
        self._report("articles", 0, count)
        try:
            while done < count:
                size = min(batch_size, count - done)
                self._write_batch(structure, done, size)
                done += size
                self._report("articles", done, count)
        finally:
            if self.indexer is not None:
                self.indexer.close()
        self._finish(structure)
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _report(self, phase: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(phase, done, total)

    def _prepare(self, structure: Structure, count: int) -> None:
        index = structure.index
        children = Page.objects.filter(path__startswith=index.path, depth=index.depth + 1)
        last_path = children.order_by("-path").values_list("path", flat=True).first()
        self.next_step = Page._str2int(last_path[-Page.steplen :]) + 1 if last_path else 1
        capacity = len(Page.alphabet) ** Page.steplen - self.next_step
        if count > capacity:
            raise OverflowError(f"The article index can take {capacity:,} more pages; asked for {count:,}.")
        self.slugs: set[str] = set(children.values_list("slug", flat=True))
        self.offset = ArticlePage.objects.count()
        self.article_ct = ContentType.objects.get_for_model(ArticlePage)

        # Publication dates, oldest first: spread over six years, more recent years a little busier,
        # weekends mostly moved to the nearest weekday, the newest within the last day or so.
        now = datetime.now(tz=UTC).replace(microsecond=0)
        self.now = now
        rng = random.Random(f"meridian-dates:{self.seed}:{self.offset}")
        span = YEARS_OF_ARCHIVE * 365 * 86400
        stamps = array("d")
        for number in range(count):
            age = span * rng.random() ** 1.2 if number else rng.uniform(1800, 36 * 3600)
            moment = now - timedelta(seconds=age)
            weekday = moment.weekday()
            if weekday >= 5 and rng.random() < 0.75 and number:
                moment -= timedelta(days=weekday - 4)  # to Friday
            if number:
                moment = moment.replace(hour=rng.randint(6, 19), minute=rng.randint(0, 59), second=0)
            if moment > now:
                moment = now - timedelta(minutes=rng.randint(30, 600))
            stamps.append(float(int(moment.timestamp())))
        self.stamps = array("d", sorted(stamps))

        # Who and what the coverage is about.
        topics = structure.topics
        self.topic_by_slug = topics
        self.topic_weighted = Weighted(list(topics), [3 if topics[s].featured else 2 for s in topics])
        countries = structure.countries
        weighted_codes = [code for code in words.COUNTRY_WEIGHTS if code in countries]
        self.country_weighted = Weighted(weighted_codes, [words.COUNTRY_WEIGHTS[c] for c in weighted_codes])
        self.region_weighted: dict[int, Weighted] = {}
        for region_id in structure.regions:
            codes = [c for c in weighted_codes if countries[c].region_id == region_id]
            if not codes:
                codes = [c for c, country in countries.items() if country.region_id == region_id]
            self.region_weighted[region_id] = Weighted(codes, [words.COUNTRY_WEIGHTS.get(c, 1) for c in codes])
        self.region_of = {country.pk: country.region_id for country in countries.values()}
        self.region_slug = {code: structure.regions[country.region_id].slug for code, country in countries.items()}
        self.places = {
            code: make_place(code, country.name, structure.regions[country.region_id].slug)
            for code, country in countries.items()
        }
        region_ids = sorted(structure.regions)
        forced_rng = random.Random(f"meridian-regions:{self.seed}:{self.offset}")
        forced_numbers = forced_rng.sample(range(count), k=min(count, len(region_ids)))
        self.forced_region = dict(zip(forced_numbers, region_ids, strict=False))

        author_weights = [1 / (1 + 0.06 * n) for n in range(len(structure.authors))]
        self.author_weighted = Weighted(list(range(len(structure.authors))), author_weights)
        self.authors_by_topic: dict[str, Weighted] = {}
        self.authors_by_place: dict[str, Weighted] = {}
        for data in structure.author_data:
            for slug in data.topics:
                self.authors_by_topic.setdefault(slug, Weighted([], []))
            for code in data.places:
                self.authors_by_place.setdefault(code, Weighted([], []))
        for slug in self.authors_by_topic:
            members = [n for n, d in enumerate(structure.author_data) if slug in d.topics]
            self.authors_by_topic[slug] = Weighted(members, [author_weights[n] for n in members])
        for code in self.authors_by_place:
            members = [n for n, d in enumerate(structure.author_data) if code in d.places]
            self.authors_by_place[code] = Weighted(members, [author_weights[n] for n in members])

        # Memory of what was written, for related reading and hub leads.
        self.by_topic: dict[int, array] = {topic.pk: array("q") for topic in topics.values()}
        self.all_ids = array("q")
        self.leads: dict[tuple[str, int], tuple[bool, int]] = {}
        self.recent_features: deque[int] = deque(maxlen=12)
        self.newest_in_depth: int | None = None

    def _pick_places(self, rng: random.Random, number: int, structure: Structure) -> list[str]:
        region_id = self.forced_region.get(number)
        if region_id is not None:
            primary = self.region_weighted[region_id].pick(rng)
        else:
            primary = self.country_weighted.pick(rng)
        roll = rng.random()
        wanted = 1 if roll < 0.45 else 2 if roll < 0.8 else 3 if roll < 0.94 else 4
        chosen = [primary]
        neighbours = [c for c in words.COUNTRY_NEIGHBOURS.get(primary, ()) if c in structure.countries]
        region_pool = self.region_weighted[structure.countries[primary].region_id]
        attempts = 0
        while len(chosen) < wanted and attempts < 20:
            attempts += 1
            roll = rng.random()
            if neighbours and roll < 0.6:
                code = neighbours[int(rng.random() * len(neighbours))]
            elif roll < 0.8:
                code = region_pool.pick(rng)
            else:
                code = self.country_weighted.pick(rng)
            if code not in chosen:
                chosen.append(code)
        return chosen

    def _pick_topics(self, rng: random.Random, primary_country: str) -> list[str]:
        themes = words.COUNTRY_THEMES.get(primary_country)
        if themes and rng.random() < 0.7:
            first = themes[int(rng.random() * len(themes))]
        else:
            first = self.topic_weighted.pick(rng)
        roll = rng.random()
        wanted = 1 if roll < 0.4 else 2 if roll < 0.8 else 3
        chosen = [first]
        pool = list(themes or ()) + list(self.topic_by_slug)
        while len(chosen) < wanted:
            slug = pool[int(rng.random() * len(pool))]
            if slug not in chosen:
                chosen.append(slug)
        return chosen

    def _pick_authors(self, rng: random.Random, kind: str, topics: list[str], places: list[str]) -> list[int]:
        roll = rng.random()
        wanted = 1 if roll < 0.7 or kind == ArticleKind.OPINION else 2 if roll < 0.94 else 3
        chosen: list[int] = []
        attempts = 0
        while len(chosen) < wanted and attempts < 20:
            attempts += 1
            roll = rng.random()
            specialists = self.authors_by_place.get(places[0]) if roll < 0.4 else self.authors_by_topic.get(topics[0])
            n = specialists.pick(rng) if specialists and roll < 0.8 else self.author_weighted.pick(rng)
            if n not in chosen:
                chosen.append(n)
        return chosen

    def _draft(self, structure: Structure, number: int, step: int) -> _Draft:
        absolute = self.offset + number
        rng = random.Random(self.seed * 1_000_003 + absolute)
        roll = rng.random()
        kind = next(k for share, k in KIND_SHARES if roll < share)
        codes = self._pick_places(rng, number, structure)
        topic_slugs = self._pick_topics(rng, codes[0])
        author_numbers = self._pick_authors(rng, kind, topic_slugs, codes)
        published = datetime.fromtimestamp(self.stamps[number], tz=UTC)
        writer = Writer(
            rng,
            kind=kind,
            places=[self.places[c] for c in codes],
            topics=topic_slugs,
            when=published,
            region=self.region_slug[codes[0]],
        )

        title = writer.headline()
        base = _slug_base(title)
        slug = base
        suffix = 2
        while slug in self.slugs:
            slug = f"{base}-{suffix}"
            suffix += 1
        self.slugs.add(slug)

        if rng.random() < 0.12:
            updated = published + timedelta(hours=rng.uniform(1, 72))
            updated = min(updated, self.now)
        else:
            updated = published
        index = structure.index
        page = Page(
            title=title,
            draft_title=title,
            slug=slug,
            content_type_id=self.article_ct.pk,
            path=Page._get_path(index.path, index.depth + 1, step),
            depth=index.depth + 1,
            numchild=0,
            url_path=f"{index.url_path}{slug}/",
            live=True,
            has_unpublished_changes=False,
            first_published_at=published,
            last_published_at=updated,
            latest_revision_created_at=updated,
            locale_id=index.locale_id,
            translation_key=uuid.UUID(int=rng.getrandbits(128), version=4),
            show_in_menus=False,
        )
        lead_image = None
        if rng.random() < 0.88 and structure.landscapes:
            lead_image = structure.landscapes[int(rng.random() * len(structure.landscapes))]
        return _Draft(
            number=number,
            rng=rng,
            writer=writer,
            page=page,
            kind=kind,
            topic_ids=[self.topic_by_slug[s].pk for s in topic_slugs],
            country_ids=[structure.countries[c].pk for c in codes],
            author_ids=[structure.authors[n].pk for n in author_numbers],
            lead_image=lead_image,
        )

    def _write_batch(self, structure: Structure, start: int, size: int) -> None:
        drafts = []
        for number in range(start, start + size):
            drafts.append(self._draft(structure, number, self.next_step))
            self.next_step += 1

        with transaction.atomic():
            Page.objects.bulk_create([draft.page for draft in drafts])
            articles = [self._article(structure, draft) for draft in drafts]
            self._insert_articles(articles, drafts)

            topic_through = ArticlePage.topics.through
            country_through = ArticlePage.countries.through
            topic_rows, country_rows, author_rows = [], [], []
            for draft in drafts:
                pk = draft.page.pk
                topic_rows.extend(topic_through(articlepage_id=pk, topic_id=t) for t in draft.topic_ids)
                country_rows.extend(country_through(articlepage_id=pk, country_id=c) for c in draft.country_ids)
                author_rows.extend(
                    ArticleAuthor(page_id=pk, author_id=a, sort_order=n) for n, a in enumerate(draft.author_ids)
                )
            for through, rows in ((topic_through, topic_rows), (country_through, country_rows)):
                fields = [f for f in through._meta.concrete_fields if not f.primary_key]
                insert_rows(through, fields, prepared_rows(rows, fields))
            ArticleAuthor.objects.bulk_create(author_rows, batch_size=2000)  # their ids go into the reference index
            Page.objects.filter(pk=structure.index.pk).update(numchild=F("numchild") + len(drafts))

            if self.backends:
                self._native_bodies(structure, articles, drafts)
                self._index(articles, author_rows)

        if self.indexer is not None:
            self.indexer.submit(articles)  # committed: the indexing connection sees the rows
        reset_queries()  # DEBUG=True keeps every query; a long run must not
        for draft in drafts:
            self.summary.by_kind[draft.kind] = self.summary.by_kind.get(draft.kind, 0) + 1
        self.summary.created += len(drafts)

    def _article(self, structure: Structure, draft: _Draft) -> ArticlePage:
        rng = draft.rng
        writer = draft.writer
        page = draft.page
        pk = page.pk
        draft.body = self._body(structure, draft)
        caption = credit = ""
        if draft.lead_image is not None:
            if rng.random() < 0.9:
                caption = writer.caption(draft.lead_image.title)
            if rng.random() < 0.25:
                credit = draft.lead_image.credit
        article = ArticlePage(
            **{f.attname: getattr(page, f.attname) for f in Page._meta.concrete_fields},
            page_ptr_id=pk,
            headline_key=headline_key(page.title),  # as ArticlePage.save() keeps it; these rows are inserted raw
            dek=writer.dek()[:300],
            kind=draft.kind,
            lead_image=draft.lead_image,
            lead_image_caption=caption,
            lead_image_credit=credit,
            pull_quote=writer.pull_quote_sentence()[:400] if rng.random() < 0.3 else "",
            body=StreamValue(BODY_BLOCK, []),  # set in _native_bodies when indexing; rows get the raw JSON
            free_for_everyone=rng.random() < 0.05,
        )
        article._state.adding = False
        article._state.db = connection.alias

        # Remember it for later articles' related reading and for the hubs.
        self.all_ids.append(pk)
        for topic_id in draft.topic_ids:
            self.by_topic[topic_id].append(pk)
        in_depth = draft.kind == ArticleKind.IN_DEPTH
        keys = [("topic", t) for t in draft.topic_ids] + [("country", c) for c in draft.country_ids]
        keys += [("region", self.region_of[c]) for c in draft.country_ids]
        for key in keys:
            best = self.leads.get(key)
            if best is None or in_depth or not best[0]:
                self.leads[key] = (in_depth, pk)
        if in_depth:
            self.newest_in_depth = pk
        if draft.kind in (ArticleKind.IN_DEPTH, ArticleKind.OPINION):
            self.recent_features.append(pk)
        return article

    def _insert_articles(self, articles: list[ArticlePage], drafts: list[_Draft]) -> None:
        """The ArticlePage table's rows (Django's bulk_create refuses multi-table models)."""
        fields = ArticlePage._meta.local_concrete_fields
        rows = []
        for article, draft in zip(articles, drafts, strict=True):
            rows.append(
                [
                    f.get_db_prep_save(draft.body if f.attname == "body" else getattr(article, f.attname), connection)
                    for f in fields
                ]
            )
        insert_rows(ArticlePage, fields, rows)

    def _native_bodies(self, structure: Structure, articles: list[ArticlePage], drafts: list[_Draft]) -> None:
        """Give each in-memory article its body as resolved blocks, as an editor's save would hold it."""
        images_by_pk = {image.pk: image for image in structure.landscapes}
        related_ids = {
            block["value"]["article"]
            for draft in drafts
            for block in draft.body
            if block["type"] == "related_reading" and block["value"]["article"]
        }
        related = Page.objects.in_bulk(related_ids) if related_ids else {}
        children = BODY_BLOCK.child_blocks
        for article, draft in zip(articles, drafts, strict=True):
            items = []
            for block in draft.body:
                kind, value = block["type"], block["value"]
                child = children[kind]
                if kind == "image":
                    native = StructValue(
                        child,
                        [
                            ("image", images_by_pk.get(value["image"])),
                            ("caption", value["caption"]),
                            ("credit", value["credit"]),
                        ],
                    )
                elif kind == "related_reading":
                    native = StructValue(
                        child,
                        [("article", related.get(value["article"])), ("url", value["url"]), ("title", value["title"])],
                    )
                else:
                    native = child.to_python(value)
                items.append((kind, native, block["id"]))
            article.body = StreamValue(BODY_BLOCK, items)

    def _index(self, articles: list[ArticlePage], author_rows: list[ArticleAuthor]) -> None:
        if self.indexer is None:
            with memoised_text_for_indexing():
                for backend in self.backends:
                    backend.add_bulk(ArticlePage, articles)
        self.summary.indexed += len(articles)

        # Wagtail's reference index ("usage" of images, authors and pages), as a save would record it.
        rows_by_page: dict[int, list[ArticleAuthor]] = {}
        for row in author_rows:
            rows_by_page.setdefault(row.page_id, []).append(row)
        other_relations = [
            r.get_accessor_name()
            for r in get_all_child_relations(ArticlePage)
            if r.get_accessor_name() != "article_authors"
        ]
        references = []
        for article in articles:
            # What the page holds in memory, so extraction asks the database nothing: its authors, no comments.
            article.article_authors = rows_by_page.get(article.pk, [])
            for name in other_relations:
                setattr(article, name, [])
            references.extend(reference_rows(article))
        fields = [f for f in ReferenceIndex._meta.concrete_fields if not f.primary_key]
        insert_rows(ReferenceIndex, fields, prepared_rows(references, fields))

    # -- bodies ---------------------------------------------------------------------------

    def _body(self, structure: Structure, draft: _Draft) -> list[dict]:
        rng = draft.rng
        writer = draft.writer
        kind = draft.kind
        low, high = WORD_TARGETS[kind]
        target = rng.randint(low, high)
        blocks: list[dict] = []
        state = {"words": 0, "paragraphs": 0}

        def add_paragraph(role: str, label: str = "") -> bool:
            text, count = writer.paragraph(role)
            if label:
                text = f"<b>{label}</b> {text}"
                count += len(label.split())
            if state["words"] + count > MAX_WORDS:
                return False
            blocks.append(_block(rng, "paragraph", f"<p>{text}</p>"))
            state["words"] += count
            state["paragraphs"] += 1
            return True

        def add_extra(block_type: str) -> None:
            if state["paragraphs"] < 3:
                return
            value, count = self._extra(structure, draft, block_type)
            if value is None or state["words"] + count > MAX_WORDS:
                return
            blocks.append(_block(rng, block_type, value))
            state["words"] += count

        if kind == ArticleKind.IN_DEPTH:
            for role in ("lede", "stakes", "context"):
                add_paragraph(role)
            if rng.random() < 0.4:
                add_paragraph("actors")
            if rng.random() < 0.7:
                add_extra("image")
            sections = rng.randint(2, 4)
            share = (target - state["words"]) / sections
            extras = [
                e for e, p in (("pull_quote", 0.6), ("block_quote", 0.45), ("related_reading", 0.7)) if rng.random() < p
            ]
            for number in range(sections):
                heading = writer.heading()
                heading_words = len(heading.split())
                if state["words"] + heading_words + 60 > MAX_WORDS:
                    break
                blocks.append(_block(rng, "heading", heading))
                state["words"] += heading_words
                goal = state["words"] + share
                roles = SECTION_ROLES[(number + int(rng.random() * 4)) % 4]
                turn = 0
                while state["words"] < goal:
                    if not add_paragraph(roles[turn % len(roles)]):
                        break
                    turn += 1
                    if turn == 2 and extras:
                        add_extra(extras.pop(0))
            add_paragraph("outlook")
            for extra in extras:
                add_extra(extra)
        elif kind == ArticleKind.BRIEFING:
            share = target / len(BRIEFING_SECTIONS)
            for label, role in BRIEFING_SECTIONS:
                goal = state["words"] + share
                add_paragraph(role, label)
                while state["words"] < goal - 40:
                    if not add_paragraph(role):
                        break
                if role == "context" and rng.random() < 0.15:
                    add_extra("image")
            if rng.random() < 0.4:
                add_extra("related_reading")
        else:
            roles = OPINION_ROLES if kind == ArticleKind.OPINION else DAILY_ROLES
            extras = []
            if kind == ArticleKind.OPINION:
                extras = [e for e, p in (("pull_quote", 0.35), ("related_reading", 0.3)) if rng.random() < p]
            else:
                extras = [
                    e
                    for e, p in (("pull_quote", 0.3), ("image", 0.25), ("block_quote", 0.15), ("related_reading", 0.45))
                    if rng.random() < p
                ]
            rng.shuffle(extras)
            turn = 0
            while state["words"] < target - 60:
                role = roles[turn] if turn < len(roles) else DAILY_EXTRA_ROLES[turn % len(DAILY_EXTRA_ROLES)]
                if not add_paragraph(role):
                    break
                turn += 1
                if turn >= 4 and extras and rng.random() < 0.35:
                    add_extra(extras.pop())
            add_paragraph("outlook")
            for extra in extras:
                add_extra(extra)
        while state["words"] < WORD_TARGETS[kind][0] - 20:
            # Never shorter than the kind's minimum, whatever the dice said.
            if not add_paragraph("context"):
                break
        return blocks

    def _extra(self, structure: Structure, draft: _Draft, block_type: str) -> tuple[object, int]:
        rng = draft.rng
        writer = draft.writer
        if block_type == "pull_quote":
            quote, attribution = writer.quote()
            return {"quote": quote, "attribution": attribution}, len(quote.split())
        if block_type == "block_quote":
            text, source = writer.document_quote()
            return {"text": f"<p>{text}</p>", "source": source}, len(text.split())
        if block_type == "image":
            if not structure.landscapes:
                return None, 0
            image = structure.landscapes[int(rng.random() * len(structure.landscapes))]
            if draft.lead_image is not None and image.pk == draft.lead_image.pk:
                image = structure.landscapes[(structure.landscapes.index(image) + 1) % len(structure.landscapes)]
            credit = image.credit if rng.random() < 0.3 else ""
            return {"image": image.pk, "caption": writer.caption(image.title), "credit": credit}, 0
        # related_reading: an earlier article on the same topic, else any earlier one, else elsewhere.
        pool = self.by_topic.get(draft.topic_ids[0])
        if not pool or len(pool) < 2:
            pool = self.all_ids
        candidates = len(pool)  # this article is not in it yet: every id there is an earlier article
        if candidates > 0 and rng.random() < 0.85:
            window = min(candidates, 400)
            target = pool[candidates - 1 - int(rng.random() * window)]
            return {"article": target, "url": "", "title": ""}, 0
        url, title = writer.external_reading()
        return {"article": None, "url": url, "title": title}, 0

    # -- after the articles ---------------------------------------------------------------------

    def _finish(self, structure: Structure) -> None:
        with transaction.atomic():
            hubs = self._set_hub_leads(structure)
            self._arrange_home(structure)
        if self.backends:
            self._report("index", 0, 1)
            for backend in self.backends:
                for model in (Author, Topic, MastheadImage, Country):
                    backend.add_bulk(model, list(model.get_indexed_objects()))
            with transaction.atomic():
                rows = [row for obj in self.new_objects for row in reference_rows(obj)]
                fields = [f for f in ReferenceIndex._meta.concrete_fields if not f.primary_key]
                insert_rows(ReferenceIndex, fields, prepared_rows(rows, fields))
                for hub in hubs:  # their lead articles changed; a few hundred at most
                    ReferenceIndex.create_or_update_for_object(hub)
            self._report("index", 1, 1)

    def _set_hub_leads(self, structure: Structure) -> list:
        topics = {t.pk: t for t in structure.topics.values()}
        countries = {c.pk: c for c in structure.countries.values()}
        changed: dict[str, list] = {"topic": [], "country": [], "region": []}
        for (hub, pk), (_in_depth, article_id) in self.leads.items():
            if hub == "topic":
                obj = topics[pk]
            elif hub == "country":
                obj = countries[pk]
            else:
                obj = structure.regions[pk]
            obj.lead_article_id = article_id
            changed[hub].append(obj)
        # Topics nobody wrote about in this run keep their lead, or get the newest article that has them.
        for topic in topics.values():
            if topic.lead_article_id is None and ("topic", topic.pk) not in self.leads:
                newest = (
                    ArticlePage.objects.live()
                    .filter(topics=topic)
                    .order_by("-first_published_at")
                    .values_list("pk", flat=True)
                    .first()
                )
                if newest:
                    topic.lead_article_id = newest
                    changed["topic"].append(topic)
        Topic.objects.bulk_update(changed["topic"], ["lead_article"])
        Country.objects.bulk_update(changed["country"], ["lead_article"], batch_size=500)
        WorldRegion.objects.bulk_update(changed["region"], ["lead_article"])
        return [hub for hubs in changed.values() for hub in hubs]

    def _arrange_home(self, structure: Structure) -> None:
        home = HomePage.objects.get(pk=structure.home.pk)
        changed = home.title != words.PUBLICATION_NAME
        home.title = home.draft_title = words.PUBLICATION_NAME
        lead = self.newest_in_depth or (self.all_ids[-1] if self.all_ids else None)
        if lead and not home.lead_story_id:
            home.lead_story_id = lead
            home.lead_story_label = "Deep dive"
            changed = True
        picks = [pk for pk in reversed(self.recent_features) if pk != home.lead_story_id][:5]
        if not home.sections:
            home.sections = self._home_sections(structure, picks)
            changed = True
        elif picks and not any(block.block_type == "picks" for block in home.sections):
            raw = list(home.sections.raw_data)
            raw.append({"type": "picks", "value": {"heading": "Editors' picks", "articles": picks}})
            home.sections = raw
            changed = True
        if changed:
            home.save_revision().publish()

    def _home_sections(self, structure: Structure, picks: list[int]) -> list[dict]:
        rng = random.Random(f"meridian-home:{self.seed}")
        sections: list[dict] = [
            {"type": "latest", "value": {"heading": "Latest analysis", "kind": "daily", "count": 6}},
            {"type": "latest", "value": {"heading": "In-depth reports", "kind": "in_depth", "count": 4}},
        ]
        featured = [t for t in structure.topics.values() if t.featured]
        for topic in sorted(rng.sample(featured, k=min(4, len(featured))), key=lambda t: t.sort_order):
            sections.append({"type": "topic", "value": {"topic": topic.pk, "count": 4}})
        region_slugs = ("russia-eurasia", "africa")
        for region in structure.regions.values():
            if region.slug in region_slugs:
                sections.append({"type": "region", "value": {"region": region.pk, "count": 4}})
        if picks:
            sections.insert(2, {"type": "picks", "value": {"heading": "Editors' picks", "articles": picks}})
        sections.append({"type": "latest", "value": {"heading": "Briefings", "kind": "briefing", "count": 4}})
        sections.append({"type": "latest", "value": {"heading": "Opinion", "kind": "opinion", "count": 4}})
        return sections
