// `ehcpsim serve` (serve.h): the HTTP routes over the editable scenario
// (serve_edits.h) and the background runs (serve_runs.h). Every route is
// named here; nothing is served from the file system, so any other path is
// a 404 whatever dots or escapes it holds.
#include "ehcpsim/serve.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "ehcpsim/app.h"
#include "ehcpsim/child_process.h"
#include "ehcpsim/error.h"
#include "ehcpsim/serve_edits.h"
#include "ehcpsim/serve_runs.h"
#include "ehcpsim/summary.h"

namespace ehcpsim {

using Json = nlohmann::ordered_json;

namespace {

void send_json(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& field = "") {
    Json body{{"error", message}};
    if (!field.empty()) body["field"] = field;
    send_json(res, status, body);
}

// The request body as JSON: a 400 (and nullopt) when it is not.
std::optional<Json> json_body(const httplib::Request& req, httplib::Response& res) {
    try {
        Json body = Json::parse(req.body);
        if (!body.is_object()) {
            send_error(res, 400, "the request body must be a JSON object");
            return std::nullopt;
        }
        return body;
    } catch (const Json::parse_error& e) {
        send_error(res, 400, std::string("the request body is not valid JSON: ") + e.what());
        return std::nullopt;
    }
}

Json problems_json(const ScenarioError& e, const std::string& field) {
    Json located = Json::array();
    for (const Diagnostic& d : e.problems())
        located.push_back({{"file", d.where.file},
                           {"key", d.where.key},
                           {"line", d.where.line},
                           {"column", d.where.column},
                           {"message", d.message}});
    Json body{{"error", "invalid scenario: the change was not made"},
              {"field", field},
              {"problems", problem_lines(e)},
              {"located", located}};
    return body;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::filesystem::path make_work_dir() {
    std::random_device random;
    for (int attempt = 0; attempt < 20; ++attempt) {
        const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                          ("ehcpsim-serve-" + std::to_string(getpid()) + "-" +
                                           std::to_string(random() % 1000000));
        std::error_code ec;
        if (std::filesystem::create_directory(dir, ec)) return dir;
    }
    throw RuntimeError("cannot create a work directory under " + std::filesystem::temp_directory_path().string());
}

// The server's own files (runs, downloads, the report), removed with it, also
// when the server fails to start after making it.
struct WorkDir {
    std::filesystem::path path = make_work_dir();
    WorkDir() = default;
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;
    ~WorkDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

}  // namespace

struct Server::Impl {
    ServeRequest request;
    WorkDir work;
    const std::filesystem::path& work_dir = work.path;
    std::mutex scenario_mutex;  // the scenario and the settings
    std::mutex report_mutex;    // the report download's files
    std::atomic<std::int64_t> downloads{0};
    EditableScenario scenario;
    RunSettings settings;
    std::unique_ptr<RunManager> runs = std::make_unique<RunManager>(work_dir);
    httplib::Server http;
    std::thread thread;
    int port = 0;

    explicit Impl(const ServeRequest& r) : request(r), scenario(EditableScenario::open(r.scenario)) {
        const ScenarioSet set = scenario.load();
        settings.seed = r.seed.value_or(set.default_seed);
        settings.replicates = r.replicates > 0 ? r.replicates : set.default_replicates;
        settings.threads = r.threads;
        routes();
        port = r.port == 0 ? http.bind_to_any_port(r.host) : (http.bind_to_port(r.host, r.port) ? r.port : -1);
        if (port <= 0)
            throw RuntimeError("cannot listen on " + r.host + (r.port ? ":" + std::to_string(r.port) : "") +
                               " (is the port in use, or the address not one of this machine's?)");
        if (r.run_at_start) runs->start(set, settings);
    }

    ~Impl() {
        http.stop();
        runs.reset();  // the run in flight cancelled and its files gone before the directory goes
    }

    bool loopback() const {
        return request.host == "127.0.0.1" || request.host == "localhost" || request.host == "::1";
    }

    Json settings_json() const {
        return {{"seed", settings.seed},
                {"replicates", settings.replicates},
                {"threads", settings.threads},
                {"lever_worth", settings.lever_worth}};
    }

    Json scenario_json() {
        Json out = scenario.describe();
        out["settings"] = settings_json();
        return out;
    }

    // A change made: a run of the new scenario, and what the page redraws from.
    void changed(httplib::Response& res) {
        const std::int64_t run = runs->start(scenario.load(), settings);
        send_json(res, 200, {{"run", run}, {"scenario", scenario_json()}});
    }

    // The report of the last results: `ehcpsim report` in a child process.
    void report(httplib::Response& res) {
        std::lock_guard one_at_a_time(report_mutex);  // one report directory
        const std::filesystem::path input = work_dir / "report-input.h5";
        if (!runs->copy_results(input)) return send_error(res, 404, "no results yet: wait for a run to finish");
        const std::filesystem::path out_dir = work_dir / "report", log = work_dir / "report.log";
        std::string binary = request.ehcpsim_binary;
        if (binary.empty()) {
            std::error_code ec;
            binary = std::filesystem::read_symlink("/proc/self/exe", ec).string();
        }
        if (!run_logged(binary, {binary, "report", input.string(), "-o", out_dir.string(), "--overwrite"}, log.string())
                 .ok())
            return send_error(res, 500, "the report failed: " + read_file(log));
        res.set_header("Content-Disposition", "attachment; filename=\"report.html\"");
        res.set_content(read_file(out_dir / "index.html"), "text/html; charset=utf-8");
    }

    // The workbook of the last results: `summary --xlsx` in process, on a
    // copy of its own (two downloads at once share no file).
    void workbook(httplib::Response& res) {
        const std::string stem = "workbook-" + std::to_string(++downloads);
        const std::filesystem::path input = work_dir / (stem + ".h5"), book = work_dir / (stem + ".xlsx");
        if (!runs->copy_results(input)) return send_error(res, 404, "no results yet: wait for a run to finish");
        std::ostringstream quiet;
        SummaryRequest summary;
        summary.file = input.string();
        summary.xlsx = book.string();
        try {
            summary_command(summary, Console{quiet, quiet});
        } catch (const std::exception& e) {
            std::error_code ignored;
            std::filesystem::remove(input, ignored);
            return send_error(res, 500, std::string("the workbook failed: ") + e.what());
        }
        res.set_header("Content-Disposition", "attachment; filename=\"workbook.xlsx\"");
        res.set_content(read_file(book), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        std::error_code ignored;
        std::filesystem::remove(input, ignored);
        std::filesystem::remove(book, ignored);
    }

    void routes() {
        http.set_payload_max_length(std::size_t{16} << 20);
        http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr failure) {
            std::string what = "internal error";
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            send_error(res, 500, what);
        });
        // A page of another site open in the same browser can send requests
        // here: a POST must say it is JSON (which a foreign page cannot send
        // without the browser asking first, and this server never says yes),
        // and on the loopback the Host must be the loopback (no DNS rebinding).
        http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
            if (loopback()) {
                std::string host = req.get_header_value("Host");
                host = host.substr(0, host.rfind(':') == std::string::npos || host.back() == ']' ? host.size()
                                                                                                 : host.rfind(':'));
                if (host != "127.0.0.1" && host != "localhost" && host != "[::1]") {
                    send_error(res, 403, "refused: the Host header must be 127.0.0.1 or localhost");
                    return httplib::Server::HandlerResponse::Handled;
                }
            }
            if (req.method == "POST" && req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
                send_error(res, 415, "a POST body is JSON: send the header Content-Type: application/json");
                return httplib::Server::HandlerResponse::Handled;
            }
            return httplib::Server::HandlerResponse::Unhandled;
        });
        http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
            if (res.body.empty() && res.status == 404)
                send_error(res, 404, "not found: " + req.path + " (the server has only its page and /api/...)");
        });
        http.Get("/", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(serve_page_html(), "text/html; charset=utf-8");
        });
        http.Get("/chart.min.js", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(serve_chart_js(), "application/javascript");
        });
        http.Get("/api/scenario", [this](const httplib::Request&, httplib::Response& res) {
            std::lock_guard lock(scenario_mutex);
            send_json(res, 200, scenario_json());
        });
        http.Get("/api/scenario.toml", [this](const httplib::Request&, httplib::Response& res) {
            std::lock_guard lock(scenario_mutex);
            const std::string stem = std::filesystem::path(scenario.display_path()).stem().string();
            res.set_header("Content-Disposition", "attachment; filename=\"" + stem + "_edited.toml\"");
            res.set_content(scenario.text(), "application/toml");
        });
        http.Post("/api/edit", [this](const httplib::Request& req, httplib::Response& res) {
            const std::optional<Json> body = json_body(req, res);
            if (!body) return;
            std::vector<std::pair<std::string, Json>> edits;
            const auto add = [&](const Json& e) {
                if (!e.is_object() || !e.contains("path") || !e["path"].is_string() || !e.contains("value"))
                    throw EditError("", "an edit is {\"path\": \"KEY\", \"value\": VALUE}");
                edits.emplace_back(e["path"].get<std::string>(), e["value"]);
            };
            std::string field;
            std::lock_guard lock(scenario_mutex);
            const EditableScenario before = scenario;
            try {
                if (body->contains("edits") && (*body)["edits"].is_array())
                    for (const Json& e : (*body)["edits"]) add(e);
                else
                    add(*body);
                for (const auto& [path, value] : edits) {
                    field = path;
                    scenario.apply(path, value);
                }
            } catch (const ScenarioError& e) {
                scenario = before;
                return send_json(res, 422, problems_json(e, field));
            } catch (const EditError& e) {
                scenario = before;
                return send_error(res, 400, e.what(), e.field().empty() ? field : e.field());
            }
            changed(res);
        });
        http.Post("/api/scenario", [this](const httplib::Request& req, httplib::Response& res) {
            const std::optional<Json> body = json_body(req, res);
            if (!body) return;
            std::lock_guard lock(scenario_mutex);
            try {
                if (body->contains("toml") && (*body)["toml"].is_string()) {
                    scenario.replace_text((*body)["toml"].get<std::string>());
                } else if (body->contains("path") && (*body)["path"].is_string()) {
                    EditableScenario loaded = EditableScenario::open((*body)["path"].get<std::string>());
                    const ScenarioSet set = loaded.load();
                    scenario = std::move(loaded);
                    if (!request.seed) settings.seed = set.default_seed;
                    if (request.replicates <= 0) settings.replicates = set.default_replicates;
                } else {
                    return send_error(res, 400, "give {\"toml\": TEXT} (a scenario's text) or {\"path\": FILE} "
                                                "(a scenario file on the server's machine)");
                }
            } catch (const ScenarioError& e) {
                return send_json(res, 422, problems_json(e, ""));
            } catch (const RuntimeError& e) {
                return send_error(res, 400, e.what(), "path");
            }
            changed(res);
        });
        http.Post("/api/reset", [this](const httplib::Request&, httplib::Response& res) {
            std::lock_guard lock(scenario_mutex);
            scenario.reset();
            changed(res);
        });
        http.Post("/api/run", [this](const httplib::Request& req, httplib::Response& res) {
            const std::optional<Json> body = req.body.empty() ? std::optional<Json>(Json::object()) : json_body(req, res);
            if (!body) return;
            std::lock_guard lock(scenario_mutex);
            if (body->contains("replicates")) {
                const Json& n = (*body)["replicates"];
                if (!n.is_number_integer() || n.get<std::int64_t>() < 1 || n.get<std::int64_t>() > 1000000)
                    return send_error(res, 400, "replicates is a whole number from 1 to 1000000", "replicates");
                settings.replicates = n.get<std::int64_t>();
            }
            if (body->contains("seed")) {
                const Json& s = (*body)["seed"];
                if (!s.is_number_unsigned()) return send_error(res, 400, "seed is a whole number >= 0", "seed");
                settings.seed = s.get<std::uint64_t>();
            }
            if (body->contains("lever_worth")) {
                const Json& w = (*body)["lever_worth"];
                if (!w.is_boolean()) return send_error(res, 400, "lever_worth is true or false", "lever_worth");
                settings.lever_worth = w.get<bool>();
            }
            changed(res);
        });
        http.Get("/api/status", [this](const httplib::Request& req, httplib::Response& res) {
            if (req.has_param("wait")) runs->wait(std::chrono::seconds(60));
            send_json(res, 200, runs->status());
        });
        http.Get("/api/results", [this](const httplib::Request& req, httplib::Response& res) {
            double x = 0.0;
            if (req.has_param("x")) {
                const std::optional<double> parsed = parse_amount(req.get_param_value("x"));
                if (!parsed) return send_error(res, 400, "x is an amount in pounds such as 30m, 500k or 2500000", "x");
                x = *parsed;
            }
            if (req.has_param("wait")) runs->wait(std::chrono::seconds(60));
            const std::optional<Json> results = runs->results(x);
            if (!results) return send_error(res, 404, "no results yet: wait for a run to finish");
            send_json(res, 200, *results);
        });
        http.Get("/api/download/results.h5", [this](const httplib::Request&, httplib::Response& res) {
            // A copy of its own per request: two downloads at once do not share a file.
            const std::filesystem::path copy = work_dir / ("download-" + std::to_string(++downloads) + ".h5");
            if (!runs->copy_results(copy)) return send_error(res, 404, "no results yet: wait for a run to finish");
            res.set_header("Content-Disposition", "attachment; filename=\"results.h5\"");
            res.set_content(read_file(copy), "application/x-hdf5");
            std::error_code ignored;
            std::filesystem::remove(copy, ignored);
        });
        http.Get("/api/download/report.html", [this](const httplib::Request&, httplib::Response& res) { report(res); });
        http.Get("/api/download/workbook.xlsx", [this](const httplib::Request&, httplib::Response& res) { workbook(res); });
    }
};

Server::Server(const ServeRequest& request) : impl_(std::make_unique<Impl>(request)) {}

Server::~Server() { stop(); }

int Server::port() const { return impl_->port; }

std::string Server::url() const {
    const std::string& host = impl_->request.host;
    const bool v6 = host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(impl_->port) + "/";
}

void Server::start() {
    auto listening_ended = std::make_shared<std::atomic<bool>>(false);
    impl_->thread = std::thread([this, listening_ended] {
        impl_->http.listen_after_bind();
        listening_ended->store(true);
    });
    // Return only once it listens: cpp-httplib's stop() before then does
    // nothing, and the listening thread would never end (a stop right after
    // start, as a test or an early Ctrl-C does, then hung in join()).
    while (!impl_->http.is_running() && !listening_ended->load())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void Server::stop() {
    if (!impl_) return;
    impl_->http.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

int serve_command(const ServeRequest& request, const Console& console) {
    Server server(request);
    server.start();
    if (request.host != "127.0.0.1" && request.host != "localhost")
        console.err << "warning: serving on " << request.host
                    << ", not only this machine: anyone who can reach it can edit and run the scenario\n";
    console.out << "ehcpsim serve: " << server.url() << std::endl;
    console.err << "serving " << (request.scenario.empty() ? "the embedded default scenario" : request.scenario)
                << "; open the address above in a browser; Ctrl-C stops the server" << std::endl;
    while (!(console.cancel && console.cancel->load())) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
    console.err << "ehcpsim serve: stopped\n";
    return exit_ok;
}

}  // namespace ehcpsim
