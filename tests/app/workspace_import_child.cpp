// Child process for the killed-import test: imports argv[2..] into the
// workspace database argv[1] with the stand-in parser, batch size 50, and
// prints "batch N" after each committed batch (the parent SIGKILLs it).
#include <chrono>
#include <cstdio>
#include <thread>

#include "workspace/import_runner.h"
#include "workspace_test_parser.h"

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    auto db = crucible::Database::open(argv[1]);
    if (!db) {
        std::fprintf(stderr, "%s\n", db.error().message.c_str());
        return 1;
    }
    crucible::ImportRunner runner(**db, crucible::testing::openAiChatParsers());
    crucible::ImportOptions options;
    for (int i = 2; i < argc; ++i) options.paths.push_back(argv[i]);
    options.batchSize = 50;
    int batches = 0;
    options.onProgress = [&](const crucible::ImportProgress&) {
        std::printf("batch %d\n", ++batches);
        std::fflush(stdout);
        // Slow enough that the parent's kill lands in the middle of the import.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    };
    auto summary = runner.run(options);
    return summary.ok() ? 0 : 1;
}
