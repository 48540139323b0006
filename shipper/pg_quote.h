// pg_quote.h — quoting for SQL built by the shipper (replication commands
// cannot take parameters), through libpq's own escaping.
#ifndef FLATWAL_PG_QUOTE_H
#define FLATWAL_PG_QUOTE_H

#include <libpq-fe.h>

#include <string>

namespace flatwal {

inline std::string QuoteLiteral(PGconn* conn, const std::string& text) {
	char* q = PQescapeLiteral(conn, text.c_str(), text.size());
	std::string out = q ? q : "''";
	PQfreemem(q);
	return out;
}

inline std::string QuoteIdentifier(PGconn* conn, const std::string& name) {
	char* q = PQescapeIdentifier(conn, name.c_str(), name.size());
	std::string out = q ? q : "\"\"";
	PQfreemem(q);
	return out;
}

}  // namespace flatwal

#endif  // FLATWAL_PG_QUOTE_H
