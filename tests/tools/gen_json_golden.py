#!/usr/bin/env python3
"""Writes tests/golden/json/dumps.json: JSON texts and what Python's json.dumps
prints for them under the option sets engine::json::dump mirrors.

Run with the pyref venv:  /root/.cache/crucible/pyref/bin/python tests/tools/gen_json_golden.py
"""
import json
import os

# Inputs are JSON texts (not Python values) so the C++ test parses exactly what Python parsed.
INPUTS = [
    '{"a": 1, "b": [true, false, null], "c": {"d": "e"}}',
    '[1.0, 1.5, -0.0, 0.1, 1e-05, 0.0001, 0.00012345, 1e16, 1e15, 123456789012345678.0]',
    '[3.141592653589793, 2.5e-07, 1.7976931348623157e308, 5e-324, 100.0, 1e22, 12345.678]',
    '[9223372036854775807, -9223372036854775808, 0, -1, 42]',
    '{"text": "caf\\u00e9 \\ud83d\\ude00 \\u4e2d\\u6587", "ctl": "a\\u0001b\\u001fc\\u007fd", '
    '"esc": "q\\"b\\\\s/n\\nr\\rt\\tb\\bf\\f"}',
    '{"zeta": 1, "alpha": {"y": [], "x": {}}, "mid": [[], [1, [2, [3]]]], "\\u00e9": 0, "Z": 2}',
    '{"chat_template": "{% for m in messages %}{{ m[\'role\'] }}: {{ m[\'content\'] }}\\n{% endfor %}", '
    '"model_max_length": 8192, "rope_theta": 10000.0, "eps": 1e-06}',
    '"just a string"',
    'null',
    '[]',
]

VARIANTS = {
    "python": dict(ensure_ascii=False),
    "compact": dict(ensure_ascii=False, separators=(",", ":")),
    "ascii": dict(ensure_ascii=True),
    "indent2": dict(ensure_ascii=False, indent=2),
    "sorted": dict(ensure_ascii=False, sort_keys=True),
}


def main():
    cases = []
    for text in INPUTS:
        value = json.loads(text)
        case = {"input": text}
        for name, kwargs in VARIANTS.items():
            case[name] = json.dumps(value, **kwargs)
        cases.append(case)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = os.path.join(root, "golden", "json", "dumps.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
