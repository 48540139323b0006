// clickhouse_text.cpp — see clickhouse_text.h.
#include "clickhouse_text.h"

#include "json_string.h"

namespace flatwal {

namespace {
// `text` between two `quote`s, a quote or backslash in it escaped by a backslash.
std::string Quoted(const std::string& text, char quote) {
	std::string out(1, quote);
	for (char c : text) {
		if (c == quote || c == '\\') out.push_back('\\');
		out.push_back(c);
	}
	return out + quote;
}
}  // namespace

std::string ClickHouseIdentifier(const std::string& name) { return Quoted(name, '`'); }
std::string ClickHouseString(const std::string& text) { return Quoted(text, '\''); }

std::string ColumnType(const SchemaColumn& column) {
	switch (column.base_type_oid) {
		case 16: return "UInt8";     // bool
		case 21: return "Int16";     // int2
		case 23: return "Int32";     // int4
		case 20: return "Int64";     // int8
		case 26: return "UInt32";    // oid
		case 700: return "Float32";  // float4
		case 701: return "Float64";  // float8
		default: return "String";
	}
}

bool IsString(const std::string& type) { return type == "String"; }

std::vector<std::string> SplitTsvLine(const std::string& line) {
	std::vector<std::string> fields;
	if (line.empty()) return fields;
	size_t start = 0;
	for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
		fields.push_back(line.substr(start, tab - start));
	fields.push_back(line.substr(start));  // the last field, empty after a trailing tab
	return fields;
}

void AppendValueJson(std::string_view value, bool is_string, std::string* line) {
	if (is_string) {
		// Quoted text goes as it is; JSON values (json, arrays) become their text.
		if (!value.empty() && value[0] == '"') line->append(value);
		else AppendJsonString(value.data(), value.size(), line);
	} else if (value == "true" || value == "false") {
		line->append(value == "true" ? "1" : "0");
	} else if (value == "\"NaN\"") {
		line->append("\"nan\"");
	} else if (value == "\"Infinity\"" || value == "\"-Infinity\"") {
		line->append(value == "\"Infinity\"" ? "\"inf\"" : "\"-inf\"");
	} else {
		line->append(value);
	}
}

std::string TsvUnescape(const std::string& field) {
	std::string out;
	for (size_t i = 0; i < field.size(); ++i) {
		if (field[i] != '\\' || i + 1 == field.size()) {
			out.push_back(field[i]);
			continue;
		}
		const char c = field[++i];
		switch (c) {
			case 'b': out.push_back('\b'); break;
			case 'f': out.push_back('\f'); break;
			case 'n': out.push_back('\n'); break;
			case 'r': out.push_back('\r'); break;
			case 't': out.push_back('\t'); break;
			case '0': out.push_back('\0'); break;
			default: out.push_back(c); break;  // \\, \', and anything else as itself
		}
	}
	return out;
}

}  // namespace flatwal
