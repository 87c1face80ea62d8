// `ehcpsim serve` in process: the server on a free loopback port, spoken to
// with cpp-httplib's client. The small test scenario and 100 replicates keep
// each test well under a second.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "app_test_support.h"
#include "ehcpsim/output.h"
#include "ehcpsim/serve.h"
#include "ehcpsim/serve_runs.h"
#include "ehcpsim/summary.h"
#include "test_support.h"

namespace ehcpsim::testing {
namespace {

using Json = nlohmann::json;

ServeRequest small_serve(bool run_at_start = true) {
    ServeRequest request;
    request.scenario = small_scenario();
    request.replicates = 100;
    request.threads = 2;
    request.run_at_start = run_at_start;
    request.ehcpsim_binary = EHCPSIM_BINARY;
    return request;
}

struct Running {
    Server server;
    httplib::Client client;
    explicit Running(const ServeRequest& request) : server(request), client("127.0.0.1", server.port()) {
        server.start();
        client.set_url_encode(false);  // the paths go out exactly as written
        client.set_read_timeout(std::chrono::seconds(60));
    }
    httplib::Result post(const std::string& path, const std::string& body) {
        return client.Post(path.c_str(), body, "application/json");
    }
};

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(Serve, BindsTheLoopbackOnAFreePortByDefault) {
    const ServeRequest request = small_serve(false);
    EXPECT_EQ(request.host, "127.0.0.1");
    EXPECT_EQ(request.port, 0);
    Running s(request);
    EXPECT_GT(s.server.port(), 0);
    EXPECT_EQ(s.server.url(), "http://127.0.0.1:" + std::to_string(s.server.port()) + "/");
    const auto page = s.client.Get("/");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_NE(page->body.find("<script src=\"/chart.min.js\">"), std::string::npos);
    const auto chart = s.client.Get("/chart.min.js");
    ASSERT_TRUE(chart);
    EXPECT_NE(chart->body.find("Chart.js"), std::string::npos);  // the library itself, served offline
}

// The server's work directories of this process (its runs' files).
std::size_t own_work_dirs() {
    const std::string prefix = "ehcpsim-serve-" + std::to_string(::getpid()) + "-";
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
        if (entry.path().filename().string().rfind(prefix, 0) == 0) ++n;
    return n;
}

TEST(Serve, AFailedStartLeavesNoWorkDirectory) {
    const std::size_t before = own_work_dirs();
    ServeRequest request = small_serve(false);
    request.scenario = "no_such_scenario.toml";
    EXPECT_THROW(Server{request}, ScenarioError);
    EXPECT_EQ(own_work_dirs(), before);
    {
        Running s(small_serve(true));
        EXPECT_EQ(own_work_dirs(), before + 1);
    }
    EXPECT_EQ(own_work_dirs(), before);  // removed with the server
}

TEST(Serve, RefusesPathsOutsideItsOwnFiles) {
    Running s(small_serve(false));
    for (const std::string path : {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                                   "/%2E%2E/%2E%2E/etc/passwd", "/etc/passwd", "/api/../../etc/passwd",
                                   "/api/download/..%2f..%2fetc%2fpasswd", "/index.html/../../../etc/passwd"}) {
        const auto res = s.client.Get(path.c_str());
        ASSERT_TRUE(res) << path;
        EXPECT_TRUE(res->status == 404 || res->status == 403 || res->status == 400) << path << ": " << res->status;
        EXPECT_EQ(res->body.find("root:"), std::string::npos) << path;
    }
}

TEST(Serve, RefusesAForeignHostAndAPostThatIsNotJson) {
    Running s(small_serve(false));
    // DNS rebinding: a page of evil.example whose name now points here.
    const auto rebound = s.client.Get("/api/scenario", {{"Host", "evil.example:" + std::to_string(s.server.port())}});
    ASSERT_TRUE(rebound);
    EXPECT_EQ(rebound->status, 403);
    const auto own = s.client.Get("/api/scenario", {{"Host", "localhost:" + std::to_string(s.server.port())}});
    ASSERT_TRUE(own);
    EXPECT_EQ(own->status, 200);
    // A form another site's page could post without asking: not JSON, refused.
    const std::string text = s.client.Get("/api/scenario.toml")->body;
    const auto form = s.client.Post("/api/edit", R"({"path": "mitigations.early_help.target", "value": 0.2})",
                                    "text/plain");
    ASSERT_TRUE(form);
    EXPECT_EQ(form->status, 415);
    EXPECT_EQ(s.client.Get("/api/scenario.toml")->body, text);
}

TEST(Serve, AnswersAMalformedBodyWith400AndGoesOn) {
    Running s(small_serve(false));
    const std::vector<std::string> bodies = {"{", "", "[1, 2]", "nul", "{\"path\": 3, \"value\": 1}",
                                             "{\"edits\": [7]}", "{\"path\": \"demand.growth\"}",
                                             "{\"path\":\"\xff\xfe\"}"};
    for (const std::string& body : bodies) {
        const auto res = s.post("/api/edit", body);
        ASSERT_TRUE(res) << body;
        EXPECT_EQ(res->status, 400) << body;
        const Json answer = Json::parse(res->body);
        EXPECT_FALSE(answer.at("error").get<std::string>().empty()) << body;
    }
    for (const std::string route : {"/api/scenario", "/api/run"}) {
        const auto res = s.post(route, "{not json");
        ASSERT_TRUE(res) << route;
        EXPECT_EQ(res->status, 400) << route;
    }
    const auto bad_x = s.client.Get("/api/results?x=lots");
    ASSERT_TRUE(bad_x);
    EXPECT_EQ(bad_x->status, 400);
    const auto status = s.client.Get("/api/status");  // still serving
    ASSERT_TRUE(status);
    EXPECT_EQ(status->status, 200);
}

TEST(Serve, ABadEditGetsTheLocatedMessageOfValidateAndChangesNothing) {
    Running s(small_serve(false));
    const std::string before = s.client.Get("/api/scenario.toml")->body;
    const auto res = s.post("/api/edit", R"({"path": "mitigations.early_help.target", "value": 1.7})");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 422);
    const Json answer = Json::parse(res->body);
    EXPECT_EQ(answer.at("field"), "mitigations.early_help.target");
    const std::string problem = answer.at("problems").at(0).get<std::string>();
    // validate's own line: file:line:column: key: message.
    EXPECT_NE(problem.find("small.toml:"), std::string::npos) << problem;
    EXPECT_NE(problem.find("mitigations.early_help.target: must be a probability"), std::string::npos) << problem;
    EXPECT_EQ(s.client.Get("/api/scenario.toml")->body, before);
    const auto unknown = s.post("/api/edit", R"({"path": "mitigations.nobody.target", "value": 0.1})");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 400);
    EXPECT_EQ(Json::parse(unknown->body).at("field"), "mitigations.nobody.target");
}

TEST(Serve, AnEditChangesOnlyItsKeyAndTheRunMatchesADirectRunOfTheSavedScenario) {
    Running s(small_serve(true));
    const std::string original = read_all(small_scenario());
    const auto res = s.post("/api/edit", R"({"path": "mitigations.early_help.target", "value": 0.12})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const std::string edited = s.client.Get("/api/scenario.toml")->body;
    std::string expected = original;
    const std::string old_line = "target = 0.05\n";
    expected.replace(expected.find(old_line), old_line.size(), "target = 0.12\n");
    EXPECT_EQ(edited, expected);  // the rest of the text, comments included, as it was
    const auto results = s.client.Get("/api/results?wait=1&x=1m");
    ASSERT_TRUE(results);
    ASSERT_EQ(results->status, 200) << results->body;
    const Json page = Json::parse(results->body);
    EXPECT_EQ(page.at("run"), Json::parse(res->body).at("run"));

    // The saved text run directly: same seed (the scenario's), same -n.
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      ("ehcpsim-serve-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (const char* table : {"stock.csv", "population.csv"})
        std::filesystem::copy_file(std::filesystem::path(small_scenario()).parent_path() / table, dir / table,
                                   std::filesystem::copy_options::overwrite_existing);
    std::ofstream(dir / "small.toml") << edited;
    RunRequest direct;
    direct.scenario = (dir / "small.toml").string();
    direct.replicates = 100;
    direct.output = (dir / "direct.h5").string();
    direct.overwrite = true;
    direct.quiet = true;
    direct.no_checkpoint = true;
    ASSERT_EQ(run_request(direct).code, 0);
    SummaryViews views = SummaryViews::none();
    views.dbv = true;
    const Summary summary = summarise(ResultReader(direct.output), SummaryOptions({1e6}, views));
    std::filesystem::remove_all(dir);
    std::size_t compared = 0;
    for (const DbvBound& bound : summary.dbv.bounds)
        for (const Opportunity& o : bound.opportunities)
            for (const Json& row : page.at("dbv").at("opportunities"))
                if (row.at("variant") == o.variant && !row.at("range").get<bool>()) {
                    EXPECT_EQ(row.at("mean").get<double>(), o.statistics.mean) << o.variant;
                    EXPECT_EQ(row.at("p50").get<double>(), o.statistics.p50) << o.variant;
                    EXPECT_EQ(row.at("p95").get<double>(), o.statistics.p95) << o.variant;
                    ++compared;
                }
    EXPECT_EQ(compared, 2u);  // target and stretch
    for (std::size_t v = 0; v < summary.exceedance.probability.size(); ++v)
        EXPECT_EQ(page.at("exceedance").at("probability").at(summary.info.variants[v]).get<double>(),
                  summary.exceedance.probability[v][0]);
}

TEST(Serve, SwitchingAMitigationOffCommentsItOutAndOnRestoresTheText) {
    Running s(small_serve(false));
    const std::string original = s.client.Get("/api/scenario.toml")->body;
    const auto off = s.post("/api/edit", R"({"path": "mitigations.early_help.enabled", "value": false})");
    ASSERT_TRUE(off);
    ASSERT_EQ(off->status, 200) << off->body;
    const std::string text = s.client.Get("/api/scenario.toml")->body;
    EXPECT_NE(text.find("#off# [[mitigations]]\n#off# name = \"early_help\""), std::string::npos);
    bool listed_off = false;
    const auto answer = nlohmann::ordered_json::parse(off->body);
    for (const auto& m : answer.at("scenario").at("mitigations"))
        if (m.at("name") == "early_help") {
            listed_off = !m.at("enabled").get<bool>();
            // Its fields as written, in the order written (the page sends them back in this order).
            EXPECT_EQ(m.at("fields").at("stretch").dump(), R"({"dist":"uniform","min":0.06,"max":0.1})");
        }
    EXPECT_TRUE(listed_off) << off->body.substr(0, 3000);
    const auto edit_off = s.post("/api/edit", R"({"path": "mitigations.early_help.ramp", "value": 1})");
    ASSERT_TRUE(edit_off);
    EXPECT_EQ(edit_off->status, 400);  // switched off: not editable
    const auto on = s.post("/api/edit", R"({"path": "mitigations.early_help.enabled", "value": true})");
    ASSERT_TRUE(on);
    ASSERT_EQ(on->status, 200) << on->body;
    EXPECT_EQ(s.client.Get("/api/scenario.toml")->body, original);
}

TEST(Serve, AddsAKeyTheScenarioLeavesOutToItsTable) {
    Running s(small_serve(false));
    std::string expected = s.client.Get("/api/scenario.toml")->body;
    auto res = s.post("/api/edit", R"({"path": "mitigations.resourced_not_special.stretch", "value": 0.2})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const std::string block = "[[mitigations]]\nname = \"resourced_not_special\"";
    expected.replace(expected.find(block), block.size(),
                     "[[mitigations]]\nstretch = 0.2\nname = \"resourced_not_special\"");  // after the header
    res = s.post("/api/edit", R"({"path": "capacity.special.places.2028", "value": 90})");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const std::string places = "places = { 2024 = 80, 2026 = 84 }";
    expected.replace(expected.find(places), places.size(), "places = { 2024 = 80, 2026 = 84, 2028 = 90 }");
    EXPECT_EQ(s.client.Get("/api/scenario.toml")->body, expected);
}

// The downloads need finished results (404 before); then the workbook is the
// summary's own (summary --xlsx of the run's file): an .xlsx, a zip archive.
TEST(Serve, DownloadsNeedResultsAndTheWorkbookIsTheSummarys) {
    Running s(small_serve(false));
    for (const char* path : {"/api/download/results.h5", "/api/download/workbook.xlsx"}) {
        const auto none = s.client.Get(path);  // no run has finished
        ASSERT_TRUE(none);
        EXPECT_EQ(none->status, 404) << path;
    }
    ASSERT_EQ(s.post("/api/run", "{}")->status, 200);
    ASSERT_EQ(s.client.Get("/api/results?wait=1")->status, 200);
    const auto book = s.client.Get("/api/download/workbook.xlsx");
    ASSERT_TRUE(book);
    ASSERT_EQ(book->status, 200) << book->body;
    EXPECT_EQ(book->body.substr(0, 4), std::string("PK\x03\x04", 4));
    EXPECT_NE(book->body.find("xl/worksheets/sheet1.xml"), std::string::npos);
    EXPECT_NE(book->get_header_value("Content-Disposition").find("workbook.xlsx"), std::string::npos);
}

// Each lever's worth on request: the results carry it, and per variant the
// mean shares add up to the mean of the levers' opportunity (the small
// scenario's mitigated variants differ from their comparison in their
// levers only, so that is the variant's opportunity); a non-boolean is a 400.
TEST(Serve, EachLeversWorthOnRequestAndItsSharesAddUp) {
    Running s(small_serve(false));
    const auto bad = s.post("/api/run", R"({"lever_worth": "yes"})");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    ASSERT_EQ(s.post("/api/run", R"({"lever_worth": true})")->status, 200);
    const auto got = s.client.Get("/api/results?wait=1");
    ASSERT_TRUE(got);
    ASSERT_EQ(got->status, 200) << got->body;
    const Json worth = Json::parse(got->body).at("lever_worth");
    ASSERT_EQ(worth.size(), 2u) << worth.dump();  // target and stretch
    for (const Json& v : worth) {
        double shares = 0.0;
        for (const Json& lever : v.at("levers")) shares += lever.at("share").at("mean").get<double>();
        const double opportunity = v.at("opportunity").at("mean").get<double>();
        // Means of per-replicate sums that are exact to rounding (summary_levers.h): a penny is generous.
        EXPECT_NEAR(shares, opportunity, 0.01) << v.dump();
        EXPECT_EQ(v.at("levers").size(), 2u) << v.dump();
    }
    ASSERT_EQ(s.post("/api/run", R"({"lever_worth": false})")->status, 200);
    const auto without = s.client.Get("/api/results?wait=1");
    ASSERT_TRUE(without);
    EXPECT_TRUE(Json::parse(without->body).at("lever_worth").empty());
}

TEST(Serve, ANewRunCancelsTheRunInFlight) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      ("ehcpsim-serve-runs-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        RunManager runs(dir);
        const ScenarioSet set = load_scenario(small_scenario());
        // Long enough (minutes) that only the stop flag ends it within the test.
        runs.start(set, {5, 500000, 2, 16});
        while (runs.status().at("done").get<std::int64_t>() == 0 && runs.status().at("state") == "running")
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        runs.start(set, {5, 50, 2, 0});
        ASSERT_TRUE(runs.wait(std::chrono::seconds(60)));
        const auto status = runs.status();
        EXPECT_EQ(status.at("state"), "done");
        EXPECT_EQ(status.at("run"), 2);
        EXPECT_EQ(status.at("cancelled_runs"), 1);
        EXPECT_TRUE(runs.results(0.0).has_value());
    }
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 0);  // no file left behind
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ehcpsim::testing
