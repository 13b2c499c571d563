#pragma once
// Tools to check message payloads through their CAF `inspect` overloads:
//
// - `field_count<T>()`: how many fields an aggregate has, found by
//   brace-initialising it with N values that convert to anything (the probe
//   Boost.PFR uses; Boost 1.74 here has no PFR). T{a1..aN} compiles for
//   N <= the number of fields and not beyond.
// - `member_counter`: an inspector that answers how many members one
//   inspect overload visits.
// - `filler`: an inspector that sets every member to a value other than
//   its default: ints, enums, bools, strings, one element in every vector
//   and map, nested structs recursively.
// - `structure_checker`: compares, for a struct and every struct nested in
//   it (through vectors and maps too), the members inspect visits with the
//   aggregate's field count, so a field left out of an inspect is caught.

#include <cxxabi.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace ff::test {

// --- field count ----------------------------------------------------------------

// Converts to an lvalue of any type; only ever used unevaluated.
struct any_field {
  template <class T>
  operator T&() const&& noexcept;
};

template <class T, std::size_t... I>
constexpr auto brace_initializable(std::index_sequence<I...>)
  -> decltype(void(T{(void(I), any_field{})...}), true) {
  return true;
}
template <class T>
constexpr bool brace_initializable(...) {
  return false;
}

template <class T, std::size_t N = 0>
constexpr std::size_t field_count() {
  static_assert(std::is_aggregate_v<T>, "field_count needs an aggregate");
  if constexpr (N > 64)
    return N;
  else if constexpr (brace_initializable<T>(std::make_index_sequence<N + 1>{}))
    return field_count<T, N + 1>();
  else
    return N;
}

// --- type traits ----------------------------------------------------------------

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_map : std::false_type {};
template <class K, class V, class C, class A>
struct is_map<std::map<K, V, C, A>> : std::true_type {};

template <class T>
std::string type_name() {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
    abi::__cxa_demangle(typeid(T).name(), nullptr, nullptr, &status), std::free);
  return status == 0 ? name.get() : typeid(T).name();
}

// --- inspectors -----------------------------------------------------------------

struct member_counter {
  using result_type = std::size_t;
  template <class... Ts>
  std::size_t operator()(Ts&&...) const {
    return sizeof...(Ts);
  }
};

class filler {
public:
  using result_type = void;

  template <class... Ts>
  void operator()(Ts&... xs) {
    (fill(xs), ...);
  }

  // How many leaves (ints, enums, bools, strings) were set so far.
  std::size_t leaves() const { return leaves_; }

  template <class T>
  void fill(T& x) {
    if constexpr (std::is_same_v<T, bool> || std::is_arithmetic_v<T> || std::is_enum_v<T> ||
                  std::is_same_v<T, std::string>)
      ++leaves_;
    if constexpr (std::is_same_v<T, bool>) {
      x = !x;
    } else if constexpr (std::is_integral_v<T>) {
      x = static_cast<T>(x + 1 + next() % 90);
    } else if constexpr (std::is_enum_v<T>) {
      using U = std::underlying_type_t<T>;
      x = static_cast<T>(static_cast<U>(static_cast<U>(x) + 1));
    } else if constexpr (std::is_same_v<T, std::string>) {
      x = "v" + std::to_string(next());
    } else if constexpr (is_vector<T>::value) {
      x.resize(1);
      fill(x.front());
    } else if constexpr (is_map<T>::value) {
      typename T::key_type key{};
      typename T::mapped_type value{};
      fill(key);
      fill(value);
      x.emplace(std::move(key), std::move(value));
    } else {
      static_assert(std::is_aggregate_v<T>, "filler: a member type it does not know");
      inspect(*this, x);
    }
  }

private:
  unsigned next() { return ++counter_; }
  unsigned counter_ = 0;
  std::size_t leaves_ = 0;
};

class structure_checker {
public:
  using result_type = void;

  template <class... Ts>
  void operator()(Ts&... xs) {
    (check(xs), ...);
  }

  template <class T>
  void check(T& x) {
    if constexpr (is_vector<T>::value) {
      typename T::value_type element{};
      check(element);
    } else if constexpr (is_map<T>::value) {
      typename T::key_type key{};
      typename T::mapped_type value{};
      check(key);
      check(value);
    } else if constexpr (std::is_class_v<T> && !std::is_same_v<T, std::string>) {
      member_counter counter;
      const std::size_t visited = inspect(counter, x);
      constexpr std::size_t fields = field_count<T>();
      if (visited != fields)
        problems.push_back(type_name<T>() + ": inspect visits " + std::to_string(visited) +
                           " of " + std::to_string(fields) + " fields");
      inspect(*this, x);
    }
  }

  std::vector<std::string> problems;
};

} // namespace ff::test
