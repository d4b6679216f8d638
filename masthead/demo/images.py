"""Pictures for the demo library, drawn locally with Pillow.

Landscape images are abstract editorial compositions (horizons, map-like shapes,
skylines, geometric bands); author portraits are initials on a coloured disc.
Each comes with a title, alt text describing what it shows and an invented credit.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import random
from typing import NamedTuple

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import words

LANDSCAPE_SIZE = (1600, 900)
PORTRAIT_SIZE = (480, 480)
JPEG_QUALITY = 80

RGB = tuple[int, int, int]


class Palette(NamedTuple):
    name: str  # "ochre and slate"
    sky_top: RGB
    sky_bottom: RGB
    ground: RGB
    accent: RGB
    light: RGB
    sky_word: str  # "pale amber"
    ground_word: str  # "slate-grey"


PALETTES: tuple[Palette, ...] = (
    Palette(
        "ochre and slate",
        (74, 86, 104),
        (228, 176, 112),
        (58, 54, 58),
        (242, 204, 140),
        (250, 236, 210),
        "amber",
        "slate-grey",
    ),
    Palette(
        "teal and sand",
        (22, 78, 99),
        (126, 186, 181),
        (38, 58, 62),
        (232, 206, 160),
        (244, 240, 226),
        "teal",
        "deep green",
    ),
    Palette(
        "indigo and coral",
        (34, 36, 86),
        (214, 112, 104),
        (30, 26, 48),
        (248, 170, 120),
        (252, 226, 214),
        "indigo and coral",
        "near-black",
    ),
    Palette(
        "olive and cream",
        (92, 104, 70),
        (222, 214, 178),
        (60, 66, 44),
        (196, 160, 84),
        (246, 242, 224),
        "cream",
        "olive",
    ),
    Palette(
        "steel and rust",
        (56, 72, 90),
        (168, 180, 190),
        (44, 40, 38),
        (186, 92, 54),
        (230, 232, 234),
        "steel-blue",
        "dark brown",
    ),
    Palette(
        "dusk violet", (58, 40, 82), (198, 140, 164), (36, 28, 46), (240, 196, 120), (240, 226, 236), "violet", "plum"
    ),
    Palette(
        "desert noon",
        (118, 160, 196),
        (236, 214, 170),
        (150, 96, 62),
        (250, 236, 190),
        (252, 248, 236),
        "pale blue",
        "terracotta",
    ),
    Palette(
        "arctic grey",
        (150, 170, 186),
        (222, 230, 234),
        (96, 108, 120),
        (250, 250, 246),
        (255, 255, 255),
        "pale grey",
        "blue-grey",
    ),
    Palette(
        "monsoon green",
        (52, 70, 66),
        (142, 170, 150),
        (28, 48, 38),
        (210, 220, 170),
        (232, 240, 226),
        "grey-green",
        "dark green",
    ),
    Palette(
        "harbour blue", (20, 42, 72), (98, 140, 182), (14, 24, 40), (236, 180, 90), (220, 232, 244), "navy", "inky blue"
    ),
    Palette(
        "saffron haze",
        (160, 98, 52),
        (244, 196, 100),
        (84, 52, 36),
        (255, 232, 160),
        (255, 244, 220),
        "saffron",
        "umber",
    ),
    Palette(
        "storm front",
        (40, 46, 54),
        (118, 126, 134),
        (24, 26, 30),
        (200, 208, 214),
        (236, 238, 240),
        "storm-grey",
        "charcoal",
    ),
)

STYLES = ("horizon", "map", "skyline", "bands", "horizon", "map")

SCENE_WORDS = {
    "horizon": ("hills", "plains", "ridges", "valleys", "dunes", "uplands"),
    "map": ("routes", "coastlines", "borders", "islands", "corridors", "crossings"),
    "skyline": ("city", "port", "capital", "waterfront", "district", "harbour"),
    "bands": ("study", "composition", "abstraction", "pattern", "arrangement", "motif"),
}


class PictureData(NamedTuple):
    title: str
    description: str  # alt text
    credit: str
    scene: str  # short caption fragment: "Dusk over layered hills"
    filename: str
    content: bytes
    width: int
    height: int


def _gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (int(a[0] + (b[0] - a[0]) * t), int(a[1] + (b[1] - a[1]) * t), int(a[2] + (b[2] - a[2]) * t))


def _ridge(rng: random.Random, width: int, base: float, amplitude: float) -> list[tuple[float, float]]:
    waves = [(rng.uniform(0.5, 3.5), rng.uniform(0, math.tau), rng.uniform(0.3, 1.0)) for _ in range(4)]
    points = []
    for x in range(0, width + 40, 40):
        y = base
        for freq, phase, weight in waves:
            y += math.sin(x / width * math.tau * freq + phase) * amplitude * weight / 2
        points.append((x, y))
    return points


def _horizon(rng: random.Random, palette: Palette) -> Image.Image:
    width, height = LANDSCAPE_SIZE
    image = _gradient(LANDSCAPE_SIZE, palette.sky_top, palette.sky_bottom)
    draw = ImageDraw.Draw(image)
    sun_x, sun_y, radius = rng.uniform(0.15, 0.85) * width, rng.uniform(0.35, 0.6) * height, rng.uniform(40, 110)
    draw.ellipse((sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius), fill=palette.accent)
    layers = rng.randint(3, 5)
    for layer in range(layers):
        t = (layer + 1) / layers
        base = height * (0.5 + 0.1 * layer + rng.uniform(-0.03, 0.03))
        colour = _mix(_mix(palette.sky_bottom, palette.ground, 0.5), palette.ground, t)
        ridge = _ridge(rng, width, base, height * rng.uniform(0.04, 0.12))
        draw.polygon([*ridge, (width, height), (0, height)], fill=colour)
    return image


def _blob(rng: random.Random, cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    harmonics = [(k, rng.uniform(0, 0.22) / k, rng.uniform(0, math.tau)) for k in range(2, 7)]
    points = []
    for step in range(72):
        angle = step / 72 * math.tau
        r = radius * (1 + sum(a * math.sin(k * angle + p) for k, a, p in harmonics))
        points.append((cx + math.cos(angle) * r * 1.4, cy + math.sin(angle) * r))
    return points


def _map(rng: random.Random, palette: Palette) -> Image.Image:
    width, height = LANDSCAPE_SIZE
    image = _gradient(LANDSCAPE_SIZE, palette.sky_top, _mix(palette.sky_top, palette.sky_bottom, 0.5))
    draw = ImageDraw.Draw(image)
    grid = _mix(palette.sky_top, palette.light, 0.25)
    for x in range(0, width, 160):
        draw.line((x, 0, x, height), fill=grid, width=1)
    for y in range(0, height, 150):
        draw.line((0, y, width, y), fill=grid, width=1)
    for _ in range(rng.randint(3, 6)):
        cx, cy = rng.uniform(0.05, 0.95) * width, rng.uniform(0.1, 0.9) * height
        draw.polygon(
            _blob(rng, cx, cy, rng.uniform(80, 260)),
            fill=_mix(palette.ground, palette.sky_bottom, rng.uniform(0.2, 0.7)),
        )
    nodes = [(rng.uniform(0.08, 0.92) * width, rng.uniform(0.1, 0.9) * height) for _ in range(rng.randint(5, 9))]
    for a, b in itertools.pairwise(nodes):
        draw.line((*a, *b), fill=palette.accent, width=4)
    for x, y in nodes:
        draw.ellipse((x - 11, y - 11, x + 11, y + 11), fill=palette.light, outline=palette.accent, width=4)
    return image


def _skyline(rng: random.Random, palette: Palette) -> Image.Image:
    width, height = LANDSCAPE_SIZE
    image = _gradient(LANDSCAPE_SIZE, palette.sky_top, palette.sky_bottom)
    draw = ImageDraw.Draw(image)
    waterline = int(height * rng.uniform(0.62, 0.72))
    x = 0
    while x < width:
        w = rng.randint(40, 130)
        h = rng.randint(60, int(height * 0.42))
        colour = _mix(palette.ground, palette.sky_top, rng.uniform(0, 0.35))
        draw.rectangle((x, waterline - h, x + w, waterline), fill=colour)
        if rng.random() < 0.5:
            for wy in range(waterline - h + 14, waterline - 10, 22):
                draw.line((x + 8, wy, x + w - 8, wy), fill=_mix(colour, palette.accent, 0.35), width=3)
        x += w + rng.randint(0, 18)
    draw.rectangle((0, waterline, width, height), fill=_mix(palette.ground, palette.sky_top, 0.3))
    for y in range(waterline + 10, height, 14):
        start = rng.uniform(0, width * 0.8)
        draw.line(
            (start, y, start + rng.uniform(60, 400), y), fill=_mix(palette.sky_bottom, palette.ground, 0.5), width=2
        )
    return image


def _bands(rng: random.Random, palette: Palette) -> Image.Image:
    width, height = LANDSCAPE_SIZE
    image = Image.new("RGB", LANDSCAPE_SIZE, palette.light)
    draw = ImageDraw.Draw(image)
    colours = [palette.sky_top, palette.sky_bottom, palette.ground, palette.accent]
    slope = rng.uniform(0.3, 0.9)
    x = -height
    while x < width:
        w = rng.randint(60, 240)
        draw.polygon(
            [(x, height), (x + w, height), (x + w + height * slope, 0), (x + height * slope, 0)],
            fill=colours[int(rng.random() * len(colours))],
        )
        x += w
    cx, cy, r = rng.uniform(0.25, 0.75) * width, rng.uniform(0.3, 0.7) * height, rng.uniform(140, 280)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=palette.light)
    draw.ellipse((cx - r * 0.6, cy - r * 0.6, cx + r * 0.6, cy + r * 0.6), fill=palette.accent)
    return image.filter(ImageFilter.GaussianBlur(1))


DRAWERS = {"horizon": _horizon, "map": _map, "skyline": _skyline, "bands": _bands}


def _describe(style: str, palette: Palette, scene_word: str) -> tuple[str, str, str]:
    """(title, alt text, scene) for a picture."""
    name = palette.name
    if style == "horizon":
        return (
            f"{name.capitalize()} {scene_word}",
            f"Abstract landscape: layered {palette.ground_word} {scene_word} beneath a {palette.sky_word} sky, "
            "with a low sun near the horizon.",
            f"Layered {scene_word} under a {palette.sky_word} sky",
        )
    if style == "map":
        return (
            f"{scene_word.capitalize()} in {name}",
            f"Map-like illustration: irregular {palette.ground_word} landmasses on a {palette.sky_word} ground, "
            "linked by route lines between circular markers, over a faint grid.",
            f"A map-like study of {scene_word}",
        )
    if style == "skyline":
        return (
            f"A {scene_word} at dusk, {name}",
            f"Stylised skyline: blocky {palette.ground_word} buildings against a {palette.sky_word} sky, above "
            "dark water streaked with reflections.",
            f"A stylised {scene_word} skyline at dusk",
        )
    return (
        f"Geometric {scene_word}, {name}",
        f"Geometric composition: diagonal bands in {name} crossed by a large circle with a solid centre.",
        f"A geometric {scene_word} in {name}",
    )


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


@functools.lru_cache(maxsize=4)
def landscapes(count: int, seed: int) -> tuple[PictureData, ...]:
    """``count`` distinct landscape pictures, the same for the same seed (drawn once per process)."""
    rng = random.Random(f"meridian-images:{seed}")
    pictures: list[PictureData] = []
    seen_titles: set[str] = set()
    for number in range(1, count + 1):
        style = STYLES[(number - 1) % len(STYLES)]
        palette = PALETTES[(number * 5) % len(PALETTES)]
        scene_word = rng.choice(SCENE_WORDS[style])
        title, description, scene = _describe(style, palette, scene_word)
        if title in seen_titles:
            title = f"{title} ({number})"
        seen_titles.add(title)
        image = DRAWERS[style](rng, palette)
        kind = "Photo" if style in ("horizon", "skyline") else "Illustration"
        credit = f"{kind}: {rng.choice(words.PHOTOGRAPHERS)} / {rng.choice(words.AGENCIES)}"
        pictures.append(
            PictureData(
                title=title,
                description=description,
                credit=credit,
                scene=scene,
                filename=f"meridian-demo-{number:02d}-{style}.jpg",
                content=_jpeg(image),
                width=image.width,
                height=image.height,
            )
        )
    return tuple(pictures)


def _initials(name: str) -> str:
    parts = [part for part in name.replace("-", " ").split() if part[:1].isupper()]
    return (parts[0][0] + parts[1][0]).upper() if len(parts) > 1 else name[:2].upper()


@functools.lru_cache(maxsize=256)
def portrait(name: str, slug: str, seed: int) -> PictureData:
    """An abstract avatar with the author's initials."""
    rng = random.Random(f"meridian-portrait:{seed}:{slug}")
    palette = rng.choice(PALETTES)
    image = _gradient(PORTRAIT_SIZE, palette.sky_top, palette.sky_bottom)
    draw = ImageDraw.Draw(image)
    width, height = PORTRAIT_SIZE
    draw.ellipse((40, 40, width - 40, height - 40), fill=palette.ground)
    initials = _initials(name)
    font = ImageFont.load_default(size=170)
    draw.text((width / 2, height / 2), initials, font=font, fill=palette.light, anchor="mm")
    return PictureData(
        title=f"Portrait placeholder: {name}",
        description=f"The initials {initials} in light lettering on a dark disc, against a {palette.sky_word} "
        "background.",
        credit="Illustration: The Meridian Review",
        scene="",
        filename=f"meridian-demo-author-{slug}.jpg",
        content=_jpeg(image),
        width=width,
        height=height,
    )
