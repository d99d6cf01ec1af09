#pragma once
// Boost.Asio, with the include Boost 1.74's awaitable.hpp forgets under GCC 12 (std::exchange).
#include <boost/asio.hpp>
#include <utility>
