#!/usr/bin/env python3
"""Golden outputs for the engine's Jinja interpreter and chat templates.

Renders with the reference implementations and writes JSON next to the tests:
  tests/golden/templates/chat_goldens.json  - built-in chat templates rendered by
      transformers.utils.chat_template_utils.render_jinja_template (the function
      behind apply_chat_template) over a set of conversations;
  tests/golden/templates/jinja_cases.json   - interpreter feature cases rendered by
      jinja2's ImmutableSandboxedEnvironment configured like transformers'.

The chat template texts are read from engine/src/jinja/builtin_templates.cpp so the
goldens always match what the engine ships. Run with the pyref venv:
  /root/.cache/crucible/pyref/bin/python tests/tools/gen_template_goldens.py
"""
import json
import os
import re
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from transformers.utils.chat_template_utils import _compile_jinja_template, render_jinja_template

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "golden", "templates")


def load_builtins():
    src = open(os.path.join(ROOT, "engine", "src", "jinja", "builtin_templates.cpp"), encoding="utf-8").read()
    found = {}
    for m in re.finditer(r'// family: (\S+)\n.*?R"tmpl\((.*?)\)tmpl"', src, re.S):
        found[m.group(1)] = m.group(2)
    return found


TOKENS = {
    "chatml": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    "smollm2": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    "gemma3": {"bos_token": "<bos>", "eos_token": "<eos>"},
    "llama3": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "qwen2.5": {"eos_token": "<|im_end|>"},
    "qwen3": {"eos_token": "<|im_end|>"},
    "mistral": {"bos_token": "<s>", "eos_token": "</s>"},
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
            },
            "required": ["city"],
        },
    },
}

CONVERSATIONS = {
    "system_user": [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Hello!"},
    ],
    "system_user_assistant_user": [
        {"role": "system", "content": "  You are a terse assistant.\n"},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And 3+3?  "},
    ],
    "no_system": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke."},
    ],
    "multi_turn_ends_assistant": [
        {"role": "user", "content": "One"},
        {"role": "assistant", "content": "Two"},
        {"role": "user", "content": "Three"},
        {"role": "assistant", "content": "Four"},
        {"role": "user", "content": "Five"},
        {"role": "assistant", "content": "Six"},
    ],
    "unicode": [
        {"role": "user", "content": "Grüße aus Zürich 🇨🇭! 日本語で答えて。 \"quotes\" and \\backslash\\"},
        {"role": "assistant", "content": "こんにちは 👋 — ça va? 😀"},
        {"role": "user", "content": "Ελληνικά; ünïcödé\ttab"},
    ],
    "content_parts": [
        {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
        {"role": "user", "content": [{"type": "text", "text": "Describe "}, {"type": "text", "text": " this."}]},
    ],
    "tool_calls": [
        {"role": "user", "content": "What's the weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2, "celsius": True, "extra": None, "ratio": 0.5}},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "{\"temp\": 21.5, \"sky\": \"clear\"}"},
        {"role": "assistant", "content": "It is 21.5 °C and clear in Paris."},
        {"role": "user", "content": "Thanks!"},
    ],
    "two_tool_results": [
        {"role": "user", "content": "Weather in Paris and Oslo?"},
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}},
            ],
        },
        {"role": "tool", "content": "sunny"},
        {"role": "tool", "content": "snow"},
    ],
    "thinking": [
        {"role": "user", "content": "Is 7 prime?"},
        {"role": "assistant", "content": "<think>\nIt has no divisors but 1 and 7.\n</think>\n\nYes."},
        {"role": "user", "content": "Is 9 prime?"},
        {"role": "assistant", "content": "No, 9 = 3 x 3.", "reasoning_content": "9 is 3 squared."},
        {"role": "user", "content": "And 11?"},
    ],
    "bad_role_order": [
        {"role": "user", "content": "First"},
        {"role": "user", "content": "Second"},
    ],
    "empty": [],
}

# (conversation, tools, extra kwargs, add_generation_prompt values)
CASES = [
    ("system_user", None, {}, [True]),
    ("system_user_assistant_user", None, {}, [True, False]),
    ("no_system", None, {}, [True, False]),
    ("multi_turn_ends_assistant", None, {}, [False]),
    ("unicode", None, {}, [True]),
    ("content_parts", None, {}, [True]),
    ("no_system", [WEATHER_TOOL], {}, [True]),
    ("tool_calls", [WEATHER_TOOL], {}, [True]),
    ("two_tool_results", None, {}, [True]),
    ("thinking", None, {}, [True]),
    ("thinking", None, {"enable_thinking": False}, [True]),
    ("thinking", None, {"enable_thinking": True}, [False]),
    ("bad_role_order", None, {}, [True]),
]


def chat_goldens(builtins):
    out = []
    for family, source in builtins.items():
        for conv, tools, extra, gens in CASES:
            for gen in gens:
                kwargs = dict(TOKENS[family])
                kwargs.update(extra)
                if family == "llama3":
                    kwargs["date_string"] = "26 Jul 2024"  # strftime_now would make goldens depend on the day
                case = {
                    "family": family,
                    "conversation": conv,
                    "messages": CONVERSATIONS[conv],
                    "tools": tools,
                    "add_generation_prompt": gen,
                    "bos_token": kwargs.pop("bos_token", None),
                    "eos_token": kwargs.pop("eos_token", None),
                    "extra": kwargs,
                }
                call_kwargs = dict(kwargs)
                for tok in ("bos_token", "eos_token"):
                    if case[tok] is not None:
                        call_kwargs[tok] = case[tok]
                try:
                    rendered, _ = render_jinja_template(
                        conversations=[json.loads(json.dumps(CONVERSATIONS[conv]))],
                        tools=json.loads(json.dumps(tools)) if tools else None,
                        chat_template=source,
                        add_generation_prompt=gen,
                        **call_kwargs,
                    )
                    case["expected"] = rendered[0]
                except jinja2.exceptions.TemplateError as e:
                    # TemplateError covers raise_exception and template type errors alike.
                    case["error"] = str(e)
                    case["raised"] = type(e) is jinja2.exceptions.TemplateError
                except (TypeError, ValueError, IndexError, KeyError) as e:
                    case["error"] = str(e)
                    case["raised"] = False
                out.append(case)
    return out


# ---------------------------------------------------------------------------
# Interpreter cases: (name, template, context, trim_lstrip)
# ---------------------------------------------------------------------------
CTX = {
    "s": "  Hello World  ",
    "n": 7,
    "f": 2.5,
    "items": [3, 1, 2],
    "words": ["b", "A", "a", "C"],
    "users": [
        {"name": "ann", "age": 31, "admin": True},
        {"name": "Bob", "age": 25, "admin": False},
        {"name": "cy", "age": 40},
    ],
    "d": {"b": 2, "a": 1, "C": 3},
    "nested": {"x": {"y": [10, 20, {"z": "deep"}]}},
    "text": "line one\nline two\n\nline four",
    "u": "héllo wörld ✓",
    "none_value": None,
    "empty": "",
}

CASES_JINJA = [
    # whitespace control
    ("ws_plain", "a\n{% if true %}\n  b\n{% endif %}\nc\n", {}, False),
    ("ws_trim_lstrip", "a\n{% if true %}\n  b\n{% endif %}\nc\n", {}, True),
    ("ws_indented_blocks", "<ul>\n    {% for x in items %}\n    <li>{{ x }}</li>\n    {% endfor %}\n</ul>", CTX, True),
    ("ws_dash", "a  {%- if true -%}  b  {%- endif -%}  c", {}, False),
    ("ws_dash_expr", "x\n  {{- 'y' -}}\n  z", {}, True),
    ("ws_plus_disables_lstrip", "a\n    {%+ if true %}b{% endif %}", {}, True),
    ("ws_plus_disables_trim", "{% if true +%}\nb{% endif %}", {}, True),
    ("ws_comment", "a\n  {# note #}\nb {#- x -#} c", {}, True),
    ("ws_trailing_newline", "line\n", {}, True),
    ("ws_crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n", {}, True),
    ("ws_raw", "{% raw %}{{ not parsed }} {% if %}{% endraw %}!", {}, True),
    ("ws_var_no_trim", "{{ 'a' }}\n{{ 'b' }}\n", {}, True),
    # literals and printing
    ("lit_print", "{{ 1 }} {{ 1.0 }} {{ 1.5e3 }} {{ 1e-7 }} {{ 10**16 * 1.0 }} {{ 0.1 + 0.2 }} {{ true }} {{ none }} {{ 'x' }}", {}, True),
    ("lit_containers", "{{ [1, 'a', none, true, 2.0, [3], {'k': 'v'}] }} {{ (1,) }} {{ ('a', \"it's\") }} {{ {} }} {{ () }}", {}, True),
    ("lit_escapes", "{{ 'tab\\tq\\'d\\\\ \\x41\\u00e9\\n' }}|{{ \"dq\\\"\" }}|{{ 'a' 'b' }}", {}, True),
    ("lit_repr_quotes", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n'] }}", {}, True),
    # arithmetic and operators
    ("math", "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 1 / 4 }} {{ 6 / 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 3 * 1.5 }} {{ true + 1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }}", {}, True),
    ("concat", "{{ 'a' ~ 1 ~ none ~ 2.50 ~ [1] }} {{ 'ab' * 3 }} {{ [1, 2] + [3] }} {{ 'x' + 'y' }}", {}, True),
    ("compare", "{{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 2 in [1, 2] }} {{ 'ell' in 'hello' }} {{ 'k' not in {'k': 1} }} {{ none == none }} {{ 1 != '1' }}", {}, True),
    ("logic", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ not [] }} {{ '' or none }} {{ 'a' if n > 5 else 'b' }} {{ 'a' if n > 50 }}|", CTX, True),
    ("unary", "{{ -n }} {{ +f }} {{ -(1 + 2) }} {{ -2 ** 2 }} {{ -1 | abs }}", CTX, True),
    # attribute, subscript, slices
    ("access", "{{ nested.x.y[2].z }} {{ nested['x']['y'][-1]['z'] }} {{ users[0].name }} {{ items.1 }} {{ d['a'] }}", CTX, True),
    ("missing", "[{{ nested.nope }}][{{ users[9] }}][{{ none_value.attr }}][{{ d.nope is defined }}]", CTX, True),
    ("slices", "{{ items[1:] }} {{ items[::-1] }} {{ items[:-1] }} {{ 'abcdef'[1:4] }} {{ 'abcdef'[::2] }} {{ u[1:5] }} {{ u[-1] }} {{ items[5:] }} {{ 'abc'[-10:2] }}", CTX, True),
    # string methods
    ("str_methods", "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxhixx'.strip('x') }}|{{ s.upper() }}|{{ s.lower() }}|{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}", CTX, True),
    ("str_split", "{{ 'a,b,,c'.split(',') }} {{ '  a  b c '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a-b-c'.rsplit('-', 1) }} {{ 'x\\ny\\r\\nz'.splitlines() }}", {}, True),
    ("str_search", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith(('x', 'lo')) }} {{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'banana'.count('an') }} {{ 'héllo'.find('l') }}", {}, True),
    ("str_replace_join_format", "{{ 'aaa'.replace('a', 'b', 2) }} {{ '-'.join(['x', 'y', 'z']) }} {{ '{} and {}'.format('a', 1) }} {{ '{name}!'.format(name='hi') }} {{ '%s=%d' % ('k', 3) }}", {}, True),
    ("str_predicates", "{{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ 'a1'.isalnum() }} {{ '  '.isspace() }} {{ 'abc'.islower() }} {{ 'ABC'.isupper() }}", {}, True),
    ("dict_methods", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('a') }} {{ d.get('zz', 'def') }} {{ d.get('zz') }}", CTX, True),
    # tests
    ("tests_types", "{{ n is number }}{{ f is float }}{{ n is integer }}{{ true is number }}{{ true is integer }}{{ true is boolean }}{{ s is string }}{{ d is mapping }}{{ items is iterable }}{{ s is sequence }}{{ none_value is none }}{{ nope is undefined }}{{ nope is iterable }}", CTX, True),
    ("tests_values", "{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ 1 is eq 1 }}{{ 1 is ne 2 }}{{ 1 is lt 2 }}{{ 2 is gt 1 }}{{ 2 is le 2 }}{{ 2 is ge 3 }}{{ 2 is in [1, 2] }}{{ true is true }}{{ 0 is false }}{{ 'up' is lower }}{{ none is sameas none }}", {}, True),
    ("tests_equalto", "{{ users | selectattr('age', 'equalto', 25) | map(attribute='name') | list }} {{ users | selectattr('admin') | map(attribute='name') | join(',') }} {{ users | rejectattr('admin') | map(attribute='name') | list }}", CTX, True),
    # filters
    ("filters_text", "{{ s | trim }}|{{ 'xxa' | trim('x') }}|{{ s | upper }}|{{ 'hello world-foo(bar' | title }}|{{ 'mIxEd' | capitalize }}|{{ s | replace('l', 'L') }}|{{ 'abc' | center(9) }}|{{ 'ab' | center(7) }}|{{ 'one two  three' | wordcount }}", CTX, True),
    ("filters_len", "{{ items | length }} {{ s | count }} {{ u | length }} {{ d | length }} {{ nope | length }} {{ items | first }} {{ items | last }} {{ 'abc' | first }} {{ [] | first }}|", CTX, True),
    ("filters_default", "{{ nope | default('dflt') }} {{ nope | d('d2') }} {{ empty | default('e', true) }} {{ empty | default('e') }}| {{ none_value | default('x') }}", CTX, True),
    ("filters_numbers", "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(5) }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 3 | float }} {{ 'x' | float }} {{ -3 | abs }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(0, 'floor') }} {{ 3 | round }}", {}, True),
    ("filters_seq", "{{ items | sort }} {{ words | sort }} {{ words | sort(case_sensitive=true) }} {{ items | sort(reverse=true) }} {{ users | sort(attribute='age') | map(attribute='name') | list }} {{ words | unique | list }} {{ items | reverse | list }} {{ 'abc' | reverse }} {{ items | sum }} {{ users | sum(attribute='age') }} {{ items | min }} {{ words | max }}", CTX, True),
    ("filters_map_select", "{{ items | map('string') | join('-') }} {{ words | map('upper') | list }} {{ items | select('odd') | list }} {{ items | reject('odd') | list }} {{ [0, 1, '', 'a'] | select | list }} {{ users | map(attribute='admin', default='?') | list }}", CTX, True),
    ("filters_dict", "{{ d | dictsort }} {{ d | dictsort(reverse=true) }} {{ d | dictsort(by='value') }} {{ d | items | list }} {{ d | list }}", CTX, True),
    ("filters_join_list", "{{ items | join }} {{ items | join(', ') }} {{ users | join('/', attribute='name') }} {{ 'abc' | list }} {{ none_value | string }} {{ 12 | string }}", CTX, True),
    ("filters_indent", "[{{ text | indent }}][{{ text | indent(2, true) }}][{{ text | indent(2, blank=true) }}][{{ 'x\\n' | indent(first=true) }}]", CTX, True),
    ("filters_batch_slice", "{{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ [1, 2, 3, 4, 5] | batch(2, 0) | list }} {{ [1, 2, 3, 4, 5] | slice(2) | list }} {{ [1, 2, 3, 4] | slice(3, 'x') | list }}", {}, True),
    ("filters_escape", "{{ '<a href=\"x\">&\\'</a>' | e }} {{ '<b>' | escape }} {{ '<i>' | safe }}", {}, True),
    ("filters_tojson", "{{ users | tojson }}\n{{ d | tojson(indent=2) }}\n{{ d | tojson(sort_keys=true) }}\n{{ {'u': 'é✓<>&', 'n': none, 'f': 1.0, 'e': 1e-7, 'l': [], 'o': {}} | tojson }}\n{{ 'é' | tojson(ensure_ascii=true) }}\n{{ [1, [2, {'a': []}]] | tojson(indent=1) }}\n{{ {'a': 1, 'b': 2} | tojson(separators=(',', ':')) }}", CTX, True),
    ("filter_block", "{% filter upper %}abc {{ s | trim }}{% endfilter %}|{% filter trim | upper %}  x  {% endfilter %}", CTX, True),
    # loops
    ("loop_vars", "{% for x in items %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}<{{ loop.previtem }}|{{ loop.nextitem }}>{% endfor %}", CTX, True),
    ("loop_else_filter", "{% for x in items if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% else %}none{% endfor %}|{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in items if x > 10 %}{{ x }}{% else %}filtered-out{% endfor %}", CTX, True),
    ("loop_unpack", "{% for k, v in d | dictsort %}{{ k }}:{{ v }} {% endfor %}{% for a, b in [(1, 2), [3, 4]] %}{{ a + b }} {% endfor %}{% for (a, b) in [[5, 6]] %}{{ a * b }}{% endfor %}", CTX, True),
    ("loop_dict_string", "{% for k in d %}{{ k }}{% endfor %}|{% for c in 'héy' %}[{{ c }}]{% endfor %}|{% for x in nope %}never{% endfor %}", CTX, True),
    ("loop_break_continue", "{% for x in range(10) %}{% if x is odd %}{% continue %}{% endif %}{% if x > 6 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}, True),
    ("loop_nested", "{% for a in [1, 2] %}{% set outer = loop %}{% for b in ['x', 'y'] %}{{ outer.index }}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{% endfor %}", {}, True),
    ("loop_cycle", "{% for x in range(5) %}{{ loop.cycle('a', 'b') }}{% endfor %}", {}, True),
    ("range", "{{ range(3) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }} {{ range(0) | list }}", {}, True),
    # scoping
    ("scope_loop_set", "{% set x = 1 %}{% for i in range(3) %}{{ x }}{% set x = x + 10 %}{{ x }},{% endfor %}{{ x }}", {}, True),
    ("scope_if_set", "{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}", {}, True),
    ("scope_namespace", "{% set ns = namespace(total=0, seen=[]) %}{% for i in items %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }} {% set ns.flag = true %}{{ ns.flag }}", CTX, True),
    ("scope_set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 3, 4 %}{{ t }}", {}, True),
    ("scope_block_set", "{% set block %}  inner {{ n }}  {% endset %}[{{ block }}]{% set b2 | trim | upper %}  shout  {% endset %}[{{ b2 }}]", CTX, True),
    ("scope_with", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]", {}, True),
    # macros and call blocks
    ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('ann') }} {{ greet('bob', punct='?') }} {{ greet(name='cy') }}", {}, True),
    ("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}|{{ varargs }}|{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}", {}, True),
    ("macro_caller", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ n }}{% endcall %}{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1, 2]) %}[{{ v }}]{% endcall %}", CTX, True),
    ("macro_recursion", "{% macro fact(k) %}{% if k <= 1 %}1{% else %}{{ k * (fact(k - 1) | int) }}{% endif %}{% endmacro %}{{ fact(6) }}", {}, True),
    ("globals", "{{ dict(a=1, b='x') }} {{ namespace(a=1).a }} {{ raise_exception is defined }}", {}, True),
    ("generation_tag", "{% for m in ['a', 'b'] %}{% generation %}<{{ m }}>{% endgeneration %}{% endfor %}", {}, True),
]

ERROR_CASES = [
    ("err_raise", "{{ raise_exception('custom failure: ' ~ n) }}", CTX),
    ("err_undefined_attr", "{{ nope.attr }}", CTX),
    ("err_str_plus_int", "{{ 'a' + 1 }}", {}),
    ("err_lt_mixed", "{{ 1 < 'a' }}", {}),
    ("err_unsafe_append", "{% set l = [1] %}{{ l.append(2) }}", {}),
    ("err_tojson_undefined", "{{ nope | tojson }}", {}),
    ("err_unknown_filter", "{{ 1 | nosuchfilter }}", {}),
    ("err_syntax_unclosed", "{% if true %}never closed", {}),
    ("err_syntax_bad_expr", "{{ 1 + }}", {}),
    ("err_div_zero", "{{ 1 / 0 }}", {}),
    ("err_namespace_underscore", "{% set ns = namespace() %}{% set ns._x = 1 %}", {}),
    ("err_not_iterable", "{% for x in 5 %}{% endfor %}", {}),
    ("err_call_undefined", "{{ nope() }}", {}),
]


def make_env(trim):
    env = ImmutableSandboxedEnvironment(trim_blocks=trim, lstrip_blocks=trim, extensions=[jinja2.ext.loopcontrols])

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def compile_case(tmpl, trim):
    # trim_blocks/lstrip_blocks on: transformers' own environment (namespace rules,
    # {% generation %}); off: a plain sandbox configured the same way otherwise.
    if trim:
        return _compile_jinja_template(tmpl)
    return make_env(False).from_string(tmpl)


def jinja_cases():
    out = []
    for name, tmpl, ctx, trim in CASES_JINJA:
        rendered = compile_case(tmpl, trim).render(**ctx)
        out.append({"name": name, "template": tmpl, "context": ctx, "trim_lstrip": trim, "expected": rendered})
    for name, tmpl, ctx in ERROR_CASES:
        try:
            compile_case(tmpl, True).render(**ctx)
        except Exception as e:  # noqa: BLE001 - every failure kind is the point here
            out.append({"name": name, "template": tmpl, "context": ctx, "trim_lstrip": True, "error": str(e)})
            continue
        sys.exit(f"error case {name} rendered without error")
    return out


def main():
    builtins = load_builtins()
    expected = {"chatml", "smollm2", "gemma3", "llama3", "qwen2.5", "qwen3", "mistral"}
    if set(builtins) != expected:
        sys.exit(f"builtin templates found: {sorted(builtins)}")
    smol = os.path.join(os.environ.get("CRUCIBLE_MODEL_DIR", os.path.expanduser("~/.cache/crucible/models")),
                        "SmolLM2-135M-Instruct.Q4_1.gguf")
    if os.path.exists(smol):  # the built-in smollm2 text must be the one inside the model file
        from gguf import GGUFReader
        field = GGUFReader(smol).fields["tokenizer.chat_template"]
        assert bytes(field.parts[field.data[0]]).decode() == builtins["smollm2"], "smollm2 template drifted"
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "chat_goldens.json"), "w", encoding="utf-8") as f:
        json.dump(chat_goldens(builtins), f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "jinja_cases.json"), "w", encoding="utf-8") as f:
        json.dump(jinja_cases(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
