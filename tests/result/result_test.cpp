// Result<T, E> (result/result.hpp): each side reads back what was put in, and reading the side
// that is not there throws BadResultAccess instead of reading the wrong alternative.
#include "result/result.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using relaylab::BadResultAccess;
using relaylab::Failure;
using relaylab::Result;

namespace {

struct Refusal {
    int code = 0;
    std::string why;
};

Result<int, Refusal> parse_digit(char c) {
    if (c < '0' || c > '9') return Failure{Refusal{501, std::string("not a digit: ") + c}};
    return c - '0';
}

}  // namespace

TEST_CASE("Result: a value reads back as the value, and error() of it throws", "[result][unit]") {
    auto r = parse_digit('7');
    REQUIRE(r.ok());
    CHECK(static_cast<bool>(r));
    CHECK(r.value() == 7);
    CHECK(*r == 7);
    CHECK(r.value_or(-1) == 7);
    CHECK_THROWS_AS(r.error(), BadResultAccess);
    CHECK_THROWS_WITH(r.error(), "Result: error() of a value");
}

TEST_CASE("Result: an error reads back as the error, and value() of it throws", "[result][unit]") {
    const auto r = parse_digit('x');
    REQUIRE_FALSE(r.ok());
    CHECK_FALSE(static_cast<bool>(r));
    CHECK(r.error().code == 501);
    CHECK(r.error().why == "not a digit: x");
    CHECK(r.value_or(-1) == -1);
    CHECK_THROWS_AS(r.value(), BadResultAccess);
    CHECK_THROWS_WITH(*r, "Result: value() of an error");
}

TEST_CASE("Result: the same type on both sides stays apart, and move-only values move out", "[result][unit]") {
    Result<std::string, std::string> good = std::string("queued");
    Result<std::string, std::string> bad = Failure{std::string("queue file write error")};
    CHECK(good.value() == "queued");
    CHECK(bad.error() == "queue file write error");
    CHECK_THROWS_AS(bad.value(), BadResultAccess);

    Result<std::unique_ptr<int>, int> owned = std::make_unique<int>(42);
    std::unique_ptr<int> taken = std::move(owned).value();
    REQUIRE(taken);
    CHECK(*taken == 42);
    CHECK(owned->get() == nullptr);  // moved from, still the value side
}
