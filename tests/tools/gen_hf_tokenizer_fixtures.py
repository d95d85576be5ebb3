#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for tokenizer_spec_from_hf (tests/engine/tokenizer_hf_test.cpp).

Run with the pyref venv (not by ctest):
    /root/.cache/crucible/pyref/bin/python tests/tools/gen_hf_tokenizer_fixtures.py [--models DIR] [--skip-real]

1. Small synthetic tokenizers, committed under tests/golden/tokenizer_hf/<name>/ (tokenizer.json,
   tokenizer_config.json, expected.json with the ids the `tokenizers` library gives for a corpus of hard
   strings). Byte-level ones are BPEs trained with the `tokenizers` trainer, one per pre-tokenizer we
   recognise; SentencePiece-style ones are BPE models trained with `sentencepiece` (byte fallback) and turned
   into tokenizer.json the way transformers' converters do (its generate_merges, plus the Gemma / Llama
   legacy / Llama Metaspace pipelines).
2. The two real tokenizers exported from the GGUF files with transformers (`save_pretrained`), written to
   $CRUCIBLE_MODEL_DIR/hf-tokenizers/<model>/ (several MB: not committed). transformers' GGUF loader leaves
   out SmolLM2's Digits step, so that file's pre-tokenizer is set to SmolLM2's real pipeline
   (Sequence[Digits(individual_digits), ByteLevel]), as gen_tokenizer_goldens.py does.
"""
import argparse
import io
import json
import os
import sys

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from tokenizers import trainers

sys.path.insert(0, os.path.dirname(__file__))
from gen_tokenizer_goldens import CORPUS as GOLDEN_CORPUS  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "golden", "tokenizer_hf")

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")

# Extra hard strings for these pipelines: added tokens next to text, leading spaces (Metaspace), digits,
# words the Llama 3 fixture has whole in its vocabulary but cannot merge to.
EXTRA = [
    "<s>Hello</s>",
    "<s> [INST] hi [/INST]",
    " <s>x",
    "Hello<|im_end|>world",
    "<start_of_turn>user\n  spaced  out\n\n\nend<end_of_turn>",
    "<tool_call>{\"a\": 1}</tool_call>",
    " unreachableword unreachableword! xunreachableword",
    "\u2581already marked \u2581\u2581two",
    "DON'T WON'T y'all 'S",
    "9876543210 12.5% 1,234",
    "\u00e9\u00e8\u00ea \u4e2d\u6587 \U0001f600",
]
CORPUS = GOLDEN_CORPUS + EXTRA

# Training text: the golden corpus is too short; add some prose and code so merges are meaningful.
TRAIN = GOLDEN_CORPUS * 3 + [
    "The quick brown fox jumps over the lazy dog while the other dogs watch the fox and the hen.",
    "In the beginning there was the word, and the word was with the tokenizer, and the merges were many.",
    "def tokenize(text):\n    return [ord(c) for c in text]\n\nfor i in range(10):\n    print(i, i * i)\n",
    "We'll see what they're doing; I've heard it's the best thing they'd ever done, isn't it?",
    "Numbers: 1 22 333 4444 55555 2024 1999 3.14 2.71 100% 42",
    "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, na\u00efve r\u00e9sum\u00e9.",
] * 5


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=None, separators=(",", ":"))
        fh.write("\n")


def expected_for(tok, config):
    """ids as our encode(text, add_special, parse_special) should give them."""
    cases = []
    for text in CORPUS:
        tok.encode_special_tokens = False
        ids = tok.encode(text, add_special_tokens=False).ids
        with_special = tok.encode(text, add_special_tokens=True).ids
        tok.encode_special_tokens = True  # special tokens written in the text stay plain text
        plain = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = False
        cases.append({"text": text, "ids": ids, "ids_add_special": with_special, "ids_parse_special_false": plain})
    return cases


def save_fixture(name, tok, config, expect):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    tj = json.loads(tok.to_str())
    tweak = expect.pop("tweak", None)
    if tweak:
        tweak(tj)
    # Reload what we write, so the expected ids come from exactly the committed file.
    tok = Tokenizer.from_str(json.dumps(tj, ensure_ascii=False))
    write_json(os.path.join(d, "tokenizer.json"), tj)
    write_json(os.path.join(d, "tokenizer_config.json"), config)
    expect["cases"] = expected_for(tok, config)
    expect["generator"] = "tests/tools/gen_hf_tokenizer_fixtures.py"
    write_json(os.path.join(d, "expected.json"), expect)
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f"wrote {d}: {len(tj['model']['vocab'])} tokens, {len(tj['model']['merges'])} merges, {size} bytes")


# ---- byte-level BPE -------------------------------------------------------------------------------

def train_byte_level(pre, specials, vocab_size=420):
    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=specials)
    tok.train_from_iterator(TRAIN, trainer)
    return tok


def merges_as_strings(tj):
    tj["model"]["merges"] = [" ".join(m) for m in tj["model"]["merges"]]


def add_unreachable_words(tj):
    """Whole words only ignore_merges can produce (Llama 3 style)."""
    vocab = tj["model"]["vocab"]
    top = max(max(vocab.values()), max(a["id"] for a in tj["added_tokens"]))
    for i, w in enumerate(["\u0120unreachableword", "unreachableword"]):
        vocab[w] = top + 1 + i
    tj["model"]["ignore_merges"] = True


def byte_level_fixtures():
    # GPT-2: plain ByteLevel(use_regex); legacy "a b" merges; no post-processor.
    tok = train_byte_level(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), ["<|endoftext|>"])
    save_fixture("gpt2", tok,
                 {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"},
                 {"pre": "gpt2", "kind": "byte_level_bpe", "tweak": merges_as_strings})

    # SmolLM2 / StarCoder: Digits(individual) + ByteLevel; specials given as AddedToken dicts.
    tok = train_byte_level(pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                    pre_tokenizers.ByteLevel(add_prefix_space=False,
                                                                             use_regex=True)]),
                           ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok.post_processor = processors.TemplateProcessing(single="$A", pair="$A $B", special_tokens=[])
    save_fixture("smollm", tok,
                 {"bos_token": {"__type": "AddedToken", "content": "<|im_start|>", "special": True},
                  "eos_token": {"__type": "AddedToken", "content": "<|im_end|>", "special": True},
                  "pad_token": "<|im_end|>", "add_bos_token": False},
                 {"pre": "smollm", "kind": "byte_level_bpe"})

    # Llama 3: Split(regex) + ByteLevel(no regex), ignore_merges, BOS added by the post-processor.
    tok = train_byte_level(pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_REGEX), "isolated"),
                                                    pre_tokenizers.ByteLevel(add_prefix_space=False,
                                                                             use_regex=False)]),
                           ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"])
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A $B",
                                      special_tokens=[("<|begin_of_text|>", 0)])])
    save_fixture("llama3", tok, {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
                 {"pre": "llama-bpe", "kind": "byte_level_bpe", "tweak": add_unreachable_words,
                  "add_bos": True})

    # Qwen2: NFC + Split(qwen2 regex) + ByteLevel; a non-special added token; no BOS.
    tok = train_byte_level(pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(QWEN2_REGEX), "isolated"),
                                                    pre_tokenizers.ByteLevel(add_prefix_space=False,
                                                                             use_regex=False)]),
                           ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok.normalizer = normalizers.NFC()
    tok.add_tokens([AddedToken("<tool_call>", special=False, normalized=False),
                    AddedToken("</tool_call>", special=False, normalized=False)])
    save_fixture("qwen2", tok,
                 {"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                  "add_bos_token": False},
                 {"pre": "qwen2", "kind": "byte_level_bpe"})


# ---- SentencePiece-style BPE --------------------------------------------------------------------

def train_spm(specials, controls, user_defined, vocab_size=700):
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([t for t in TRAIN if t.strip()]), model_writer=buf, model_type="bpe",
        vocab_size=vocab_size, byte_fallback=True, character_coverage=0.999, split_digits=True,
        add_dummy_prefix=False, normalization_rule_name="identity", remove_extra_whitespaces=False,
        allow_whitespace_only_pieces=True, user_defined_symbols=user_defined, control_symbols=controls,
        pad_id=specials["pad"], eos_id=specials["eos"], bos_id=specials["bos"], unk_id=specials["unk"],
        pad_piece=specials["pad_piece"], eos_piece=specials["eos_piece"], bos_piece=specials["bos_piece"],
        unk_piece=specials["unk_piece"], hard_vocab_limit=False, minloglevel=2)
    proto = pb.ModelProto()
    proto.ParseFromString(buf.getvalue())
    return proto


def spm_tokenizer(proto, by_scores=True):
    """tokenizer.json model + added tokens the way transformers converts a SentencePiece BPE."""
    from transformers.tokenization_utils_base import generate_merges

    vocab = {p.piece: i for i, p in enumerate(proto.pieces)}
    scores = {p.piece: p.score for p in proto.pieces} if by_scores else None
    merges = generate_merges(vocab, scores)
    unk = proto.pieces[proto.trainer_spec.unk_id].piece
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=unk, fuse_unk=True, byte_fallback=True,
                               dropout=None))
    # Control pieces are special added tokens, user-defined ones plain added tokens (as the converters do).
    added = [AddedToken(p.piece, normalized=False, special=p.type in (2, 3))
             for p in proto.pieces if p.type in (2, 3, 4)]
    tok.add_tokens(added)
    return tok


def spm_fixtures():
    # Gemma: " " -> U+2581 normalizer, Split(" ") pre-tokenizer (a no-op after it), no space prefix,
    # BOS from the post-processor, merges ordered by score.
    proto = train_spm({"pad": 0, "eos": 1, "bos": 2, "unk": 3, "pad_piece": "<pad>", "eos_piece": "<eos>",
                       "bos_piece": "<bos>", "unk_piece": "<unk>"},
                      ["<start_of_turn>", "<end_of_turn>"], ["\n\n", "\n\n\n", "  ", "\u2581\u2581"])
    tok = spm_tokenizer(proto)
    tok.normalizer = normalizers.Replace(" ", "\u2581")
    tok.pre_tokenizer = pre_tokenizers.Split(" ", "merged_with_previous")
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    tok.post_processor = processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A <bos> $B",
                                                       special_tokens=[("<bos>", 2)])
    save_fixture("spm_gemma", tok,
                 {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"},
                 {"kind": "sentencepiece_bpe", "add_bos": True, "add_space_prefix": False})

    llama_specials = {"pad": -1, "eos": 2, "bos": 1, "unk": 0, "pad_piece": "<pad>", "eos_piece": "</s>",
                      "bos_piece": "<s>", "unk_piece": "<unk>"}
    # Llama 2 (legacy): Prepend + Replace normalizer: every fragment between added tokens gets U+2581.
    # Merges in id order (generate_merges without scores), as newer transformers writes them.
    proto = train_spm(llama_specials, [], [])
    tok = spm_tokenizer(proto, by_scores=False)
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", 1)])
    save_fixture("spm_llama", tok,
                 {"bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "</s>",
                  "unk_token": "<unk>", "pad_token": None, "add_bos_token": True, "add_eos_token": False},
                 {"kind": "sentencepiece_bpe", "add_bos": True, "add_space_prefix": True})

    # Llama (non-legacy) / Mistral: Metaspace(prepend_scheme=first, split=false), no normalizer; no
    # add_*_token flags in the config, so BOS and EOS come from the post-processor.
    tok = spm_tokenizer(proto)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> $B </s>",
                                                       special_tokens=[("<s>", 1), ("</s>", 2)])
    save_fixture("spm_metaspace", tok,
                 {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
                 {"kind": "sentencepiece_bpe", "add_bos": True, "add_eos": True, "add_space_prefix": True})


# ---- real tokenizers exported from the GGUF files -------------------------------------------------

def export_real(models_dir):
    from transformers import AutoTokenizer

    for key, fname in [("smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"), ("gemma3", "gemma-3-270m-q4_k_m.gguf")]:
        out = os.path.join(models_dir, "hf-tokenizers", key)
        hf = AutoTokenizer.from_pretrained(models_dir, gguf_file=fname)
        hf.save_pretrained(out)
        if key == "smollm2":
            path = os.path.join(out, "tokenizer.json")
            with open(path, encoding="utf-8") as fh:
                tj = json.load(fh)
            tj["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
                {"type": "Digits", "individual_digits": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(tj, fh, ensure_ascii=False)
        # Reference ids for many pseudo-random strings (not committed either): checks e.g. that scores
        # derived from Gemma's 514k merges reproduce rank-ordered BPE.
        ref = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
        cases = [{"text": t, "ids": ref.encode(t, add_special_tokens=False).ids} for t in stress_texts()]
        write_json(os.path.join(out, "stress_ids.json"), {"generator": "tests/tools/gen_hf_tokenizer_fixtures.py",
                                                          "cases": cases})
        print(f"exported {out} ({len(cases)} stress strings)")


def stress_texts(count=800):
    """Deterministic pseudo-random strings of word pieces, whitespace runs, rare characters and specials."""
    import random

    rng = random.Random(20241123)
    pieces = ["the", "ing", " ", "  ", "   ", "\n", "\n\n", "\t", "tion", "\u00e9", "\u4e2d", "\U0001f600", "12",
              "2024", "'s", "'LL", "qu", "ar", "ZZ", ".", "un", "\u2581", "\u00df", "\u00f6", "\ue000", "\u0928\u094d",
              "<|im_end|>", "<start_of_turn>", "<eos>", "<|im", "Hello", " world", "x", "(", ")", "=>"]
    out = []
    for _ in range(count):
        out.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 24))))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.environ.get("CRUCIBLE_MODEL_DIR",
                                                       os.path.expanduser("~/.cache/crucible/models")))
    ap.add_argument("--skip-real", action="store_true", help="only write the committed synthetic fixtures")
    args = ap.parse_args()
    byte_level_fixtures()
    spm_fixtures()
    if not args.skip_real:
        export_real(args.models)


if __name__ == "__main__":
    main()
