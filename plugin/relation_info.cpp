// relation_info.cpp — builds RelInfo from a relation descriptor and the
// extension catalog, both read under the snapshot decoding gives us (the
// historic one), so a change is described as of the moment it was written.
#include "relation_info.h"

#include <algorithm>
#include <map>

namespace flatwal {
namespace {

uint64_t Mix(uint64_t hash, const void* data, size_t size) {
	const unsigned char* p = static_cast<const unsigned char*>(data);
	for (size_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * 1099511628211ull;  // FNV-1a
	return hash;
}

uint64_t ShapeOf(const RelInfo& info) {
	uint64_t hash = 14695981039346656037ull;
	for (const ColumnCodec& c : info.columns) {
		hash = Mix(hash, c.name.data(), c.name.size() + 1);
		hash = Mix(hash, &c.declared_type, sizeof c.declared_type);
		hash = Mix(hash, &c.typmod, sizeof c.typmod);
		hash = Mix(hash, &c.not_null, sizeof c.not_null);
		hash = Mix(hash, &c.key, sizeof c.key);
		hash = Mix(hash, &c.masked, sizeof c.masked);
	}
	for (const std::string& name : info.excluded_columns) hash = Mix(hash, name.data(), name.size() + 1);
	hash = Mix(hash, &info.replica_identity, 1);
	return hash;
}

// Appends the positions (in info->columns) of an index's key attributes.
void IndexColumns(Oid index_oid, const RelInfo& info, std::vector<uint16_t>* out) {
	out->clear();
	if (!OidIsValid(index_oid)) return;
	HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index_oid));
	if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for index %u", index_oid);
	Form_pg_index index = (Form_pg_index)GETSTRUCT(tuple);
	for (int i = 0; i < index->indnkeyatts; ++i) {
		AttrNumber attnum = index->indkey.values[i];
		for (size_t pos = 0; pos < info.columns.size(); ++pos) {
			if (info.columns[pos].attnum == attnum) out->push_back(static_cast<uint16_t>(pos));
		}
	}
	ReleaseSysCache(tuple);
}

AttrNumber AttnumOrError(Oid relid, const char* column) {
	AttrNumber attnum = get_attnum(relid, column);
	if (attnum == InvalidAttrNumber)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
		                errmsg("flatwal catalog table %s has no column \"%s\"", get_rel_name(relid), column),
		                errhint("Run ALTER EXTENSION flatwal UPDATE, or reinstall the extension.")));
	return attnum;
}

// Calls visit(tuple, descriptor) for every row of `catalog` whose relid
// column equals relid, as the catalog snapshot (during decoding: the
// historic one) sees it.
template <typename Visit>
void ScanCatalogRows(Oid catalog, Oid relid, Visit visit) {
	AttrNumber relid_attnum = AttnumOrError(catalog, "relid");
	Relation rel = table_open(catalog, AccessShareLock);
	ScanKeyData key;
	ScanKeyInit(&key, relid_attnum, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	HeapTuple tuple;
	while (HeapTupleIsValid(tuple = systable_getnext(scan))) visit(tuple, RelationGetDescr(rel));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

void ReadTextArray(Datum value, bool isnull, std::vector<std::string>* out) {
	out->clear();
	if (isnull) return;
	Datum* items;
	bool* item_nulls;
	int count;
	deconstruct_array(DatumGetArrayTypeP(value), TEXTOID, -1, false, TYPALIGN_INT, &items, &item_nulls, &count);
	for (int i = 0; i < count; ++i) {
		if (item_nulls[i]) continue;
		char* item = TextDatumGetCString(items[i]);
		out->push_back(item);
		pfree(item);
	}
}

bool Contains(const std::vector<std::string>& names, const char* name) {
	return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

void LookupColumnPolicy(Oid relid, std::vector<std::string>* excluded, std::vector<std::string>* masked) {
	excluded->clear();
	masked->clear();
	Oid ns = get_namespace_oid("flatwal", true);
	Oid sources = OidIsValid(ns) ? get_relname_relid("source_tables", ns) : InvalidOid;
	if (!OidIsValid(sources)) return;
	AttrNumber excluded_attnum = AttnumOrError(sources, "excluded_columns");
	AttrNumber masked_attnum = AttnumOrError(sources, "masked_columns");
	ScanCatalogRows(sources, relid, [&](HeapTuple tuple, TupleDesc desc) {
		bool isnull;
		Datum value = heap_getattr(tuple, excluded_attnum, desc, &isnull);
		ReadTextArray(value, isnull, excluded);
		value = heap_getattr(tuple, masked_attnum, desc, &isnull);
		ReadTextArray(value, isnull, masked);
	});
}

void LookupMaskKey(std::string* key) {
	Oid ns = get_namespace_oid("flatwal", true);
	Oid table = OidIsValid(ns) ? get_relname_relid("mask_key", ns) : InvalidOid;
	if (!OidIsValid(table))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("flatwal.mask_key is missing"),
		                errhint("Reinstall the extension: masked columns need the database's mask key.")));
	key->clear();
	Relation rel = table_open(table, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple)) {
		bool isnull;
		Datum value = heap_getattr(tuple, AttnumOrError(table, "key"), RelationGetDescr(rel), &isnull);
		if (!isnull) {
			bytea* bytes = DatumGetByteaPP(value);
			key->assign(VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes));
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (key->size() < 16)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE), errmsg("flatwal.mask_key holds no key"),
		                errhint("Recreate the extension, or insert a random key of 32 bytes into flatwal.mask_key.")));
}

void LookupRegistration(Oid relid, const char* table_set, Registration* out) {
	*out = Registration();
	Oid ns = get_namespace_oid("flatwal", true);
	if (!OidIsValid(ns)) return;  // extension not (yet) installed at this point of the WAL
	Oid sources = get_relname_relid("source_tables", ns);
	Oid versions = get_relname_relid("schema_versions", ns);
	if (!OidIsValid(sources) || !OidIsValid(versions)) return;

	AttrNumber enabled_attnum = AttnumOrError(sources, "capture_enabled");
	AttrNumber set_attnum = AttnumOrError(sources, "table_set");
	ScanCatalogRows(sources, relid, [&](HeapTuple tuple, TupleDesc desc) {
		bool isnull;
		Datum enabled = heap_getattr(tuple, enabled_attnum, desc, &isnull);
		out->registered = true;
		out->enabled = !isnull && DatumGetBool(enabled);
		Datum set = heap_getattr(tuple, set_attnum, desc, &isnull);
		if (!isnull) {
			char* name = TextDatumGetCString(set);
			out->in_table_set = strcmp(name, table_set) == 0;
			pfree(name);
		}
	});
	AttrNumber version_attnum = AttnumOrError(versions, "version");
	ScanCatalogRows(versions, relid, [&](HeapTuple tuple, TupleDesc desc) {
		bool isnull;
		Datum version = heap_getattr(tuple, version_attnum, desc, &isnull);
		if (!isnull && static_cast<uint32_t>(DatumGetInt32(version)) > out->version)
			out->version = static_cast<uint32_t>(DatumGetInt32(version));
	});
}

void ChooseScalarCodec(Oid base_type, MemoryContext context, ScalarCodec* out) {
	out->type_oid = base_type;
	get_typlenbyvalalign(base_type, &out->typlen, &out->typbyval, &out->typalign);
	bool needs_output = false;
	switch (base_type) {
		case BOOLOID: out->kind = ValueKind::kBool; break;
		case INT2OID: out->kind = ValueKind::kInt2; break;
		case INT4OID: out->kind = ValueKind::kInt4; break;
		case INT8OID: out->kind = ValueKind::kInt8; break;
		case OIDOID: out->kind = ValueKind::kOid; break;
		case FLOAT4OID: out->kind = ValueKind::kFloat4; break;
		case FLOAT8OID: out->kind = ValueKind::kFloat8; break;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID: out->kind = ValueKind::kText; break;
		case NAMEOID: out->kind = ValueKind::kName; break;
		case BYTEAOID: out->kind = ValueKind::kBytea; break;
		case NUMERICOID: out->kind = ValueKind::kNumeric; needs_output = true; break;
		case DATEOID: out->kind = ValueKind::kDate; break;
		case TIMEOID: out->kind = ValueKind::kTime; break;
		case TIMETZOID: out->kind = ValueKind::kTimeTz; break;
		case TIMESTAMPOID: out->kind = ValueKind::kTimestamp; break;
		case TIMESTAMPTZOID: out->kind = ValueKind::kTimestampTz; break;
		case INTERVALOID: out->kind = ValueKind::kInterval; break;
		case UUIDOID: out->kind = ValueKind::kUuid; break;
		case JSONOID: out->kind = ValueKind::kJson; break;
		case JSONBOID: out->kind = ValueKind::kJsonb; needs_output = true; break;
		default:
			if (type_is_enum(base_type)) {
				out->kind = ValueKind::kEnum;
			} else if (OidIsValid(get_element_type(base_type)) && out->typlen == -1) {
				out->kind = ValueKind::kArray;
			} else {
				out->kind = ValueKind::kTextOutput;
			}
			needs_output = out->kind != ValueKind::kArray;
	}
	if (needs_output) {
		Oid output_fn;
		bool is_varlena;
		getTypeOutputInfo(base_type, &output_fn, &is_varlena);
		fmgr_info_cxt(output_fn, &out->output, context);
	}
}

namespace {

// Whether a relation is captured under the options: registered and enabled
// in the catalog, or named by the tables option.
// (Names as C strings: no C++ temporary lives across the catalog lookup, which may raise an ERROR.)
bool IsCaptured(Oid relid, const char* schema, const char* table, const Options& options) {
	if (!options.tables.uses_catalog()) return strcmp(schema, "flatwal") != 0 && options.tables.Matches(schema, table);
	Registration registration;
	LookupRegistration(relid, options.table_set.c_str(), &registration);
	return registration.registered && registration.enabled && registration.in_table_set;
}

// For a partition: records its ancestors and the topmost captured one, which
// then publishes its changes. Read under the historic snapshot, so a partition
// attached, detached or created later is followed at the point in the WAL
// where that happened.
void FindPublishingAncestor(Relation rel, const Options& options, RelInfo* info) {
	info->ancestors.clear();
	info->publish_as = InvalidOid;
	if (!rel->rd_rel->relispartition) return;
	List* ancestors = get_partition_ancestors(RelationGetRelid(rel));
	ListCell* cell;
	foreach (cell, ancestors) info->ancestors.push_back(lfirst_oid(cell));
	list_free(ancestors);
	for (size_t i = info->ancestors.size(); i-- > 0;) {
		Oid ancestor = info->ancestors[i];
		const char* name = get_rel_name(ancestor);
		const char* schema = name != nullptr ? get_namespace_name(get_rel_namespace(ancestor)) : nullptr;
		if (schema != nullptr && IsCaptured(ancestor, schema, name, options)) {
			info->publish_as = ancestor;
			info->captured = true;
			return;
		}
	}
}

}  // namespace

RelInfo& RelationCache::Get(Relation rel, const Options& options) {
	RelInfo& info = entries_[RelationGetRelid(rel)];
	if (!info.valid) Build(rel, options, &info);
	return info;
}

void RelationCache::Invalidate(Oid relid) {
	auto entry = entries_.find(relid);
	if (entry != entries_.end()) entry->second.valid = false;
	auto below = partitions_below_.find(relid);
	if (below == partitions_below_.end()) return;
	for (Oid partition : below->second) {
		auto p = entries_.find(partition);
		if (p != entries_.end()) p->second.valid = false;
	}
}

TupleConversionMap* RelationCache::AncestorMap(Relation partition, Relation ancestor, RelInfo* info) {
	if (!info->to_ancestor_built) {
		MemoryContext previous = MemoryContextSwitchTo(context_);
		info->to_ancestor = convert_tuples_by_name(RelationGetDescr(partition), RelationGetDescr(ancestor));
		MemoryContextSwitchTo(previous);
		info->to_ancestor_built = true;
	}
	return info->to_ancestor;
}

void RelationCache::InvalidateAll() {
	for (auto& entry : entries_) entry.second.valid = false;
}

void RelationCache::Build(Relation rel, const Options& options, RelInfo* info) {
	// With the tables option a table is captured by name: say when it starts
	// matching, and warn when a rename makes it stop (not silently).
	const bool by_name = !options.tables.uses_catalog();
	const bool was_captured = by_name && info->built_once && info->captured;
	info->previous_name = info->schema_name + "." + info->table_name;
	info->schema_name = get_namespace_name(RelationGetNamespace(rel));
	info->table_name = RelationGetRelationName(rel);
	info->replica_identity = rel->rd_rel->relreplident;
	BuildColumns(rel, info);
	BuildKeys(rel, info);
	BuildCapture(rel, options, info);
	if (by_name && info->captured && !was_captured)
		ereport(LOG, (errmsg("flatwal: table \"%s.%s\" matches the \"tables\" option and is captured",
		                     info->schema_name.c_str(), info->table_name.c_str())));
	if (was_captured && !info->captured && info->previous_name != info->schema_name + "." + info->table_name)
		ereport(WARNING,
		        (errmsg("flatwal: table \"%s\" was renamed to \"%s.%s\" and no longer matches the \"tables\" option",
		                info->previous_name.c_str(), info->schema_name.c_str(), info->table_name.c_str()),
		         errdetail("Its changes from here on are not sent."),
		         errhint("Name the table's new name in the \"tables\" option, or capture it with flatwal.add_table(), "
		                 "which follows renames.")));
	info->built_once = true;

	info->shape = ShapeOf(*info);
	info->valid = true;
}

// A value's text that reads back the same under any session's settings:
// ISO dates, the default interval style, shortest exact floats, hex bytea
// (timestamps with time zone carry their offset).
static std::string SettingFreeText(Oid type, Datum value) {
	const int date_style = DateStyle, date_order = DateOrder, interval_style = IntervalStyle;
	const int float_digits = extra_float_digits, bytea_style = bytea_output;
	DateStyle = USE_ISO_DATES;
	DateOrder = DATEORDER_MDY;
	IntervalStyle = INTSTYLE_POSTGRES;
	extra_float_digits = 1;
	bytea_output = BYTEA_OUTPUT_HEX;
	Oid output;
	bool varlena;
	getTypeOutputInfo(type, &output, &varlena);
	char* volatile text = nullptr;
	PG_TRY();
	{
		text = OidOutputFunctionCall(output, value);
	}
	PG_FINALLY();
	{
		// The session's own settings back, also when the output function failed.
		DateStyle = date_style, DateOrder = date_order, IntervalStyle = interval_style;
		extra_float_digits = float_digits, bytea_output = bytea_style;
	}
	PG_END_TRY();
	std::string out = text;
	pfree(text);
	return out;
}

// The fast defaults (ADD COLUMN … DEFAULT c) `rel` stores, by column name,
// as SettingFreeText; a name already in *out keeps its text.
static void StoredMissingTexts(Relation rel, std::map<std::string, std::string>* out) {
	TupleDesc desc = RelationGetDescr(rel);
	if (desc->constr == nullptr || desc->constr->missing == nullptr) return;
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped || !att->atthasmissing || !desc->constr->missing[i].am_present) continue;
		if (out->count(NameStr(att->attname))) continue;
		(*out)[NameStr(att->attname)] = SettingFreeText(att->atttypid, desc->constr->missing[i].am_value);
	}
}

// The values rows written before a column was added hold, by column name.
// A partitioned table stores no rows: its partitions got the fast default
// when the column was added through it; the first that holds one says it (by
// name: partitions may number their columns otherwise). A partition made
// later holds none, having no rows from before. Each partition is opened
// once per build, not once per column.
static std::map<std::string, std::string> MissingTexts(Relation rel) {
	std::map<std::string, std::string> texts;
	StoredMissingTexts(rel, &texts);
	if (rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE) return texts;
	List* members = find_all_inheritors(RelationGetRelid(rel), NoLock, nullptr);
	ListCell* cell;
	foreach (cell, members) {
		Relation partition = RelationIdGetRelation(lfirst_oid(cell));
		if (partition == nullptr) continue;
		if (partition->rd_rel->relkind != RELKIND_PARTITIONED_TABLE) StoredMissingTexts(partition, &texts);
		RelationClose(partition);
	}
	list_free(members);
	return texts;
}

void RelationCache::BuildColumns(Relation rel, RelInfo* info) {
	Oid relid = RelationGetRelid(rel);
	TupleDesc desc = RelationGetDescr(rel);
	// Excluded columns are left out here, so no path of the encoder can send them.
	LookupColumnPolicy(relid, &info->excluded_columns, &info->masked_columns);
	auto sent = [info](Form_pg_attribute att) {
		return !att->attisdropped && !Contains(info->excluded_columns, NameStr(att->attname));
	};
	// The Schema frame names only excluded columns the table has.
	auto absent = [desc](const std::string& name) {
		for (int i = 0; i < desc->natts; ++i) {
			Form_pg_attribute att = TupleDescAttr(desc, i);
			if (!att->attisdropped && name == NameStr(att->attname)) return false;
		}
		return true;
	};
	info->excluded_columns.erase(std::remove_if(info->excluded_columns.begin(), info->excluded_columns.end(), absent),
	                             info->excluded_columns.end());
	int live = 0;
	for (int i = 0; i < desc->natts; ++i) live += sent(TupleDescAttr(desc, i));
	info->columns.clear();
	info->columns.resize(live);  // sized once: FmgrInfo must not move after fmgr_info_cxt
	info->mask_key.clear();
	const std::map<std::string, std::string> missing_texts = MissingTexts(rel);
	int pos = 0;
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (!sent(att)) continue;
		ColumnCodec& column = info->columns[pos++];
		column.attnum = att->attnum;
		column.name = NameStr(att->attname);
		column.declared_type = att->atttypid;
		column.typmod = att->atttypmod;
		column.type_name = format_type_with_typemod(att->atttypid, att->atttypmod);
		column.not_null = att->attnotnull;
		column.key = false;
		auto missing = missing_texts.find(column.name);
		column.has_missing = missing != missing_texts.end();
		column.missing_text = column.has_missing ? missing->second : std::string();
		int32 base_typmod = att->atttypmod;
		Oid base = getBaseTypeAndTypmod(att->atttypid, &base_typmod);
		ChooseScalarCodec(base, context_, &column.value);
		if (column.value.kind == ValueKind::kArray) {
			Oid element = getBaseType(get_element_type(base));
			ChooseScalarCodec(element, context_, &column.element);
		}
		column.masked = Contains(info->masked_columns, NameStr(att->attname));
		if (column.masked) {
			// Consumers see text: the hash of the value's text under the output function.
			Oid output;
			bool varlena;
			getTypeOutputInfo(base, &output, &varlena);
			fmgr_info_cxt(output, &column.value.output, context_);
			column.declared_type = TEXTOID;
			column.typmod = -1;
			column.type_name = "text";
			column.value.type_oid = TEXTOID;
			if (info->mask_key.empty()) LookupMaskKey(&info->mask_key);
		}
	}
}

void RelationCache::BuildKeys(Relation rel, RelInfo* info) {
	Oid replica_index = RelationGetReplicaIndex(rel);
	IndexColumns(replica_index, *info, &info->identity_columns);
	for (uint16_t k : info->identity_columns) info->columns[k].identity = true;
	if (info->replica_identity == REPLICA_IDENTITY_INDEX)
		info->key_columns = info->identity_columns;
	else
		IndexColumns(RelationGetPrimaryKeyIndex(rel), *info, &info->key_columns);
	for (uint16_t k : info->key_columns) info->columns[k].key = true;
}

void RelationCache::BuildCapture(Relation rel, const Options& options, RelInfo* info) {
	Oid relid = RelationGetRelid(rel);
	Registration registration;
	LookupRegistration(relid, options.table_set.c_str(), &registration);
	info->version = registration.registered ? registration.version : 0;
	info->captured = IsCaptured(relid, info->schema_name.c_str(), info->table_name.c_str(), options);
	FindPublishingAncestor(rel, options, info);
	for (Oid ancestor : info->ancestors) {
		std::vector<Oid>& below = partitions_below_[ancestor];
		if (std::find(below.begin(), below.end(), relid) == below.end()) below.push_back(relid);
	}
	if (info->to_ancestor != nullptr) free_conversion_map(info->to_ancestor);
	info->to_ancestor = nullptr;
	info->to_ancestor_built = false;
}

}  // namespace flatwal
