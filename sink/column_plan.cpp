// column_plan.cpp — see column_plan.h.
#include "column_plan.h"

#include <algorithm>
#include <cstring>

namespace flatwal {

int16_t AttnumOfMark(const std::string& comment) {
	const size_t prefix = strlen(kAttnumMark);
	if (comment.compare(0, prefix, kAttnumMark) != 0 || comment.size() == prefix || comment.size() > prefix + 4) return 0;
	int attnum = 0;
	for (size_t i = prefix; i < comment.size(); ++i) {
		if (comment[i] < '0' || comment[i] > '9') return 0;
		attnum = attnum * 10 + (comment[i] - '0');
	}
	return attnum <= 1600 ? static_cast<int16_t>(attnum) : 0;  // MaxHeapAttributeNumber
}

namespace {

// The plan as it is made: the target's columns as the steps so far leave them.
class Planner {
 public:
	Planner(const TableVersion& table, const std::string& target, std::vector<TargetColumn> existing,
	        std::vector<ColumnStep>* steps)
	    : table_(table), target_(target), columns_(std::move(existing)), steps_(steps) {}

	TargetColumn* Named(const std::string& name) {
		for (TargetColumn& c : columns_)
			if (c.name == name) return &c;
		return nullptr;
	}
	TargetColumn* Marked(int16_t attnum) {
		for (TargetColumn& c : columns_)
			if (c.attnum == attnum) return &c;
		return nullptr;
	}
	bool WrittenUnder(const std::string& name) const {
		for (const SchemaColumn& c : table_.columns)
			if (c.latest_name == name) return true;
		return false;
	}

	void Mark(TargetColumn* column, int16_t attnum) {
		steps_->push_back({ColumnStep::Kind::kMark, column->name, "", 0, attnum});
		column->attnum = attnum;
	}
	void Rename(TargetColumn* column, const std::string& name) {
		steps_->push_back({ColumnStep::Kind::kRename, column->name, name, 0, 0});
		column->name = name;
	}
	void Add(size_t i, const std::string& type) {
		steps_->push_back({ColumnStep::Kind::kAdd, "", "", i, 0});
		columns_.push_back({table_.columns[i].latest_name, type, 0});
	}

	// Makes `name` free for the column of `attnum`: a column of another
	// attnum that holds it moves aside, under the name the catalog gives a
	// dropped column (a live one is renamed again when its turn comes).
	Status Free(const std::string& name) {
		TargetColumn* holder = Named(name);
		if (holder == nullptr) return Status::Ok();
		const std::string aside = DroppedColumnName(name, holder->attnum);
		if (holder->attnum == 0 || Named(aside) != nullptr)
			return Status::Error(ErrorKind::kNotSupported,
			                     "column " + name + " of " + target_ + " is not one flatwal-sink follows",
			                     "Schema version " + std::to_string(table_.version) +
			                         " of the source writes another column under that name, and the target's "
			                         "column carries no flatwal mark (" + std::string(kAttnumMark) + "N).",
			                     "Rename or drop the target's column; the table's changes are in the dead-letter "
			                     "topic until then.");
		Rename(holder, aside);
		return Status::Ok();
	}

	// Makes `column` fit the version's column `i` of type *type: as it is,
	// at a later version's type (which *type becomes), or (`followed`: the
	// column is marked with its attnum) retyped.
	Status Fit(TargetColumn* column, size_t i, bool followed, std::string* type,
	           const std::vector<std::string>& later) {
		if (column->type == *type) return Status::Ok();
		if (std::find(later.begin(), later.end(), column->type) != later.end()) {
			*type = column->type;
			return Status::Ok();
		}
		if (followed) {
			steps_->push_back({ColumnStep::Kind::kRetype, column->name, "", i, 0});
			column->type = *type;
			return Status::Ok();
		}
		return TypeDiffers(*column, *type);
	}

 private:
	Status TypeDiffers(const TargetColumn& column, const std::string& type) const {
		return Status::Error(ErrorKind::kNotSupported,
		                     "column " + column.name + " of " + target_ + " is " + column.type +
		                         " in the target but " + type + " in schema version " +
		                         std::to_string(table_.version) + " of the source",
		                     "flatwal-sink changes the type of the columns it follows (marked with their source "
		                     "attnum); this one is matched by name (the sink's role does not own the table, or "
		                     "the column has no mark).",
		                     "Change the target column's type yourself (ALTER TABLE … ALTER COLUMN … TYPE …); "
		                     "its changes are in the dead-letter topic until then.");
	}

	const TableVersion& table_;
	const std::string& target_;
	std::vector<TargetColumn> columns_;
	std::vector<ColumnStep>* steps_;
};

}  // namespace

Status PlanColumns(const TableVersion& table, const TableCatalog& catalog, std::vector<std::string>* types,
                   const std::vector<std::vector<std::string>>& later_types, const std::string& target,
                   bool markable, std::vector<TargetColumn> existing, std::vector<ColumnStep>* steps) {
	steps->clear();
	Planner plan(table, target, std::move(existing), steps);
	for (size_t i = 0; i < table.columns.size(); ++i) {
		const SchemaColumn& column = table.columns[i];
		const std::string& name = column.latest_name;
		if (column.attnum == 0 || !markable) {  // by name alone
			TargetColumn* held = plan.Named(name);
			if (held == nullptr) {
				plan.Add(i, (*types)[i]);
				continue;
			}
			Status st = plan.Fit(held, i, false, &(*types)[i], later_types[i]);
			if (!st.ok()) return st;
			continue;
		}
		TargetColumn* held = plan.Marked(column.attnum);
		if (held == nullptr) {
			// A table made before marks: its column of this name, or of a name
			// this attnum had before a rename that no column of this version
			// took, holds it.
			TargetColumn* named = plan.Named(name);
			if (named != nullptr && named->attnum == 0) held = named;
			for (const std::string& earlier : catalog.EarlierNames(table.relid, column.attnum)) {
				if (held != nullptr || named != nullptr) break;
				TargetColumn* candidate = plan.Named(earlier);
				if (candidate != nullptr && candidate->attnum == 0 && !plan.WrittenUnder(earlier)) held = candidate;
			}
			if (held != nullptr) plan.Mark(held, column.attnum);
		}
		if (held == nullptr) {
			Status st = plan.Free(name);
			if (!st.ok()) return st;
			plan.Add(i, (*types)[i]);
			plan.Mark(plan.Named(name), column.attnum);
			continue;
		}
		if (held->name != name) {
			Status st = plan.Free(name);
			if (!st.ok()) return st;
			plan.Rename(held, name);
		}
		Status st = plan.Fit(held, i, true, &(*types)[i], later_types[i]);
		if (!st.ok()) return st;
	}
	return Status::Ok();
}

}  // namespace flatwal
