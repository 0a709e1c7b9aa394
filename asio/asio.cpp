// The one translation unit that holds Asio's compiled parts (BOOST_ASIO_SEPARATE_COMPILATION).
#include <boost/asio/impl/src.hpp>
