// Checkpoint files: blocks read back bit for bit, a torn or damaged tail
// dropped (and only the tail), a checkpoint of another run refused with the
// setting that differs named, a checkpoint holding work never replaced
// silently, one run at a time.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ehcpsim/checkpoint.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using output_testing::ScratchDir;
using output_testing::small_info;
using output_testing::synthetic_block;
namespace fs = std::filesystem;

using CheckpointFile = ScratchDir;

void expect_same_block(const ResultBlock& a, const ResultBlock& b) {
    ASSERT_EQ(a.first_replicate, b.first_replicate);
    ASSERT_EQ(a.count, b.count);
    ASSERT_EQ(a.variants.size(), b.variants.size());
    for (std::size_t v = 0; v < a.variants.size(); ++v) {
        ASSERT_EQ(a.variants[v].metrics.size(), b.variants[v].metrics.size());
        for (std::size_t m = 0; m < a.variants[v].metrics.size(); ++m) {
            EXPECT_TRUE(same_bits(a.variants[v].metrics[m], b.variants[v].metrics[m]))
                << "variant " << v << " metric " << m;
        }
        EXPECT_TRUE(same_bits(a.variants[v].parameters, b.variants[v].parameters)) << "variant " << v;
    }
}

// A checkpoint of `info` holding the blocks [first, first + count).
void write_checkpoint(const std::string& path, const RunInfo& info,
                      const std::vector<std::pair<std::int64_t, std::int64_t>>& blocks) {
    Checkpoint checkpoint = Checkpoint::start(path, info, false);
    for (const auto& [first, count] : blocks) checkpoint.append(synthetic_block(info, first, count));
}

std::string refusal(const std::string& path, const RunInfo& info) {
    try {
        Checkpoint::resume(path, info);
    } catch (const RuntimeError& e) {
        return e.what();
    }
    return "";
}

TEST_F(CheckpointFile, BlocksReadBackBitForBitInFileOrder) {
    const RunInfo info = small_info(12);
    const std::string file = path("run.h5.ckpt");
    EXPECT_EQ(checkpoint_path(path("run.h5")), file);
    write_checkpoint(file, info, {{0, 3}, {6, 4}, {3, 3}});

    std::optional<Checkpoint> checkpoint = Checkpoint::resume(file, info);
    ASSERT_TRUE(checkpoint);
    ASSERT_EQ(checkpoint->saved().size(), 3u);
    EXPECT_EQ(checkpoint->saved()[1].first, 6);
    EXPECT_EQ(checkpoint->saved()[1].count, 4);
    EXPECT_EQ(checkpoint->saved_replicates(), 10);
    EXPECT_EQ(checkpoint->dropped_bytes(), 0u);
    expect_same_block(checkpoint->read(0), synthetic_block(info, 0, 3));
    expect_same_block(checkpoint->read(1), synthetic_block(info, 6, 4));
    expect_same_block(checkpoint->read(2), synthetic_block(info, 3, 3));

    // Resumed, it takes the missing block, and a second resume sees all four.
    checkpoint->append(synthetic_block(info, 10, 2));
    checkpoint.reset();
    checkpoint = Checkpoint::resume(file, info);
    EXPECT_EQ(checkpoint->saved_replicates(), 12);
    expect_same_block(checkpoint->read(3), synthetic_block(info, 10, 2));
}

TEST_F(CheckpointFile, SizeIsHeaderPlusRawResults) {
    const RunInfo info = small_info(256);
    const std::string file = path("run.ckpt");
    write_checkpoint(file, info, {{0, 128}, {128, 128}});
    const double estimate = checkpoint_bytes(info, 256);
    const auto size = static_cast<double>(fs::file_size(file));
    EXPECT_NEAR(size, estimate, 0.01 * size);
}

TEST_F(CheckpointFile, NoFileMeansNothingToResume) {
    EXPECT_FALSE(Checkpoint::resume(path("absent.ckpt"), small_info()));
}

// Sizes of a checkpoint's header and of one record of `count` replicates.
std::pair<std::uintmax_t, std::uintmax_t> sizes(const std::string& scratch, const RunInfo& info, std::int64_t count) {
    Checkpoint checkpoint = Checkpoint::start(scratch, info, true);
    const auto header = fs::file_size(scratch);
    checkpoint.append(synthetic_block(info, 0, count));
    const auto record = fs::file_size(scratch) - header;
    checkpoint.remove();
    return {header, record};
}

TEST_F(CheckpointFile, ATornTailIsDroppedAndTheRestKept) {
    const RunInfo info = small_info(9);
    const std::string file = path("run.ckpt");
    const auto [header, record] = sizes(path("scratch.ckpt"), info, 3);
    // Cut into the last record anywhere: its CRC, its payload, its header.
    for (std::uintmax_t cut : {std::uintmax_t{1}, std::uintmax_t{4}, std::uintmax_t{5}, record / 2, record - 8,
                               record - 1}) {
        write_checkpoint(file, info, {{0, 3}, {3, 3}, {6, 3}});
        ASSERT_EQ(fs::file_size(file), header + 3 * record);
        fs::resize_file(file, header + 3 * record - cut);
        std::optional<Checkpoint> checkpoint = Checkpoint::resume(file, info);
        ASSERT_TRUE(checkpoint);
        EXPECT_EQ(checkpoint->saved_replicates(), 6) << "cut " << cut;
        EXPECT_EQ(checkpoint->dropped_bytes(), record - cut) << "cut " << cut;
        EXPECT_EQ(fs::file_size(file), header + 2 * record) << "the torn record is cut off";
        checkpoint->append(synthetic_block(info, 6, 3));  // where the torn one was
        checkpoint.reset();
        checkpoint = Checkpoint::resume(file, info);
        EXPECT_EQ(checkpoint->saved_replicates(), 9);
        expect_same_block(checkpoint->read(2), synthetic_block(info, 6, 3));
        checkpoint->remove();
    }
}

TEST_F(CheckpointFile, ADamagedRecordEndsTheValidPrefix) {
    const RunInfo info = small_info(9);
    const std::string file = path("run.ckpt");
    const auto [header, record] = sizes(path("scratch.ckpt"), info, 3);
    write_checkpoint(file, info, {{0, 3}, {3, 3}, {6, 3}});
    // One bit flipped in the middle of the second record's payload: it and
    // the third (sound, but after a damaged one) are dropped.
    {
        const auto at = static_cast<std::streamoff>(header + record + record / 2);
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        char byte = 0;
        f.seekg(at);
        f.read(&byte, 1);
        byte = static_cast<char>(byte ^ 0x10);
        f.seekp(at);
        f.write(&byte, 1);
    }
    std::optional<Checkpoint> checkpoint = Checkpoint::resume(file, info);
    ASSERT_TRUE(checkpoint);
    EXPECT_EQ(checkpoint->saved_replicates(), 3);
    EXPECT_EQ(checkpoint->dropped_bytes(), 2 * record);
    expect_same_block(checkpoint->read(0), synthetic_block(info, 0, 3));
}

TEST_F(CheckpointFile, AHeaderCutShortHoldsNothingAndIsStartedAgain) {
    const RunInfo info = small_info(6);
    const std::string file = path("run.ckpt");
    for (std::uintmax_t keep : {std::uintmax_t{0}, std::uintmax_t{5}, std::uintmax_t{30}}) {
        write_checkpoint(file, info, {});
        fs::resize_file(file, keep);
        std::optional<Checkpoint> checkpoint = Checkpoint::resume(file, info);
        ASSERT_TRUE(checkpoint) << keep;
        EXPECT_EQ(checkpoint->saved_replicates(), 0);
        checkpoint->append(synthetic_block(info, 0, 6));
        checkpoint.reset();
        EXPECT_EQ(Checkpoint::resume(file, info)->saved_replicates(), 6);
        fs::remove(file);
    }
}

TEST_F(CheckpointFile, ACheckpointOfAnotherRunIsRefusedNamingTheDifference) {
    const RunInfo info = small_info(12);
    const std::string file = path("run.ckpt");
    write_checkpoint(file, info, {{0, 4}});
    const auto size = fs::file_size(file);

    const auto refused = [&](RunInfo other, const std::string& what) {
        const std::string message = refusal(file, other);
        EXPECT_NE(message.find("checkpoint was written by a different " + what), std::string::npos)
            << what << ": " << message;
        EXPECT_EQ(fs::file_size(file), size) << "a refused checkpoint is left as it was";
    };
    RunInfo other = info;
    other.engine_version = "0.0.9";
    refused(other, "engine version (checkpoint: \"0.1.0-test\"; this run: \"0.0.9\")");
    other = info;
    other.seed = 7;
    refused(other, "seed");
    other = info;
    other.sources[1].text += "6,ASD,mss,1\n";  // a CSV table edited
    refused(other, "text of scenario file 'data/stock.csv' (first difference in line 3)");
    other = info;
    other.scenario_name = "Another";
    refused(other, "scenario name (checkpoint: \"Synthetic \"test\" scenario\"; this run: \"Another\")");
    other = small_info(13);
    refused(other, "total replicate count (checkpoint: 12; this run: 13)");
    other = info;
    other.total_replicates = 24;  // the second half of a run of 24
    other.first_replicate = 12;
    refused(other, "total replicate count (checkpoint: 12; this run: 24)");  // the first difference only
    other = info;
    other.variants = {"baseline", "stretch"};
    refused(other, "variant list (checkpoint: [\"baseline\", \"target\"]; this run: [\"baseline\", \"stretch\"])");
    other = info;
    other.common_random_numbers = false;
    refused(other, "common random numbers");
    other = info;
    other.mode = "deterministic";
    refused(other, "mode");
    other = info;
    other.plan_detail = true;
    other.ages = {0, 1};
    refused(other, "plan detail");
    other = info;
    other.adjustments = {{{"sv", "funding", 2025, 1e6}}, {}};
    refused(other, "funding adjustment list of variant 'baseline'");

    // The same text run from elsewhere is the same scenario.
    other = info;
    for (SourceText& source : other.sources) source.path = "/elsewhere/" + source.path;
    std::optional<Checkpoint> same = Checkpoint::resume(file, other);
    ASSERT_TRUE(same);
    EXPECT_EQ(same->saved_replicates(), 4);
}

// Every field of the run is compared (first_difference), not only those a
// scenario's text would change: here the capacity a caller describes.
TEST_F(CheckpointFile, ACheckpointOfADifferentCapacityIsRefused) {
    RunInfo info = small_info(12);
    info.capacity = {{RunInfo::CapacityEntry{1, 1, 2, {60, 70, 80, 90}}}, {}};
    const std::string file = path("run.ckpt");
    write_checkpoint(file, info, {{0, 4}});
    RunInfo other = info;
    other.capacity[0][0].places[3] = 95;
    EXPECT_NE(refusal(file, other).find("checkpoint was written by a different places of capacity entry "
                                        "'mss/secondary' of variant 'baseline' (checkpoint: [60, 70, 80, 90]; this "
                                        "run: [60, 70, 80, 95])"),
              std::string::npos)
        << refusal(file, other);
}

// The same run, another shard of it: same_shard compares the replicates too.
TEST_F(CheckpointFile, ACheckpointOfAnotherShardIsRefused) {
    RunInfo info = small_info(12);
    info.total_replicates = 24;  // the first half of a run of 24
    const std::string file = path("shard.ckpt");
    write_checkpoint(file, info, {{0, 4}});
    RunInfo second_half = info;
    second_half.first_replicate = 12;
    EXPECT_NE(refusal(file, second_half)
                  .find("checkpoint was written by a different shard (checkpoint: replicates [0, 12); this run: "
                        "replicates [12, 24))"),
              std::string::npos)
        << refusal(file, second_half);
    std::optional<Checkpoint> same = Checkpoint::resume(file, info);
    ASSERT_TRUE(same);
    EXPECT_EQ(same->saved_replicates(), 4);
}

TEST_F(CheckpointFile, AForeignFileIsRefused) {
    const std::string file = path("run.ckpt");
    std::ofstream(file) << "not a checkpoint at all\n";
    EXPECT_NE(refusal(file, small_info()).find("not an ehcpsim checkpoint"), std::string::npos);
    EXPECT_THROW(Checkpoint::start(file, small_info(), false), RuntimeError);
    EXPECT_NO_THROW(Checkpoint::start(file, small_info(), true));  // asked to replace it
}

TEST_F(CheckpointFile, StartNeverReplacesSavedWorkUnlessAsked) {
    const RunInfo info = small_info(12);
    const std::string file = path("run.ckpt");
    write_checkpoint(file, info, {{0, 4}, {4, 4}});
    const auto size = fs::file_size(file);
    RunInfo other = info;
    other.seed = 99;  // whatever run it belongs to
    try {
        Checkpoint::start(file, other, false);
        ADD_FAILURE() << "replaced a checkpoint holding work";
    } catch (const CheckpointExists& e) {
        EXPECT_EQ(e.saved_replicates(), 8);
        EXPECT_NE(std::string(e.what()).find("8 finished replicate(s)"), std::string::npos) << e.what();
    }
    EXPECT_EQ(fs::file_size(file), size);

    // One holding no block (a run killed before its first) is simply started again.
    write_checkpoint(path("empty.ckpt"), info, {});
    EXPECT_NO_THROW(Checkpoint::start(path("empty.ckpt"), other, false));

    Checkpoint replaced = Checkpoint::start(file, other, true);
    EXPECT_EQ(replaced.saved_replicates(), 0);
    EXPECT_LT(fs::file_size(file), size);
}

std::string contents(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A header that does not check out in front of finished records is damaged,
// not empty: refused by start() (unless asked to replace) and by resume(),
// and left as it was, never silently replaced with the replicates it holds.
TEST_F(CheckpointFile, ADamagedHeaderIsRefusedNotTakenForEmpty) {
    const RunInfo info = small_info(12);
    const std::string file = path("run.ckpt");
    // Offsets in the fixed header: magic 0-7, version 8-11, byte order 12-15,
    // body length 16-23; the body from 24.
    for (const std::streamoff at : {std::streamoff{30}, std::streamoff{17}, std::streamoff{23}}) {
        SCOPED_TRACE("byte " + std::to_string(at) + " changed");
        write_checkpoint(file, info, {{0, 4}, {4, 4}});
        {
            std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
            f.seekg(at);
            const char byte = static_cast<char>(f.get());
            f.seekp(at);
            f.put(static_cast<char>(byte ^ 0x5a));
        }
        const std::string before = contents(file);
        try {
            Checkpoint::start(file, info, false);
            ADD_FAILURE() << "a checkpoint with a damaged header was replaced";
        } catch (const RuntimeError& e) {
            EXPECT_NE(std::string(e.what()).find("damaged"), std::string::npos) << e.what();
        }
        EXPECT_NE(refusal(file, info).find("damaged"), std::string::npos);
        EXPECT_EQ(contents(file), before);
        EXPECT_EQ(Checkpoint::start(file, info, true).saved_replicates(), 0);  // asked to replace it
        fs::remove(file);
    }
}

// A checkpoint path that is a symbolic link is never written through: not
// replaced (--overwrite replaces the link itself), not resumed from.
TEST_F(CheckpointFile, ASymbolicLinkIsNeverWrittenThrough) {
    const RunInfo info = small_info(12);
    const std::string file = path("run.ckpt"), elsewhere = path("elsewhere.ckpt");
    write_checkpoint(elsewhere, info, {{0, 4}});  // another run's work, say
    const std::string before = contents(elsewhere);
    fs::create_symlink(elsewhere, file);
    EXPECT_NE(refusal(file, info).find("symbolic link"), std::string::npos);
    EXPECT_THROW(Checkpoint::start(file, info, false), RuntimeError);
    EXPECT_EQ(contents(elsewhere), before);
    {
        Checkpoint replaced = Checkpoint::start(file, info, true);
        replaced.append(synthetic_block(info, 0, 4));
    }
    EXPECT_EQ(contents(elsewhere), before) << "the link's target was written";
    EXPECT_FALSE(fs::is_symlink(file));
    EXPECT_EQ(Checkpoint::resume(file, info)->saved_replicates(), 4);
}

TEST_F(CheckpointFile, OneRunAtATime) {
    const RunInfo info = small_info(12);
    const std::string file = path("run.ckpt");
    Checkpoint first = Checkpoint::start(file, info, false);
    first.append(synthetic_block(info, 0, 4));
    try {
        Checkpoint::resume(file, info);
        ADD_FAILURE() << "a second user of the checkpoint was let in";
    } catch (const RuntimeError& e) {
        EXPECT_NE(std::string(e.what()).find("another ehcpsim run"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Checkpoint::start(file, info, true), RuntimeError);
    first.remove();
    EXPECT_FALSE(fs::exists(file));
}

TEST_F(CheckpointFile, BlocksThatDoNotFitAreRefused) {
    const RunInfo info = small_info(12);
    Checkpoint checkpoint = Checkpoint::start(path("run.ckpt"), info, false);
    checkpoint.append(synthetic_block(info, 0, 4));
    EXPECT_THROW(checkpoint.append(synthetic_block(info, 2, 4)), std::invalid_argument);  // overlaps
    RunInfo fewer = info;
    fewer.parameter_names[0].pop_back();
    EXPECT_THROW(checkpoint.append(synthetic_block(fewer, 4, 4)), std::invalid_argument);  // wrong layout
    EXPECT_EQ(checkpoint.saved_replicates(), 4);
}

}  // namespace
}  // namespace ehcpsim
