#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "core/util/tar.hpp"
#include "fake_daemon.hpp"

using namespace orch;
using orch::testing::TempDir;

namespace {

std::string binary_blob(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7919) % 256);
  return s;
}

// A ustar header built independently of tar::Writer, for hand-made archives.
std::string raw_header(const std::string& name, char type, size_t size, const char* magic = "ustar\0" "00") {
  char h[512] = {};
  std::memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(h + 100, 8, "%07o", 0644);
  std::snprintf(h + 108, 8, "%07o", 0);
  std::snprintf(h + 116, 8, "%07o", 0);
  std::snprintf(h + 124, 12, "%011zo", size);
  std::snprintf(h + 136, 12, "%011o", 0);
  h[156] = type;
  std::memcpy(h + 257, magic, 8);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  return std::string(h, 512);
}

std::string padded(const std::string& data) { return data + std::string((512 - data.size() % 512) % 512, '\0'); }

std::string pax_record(const std::string& key, const std::string& value) {
  // "LEN key=value\n" where LEN counts itself.
  std::string body = " " + key + "=" + value + "\n";
  size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  return std::to_string(len) + body;
}

ErrorKind kind_of(const std::string& archive) {
  try {
    tar::read(archive);
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("archive accepted");
  return ErrorKind::Infrastructure;
}

int run(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  std::string acc;
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) acc.append(buf, n);
  int status = ::pclose(p);
  if (out) *out = acc;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kLongName = "deep/" + std::string(60, 'd') + "/" + std::string(70, 'n') + ".txt";  // 141 bytes

std::string sample_archive() {
  tar::Writer w;
  w.add_dir("src", 0750);
  w.add_file("src/main.py", "print('hi')\n", 0644, 1700000000);
  w.add_file("run.sh", "#!/bin/sh\necho ok\n", 0755);
  w.add_file("empty", "");
  w.add_file("blob.bin", binary_blob(1500));
  w.add_dir("deep/");
  w.add_file(kLongName, "long\n");
  w.add_file("exact512", std::string(512, 'x'));
  return w.finish();
}

}  // namespace

TEST_CASE("tar: Writer output reads back entry by entry") {
  std::string a = sample_archive();
  CHECK(a.size() % 512 == 0);
  CHECK(a.substr(a.size() - 1024) == std::string(1024, '\0'));
  auto entries = tar::read(a);
  REQUIRE(entries.size() == 8);
  CHECK(entries[0].path == "src");
  CHECK(entries[0].type == tar::EntryType::Dir);
  CHECK(entries[0].mode == 0750);
  CHECK(entries[1].path == "src/main.py");
  CHECK(entries[1].type == tar::EntryType::File);
  CHECK(entries[1].data == "print('hi')\n");
  CHECK(entries[1].size == 12);
  CHECK(entries[1].mode == 0644);
  CHECK(entries[2].path == "run.sh");
  CHECK(entries[2].mode == 0755);
  CHECK(entries[3].path == "empty");
  CHECK(entries[3].size == 0);
  CHECK(entries[3].data.empty());
  CHECK(entries[4].data == binary_blob(1500));
  CHECK(entries[5].path == "deep");
  CHECK(entries[5].type == tar::EntryType::Dir);
  CHECK(entries[6].path == kLongName);
  CHECK(entries[6].data == "long\n");
  CHECK(entries[7].data == std::string(512, 'x'));
}

TEST_CASE("tar: long names use a GNU L record before the header") {
  tar::Writer w;
  std::string name(150, 'a');
  w.add_file(name, "x");
  std::string a = w.finish();
  CHECK(a.substr(0, 13) == "././@LongLink");
  CHECK(a[156] == 'L');
  CHECK(a.substr(512, 150) == name);
  CHECK(a[512 + 150] == '\0');
  CHECK(a[1024 + 156] == '0');
  auto e = tar::read(a);
  REQUIRE(e.size() == 1);
  CHECK(e[0].path == name);
  tar::Writer exactly;
  exactly.add_file(std::string(100, 'b'), "y");  // fits the name field exactly, no NUL
  auto e2 = tar::read(exactly.finish());
  REQUIRE(e2.size() == 1);
  CHECK(e2[0].path == std::string(100, 'b'));
}

TEST_CASE("tar: the system tar accepts what Writer produces") {
  TempDir dir;
  std::string archive = dir.path() + "/a.tar";
  {
    std::ofstream out(archive, std::ios::binary);
    out << sample_archive();
  }
  std::string listing;
  REQUIRE(run("tar -tf " + archive + " 2>&1", &listing) == 0);
  CHECK(listing == "src/\nsrc/main.py\nrun.sh\nempty\nblob.bin\ndeep/\n" + kLongName + "\nexact512\n");
  std::string x = dir.path() + "/x";
  std::filesystem::create_directory(x);
  std::string err;
  REQUIRE(run("tar -xf " + archive + " -C " + x + " 2>&1", &err) == 0);
  CHECK(err == "");
  CHECK(slurp(x + "/src/main.py") == "print('hi')\n");
  CHECK(slurp(x + "/blob.bin") == binary_blob(1500));
  CHECK(slurp(x + "/" + kLongName) == "long\n");
  CHECK(slurp(x + "/empty").empty());
  struct stat st {};
  REQUIRE(::stat((x + "/run.sh").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);
  REQUIRE(::stat((x + "/src/main.py").c_str(), &st) == 0);
  CHECK(st.st_mtime == 1700000000);
}

TEST_CASE("tar: numbers too large for octal fields are written in base-256") {
  tar::Writer w;
  w.add_file("future.txt", "x", 0644, 9000000000);  // above 8^11, the largest 11-digit octal
  std::string a = w.finish();
  CHECK(static_cast<unsigned char>(a[136]) == 0x80);
  CHECK(a.substr(124, 12) == std::string("00000000001\0", 12));
  CHECK(tar::read(a).at(0).data == "x");
  TempDir dir;
  {
    std::ofstream out(dir.path() + "/f.tar", std::ios::binary);
    out << a;
  }
  std::string listing;
  REQUIRE(run("TZ=UTC tar -tvf " + dir.path() + "/f.tar --full-time 2>&1", &listing) == 0);
  CHECK(listing.find("2255-03-14 16:00:00 future.txt") != std::string::npos);
}

TEST_CASE("tar: read accepts what the system tar produces in gnu, pax and ustar formats") {
  TempDir dir;
  std::string src = dir.path() + "/src";
  std::string long_dir = std::string(80, 'p');
  dir.write("src/a.txt", "alpha\n");
  dir.write("src/" + long_dir + "/" + std::string(90, 'q') + ".dat", binary_blob(700));
  ::chmod((src + "/a.txt").c_str(), 0600);
  for (const char* format : {"gnu", "pax", "ustar"}) {
    CAPTURE(std::string(format));
    std::string archive = dir.path() + "/" + format + ".tar";
    std::string err;
    REQUIRE(run(std::string("tar --format=") + format + " --sort=name -cf " + archive + " -C " + src + " . 2>&1", &err) == 0);
    std::string bytes = slurp(archive);
    auto entries = tar::read(bytes);
    REQUIRE(entries.size() == 4);
    CHECK(entries[0].path == ".");
    CHECK(entries[0].type == tar::EntryType::Dir);
    CHECK(entries[1].path == "./a.txt");
    CHECK(entries[1].data == "alpha\n");
    CHECK(entries[1].mode == 0600);
    CHECK(entries[2].path == "./" + long_dir);
    CHECK(entries[2].type == tar::EntryType::Dir);
    CHECK(entries[3].path == "./" + long_dir + "/" + std::string(90, 'q') + ".dat");
    CHECK(entries[3].data == binary_blob(700));
  }
}

TEST_CASE("tar: GNU headers keep atime and ctime where ustar has its prefix") {
  TempDir dir;
  dir.write("src/file.txt", "incremental\n");
  std::string archive = dir.path() + "/g.tar";
  REQUIRE(run("tar --format=gnu -G -cf " + archive + " -C " + dir.path() + "/src file.txt 2>/dev/null") == 0);
  std::string bytes = slurp(archive);
  REQUIRE(bytes.size() > 512);
  CHECK(bytes.substr(257, 8) == std::string("ustar  \0", 8));
  auto entries = tar::read(bytes);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].path == "file.txt");
  CHECK(entries[0].data == "incremental\n");
}

TEST_CASE("tar: symlinks and hard links from the system tar are typed, with targets") {
  TempDir dir;
  dir.write("src/f", "data");
  std::filesystem::create_symlink("../../etc/passwd", dir.path() + "/src/link");
  std::filesystem::create_hard_link(dir.path() + "/src/f", dir.path() + "/src/hard");
  std::string archive = dir.path() + "/l.tar";
  REQUIRE(run("tar --sort=name -cf " + archive + " -C " + dir.path() + "/src f hard link") == 0);
  auto entries = tar::read(slurp(archive));
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].type == tar::EntryType::File);
  CHECK(entries[1].path == "hard");
  CHECK(entries[1].type == tar::EntryType::Hardlink);
  CHECK(entries[1].link == "f");
  CHECK(entries[2].type == tar::EntryType::Symlink);
  CHECK(entries[2].link == "../../etc/passwd");
}

TEST_CASE("tar: a hand-built pax header sets path and size of the next entry only") {
  std::string long_path = "pax/" + std::string(200, 'z') + "/file.txt";
  std::string recs = pax_record("path", long_path) + pax_record("mtime", "1700000000.5") + pax_record("size", "11");
  std::string a = raw_header("PaxHeaders/x", 'x', recs.size()) + padded(recs) +
                  raw_header("short-name", '0', 0) + padded("hello world") +  // ustar size 0, pax says 11
                  raw_header("second", '0', 3) + padded("abc") + std::string(1024, '\0');
  auto e = tar::read(a);
  REQUIRE(e.size() == 2);
  CHECK(e[0].path == long_path);
  CHECK(e[0].size == 11);
  CHECK(e[0].data == "hello world");
  CHECK(e[1].path == "second");
  CHECK(e[1].data == "abc");
}

TEST_CASE("tar: a global pax header is skipped; a linkpath record names the link target") {
  std::string g = pax_record("comment", "global");
  const std::string target = std::string(1, '/') + std::string(150, 't');
  std::string x = pax_record("linkpath", target);
  std::string a = raw_header("pax_global_header", 'g', g.size()) + padded(g) + raw_header("PaxHeaders/l", 'x', x.size()) +
                  padded(x) + raw_header("l", '2', 0) + std::string(1024, '\0');
  auto e = tar::read(a);
  REQUIRE(e.size() == 1);
  CHECK(e[0].path == "l");
  CHECK(e[0].type == tar::EntryType::Symlink);
  CHECK(e[0].link == target);
}

TEST_CASE("tar: ustar prefix field joins the name") {
  std::string h = raw_header("name.txt", '0', 2);
  std::memcpy(&h[345], "some/prefix", 11);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);
  auto e = tar::read(h + padded("hi") + std::string(1024, '\0'));
  REQUIRE(e.size() == 1);
  CHECK(e[0].path == "some/prefix/name.txt");
}

TEST_CASE("tar: corrupting any header byte is caught by the checksum") {
  tar::Writer w;
  w.add_file("file.txt", "content");
  std::string good = w.finish();
  for (size_t i : {0, 50, 100, 124, 130, 148, 156, 257, 300, 511}) {
    CAPTURE(i);
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    CHECK(kind_of(bad) == ErrorKind::BadInput);
  }
  CHECK(tar::read(good).size() == 1);
}

TEST_CASE("tar: truncated archives are errors") {
  tar::Writer w;
  w.add_file("one", std::string(1000, '1'));
  w.add_file("two", std::string(10, '2'));
  std::string a = w.finish();
  // Cut inside the first file's data, and inside the second header.
  CHECK(kind_of(a.substr(0, 800)) == ErrorKind::BadInput);
  CHECK(kind_of(a.substr(0, 1536 + 100)) == ErrorKind::BadInput);
  CHECK(kind_of(a.substr(0, 1536 + 512 + 5)) == ErrorKind::BadInput);
  // Ending without the two zero blocks, at an entry boundary, still yields every entry.
  auto e = tar::read(a.substr(0, 1536 + 1024));
  REQUIRE(e.size() == 2);
  CHECK(e[1].data == std::string(10, '2'));
  CHECK(tar::read("").empty());
}

TEST_CASE("tar: read_prefix keeps the entries before a cut and names the entry that was cut") {
  tar::Writer w;
  w.add_file("small", "s");
  w.add_file("big", std::string(5000, 'b'));
  w.add_file("after", "a");
  std::string a = w.finish();
  auto p = tar::read_prefix(a.substr(0, 512 * 2 + 512 + 1000));
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].path == "small");
  CHECK(p.error == "tar archive is truncated");
  CHECK(p.cut == "big");
  std::string bad = a;
  bad[1024 + 10] ^= 1;  // the second header's checksum no longer matches
  p = tar::read_prefix(bad);
  CHECK(p.entries.size() == 1);
  CHECK(p.error == "tar archive has a corrupt header");
  p = tar::read_prefix(a);
  CHECK(p.entries.size() == 3);
  CHECK(p.error.empty());
}

TEST_CASE("tar: is_safe_relative") {
  for (const char* ok : {"a", "a/b", "./a", "a/./b", "dir/", "a..b", "..a", "a/..b/c", ".hidden"}) {
    CAPTURE(std::string(ok));
    CHECK(tar::is_safe_relative(ok));
  }
  for (const char* bad : {"", "..", "../a", "a/..", "a/../b", "/etc/passwd", "/", "a\\b", "..\\a", "a/../../b"}) {
    CAPTURE(std::string(bad));
    CHECK_FALSE(tar::is_safe_relative(bad));
  }
  CHECK_FALSE(tar::is_safe_relative(std::string_view("a\0b", 3)));
}
