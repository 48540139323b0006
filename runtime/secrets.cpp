// secrets.cpp — see secrets.h.
#include "secrets.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "text.h"

namespace flatwal {

bool IsSecret(const std::string& key) {
	std::string k = LowerCase(key);
	return k.find("password") != std::string::npos || k.find("secret") != std::string::npos ||
	       k.find(".key") != std::string::npos || k.find("token") != std::string::npos;
}

bool ConninfoHasPassword(const std::string& conninfo) {
	char* error = nullptr;
	PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
	if (error != nullptr) PQfreemem(error);
	if (options == nullptr) return false;  // unparsable: connecting reports it
	bool found = false;
	for (PQconninfoOption* o = options; o->keyword != nullptr; ++o)
		if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && o->val[0] != '\0') found = true;
	PQconninfoFree(options);
	return found;
}

Status RefusePasswordOnCommandLine(const std::string& conninfo, const std::string& flag) {
	if (!ConninfoHasPassword(conninfo)) return Status::Ok();
	return Status::Error(ErrorKind::kInvalidParameter, "password given in the command-line conninfo (" + flag + ")",
	                     "Command lines are visible to every user of the machine.",
	                     "Use PGPASSWORD or ~/.pgpass (flatwal-shipper: or conninfo under [postgres] in its config file).");
}

Status RefuseSecretOnCommandLine(const std::string& kafka_property) {
	if (!IsSecret(kafka_property)) return Status::Ok();
	std::string variable = "FLATWAL_KAFKA_" + kafka_property;
	std::transform(variable.begin(), variable.end(), variable.begin(),
	               [](char c) { return c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
	return Status::Error(ErrorKind::kInvalidParameter, "secret setting " + kafka_property + " given on the command line",
	                     "Command lines are visible to every user of the machine.",
	                     "Put it in the environment variable " + variable +
	                         " (flatwal-shipper: or under [kafka] in its config file).");
}

std::vector<std::pair<std::string, std::string>> KafkaSettingsFromEnvironment(const char* const* environment) {
	static const std::string kPrefix = "FLATWAL_KAFKA_";
	std::vector<std::pair<std::string, std::string>> settings;
	for (const char* const* e = environment; e != nullptr && *e != nullptr; ++e) {
		const std::string entry = *e;
		const size_t eq = entry.find('=');
		if (eq == std::string::npos || entry.rfind(kPrefix, 0) != 0 || eq == kPrefix.size()) continue;
		std::string property = LowerCase(entry.substr(kPrefix.size(), eq - kPrefix.size()));
		std::replace(property.begin(), property.end(), '_', '.');
		settings.emplace_back(property, entry.substr(eq + 1));
	}
	return settings;
}

}  // namespace flatwal
