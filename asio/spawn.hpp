#pragma once
// The one way the project starts a coroutine, with one failure policy: an exception that escapes a
// coroutine is a bug, so it is rethrown from the completion handler and leaves the owner's
// io_context::run() (relaylab serve reports it and exits non-zero; a scenario run fails with it)
// instead of vanishing in a detached task. Expected failures are values (error codes, typed
// results) inside the coroutine, never exceptions out of it.

#include "asio/awaitable.hpp"

#include <boost/asio/co_spawn.hpp>

#include <exception>
#include <utility>

namespace relaylab {

template <class Executor>
void spawn(Executor ex, boost::asio::awaitable<void> task) {
    boost::asio::co_spawn(ex, std::move(task), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
}

// A task with a result: `on_result(T)` runs when it completes.
template <class Executor, class T, class OnResult>
void spawn(Executor ex, boost::asio::awaitable<T> task, OnResult on_result) {
    boost::asio::co_spawn(ex, std::move(task), [on_result = std::move(on_result)](std::exception_ptr e, T value) mutable {
        if (e) std::rethrow_exception(e);
        on_result(std::move(value));
    });
}

}  // namespace relaylab
