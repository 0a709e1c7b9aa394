// Reads a bounce or log fixture from tests/diagnosis/fixtures/.
#pragma once

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

inline std::string fixture(const std::string& name) {
    std::ifstream in(std::string(DIAGNOSIS_FIXTURES) + "/" + name, std::ios::binary);
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
