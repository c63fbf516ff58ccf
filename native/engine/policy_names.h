// A C policy's counter names: US_STATS(a, b, c) (bpf/uringscope.h) leaves the
// string "a, b, c" in the object, for the BPF loader and the native one alike.
#pragma once

#include <string>
#include <vector>

inline std::vector<std::string> splitStatNames(const std::string &s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s + ",") {
    if (ch == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (ch != ' ' && ch != '\t' && ch != '\n') {
      cur += ch;
    }
  }
  return out;
}
