#pragma once
// Boost.Asio, with the include Boost 1.74's awaitable.hpp forgets under GCC 12 (std::exchange):
// <utility> must come first.
#include <utility>
// (kept apart so that include sorting leaves the order alone)
#include <boost/asio.hpp>
