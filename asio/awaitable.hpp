#pragma once
// Asio's C++20 coroutines, for every file of ours that uses them: include this before any of
// <boost/asio/{awaitable,co_spawn,use_awaitable,this_coro}.hpp>. Boost 1.74's awaitable.hpp calls
// std::exchange without including <utility>; it is included here, in these files only, instead of
// forcing it (-include utility) into every translation unit of the project.

#include <utility>

#include <boost/asio/awaitable.hpp>
