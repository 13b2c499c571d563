#pragma once
// A small expected<T> for results inside the engine: a value or an
// engine_error. No exceptions cross actor or layer boundaries.

#include <cassert>
#include <utility>
#include <variant>

#include "core/engine_error.hpp"

namespace ff {

template <class T>
class expected {
public:
  expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  expected(engine_error err) : v_(std::in_place_index<1>, std::move(err)) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const engine_error& error() const& { assert(!has_value()); return std::get<1>(v_); }
  engine_error&& error() && { assert(!has_value()); return std::get<1>(std::move(v_)); }

private:
  std::variant<T, engine_error> v_;
};

struct unit {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unit&) { return f(); }

} // namespace ff
