// Python float spelling, shared by the JSON dumper and the Jinja interpreter
// (private to the engine). One implementation so `tojson`, `json::dump` and
// Jinja's str(float) can never disagree on a digit.
#pragma once

#include <string>

namespace engine::json {

// Python repr(float): shortest round-trip digits, fixed notation for decimal
// exponents in [-4, 16), else d.ddde+XX (1.0, 0.1, 1e-05, 1e+16, -0.0);
// non-finite values as repr spells them (nan, inf, -inf).
std::string python_float_repr(double d);

// As json.dumps writes a float: repr() for finite values, NaN / Infinity /
// -Infinity otherwise.
void append_json_double(std::string& out, double d);

}  // namespace engine::json
