"""What reading English typos of two and three letters would set: why `[typos] min_letters` stays at 4.

    PYTHONPATH=. .venv/bin/python tools/short_typos.py

Every two- and three-letter string that is no English word (pyspellchecker's list) and no pinyin is put in
"a man by the ___ gate" and read by the shipped lexicon with a typo reader of `min_letters` 2 (one edit, same first
letter, as `rules.typos` reads longer words): each flag so read from a word that is no cue as written is a false hit.
"""

from __future__ import annotations

import itertools
import string
from collections import Counter
from dataclasses import replace

from core.settings import DATA_DIR
from rules.lexicon import load_lexicon
from rules.typos import TypoReader, _english, is_pinyin


def main() -> None:
    lexicon = load_lexicon(DATA_DIR / "lexicon.toml")
    assert lexicon.typos is not None
    vocabulary = lexicon.typos.vocabulary
    eager = replace(lexicon, typos=TypoReader.of([(g, w) for w, groups in vocabulary.items() for g in groups], min_letters=2))
    english = _english()
    words = ["".join(p) for n in (2, 3) for p in itertools.product(string.ascii_lowercase, repeat=n)]
    non_words = [w for w in words if w not in english and not is_pinyin(w)]
    cues = [w for w in non_words if lexicon.flags_in(f"a man by the {w} gate")]  # a cue as written ("loc"): no typo
    hits: Counter[tuple[str, ...]] = Counter()
    examples: dict[tuple[str, ...], list[str]] = {}
    for word in (w for w in non_words if w not in cues):
        if flags := eager.flags_in(f"a man by the {word} gate"):
            hits[flags] += 1
            examples.setdefault(flags, []).append(word)
    print(f"{len(non_words)} two- and three-letter non-words, {len(cues)} of them cues as written ({' '.join(cues)}); "
          f"of the others, a flag read with min_letters 2: {sum(hits.values())} (the shipped lexicon reads none of them)")
    for flags, count in hits.most_common():
        print(f"  {','.join(flags)}: {count} ({' '.join(examples[flags][:8])})")


if __name__ == "__main__":
    main()
