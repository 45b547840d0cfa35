#!/usr/bin/python3
"""Reference implementation of CLIP's byte-level BPE text encoding, for tests.

Written from the published description of the algorithm (not copied from OpenAI's code) to
check the C++ tokenizer in experiments/models/clip/bpe_tokenizer.cc:

  1. clean: the subset of ftfy.fix_text that CLIP's inputs exercise (Latin ligatures split,
     full-width forms to ASCII, curly quotes to ASCII, Unicode NFC; no mojibake repair), then
     html.unescape twice, strip, runs of regex whitespace to one space, strip, str.lower();
  2. pre-tokenize with CLIP's regular expression (regex module, IGNORECASE);
  3. map each pre-token's UTF-8 bytes to GPT-2's byte symbols, mark the last symbol with
     "</w>", and merge adjacent pairs by lowest merge rank until no ranked pair is left.

Usage: bpe_reference.py VOCAB.gz < texts.jsonl
  Each input line is one JSON string; each output line is the JSON list of token ids
  (no start/end tokens).
Usage: bpe_reference.py --clean < texts.jsonl
  Each output line is the JSON string of the cleaned text (step 1 only).
"""

import gzip
import html
import json
import sys
import unicodedata

import regex

NUM_MERGES = 49152 - 256 - 2
START_OF_TEXT = "<|startoftext|>"
END_OF_TEXT = "<|endoftext|>"
PATTERN = regex.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d"
    r"|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
    regex.IGNORECASE,
)

# ftfy.fix_latin_ligatures: ligatures whose parts are ordinary letters.
LIGATURES = {
    "\u0132": "IJ", "\u0133": "ij", "\u0149": "\u02bcn",
    "\u01f1": "DZ", "\u01f2": "Dz", "\u01f3": "dz",
    "\u01c4": "D\u017d", "\u01c5": "D\u017e", "\u01c6": "d\u017e",
    "\u01c7": "LJ", "\u01c8": "Lj", "\u01c9": "lj",
    "\u01ca": "NJ", "\u01cb": "Nj", "\u01cc": "nj",
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "\u017ft", "\ufb06": "st",
}


def width_map():
    """ftfy.fix_character_width: ideographic space and U+FF01..U+FFEF to their NFKC form."""
    table = {0x3000: " "}
    for cp in range(0xFF01, 0xFFF0):
        alternate = unicodedata.normalize("NFKC", chr(cp))
        if alternate != chr(cp):
            table[cp] = alternate
    return table


WIDTH = width_map()
QUOTES = {cp: "'" for cp in [0x02BC, 0x2018, 0x2019, 0x201A, 0x201B]}
QUOTES.update({cp: '"' for cp in [0x201C, 0x201D, 0x201E, 0x201F]})


def fix_text(text):
    text = "".join(LIGATURES.get(c, c) for c in text)
    text = text.translate(WIDTH)
    text = text.translate(QUOTES)
    return unicodedata.normalize("NFC", text)


def clean(text):
    text = fix_text(text)
    text = html.unescape(html.unescape(text)).strip()
    text = regex.sub(r"\s+", " ", text).strip()
    return text.lower()


def byte_symbols():
    """GPT-2's reversible byte -> printable character table, as a list in vocabulary order."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("\u00a1"), ord("\u00ac") + 1))
        + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    )
    order = list(printable)
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            order.append(b)
            chars.append(256 + extra)
            extra += 1
    return order, [chr(c) for c in chars]


class Tokenizer:
    def __init__(self, vocab_path):
        lines = gzip.open(vocab_path).read().decode("utf-8").split("\n")
        merges = [tuple(line.split()) for line in lines[1 : NUM_MERGES + 1]]
        order, chars = byte_symbols()
        self.byte_to_symbol = dict(zip(order, chars))
        tokens = chars + [c + "</w>" for c in chars] + ["".join(m) for m in merges]
        tokens += [START_OF_TEXT, END_OF_TEXT]
        self.ids = {token: i for i, token in enumerate(tokens)}
        self.rank = {pair: i for i, pair in enumerate(merges)}
        self.memo = {START_OF_TEXT: [START_OF_TEXT], END_OF_TEXT: [END_OF_TEXT]}

    def merge(self, word):
        if word in self.memo:
            return self.memo[word]
        symbols = list(word[:-1]) + [word[-1] + "</w>"]
        while len(symbols) > 1:
            ranked = [
                (self.rank[p], i)
                for i, p in enumerate(zip(symbols, symbols[1:]))
                if p in self.rank
            ]
            if not ranked:
                break
            best = min(ranked)[0]
            merged = []
            i = 0
            while i < len(symbols):
                if (
                    i + 1 < len(symbols)
                    and self.rank.get((symbols[i], symbols[i + 1])) == best
                ):
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        self.memo[word] = symbols
        return symbols

    def encode(self, text):
        ids = []
        for piece in PATTERN.findall(clean(text)):
            word = "".join(self.byte_to_symbol[b] for b in piece.encode("utf-8"))
            ids.extend(self.ids[s] for s in self.merge(word))
        return ids


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bpe_reference.py VOCAB.gz|--clean < texts.jsonl")
    if sys.argv[1] == "--clean":
        convert = clean
    else:
        convert = Tokenizer(sys.argv[1]).encode
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(convert(json.loads(line))))


if __name__ == "__main__":
    main()
