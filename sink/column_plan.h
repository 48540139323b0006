// column_plan.h — which target column holds which source column, and the
// column DDL that makes a target table fit a schema version. Pure C++: the
// PostgreSQL target reads its columns, plans here, and runs the steps.
//
// A source column is known by its attnum, which survives RENAME COLUMN; a
// name does not identify it (DROP COLUMN c, then RENAME COLUMN x TO c, then
// DROP COLUMN c: three columns have been called c). So each target column
// flatwal-sink makes or adopts is marked with the attnum it holds, in its
// column comment (kAttnumMark), which follows the column through renames.
// The plan renames a marked column to the name the catalog writes it under
// (SchemaColumn::latest_name), first moving aside a column of another attnum
// that holds that name; adds a column for an attnum no target column holds;
// adopts by name the unmarked columns of a table made before marks; and
// changes a marked column's type to the version's (ALTER COLUMN … TYPE, as
// the source did) unless the target already holds a later version's type,
// which an older version's values then take (partitions are read in no order).
#ifndef FLATWAL_SINK_COLUMN_PLAN_H
#define FLATWAL_SINK_COLUMN_PLAN_H

#include <cstdint>
#include <string>
#include <vector>

#include "status.h"
#include "table_catalog.h"

namespace flatwal {

// The comment of a marked target column is this, then the attnum in decimal.
inline constexpr char kAttnumMark[] = "flatwal: source column attnum ";

// The attnum a column comment marks; 0 when it is not a mark.
int16_t AttnumOfMark(const std::string& comment);

// A column of the target table as it stands.
struct TargetColumn {
	std::string name;
	std::string type;    // format_type() text
	int16_t attnum = 0;  // its mark; 0: unmarked
};

// One step of DDL, run in order (each names columns as the steps before left them).
struct ColumnStep {
	enum class Kind { kRename, kAdd, kMark, kRetype };
	Kind kind;
	std::string name;      // the column renamed, marked or retyped (kAdd: unused)
	std::string new_name;  // kRename only
	size_t column = 0;     // kAdd, kRetype: the version's column (its type is types[column])
	int16_t attnum = 0;    // kMark: the attnum to mark it with
};

// Plans the steps that make `existing` (the target's columns, named `target`
// in messages) hold every column of `table` under its latest_name, with
// types[i] the target type of table.columns[i] and later_types[i] the target
// types its attnum has in later versions the catalog knows. On return,
// types[i] is the type the target column holds: a later version's, when the
// target has it already. `markable`: the session may comment on the table's
// columns (it owns it); without, and for columns of unknown attnum (0),
// columns are matched by name only, and a column of another type is an error
// (kNotSupported) that names it and what to do, as is an unmarked column in a
// name a marked one needs.
Status PlanColumns(const TableVersion& table, const TableCatalog& catalog, std::vector<std::string>* types,
                   const std::vector<std::vector<std::string>>& later_types, const std::string& target,
                   bool markable, std::vector<TargetColumn> existing, std::vector<ColumnStep>* steps);

}  // namespace flatwal

#endif  // FLATWAL_SINK_COLUMN_PLAN_H
