"""Plate-like fonts from Debian's packages, split into training and held-out validation sets.

No font that Vietnamese plates really use is packaged in Debian, so the recogniser learns from
several condensed, upright sans faces (and one mono-spaced contrast) and is validated on faces it
never saw, so a validation figure says something about plates in other fonts.

    apt-get install fonts-dejavu-core fonts-liberation2 fonts-urw-base35 fonts-roboto \
        fonts-freefont-ttf fonts-b612 fonts-noto-core fonts-firacode fonts-inter \
        fonts-roadgeek fonts-opendin

A font may name OpenType features after a ``#`` (``Inter-Bold.otf#cv09``): the same face with
other glyph forms. Real plate typefaces differ most in a few digits, and none of the first
training faces draws them so: a flat-topped 3 (Germany's FE-Schrift and the Mercosur plates'
face have one, so a 3 cannot be painted into an 8) was read as a 5.

Plates are lettered in road-sign faces more than in text faces: many US states' dies follow the
FHWA highway series, German plates used DIN 1451 before FE-Schrift and much of the world's
plates descend from one or the other. Debian packages lookalikes of both (Roadgeek's FHWA series
B to EM, OSP-DIN), the nearest thing to real plate lettering it has. A sixth stage learnt them:
it read US plates better and Vietnamese plates worse, and was not shipped (docs/BENCHMARKS.md);
they stay after the first seventeen so a later recipe can take them (``--train-fonts``).

Twenty-odd faces are still few: the network learnt their drawings of a character, and on real US
plates read an open 4 as an L and a short-vee M as an H. Fontsource's npm packages of Google
Fonts' open faces (``plate_reader.training.fontsource``, fetched and pinned, training only) add
a hundred and one condensed, plain and mono sans faces after the road-sign ones.
"""

from __future__ import annotations

from pathlib import Path

from plate_reader.training import fontsource

DEBIAN_PACKAGES = (
    "fonts-dejavu-core",
    "fonts-liberation2",
    "fonts-urw-base35",
    "fonts-roboto",
    "fonts-freefont-ttf",
    "fonts-b612",
    "fonts-noto-core",
    "fonts-firacode",
    "fonts-inter",
    "fonts-roadgeek",
    "fonts-opendin",
)

_ROOT = Path("/usr/share/fonts")

TRAIN_FONTS = (
    "truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "truetype/dejavu/DejaVuSans-Bold.ttf",
    "truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "truetype/liberation2/LiberationSans-Bold.ttf",
    "truetype/liberation2/LiberationSans-Regular.ttf",
    "truetype/liberation2/LiberationMono-Bold.ttf",
    "opentype/urw-base35/NimbusSansNarrow-Bold.otf",
    "opentype/urw-base35/NimbusSansNarrow-Regular.otf",
    "opentype/urw-base35/NimbusSans-Bold.otf",
    "opentype/urw-base35/NimbusMonoPS-Bold.otf",
    "truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Medium.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Regular.ttf",
    "truetype/freefont/FreeSansBold.ttf",
    "truetype/firacode/FiraCode-Bold.ttf",
    # Added for the fifth stage (glyph forms none of the above has): a flat-topped 3; open
    # digits (flat-topped 3, open 4, 6 and 9).
    "opentype/inter/Inter-Bold.otf#cv09",
    "opentype/inter/Inter-SemiBold.otf#ss01",
    # Added for the sixth stage (road-sign faces, which plates are lettered in): the FHWA highway
    # series from condensed B to bold EM, and a DIN 1451 lookalike.
    "truetype/roadgeek/RG2014B.ttf",
    "truetype/roadgeek/RG2014C.ttf",
    "truetype/roadgeek/RG2014D.ttf",
    "truetype/roadgeek/RG2014E.ttf",
    "truetype/roadgeek/RG2014EM.ttf",
    "truetype/opendin/OSP-DIN.ttf",
    # Added for the faces, more-faces and wide-faces stages (37, then 34, then 30 more):
    # open faces from Fontsource's npm packages, fetched by ``python -m
    # plate_reader.training.fontsource`` (not Debian's): many glyph forms of each character, so
    # the network learns the characters rather than a few faces' drawings.
    *fontsource.NAMES,
)
# The first N faces each stage of the shipped model drew (``--train-fonts N``): stages one to
# four, five, and the stages after (docs/BENCHMARKS.md).
FIRST_STAGES_FONTS = 15
GLYPH_STAGE_FONTS = 17
FACES_STAGE_FONTS = 60  # the seventeen, the road-sign six and the first 37 Fontsource faces
MORE_FACES_STAGE_FONTS = 94  # and 34 more (also the wide stage's)
WIDE_FACES_STAGE_FONTS = 124  # and the last 30, wider sans (the shipped model)

# Never used for training: the rendered validation set is drawn in these.
HELD_OUT_FONTS = (
    "truetype/noto/NotoSans-Bold.ttf",
    "truetype/noto/NotoSansDisplay-Bold.ttf",
    "opentype/b612/B612-Bold.otf",
    "truetype/freefont/FreeSans.ttf",
)


def font_file(spec: str) -> str:
    """The file of a font name, without its OpenType features."""
    return spec.partition("#")[0]


def font_features(spec: str) -> tuple[str, ...]:
    """The OpenType features a font name asks for (``name#cv09,ss01``); none by default."""
    features = spec.partition("#")[2]
    return tuple(f for f in features.split(",") if f)


def locate(name: str, root: Path = _ROOT) -> Path:
    """Where a font name's file is: under ``root`` (Debian's), or the fetched Fontsource faces'
    folder for ``fontsource/...`` names."""
    return fontsource.locate(name) if name.startswith(fontsource.PREFIX) else root / name


def available(names: tuple[str, ...], root: Path = _ROOT) -> list[Path]:
    """The fonts of ``names`` installed under ``root`` (each with its features, if any)."""
    paths = [locate(name, root) for name in names]
    return [path for path in paths if Path(font_file(str(path))).is_file()]


def require(names: tuple[str, ...], minimum: int = 1, root: Path = _ROOT) -> list[Path]:
    """Installed fonts of ``names``; a clear error naming the packages when too few are."""
    found = available(names, root)
    if len(found) < minimum:
        fetch = ""
        if any(name.startswith(fontsource.PREFIX) for name in names):
            fetch = f" and fetch {fontsource.font_dir()} with: python -m {fontsource.__name__}"
        raise FileNotFoundError(
            f"only {len(found)} of the {len(names)} plate fonts are installed under {root} "
            f"(need {minimum}); install them with: apt-get install {' '.join(DEBIAN_PACKAGES)}"
            f"{fetch}"
        )
    return found


def require_held_out(root: Path = _ROOT) -> list[Path]:
    """Every held-out font, or the clear error: drawn in training fonts instead, a rendered
    validation reads several points too well (VN plates on photos once read 97.7 % for 89.6 %),
    so the training run and the accuracy bench both need all of them."""
    return require(HELD_OUT_FONTS, minimum=len(HELD_OUT_FONTS), root=root)
