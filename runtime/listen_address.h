// listen_address.h — where an HTTP endpoint listens (--http of the shipper
// and the sink). Pure C++, header-only.
#ifndef FLATWAL_LISTEN_ADDRESS_H
#define FLATWAL_LISTEN_ADDRESS_H

#include <cstdlib>
#include <string>

#include "status.h"

namespace flatwal {

struct ListenAddress {
	std::string host = "127.0.0.1";
	int port = 0;  // 0: no endpoint
};

// "HOST:PORT", ":PORT" or "PORT" (host 127.0.0.1); "[v6]:PORT" for IPv6.
inline Status ParseListenAddress(const std::string& text, ListenAddress* address) {
	std::string host = "127.0.0.1", port = text;
	size_t colon = text.rfind(':');
	if (colon != std::string::npos) {
		host = text.substr(0, colon);
		port = text.substr(colon + 1);
		if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
		if (host.empty()) host = "127.0.0.1";
	}
	char* end = nullptr;
	long number = port.empty() ? -1 : std::strtol(port.c_str(), &end, 10);
	if (number < 1 || number > 65535 || *end != '\0')
		return Status::Error(ErrorKind::kInvalidParameter, "--http needs HOST:PORT (or PORT), got \"" + text + "\"",
		                     "", "For example --http 127.0.0.1:9187; a port from 1 to 65535.");
	address->host = host;
	address->port = static_cast<int>(number);
	return Status::Ok();
}

}  // namespace flatwal

#endif  // FLATWAL_LISTEN_ADDRESS_H
