// debezium_envelope.cpp — see debezium_envelope.h.
#include "debezium_envelope.h"

#include "base64_text.h"
#include "json_string.h"
#include "number_text.h"
#include "row_reader.h"

namespace flatwal {
namespace {

void AppendString(const std::string& s, std::string* out) {
	AppendJsonString(s.data(), s.size(), out, Utf8::kReplaceInvalid);
}

// The Connect schema of `source` (io.debezium.connector.postgresql.Source).
constexpr char kSourceSchema[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
    "{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
    "{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1,\"parameters\":"
    "{\"allowed\":\"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental\"},"
    "\"default\":\"false\",\"field\":\"snapshot\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},"
    "{\"type\":\"string\",\"optional\":true,\"field\":\"sequence\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"table\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"txId\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"xmin\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"timeline\"}],"
    "\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\",\"field\":\"source\"}";

constexpr char kTransactionBlockSchema[] =
    "{\"type\":\"struct\",\"fields\":["
    "{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
    "{\"type\":\"int64\",\"optional\":false,\"field\":\"total_order\"},"
    "{\"type\":\"int64\",\"optional\":false,\"field\":\"data_collection_order\"}],"
    "\"optional\":true,\"name\":\"event.block\",\"version\":1,\"field\":\"transaction\"}";

constexpr char kEnvelopeTailSchema[] =
    "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"}";

constexpr char kMessageKeySchema[] =
    "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":true,\"field\":\"prefix\"}],"
    "\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageKey\"}";

constexpr char kMessageBlockSchema[] =
    "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":true,\"field\":\"prefix\"},"
    "{\"type\":\"bytes\",\"optional\":true,\"field\":\"content\"}],\"optional\":true,\"name\":"
    "\"io.debezium.connector.postgresql.Message\",\"field\":\"message\"}";

constexpr char kTransactionKeySchema[] =
    "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"id\"}],"
    "\"optional\":false,\"name\":\"io.debezium.connector.common.TransactionMetadataKey\",\"version\":1}";

constexpr char kTransactionValueSchema[] =
    "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"status\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
    "{\"type\":\"int64\",\"optional\":true,\"field\":\"event_count\"},"
    "{\"type\":\"array\",\"items\":{\"type\":\"struct\",\"fields\":["
    "{\"type\":\"string\",\"optional\":false,\"field\":\"data_collection\"},"
    "{\"type\":\"int64\",\"optional\":false,\"field\":\"event_count\"}],\"optional\":false},"
    "\"optional\":true,\"field\":\"data_collections\"},"
    "{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}],\"optional\":false,\"name\":"
    "\"io.debezium.connector.common.TransactionMetadataValue\",\"version\":1}";

// With schemas.enable, every key and value is {"schema": <its Connect schema>, "payload": <it>}.
std::string WrapperStart(const std::string& schema) { return "{\"schema\":" + schema + ",\"payload\":"; }

// The envelope's ts_ms, ts_us and ts_ns: when the event was written.
void AppendTimes(int64_t now_micros, std::string* out) {
	out->append("\"ts_ms\":");
	AppendDecimal(now_micros / 1000, out);
	out->append(",\"ts_us\":");
	AppendDecimal(now_micros, out);
	out->append(",\"ts_ns\":");
	AppendDecimal(now_micros * 1000, out);
}

Status RowError(const DebeziumTable& table, const char* what) {
	return Status::Error(ErrorKind::kInvalidData, std::string("a change cannot be written in the Debezium format: ") + what,
	                     "Table " + table.schema + "." + table.table + ".",
	                     "Check that the slot uses the flatwal plugin of the same version as this shipper.");
}

}  // namespace

const DebeziumTable& DebeziumEncoder::Table(const TableVersion& version) {
	auto it = tables_.find(&version);
	if (it != tables_.end()) return it->second;
	DebeziumTable& t = tables_[&version];
	t.schema = version.schema;
	t.table = version.table;
	t.key_columns = version.key_columns;
	for (const SchemaColumn& c : version.columns) {
		t.fields.push_back(MapColumn(c, options_));
		std::string key;
		AppendString(c.name, &key);
		t.field_keys.push_back(key + ":");
	}
	if (options_.schemas) BuildSchemas(version, &t);
	return t;
}

void DebeziumEncoder::BuildSchemas(const TableVersion& version, DebeziumTable* t) const {
	const std::string name = server_name_ + "." + version.schema + "." + version.table;
	std::string key = "{\"type\":\"struct\",\"fields\":[";
	for (size_t i = 0; i < t->key_columns.size(); ++i) {
		const uint16_t column = t->key_columns[i];
		if (column >= version.columns.size()) continue;  // Key() refuses such rows
		if (i > 0) key.push_back(',');
		AppendFieldSchema(t->fields[column], options_, false, version.columns[column].name, &key);
	}
	key += "],\"optional\":false,\"name\":";
	AppendString(name + ".Key", &key);
	key += "}";
	t->key_prefix = WrapperStart(key);

	std::string row = "{\"type\":\"struct\",\"fields\":[";
	for (size_t i = 0; i < version.columns.size(); ++i) {
		if (i > 0) row.push_back(',');
		AppendFieldSchema(t->fields[i], options_, !version.columns[i].not_null, version.columns[i].name, &row);
	}
	row += "],\"optional\":true,\"name\":";
	AppendString(name + ".Value", &row);
	std::string envelope = "{\"type\":\"struct\",\"fields\":[";
	envelope += row + ",\"field\":\"before\"},";
	envelope += row + ",\"field\":\"after\"},";
	envelope += kSourceSchema;
	envelope += ",";
	envelope += kTransactionBlockSchema;
	envelope += ",";
	envelope += kEnvelopeTailSchema;
	envelope += "],\"optional\":false,\"name\":";
	AppendString(name + ".Envelope", &envelope);
	envelope += ",\"version\":2}";
	t->value_prefix = WrapperStart(envelope);
}

Status DebeziumEncoder::Key(const wire::Row* row, const DebeziumTable& table, std::string* out) const {
	out->clear();
	out->append(table.key_prefix);
	out->push_back('{');
	for (size_t i = 0; i < table.key_columns.size(); ++i) {
		const uint16_t wanted = table.key_columns[i];
		if (wanted >= table.fields.size()) return RowError(table, "a key column is not in the table's schema");
		// Keys are short: walking the row again per key column beats keeping an index.
		RowReader reader(row);
		ValueRef v;
		bool found = false;
		for (size_t column = 0; !found && reader.Next(&v); ++column) found = column == wanted;
		if (!found) return RowError(table, "the row lacks a key column");
		if (i > 0) out->push_back(',');
		out->append(table.field_keys[wanted]);
		if (!AppendDebeziumValue(v, table.fields[wanted], options_, out))
			return RowError(table, "a key value is malformed");
	}
	out->push_back('}');
	EndWrapped(out);
	return Status::Ok();
}

Status DebeziumEncoder::AppendRow(const wire::Row* row, const DebeziumTable& table, std::string* out) const {
	if (row == nullptr) return out->append("null"), Status::Ok();
	RowReader reader(row);
	if (reader.columns() != table.fields.size()) return RowError(table, "a row image does not match its schema");
	out->push_back('{');
	ValueRef v;
	for (size_t column = 0; reader.Next(&v); ++column) {
		if (column > 0) out->push_back(',');
		out->append(table.field_keys[column]);
		if (!AppendDebeziumValue(v, table.fields[column], options_, out))
			return RowError(table, "a value is malformed");
	}
	out->push_back('}');
	return Status::Ok();
}

void DebeziumEncoder::AppendSource(const std::string& schema, const std::string& table,
                                   const DebeziumEventContext& c, std::string* out) const {
	const int64_t time = c.commit_time_micros != 0 ? c.commit_time_micros : c.now_micros;
	out->append(",\"source\":{\"version\":\"");
	out->append(kDebeziumFormatVersion);
	out->append("\",\"connector\":\"postgresql\",\"name\":");
	AppendString(server_name_, out);
	out->append(",\"ts_ms\":");
	AppendDecimal(time / 1000, out);
	out->append(",\"snapshot\":\"");
	out->append(c.snapshot);
	out->append("\",\"db\":");
	AppendString(database_, out);
	// The (commit lsn, lsn) pair as Debezium writes it: a string holding a JSON array of decimal LSNs.
	out->append(",\"sequence\":\"[\\\"");
	AppendDecimal(static_cast<int64_t>(c.commit_lsn), out);
	out->append("\\\",\\\"");
	AppendDecimal(static_cast<int64_t>(c.lsn), out);
	out->append("\\\"]\",\"ts_us\":");
	AppendDecimal(time, out);
	out->append(",\"ts_ns\":");
	AppendDecimal(time * 1000, out);
	out->append(",\"schema\":");
	AppendString(schema, out);
	out->append(",\"table\":");
	AppendString(table, out);
	out->append(",\"txId\":");
	if (c.xid != 0) AppendDecimal(c.xid, out);
	else out->append("null");
	out->append(",\"lsn\":");
	AppendDecimal(static_cast<int64_t>(c.lsn), out);
	out->append(",\"xmin\":null,\"timeline\":");
	AppendDecimal(c.timeline, out);
	out->push_back('}');
}

void DebeziumEncoder::AppendTail(const DebeziumEventContext& c, std::string* out) const {
	out->append(",\"transaction\":");
	if (c.in_transaction && options_.transaction_metadata) {
		out->append("{\"id\":");
		AppendJsonString(c.transaction_id.data(), c.transaction_id.size(), out, Utf8::kReplaceInvalid);
		out->append(",\"total_order\":");
		AppendDecimal(static_cast<int64_t>(c.total_order), out);
		out->append(",\"data_collection_order\":");
		AppendDecimal(static_cast<int64_t>(c.data_collection_order), out);
		out->push_back('}');
	} else {
		out->append("null");
	}
	out->append(",\"op\":\"");
	out->push_back(c.op);
	out->append("\",");
	AppendTimes(c.now_micros, out);
	out->push_back('}');
}

void DebeziumEncoder::StartWrapped(const char* schema, std::string* out) const {
	out->clear();
	if (!options_.schemas) return;
	out->append("{\"schema\":");
	out->append(schema);
	out->append(",\"payload\":");
}

void DebeziumEncoder::EndWrapped(std::string* out) const {
	if (options_.schemas) out->push_back('}');
}

Status DebeziumEncoder::ChangeValue(const wire::Change& change, const DebeziumTable& table,
                                    const DebeziumEventContext& c, std::string* out) const {
	out->clear();
	out->append(table.value_prefix);
	out->append("{\"before\":");
	Status st = Status::Ok();
	if (c.op == 'd' || c.op == 'u') st = AppendRow(change.before(), table, out);
	else out->append("null");
	if (!st.ok()) return st;
	out->append(",\"after\":");
	if (c.op != 'd') st = AppendRow(change.after(), table, out);
	else out->append("null");
	if (!st.ok()) return st;
	AppendSource(table.schema, table.table, c, out);
	AppendTail(c, out);
	EndWrapped(out);
	return Status::Ok();
}

void DebeziumEncoder::TruncateValue(const std::string& schema, const std::string& table,
                                    const DebeziumEventContext& c, std::string* out) const {
	std::string envelope;
	if (options_.schemas) {
		// A truncate has no row: the envelope's before/after are null whatever their schema.
		envelope = std::string("{\"type\":\"struct\",\"fields\":[") + kSourceSchema + "," + kTransactionBlockSchema + "," +
		           kEnvelopeTailSchema + "],\"optional\":false,\"name\":";
		AppendString(server_name_ + "." + schema + "." + table + ".Envelope", &envelope);
		envelope += ",\"version\":2}";
	}
	StartWrapped(envelope.c_str(), out);
	out->append("{\"before\":null,\"after\":null");
	AppendSource(schema, table, c, out);
	AppendTail(c, out);
	EndWrapped(out);
}

void DebeziumEncoder::MessageKey(const wire::Message& message, std::string* out) const {
	StartWrapped(kMessageKeySchema, out);
	out->append("{\"prefix\":");
	AppendString(flatbuffers::GetString(message.prefix()), out);
	out->push_back('}');
	EndWrapped(out);
}

void DebeziumEncoder::MessageValue(const wire::Message& message, const DebeziumEventContext& c,
                                   std::string* out) const {
	static const std::string schema = std::string("{\"type\":\"struct\",\"fields\":[") + kEnvelopeTailSchema + "," +
	                                  kSourceSchema + "," + kMessageBlockSchema +
	                                  "],\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageValue\"}";
	StartWrapped(schema.c_str(), out);
	out->append("{\"op\":\"m\",");
	AppendTimes(c.now_micros, out);
	std::string none;
	AppendSource(none, none, c, out);
	out->append(",\"message\":{\"prefix\":");
	AppendString(flatbuffers::GetString(message.prefix()), out);
	out->append(",\"content\":\"");
	if (message.content() != nullptr) AppendBase64(message.content()->data(), message.content()->size(), out);
	out->append("\"}}");
	EndWrapped(out);
}

void DebeziumEncoder::TransactionKey(const std::string& id, std::string* out) const {
	StartWrapped(kTransactionKeySchema, out);
	out->append("{\"id\":");
	AppendString(id, out);
	out->push_back('}');
	EndWrapped(out);
}

void DebeziumEncoder::TransactionValue(bool begin, const std::string& id, int64_t time_micros, uint64_t event_count,
                                       const std::vector<std::pair<std::string, uint64_t>>& collections,
                                       std::string* out) const {
	StartWrapped(kTransactionValueSchema, out);
	out->append(begin ? "{\"status\":\"BEGIN\",\"id\":" : "{\"status\":\"END\",\"id\":");
	AppendString(id, out);
	out->append(",\"event_count\":");
	if (begin) {
		out->append("null,\"data_collections\":null");
	} else {
		AppendDecimal(static_cast<int64_t>(event_count), out);
		out->append(",\"data_collections\":[");
		for (size_t i = 0; i < collections.size(); ++i) {
			if (i > 0) out->push_back(',');
			out->append("{\"data_collection\":");
			AppendString(collections[i].first, out);
			out->append(",\"event_count\":");
			AppendDecimal(static_cast<int64_t>(collections[i].second), out);
			out->push_back('}');
		}
		out->push_back(']');
	}
	out->append(",\"ts_ms\":");
	AppendDecimal(time_micros / 1000, out);
	out->push_back('}');
	EndWrapped(out);
}

}  // namespace flatwal
