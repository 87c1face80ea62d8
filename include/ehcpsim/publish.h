// Writing a set of small text files so that none is seen half-written: each
// goes to <path>.tmp-<pid> first, and only when all are written are they
// renamed into place. A failure removes the temporaries and is a
// RuntimeError naming the file. (The HDF5 results have their own, stricter
// path in src/file: a lock, publishing without replacing.)
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace ehcpsim {

// (path, text) pairs; existing files at the paths are replaced.
void publish_files(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

}  // namespace ehcpsim
