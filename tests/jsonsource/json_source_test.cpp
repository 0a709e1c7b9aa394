#include "jsonsource/json_source.hpp"

#include <catch2/catch.hpp>

using relaylab::JsonSource;
using relaylab::JsonSourceError;
using nlohmann::json;

TEST_CASE("syntax errors name file, line and column", "[json]") {
    SECTION("missing comma") {
        try {
            JsonSource("gw.json", "{\n  \"a\": 1\n  \"b\": 2\n}");
            FAIL("no error");
        } catch (const JsonSourceError& e) {
            CHECK(e.file() == "gw.json");
            CHECK(e.line() == 3);
            CHECK(e.column() == 3);
            CHECK(std::string(e.what()).rfind("gw.json:3:3: ", 0) == 0);
        }
    }
    SECTION("truncated file") {
        CHECK_THROWS_AS(JsonSource("x", "{\"a\": [1, 2"), JsonSourceError);
    }
    SECTION("columns count characters, not UTF-8 bytes") {
        try {
            JsonSource("p.json", "{\"subject\": \"送信メールエラー\" x}");
            FAIL("no error");
        } catch (const JsonSourceError& e) {
            CHECK(e.line() == 1);
            CHECK(e.column() == 24);
        }
    }
}

TEST_CASE("errors about meaning point at the offending key", "[json]") {
    JsonSource src("gw.json", "{\n  \"retry\": {\n    \"min_backoff\": \"5x\",\n    \"lifetyme\": \"5d\"\n  },\n  \"list\": [1, {\"k\": 2}]\n}\n");
    SECTION("a value") {
        auto e = src.error_at(json::json_pointer("/retry/min_backoff"), "not a duration");
        CHECK(e.line() == 3);
        CHECK(e.column() == 5);
        CHECK(e.message() == "at /retry/min_backoff: not a duration");
    }
    SECTION("an array element") {
        auto off = src.offset_of(json::json_pointer("/list/1/k"));
        REQUIRE(off);
        CHECK(src.line_col(*off) == std::pair<std::size_t, std::size_t>{6, 16});
    }
    SECTION("an unknown key") {
        try {
            src.reject_unknown_keys(json::json_pointer("/retry"), {"min_backoff", "max_backoff", "lifetime"});
            FAIL("no error");
        } catch (const JsonSourceError& e) {
            CHECK(e.line() == 4);
            CHECK(e.column() == 5);
            CHECK(e.message().find("unknown key \"lifetyme\"") != std::string::npos);
        }
    }
    SECTION("a missing member falls back to its parent") {
        auto e = src.error_at(json::json_pointer("/retry/max_backoff"), "required");
        CHECK(e.line() == 2);
    }
}

TEST_CASE("files that cannot be read are errors, not crashes", "[json]") {
    CHECK_THROWS_AS(JsonSource::load("/nonexistent/relaylab.json"), JsonSourceError);
    CHECK_THROWS_AS(JsonSource::load("/"), JsonSourceError);
}

TEST_CASE("a number too large for a double is an error at the number, not a crash", "[json]") {
    try {
        JsonSource("big.json", "{\n  \"ttl\": 1e999\n}");
        FAIL("no error");
    } catch (const JsonSourceError& e) {
        CHECK(e.line() == 2);
        CHECK(e.column() == 10);
        CHECK(e.message().find("number overflow") != std::string::npos);
    }
}
