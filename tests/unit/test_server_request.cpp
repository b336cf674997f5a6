#include <doctest/doctest.h>

#include "core/error.hpp"
#include "server/body.hpp"
#include "server/run_request.hpp"

using namespace orch;
using namespace orch::server;

namespace {

std::string refusal(const std::string& body, bool strict = true) {
  try {
    parse_run_request(parse_body(body), strict);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadInput);
    return e.what();
  }
  FAIL("accepted " << body);
  return "";
}

}  // namespace

TEST_CASE("parse_body: only a JSON object, not too deep, no NUL") {
  CHECK(parse_body(R"({"a":[1,{"b":2}]})")["a"][1]["b"] == 2);
  CHECK_THROWS_WITH_AS(parse_body(""), "the request body is empty; send a JSON object", Error);
  CHECK_THROWS_WITH_AS(parse_body("[1]"), "the body must be a JSON object", Error);
  CHECK_THROWS_WITH_AS(parse_body(std::string("{\"a\":\"x\0\"}", 10)), "the body is not valid JSON: it holds a NUL byte", Error);
  try {
    parse_body("{\"a\":");
    FAIL("accepted a cut body");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).rfind("the body is not valid JSON: parse error", 0) == 0);
  }
  std::string deep = "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}";
  CHECK_THROWS_WITH_AS(parse_body(deep), "the JSON body is nested deeper than 32 levels", Error);
  // Brackets inside strings are text, not nesting.
  CHECK(parse_body("{\"a\":\"" + std::string(100, '[') + "\"}")["a"].get<std::string>().size() == 100);
}

TEST_CASE("parse_body: a bounded number of values, and numbers a double holds") {
  std::string many = "{\"a\":[0";
  for (size_t i = 1; i < orch::server::kMaxBodyValues - 2; ++i) many += ",0";
  CHECK(parse_body(many + "]}")["a"].size() == orch::server::kMaxBodyValues - 2);
  CHECK_THROWS_WITH_AS(parse_body(many + ",0,0]}"), "the JSON body holds more than 100000 values", Error);
  // Commas inside strings are text.
  CHECK(parse_body("{\"a\":\"" + std::string(200000, ',') + "\"}")["a"].get<std::string>().size() == 200000);
  CHECK_THROWS_WITH_AS(parse_body(R"({"timeout":1e400})"), "the body is not valid JSON: number overflow parsing '1e400'", Error);
}

TEST_CASE("typed fields: a wrong type names the field and the type wanted") {
  auto b = parse_body(R"({"s":"x","n":1.5,"i":3,"f":2.0,"t":true,"l":["a"],"m":"256m","z":null})");
  CHECK(opt_string(b, "s") == "x");
  CHECK(opt_number(b, "n") == 1.5);
  CHECK(opt_int(b, "i") == 3);
  CHECK(opt_int(b, "f") == 2);
  CHECK(opt_bool(b, "t") == true);
  CHECK(opt_string_list(b, "l") == std::vector<std::string>{"a"});
  CHECK(opt_bytes(b, "m") == (256 << 20));
  CHECK(opt_bytes(b, "i") == 3);
  CHECK_FALSE(opt_string(b, "z"));
  CHECK_FALSE(opt_number(b, "absent"));
  CHECK_THROWS_WITH_AS(opt_string(b, "n"), "field 'n' must be a string", Error);
  CHECK_THROWS_WITH_AS(opt_int(b, "n"), "field 'n' must be an integer", Error);
  CHECK_THROWS_WITH_AS(opt_number(b, "s"), "field 's' must be a number", Error);
  CHECK_THROWS_WITH_AS(opt_bool(b, "i"), "field 'i' must be true or false", Error);
  CHECK_THROWS_WITH_AS(opt_string_list(b, "s"), "field 's' must be an array of strings", Error);
  CHECK_THROWS_WITH_AS(opt_int(parse_body(R"({"i":1e30})"), "i"), "field 'i' must be an integer in range", Error);
  CHECK_THROWS_AS(opt_bytes(b, "s"), Error);
}

TEST_CASE("parse_run_request: the fields of POST /v1/run") {
  auto o = parse_run_request(parse_body(R"J({"language":"python","code":"print(1)","stdin":"in","args":["a","b"],
      "env":{"K":"v"},"timeout":2.5,"memory":"128m","cpus":0.5,"pids":64,"network":"none","out":true,"output_limit":"1k",
      "files":[{"name":"d.bin","content":"AAE=","encoding":"base64"},{"path":"h.txt","content":"6869","encoding":"hex"}]})J"));
  CHECK(o.language == "python");
  CHECK(o.code == "print(1)");
  CHECK(o.stdin_data == "in");
  CHECK(o.args == std::vector<std::string>{"a", "b"});
  CHECK(o.env == std::vector<std::string>{"K=v"});
  CHECK(o.timeout_s == 2.5);
  CHECK(o.memory_bytes == (128 << 20));
  CHECK(o.cpus == 0.5);
  CHECK(o.pids == 64);
  CHECK(o.network == "none");
  CHECK(o.collect_out);
  CHECK(o.output_cap == 1024);
  REQUIRE(o.files.size() == 2);
  CHECK(o.files[0].path == "d.bin");
  CHECK(o.files[0].data == std::string("\0\1", 2));
  CHECK(o.files[1].path == "h.txt");
  CHECK(o.files[1].data == "hi");
}

TEST_CASE("parse_run_request: without code the first file is the program, as Piston sends it") {
  auto o = parse_run_request(parse_body(R"J({"files":{"main.py":"print(2)","lib.py":"x=1"}})J"));
  CHECK(o.code_name == "lib.py");  // an object's keys come sorted
  CHECK(o.code == "x=1");
  REQUIRE(o.files.size() == 1);
  CHECK(o.files[0].path == "main.py");
  CHECK(refusal("{}") == "field 'code' is required (or give files, the first being the program)");
}

TEST_CASE("parse_run_request: what it refuses, by name") {
  CHECK(refusal(R"({"code":"x","image":"alpine"})") == "field 'image' is not accepted (see /openapi.json)");
  CHECK_NOTHROW(parse_run_request(parse_body(R"({"code":"x","image":"alpine"})"), false));
  CHECK(refusal(R"({"code":"x","env":["A=1"]})") == "field 'env' must be an object {NAME: value}");
  CHECK(refusal(R"({"code":"x","env":{"A":1}})") == "field 'env.A' must be a string");
  CHECK(refusal(R"({"code":"x","files":"f"})") == "field 'files' must be an array of {name, content} or an object {name: content}");
  CHECK(refusal(R"({"code":"x","files":[{"name":"a"}]})") == "field 'files[0].content' is required (a string)");
  CHECK(refusal(R"({"code":"x","files":[{"name":"a","content":"zz","encoding":"hex"}]})") == "file 'a': content is not valid hex");
  CHECK(refusal(R"({"code":"x","files":[{"name":"a","content":"abc","encoding":"hex"}]})") == "file 'a': hex content has an odd length");
  CHECK(refusal(R"({"code":"x","files":[{"name":"a","content":"!","encoding":"base64"}]})") == "file 'a': content is not valid base64");
  CHECK(refusal(R"({"code":"x","files":[{"name":"a","content":"","encoding":"rot13"}]})") ==
        "file 'a': encoding must be utf8, base64 or hex");
  CHECK(refusal(R"({"code":"x","timeout":"10"})") == "field 'timeout' must be a number");
}
