// table_catalog.cpp — see table_catalog.h.
#include "table_catalog.h"

#include <algorithm>

#include "render_json.h"

namespace flatwal {
namespace {

Status RenderKey(const wire::Row* row, const TableVersion& table, std::string* out) {
	out->clear();
	if (row != nullptr &&
	    RenderRowKey(row, table.key_columns.data(), table.key_columns.size(), out))
		return Status::Ok();
	return Status::Error(ErrorKind::kInvalidData, "a change lacks its key columns",
	                     "The row image of a change to " + table.schema + "." + table.table +
	                         " has fewer columns than its Schema frame's key names.",
	                     "Check that the slot uses the flatwal plugin of the same version as this shipper.");
}

}  // namespace

void TableCatalog::Learn(const wire::Schema& schema) {
	TableVersion& t = versions_[{schema.relid(), schema.version()}];
	t.relid = schema.relid();
	t.version = schema.version();
	t.schema = flatbuffers::GetString(schema.schema_name());
	t.table = flatbuffers::GetString(schema.table_name());
	t.key_columns.clear();
	if (schema.key_columns() != nullptr) t.key_columns.assign(schema.key_columns()->begin(), schema.key_columns()->end());
	t.replica_identity = schema.replica_identity();
	t.columns.clear();
	if (schema.columns() != nullptr) {
		for (const wire::Column* c : *schema.columns()) {
			SchemaColumn column;
			column.name = flatbuffers::GetString(c->name());
			column.type_name = flatbuffers::GetString(c->type_name());
			column.type_oid = c->type_oid();
			column.base_type_oid = c->base_type_oid();
			column.typmod = c->typmod();
			column.not_null = c->not_null();
			column.key = c->key();
			column.attnum = c->attnum();
			column.has_missing = c->missing_text() != nullptr;
			column.missing_text = flatbuffers::GetString(c->missing_text());
			t.columns.push_back(std::move(column));
		}
	}
	for (uint16_t k : t.key_columns)
		if (k >= t.columns.size()) {
			t.key_columns.clear();
			break;
		}
	NameByNewest(t.relid);
}

void TableCatalog::NameByNewest(uint32_t relid) {
	auto first = versions_.lower_bound({relid, 0});
	auto end = versions_.upper_bound({relid, UINT32_MAX});
	std::map<int16_t, std::string> last_name;  // attnum -> its name in the newest version that has it
	for (auto it = end; it != first;) {
		--it;
		for (const SchemaColumn& c : it->second.columns)
			if (c.attnum != 0) last_name.emplace(c.attnum, c.name);
	}
	// The newest version's columns; a version of a writer that did not know
	// attnums (all 0) says nothing of which are live.
	std::map<int16_t, std::string> live;
	for (auto it = end; it != first && live.empty();) {
		--it;
		for (const SchemaColumn& c : it->second.columns)
			if (c.attnum != 0) live.emplace(c.attnum, c.name);
	}
	std::map<std::string, int> holders;  // name -> how many attnums it was last
	for (const auto& [attnum, name] : last_name) ++holders[name];
	for (auto it = first; it != end; ++it)
		for (SchemaColumn& c : it->second.columns) {
			if (c.attnum == 0) {
				c.latest_name = c.name;
			} else if (live.count(c.attnum)) {
				c.latest_name = live[c.attnum];
			} else {  // dropped since: under its last name, unless another column (live or dropped) had it last
				const std::string& name = last_name[c.attnum];
				c.latest_name = holders[name] > 1 ? DroppedColumnName(name, c.attnum) : name;
			}
		}
}

std::string DroppedColumnName(const std::string& name, int16_t attnum) {
	// PostgreSQL cuts identifiers at 63 bytes; the name is cut first (whole
	// UTF-8 characters), so the attnum that tells the column apart stays.
	const std::string suffix = " (dropped, attnum " + std::to_string(attnum) + ")";
	size_t keep = std::min(name.size(), kMaxIdentifierBytes - suffix.size());
	while (keep > 0 && keep < name.size() && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) --keep;
	return name.substr(0, keep) + suffix;
}

const TableVersion* TableCatalog::Find(uint32_t relid, uint32_t version) const {
	auto it = versions_.find({relid, version});
	return it == versions_.end() ? nullptr : &it->second;
}

std::vector<std::string> TableCatalog::EarlierNames(uint32_t relid, int16_t attnum) const {
	std::vector<std::string> names;
	if (attnum == 0) return names;
	auto first = versions_.lower_bound({relid, 0});
	for (auto it = versions_.upper_bound({relid, UINT32_MAX}); it != first;) {
		--it;
		for (const SchemaColumn& c : it->second.columns)
			if (c.attnum == attnum && c.name != c.latest_name &&
			    std::find(names.begin(), names.end(), c.name) == names.end())
				names.push_back(c.name);
	}
	return names;
}

std::vector<const SchemaColumn*> TableCatalog::LaterColumns(uint32_t relid, uint32_t version, int16_t attnum) const {
	std::vector<const SchemaColumn*> later;
	if (attnum == 0 || version == UINT32_MAX) return later;
	for (auto it = versions_.lower_bound({relid, version + 1}); it != versions_.end() && it->first.first == relid; ++it)
		for (const SchemaColumn& c : it->second.columns)
			if (c.attnum == attnum) later.push_back(&c);
	return later;
}

Status TableCatalog::Describe(const wire::Change& change, const TableVersion** table) const {
	const wire::ChangeHeader* h = change.header();
	*table = Find(h->relid(), h->version());
	if (*table != nullptr) return Status::Ok();
	return Status::Error(ErrorKind::kInvalidData, "a change arrived before the Schema frame of its table",
	                     "Relation " + std::to_string(h->relid()) + ", schema version " +
	                         std::to_string(h->version()) + ", was not described earlier in the stream.",
	                     "Check that the slot uses the flatwal plugin of the same version as this shipper.");
}

Status ChangeKeysOf(const wire::Change& change, const TableVersion& table, ChangeKeys* keys) {
	*keys = ChangeKeys();
	if (table.key_columns.empty()) return Status::Ok();
	const wire::ChangeHeader* h = change.header();
	keys->has_key = true;
	if (h->op() == wire::Op::Delete) return RenderKey(change.before(), table, &keys->key);
	Status st = RenderKey(change.after(), table, &keys->key);
	if (!st.ok() || h->op() != wire::Op::Update) return st;
	// An update logs its old key only when the key changed; a FULL image always carries it.
	if (h->old_image() == wire::OldImage::Key || h->old_image() == wire::OldImage::Full) {
		st = RenderKey(change.before(), table, &keys->old_key);
		if (st.ok() && keys->old_key == keys->key) keys->old_key.clear();
	}
	return st;
}

}  // namespace flatwal
