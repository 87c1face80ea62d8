// Text files written together, temp-then-rename (publish.h).
#include "ehcpsim/publish.h"

#include <unistd.h>

#include <fstream>

#include "ehcpsim/error.h"

namespace ehcpsim {

void publish_files(const std::vector<std::pair<std::filesystem::path, std::string>>& files) {
    std::vector<std::filesystem::path> temporaries;
    const auto abandon = [&temporaries] {
        std::error_code ignored;
        for (const std::filesystem::path& path : temporaries) std::filesystem::remove(path, ignored);
    };
    for (const auto& [path, text] : files) {
        const std::filesystem::path temporary = path.string() + ".tmp-" + std::to_string(getpid());
        temporaries.push_back(temporary);
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out) {
            abandon();
            throw RuntimeError("cannot write " + temporary.string() +
                               " (no such directory, disk full, or no permission?)");
        }
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        std::error_code error;
        std::filesystem::rename(temporaries[i], files[i].first, error);
        if (error) {
            abandon();
            throw RuntimeError("cannot rename " + temporaries[i].string() + " to " + files[i].first.string() + ": " +
                               error.message());
        }
    }
}

}  // namespace ehcpsim
