// options.cpp — one table of options, one loop, one error style.
#include "options.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "text.h"

namespace flatwal {
namespace {

std::vector<std::string> SplitList(const std::string& text) {
	std::vector<std::string> items;
	size_t start = 0;
	for (;;) {
		size_t comma = text.find(',', start);
		items.push_back(TrimSpace(text.substr(start, comma - start)));
		if (comma == std::string::npos) break;
		start = comma + 1;
	}
	return items;
}

Status BadValue(const RawOption& opt, const std::string& expected) {
	return Status::Error(ErrorKind::kInvalidParameter,
	                     "invalid value for flatwal option \"" + opt.name + "\"",
	                     "The value given was \"" + opt.value + "\".",
	                     "Use " + expected + ".");
}

// A missing value means "true" for booleans, as PostgreSQL's own defGetBoolean does.
Status ParseBool(const RawOption& opt, bool* out) {
	if (!opt.has_value) {
		*out = true;
		return Status::Ok();
	}
	if (!ParseBoolWord(opt.value, out)) return BadValue(opt, "true or false");
	return Status::Ok();
}

Status RequireValue(const RawOption& opt) {
	if (opt.has_value) return Status::Ok();
	return Status::Error(ErrorKind::kInvalidParameter,
	                     "flatwal option \"" + opt.name + "\" needs a value", {},
	                     "Pass it as a name and value pair.");
}

Status ParseBatchBytes(const RawOption& opt, Options* out) {
	Status st = RequireValue(opt);
	if (!st.ok()) return st;
	std::string v = TrimSpace(opt.value);
	const std::string expected = "a whole number of bytes from 0 to " + std::to_string(kMaxBatchBytes);
	if (v.empty() || !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }) ||
	    v.size() > 10)
		return BadValue(opt, expected);
	unsigned long long n = std::strtoull(v.c_str(), nullptr, 10);
	if (n > kMaxBatchBytes) return BadValue(opt, expected);
	out->batch_bytes = static_cast<uint32_t>(n);
	return Status::Ok();
}

Status ParseOrigin(const RawOption& opt, Options* out) {
	Status st = RequireValue(opt);
	if (!st.ok()) return st;
	std::string v = TrimSpace(opt.value);
	if (v == "any") {
		out->origin = OriginFilter::kAny;
	} else if (v == "none") {
		out->origin = OriginFilter::kNone;
	} else {
		return BadValue(opt, "\"any\" or \"none\"");
	}
	return Status::Ok();
}

Status ParseTableSet(const RawOption& opt, Options* out) {
	Status st = RequireValue(opt);
	if (!st.ok()) return st;
	std::string v = TrimSpace(opt.value);
	if (v.empty()) return BadValue(opt, "the name of a table set (flatwal.source_tables.table_set)");
	out->table_set = v;
	return Status::Ok();
}

Status ParseSkipOrigins(const RawOption& opt, Options* out) {
	Status st = RequireValue(opt);
	if (!st.ok()) return st;
	out->skip_origins.clear();
	for (const std::string& name : SplitList(opt.value)) {
		if (name.empty()) return BadValue(opt, "a comma-separated list of replication origin names");
		out->skip_origins.push_back(name);
	}
	return Status::Ok();
}

Status ParseTables(const RawOption& opt, Options* out) {
	Status st = RequireValue(opt);
	if (!st.ok()) return st;
	st = TableFilter::Parse(opt.value, &out->tables);
	if (!st.ok()) return BadValue(opt, "a comma-separated list of schema.table, schema.* or *");
	return Status::Ok();
}

struct OptionSpec {
	const char* name;
	Status (*parse)(const RawOption&, Options*);
};

const OptionSpec kOptionSpecs[] = {
    {"include_transaction", [](const RawOption& o, Options* out) { return ParseBool(o, &out->include_transaction); }},
    {"include_messages", [](const RawOption& o, Options* out) { return ParseBool(o, &out->include_messages); }},
    {"stream_changes", [](const RawOption& o, Options* out) { return ParseBool(o, &out->stream_changes); }},
    {"batch_bytes", ParseBatchBytes},
    {"origin", ParseOrigin},
    {"skip_origins", ParseSkipOrigins},
    {"tables", ParseTables},
    {"table_set", ParseTableSet},
};

std::string KnownOptionNames() {
	std::string names;
	for (const OptionSpec& spec : kOptionSpecs) {
		if (!names.empty()) names += ", ";
		names += spec.name;
	}
	return names;
}

}  // namespace

namespace {

// Reads text at *pos as SQL reads identifiers: "Quoted" keeps its case (""
// is a quote), an unquoted name is folded to lower case, and a bare * is a
// wildcard. Stops before '.', ',' or the end.
bool ReadNamePart(const std::string& text, size_t* pos, std::string* name, bool* wildcard) {
	name->clear();
	*wildcard = false;
	auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
	size_t i = *pos;
	while (i < text.size() && is_space(text[i])) ++i;
	if (i < text.size() && text[i] == '"') {
		for (++i;; ++i) {
			if (i >= text.size()) return false;  // no closing quote
			if (text[i] == '"') {
				if (i + 1 < text.size() && text[i + 1] == '"') {
					name->push_back('"');
					++i;
					continue;
				}
				++i;
				break;
			}
			name->push_back(text[i]);
		}
		if (name->empty()) return false;
	} else if (i < text.size() && text[i] == '*') {
		*wildcard = true;
		++i;
	} else {
		for (; i < text.size() && text[i] != '.' && text[i] != ',' && text[i] != '"' && !is_space(text[i]); ++i)
			name->push_back(text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i]);
		if (name->empty()) return false;
	}
	while (i < text.size() && is_space(text[i])) ++i;
	*pos = i;
	return true;
}

}  // namespace

Status TableFilter::Parse(const std::string& text, TableFilter* out) {
	std::vector<Pattern> patterns;
	size_t pos = 0;
	for (;;) {
		Pattern p;
		bool schema_wildcard = false;
		size_t start = pos;
		bool ok = ReadNamePart(text, &pos, &p.schema, &schema_wildcard);
		if (ok && schema_wildcard && (pos == text.size() || text[pos] == ',')) {
			p.any_schema = p.any_table = true;  // "*": every table
		} else if (ok && pos < text.size() && text[pos] == '.') {
			++pos;
			p.any_schema = schema_wildcard;
			ok = ReadNamePart(text, &pos, &p.table, &p.any_table);
		} else {
			ok = false;
		}
		if (!ok || (pos < text.size() && text[pos] != ','))
			return Status::Error(ErrorKind::kInvalidParameter,
			                     "malformed table pattern \"" + TrimSpace(text.substr(start, text.find(',', start) - start)) + "\"");
		patterns.push_back(std::move(p));
		if (pos == text.size()) break;
		++pos;  // the comma
	}
	out->patterns_ = std::move(patterns);
	return Status::Ok();
}

bool TableFilter::Matches(const std::string& schema, const std::string& table) const {
	for (const Pattern& p : patterns_) {
		if ((p.any_schema || p.schema == schema) && (p.any_table || p.table == table)) return true;
	}
	return false;
}

Status ParseOptions(const std::vector<RawOption>& raw, Options* out) {
	Options parsed;
	std::set<std::string> seen;
	for (const RawOption& opt : raw) {
		const OptionSpec* spec = nullptr;
		for (const OptionSpec& candidate : kOptionSpecs) {
			if (opt.name == candidate.name) spec = &candidate;
		}
		if (spec == nullptr)
			return Status::Error(ErrorKind::kInvalidParameter,
			                     "unrecognized flatwal option \"" + opt.name + "\"",
			                     "Known options: " + KnownOptionNames() + ".",
			                     "Check the spelling; option names are lower case.");
		if (!seen.insert(opt.name).second)
			return Status::Error(ErrorKind::kInvalidParameter,
			                     "flatwal option \"" + opt.name + "\" is given more than once", {},
			                     "Give each option once.");
		Status st = spec->parse(opt, &parsed);
		if (!st.ok()) return st;
	}
	*out = std::move(parsed);
	return Status::Ok();
}

}  // namespace flatwal
