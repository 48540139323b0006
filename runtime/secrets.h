// secrets.h — the programs' one policy for secrets: a command line is seen
// by every user of the machine (ps, /proc), so a password in a conninfo or a
// secret Kafka setting given there is refused, with where to put it instead:
// PGPASSWORD or ~/.pgpass for PostgreSQL, FLATWAL_KAFKA_<PROPERTY> variables
// for Kafka (the shipper also reads both from its config file).
#ifndef FLATWAL_SECRETS_H
#define FLATWAL_SECRETS_H

#include <string>
#include <utility>
#include <vector>

#include "status.h"

namespace flatwal {

// True when a setting's value must never be printed or given on a command
// line (passwords, keys, secrets, tokens).
bool IsSecret(const std::string& key);

// True when a libpq conninfo (key=value or URI) carries a password.
bool ConninfoHasPassword(const std::string& conninfo);

// Refuses a conninfo given on the command line (`flag`, e.g. "-d") that holds a password.
Status RefusePasswordOnCommandLine(const std::string& conninfo, const std::string& flag);

// Refuses a secret Kafka property given on the command line (-X).
Status RefuseSecretOnCommandLine(const std::string& kafka_property);

// Kafka properties from FLATWAL_KAFKA_<PROPERTY> variables of `environment`
// (NAME=VALUE strings, as environ holds them): FLATWAL_KAFKA_SASL_PASSWORD
// is sasl.password.
std::vector<std::pair<std::string, std::string>> KafkaSettingsFromEnvironment(const char* const* environment);

}  // namespace flatwal

#endif  // FLATWAL_SECRETS_H
