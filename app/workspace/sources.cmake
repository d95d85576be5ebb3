# app/workspace: the SQLite workspace (schema migrations, trace store, import
# runner, exporter). Migrations are the numbered files in migrations/*.sql,
# embedded into the binary through a generated source file.
file(GLOB workspace_migration_files CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/migrations/*.sql)
list(SORT workspace_migration_files)
set(workspace_migration_entries "")
foreach(migration_file IN LISTS workspace_migration_files)
  get_filename_component(migration_name ${migration_file} NAME_WE)
  string(REGEX MATCH "^[0-9]+" migration_number ${migration_name})
  math(EXPR migration_version "${migration_number}")
  file(READ ${migration_file} migration_sql)
  string(APPEND workspace_migration_entries
         "    {${migration_version}, \"${migration_name}\", R\"crucible_sql(${migration_sql})crucible_sql\"},\n")
endforeach()
set(workspace_migrations_cpp ${CMAKE_CURRENT_BINARY_DIR}/generated/workspace_migrations.cpp)
file(CONFIGURE OUTPUT ${workspace_migrations_cpp} CONTENT
"// Generated from app/workspace/migrations/*.sql by app/workspace/sources.cmake. Do not edit.
#include \"workspace/database.h\"

namespace crucible {

const std::vector<Migration>& builtinMigrations() {
    static const std::vector<Migration> migrations = {
@workspace_migration_entries@    };
    return migrations;
}

}  // namespace crucible
" @ONLY)

list(APPEND APP_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/database.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trace_json.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trace_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trace_search.cpp
  ${CMAKE_CURRENT_LIST_DIR}/import_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/line_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/record_parsers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exporter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/workspace_paths.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rubric_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/judgment_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/eval_run_store.cpp
  ${workspace_migrations_cpp})
