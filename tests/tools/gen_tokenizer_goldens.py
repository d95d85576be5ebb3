#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/golden/tokenizer/{smollm2,gemma3}.json: reference token ids for a corpus of hard strings.

Run with the pyref venv (not by ctest):
    /root/.cache/crucible/pyref/bin/python tests/tools/gen_tokenizer_goldens.py [--models DIR]

References are built from the tokenizer data inside the real GGUF files:
- SmolLM2 (gguf model "gpt2", pre "smollm"): the `tokenizers` pipeline is built explicitly to equal the model's
  published tokenizer.json (BPE without unk/byte fallback; pre-tokenizer Sequence[Digits(individual_digits),
  ByteLevel(add_prefix_space=False, use_regex=True)]; control tokens as special added tokens). transformers'
  GGUF loader leaves out the Digits step, so it is used only as a cross-check (differences are printed).
- Gemma 3 (gguf model "llama"): transformers' GGUF loader (normalizer " "->U+2581, BPE with byte fallback,
  merges derived from the scores, added tokens). It is cross-checked against SentencePiece itself running a
  ModelProto rebuilt from the GGUF pieces/scores/types (BPE, identity normalization, no dummy prefix), which is
  the algorithm the original tokenizer.model uses; the script fails if the two disagree on text without
  control tokens, except for one known difference: user-defined pieces made of raw spaces ("  ", "   ", ...)
  that HF and llama.cpp match before spaces become U+2581 and SentencePiece never matches. We follow HF.
"""
import argparse
import json
import os
import sys

import gguf
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

CORPUS = [
    "",
    "Hello world",
    "Hello, World! How are you today?",
    " leading space",
    "trailing space ",
    "  two leading and two trailing  ",
    "   ",
    "\t",
    "\n",
    "\n\n\nnewline runs\n\n\n\n\nend\n",
    "windows\r\nline\r\n\r\nendings\r\n",
    "I'm sure they'll say it's fine, don't you think? We've seen it. I'D SAY IT'S OK. she'd've",
    "0 1 12 123 1234 12345 123456 1234567 12345678901234567890",
    "3.14159 1,000,000 -42 +7e10 0x1F 2024-11-22 v1.2.3 $19.99 50%",
    "def foo(x):\n\treturn x ** 2  \n\n    if a != b:\n\t\tpass\n",
    'int main() {\n    printf("%d\\n", 42);\t// comment\n    return 0;\n}\n',
    "a  b   c    d\t\te\t \t f      g\u00a0\u00a0h",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 fa\u00e7ade \u00c5ngstr\u00f6m \u0152uvre Stra\u00dfe",
    "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5\u3002",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3068\u30ab\u30bf\u30ab\u30ca \u30fc\u3002\u6f22\u5b57",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8\uc785\ub2c8\ub2e4",
    "\u0420\u043e\u0441\u0441\u0438\u044f \u0438 \u0423\u043a\u0440\u0430\u0457\u043d\u0430, \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e \u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8",
    "Emoji: \U0001f600\U0001f44d\U0001f3fd\U0001f1fa\U0001f1f8 and \u2764\ufe0f",
    "ZWJ: \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 \U0001f3f3\ufe0f\u200d\U0001f308 \U0001f9d1\U0001f3fb\u200d\U0001f4bb",
    "Math: \u2211_{i=1}^{n} x\u00b2 \u2248 \u221e \u2260 \u221a2 \u00bd \u2153 \u2460 \u216b \u0663\u0664",
    "zero\u200bwidth\u00a0nbsp\u3000ideographic\u2028sep",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "https://example.com/path?query=1&b=2#frag user@example.org",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "x<|endoftext|>y <|im_end <|im_end|><|im_end|>",
    "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n",
    "<bos>text<eos> <pad>",
    "<div>html</div>\n\n\t\tindent [multimodal]<start_of_image>",
    "!!! ??? ... --- (parens) [brackets] {braces} <<>> ==> && || ::",
]


def gguf_fields(path):
    r = gguf.GGUFReader(path)
    f = r.fields
    get = lambda k, d=None: f[k].contents() if k in f else d
    return {
        "model": get("tokenizer.ggml.model"),
        "pre": get("tokenizer.ggml.pre"),
        "tokens": get("tokenizer.ggml.tokens"),
        "types": get("tokenizer.ggml.token_type"),
        "scores": get("tokenizer.ggml.scores"),
        "merges": get("tokenizer.ggml.merges"),
        "bos": get("tokenizer.ggml.bos_token_id"),
        "eos": get("tokenizer.ggml.eos_token_id"),
        "add_bos": get("tokenizer.ggml.add_bos_token", False),
    }


def smollm_reference(meta):
    vocab = {t: i for i, t in enumerate(meta["tokens"])}
    merges = [tuple(m.split(" ", 1)) for m in meta["merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=None, byte_fallback=False, fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True),
         pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    specials = [AddedToken(meta["tokens"][i], special=True, normalized=False)
                for i, t in enumerate(meta["types"]) if t == 3]
    tok.add_special_tokens(specials)
    return tok


def spm_reference(meta):
    """SentencePiece running a ModelProto rebuilt from the GGUF vocabulary."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    mp = pb.ModelProto()
    mp.trainer_spec.model_type = pb.TrainerSpec.BPE
    mp.trainer_spec.vocab_size = len(meta["tokens"])
    mp.trainer_spec.byte_fallback = True
    mp.trainer_spec.unk_id = 3
    mp.trainer_spec.bos_id = 2
    mp.trainer_spec.eos_id = 1
    mp.trainer_spec.pad_id = 0
    mp.trainer_spec.allow_whitespace_only_pieces = True
    mp.trainer_spec.split_by_whitespace = False
    mp.normalizer_spec.name = "identity"
    mp.normalizer_spec.add_dummy_prefix = False
    mp.normalizer_spec.remove_extra_whitespaces = False
    mp.normalizer_spec.escape_whitespaces = True
    type_map = {1: pb.ModelProto.SentencePiece.NORMAL, 2: pb.ModelProto.SentencePiece.UNKNOWN,
                3: pb.ModelProto.SentencePiece.CONTROL, 4: pb.ModelProto.SentencePiece.USER_DEFINED,
                5: pb.ModelProto.SentencePiece.UNUSED, 6: pb.ModelProto.SentencePiece.BYTE}
    for i, (t, s, ty) in enumerate(zip(meta["tokens"], meta["scores"], meta["types"])):
        p = mp.pieces.add()
        p.piece = t
        p.score = s
        # GGUF marks <unk> as control; SentencePiece needs exactly one UNKNOWN piece.
        p.type = pb.ModelProto.SentencePiece.UNKNOWN if i == 3 else type_map[ty]
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(mp.SerializeToString())
    return sp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.environ.get("CRUCIBLE_MODEL_DIR",
                                                       os.path.expanduser("~/.cache/crucible/models")))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "golden", "tokenizer"))
    args = ap.parse_args()
    from transformers import AutoTokenizer

    jobs = [("smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"), ("gemma3", "gemma-3-270m-q4_k_m.gguf")]
    for key, fname in jobs:
        meta = gguf_fields(os.path.join(args.models, fname))
        hf = AutoTokenizer.from_pretrained(args.models, gguf_file=fname)
        if key == "smollm2":
            ref = smollm_reference(meta)
        else:
            ref = hf.backend_tokenizer
            sp = spm_reference(meta)
        cases = []
        mismatches = 0
        for text in CORPUS:
            ids = ref.encode(text, add_special_tokens=False).ids
            ref.encode_special_tokens = True  # specials become plain text (parse_special = false)
            ids_plain = ref.encode(text, add_special_tokens=False).ids
            ref.encode_special_tokens = False
            if key == "smollm2":
                other = hf(text, add_special_tokens=False).input_ids
                if other != ids:
                    print(f"[info] transformers' gguf pipeline (no Digits) differs on {text!r}", file=sys.stderr)
            else:
                sp_ids = sp.EncodeAsIds(text)
                # Known, accepted difference: the GGUF has user-defined pieces made of raw spaces ("  ", ...).
                # HF and llama.cpp match added tokens on the raw text, before " " -> U+2581, so they hit;
                # SentencePiece matches user-defined pieces after escaping spaces, so they never do.
                space_piece = any(meta["types"][i] == 4 and " " in meta["tokens"][i] for i in ids_plain)
                if sp_ids != ids_plain and not any(meta["types"][i] == 3 for i in ids):
                    if space_piece:
                        print(f"[info] space-run user-defined pieces: sentencepiece differs on {text!r}",
                              file=sys.stderr)
                    else:
                        mismatches += 1
                        print(f"[error] sentencepiece {sp_ids} != hf {ids_plain} on {text!r}", file=sys.stderr)
            case = {"text": text, "ids": ids}
            if ids_plain != ids:
                case["ids_parse_special_false"] = ids_plain
            case["decoded_skip_special"] = ref.decode(ids, skip_special_tokens=True)
            cases.append(case)
        if mismatches:
            sys.exit(f"{key}: the reference pipelines disagree on {mismatches} strings")
        out = {
            "model_file": fname,
            "generator": "tests/tools/gen_tokenizer_goldens.py",
            "note": "ids: encode(text, add_special=false, parse_special=true); ids_parse_special_false only "
                    "where it differs; decoded_skip_special: decode(ids, skip_special=true)",
            "add_special_hello": hf("Hello", add_special_tokens=True).input_ids,
            "cases": cases,
        }
        path = os.path.join(args.out, f"{key}.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(out, fh, ensure_ascii=False, indent=None, separators=(",", ":"))
            fh.write("\n")
        print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
