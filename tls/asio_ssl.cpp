// The one translation unit that holds Asio's compiled ssl parts (BOOST_ASIO_SEPARATE_COMPILATION).
#include <boost/asio/ssl/impl/src.hpp>
